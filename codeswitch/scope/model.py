"""The plain data the scope stage hands to the rest of the server.

These types are the contract in docs/architecture.md: routing, the features and the CLI read
them, so they stay small, frozen and free of tree-sitter objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from codeswitch.text import Span

RequestKind = Literal["inline", "edit", "auto"]
ScopeName = Literal["inline", "function", "workspace"]
InlineShape = Literal["rest_of_line", "block", "expression"]

#: scope names ordered from the cheapest to the broadest
SCOPE_ORDER: dict[str, int] = {"inline": 0, "function": 1, "workspace": 2}


@dataclass(frozen=True, slots=True)
class ScopeRequest:
    """What the user asked for: a completion at the cursor, an instructed edit, or "decide"."""

    kind: RequestKind
    span: Span
    instruction: str | None = None


@dataclass(frozen=True, slots=True)
class Symbol:
    """A definition or a reference found by the tag queries.

    ``kind`` is the capture suffix: function, method, class, interface, type, module, macro,
    constant for definitions; call, class, import, type, declaration, ... for references.
    ``path`` is relative to the workspace root and "/" separated.
    """

    name: str
    kind: str
    path: str
    span: Span


@dataclass(frozen=True, slots=True)
class Scope:
    """How far a request reaches, with what it is anchored to and why we think so."""

    scope: ScopeName
    anchor: Span | None
    anchor_kind: str | None
    anchor_name: str | None
    inline_shape: InlineShape | None
    files: tuple[str, ...]
    symbol: str | None
    context_tokens: int
    confidence: float
    reasons: tuple[str, ...]
    #: the likeliest scope when the decision chose a broader one only because under-routing costs
    #: more (an unsure call): an edit may start there and escalate on evidence; None otherwise
    likeliest: ScopeName | None = None
