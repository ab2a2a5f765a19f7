"""The plain data the scope stage hands to the rest of the server.

These types are the contract in docs/architecture.md: routing, the features and the CLI read
them, so they stay small, frozen and free of tree-sitter objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from codeswitch.text import Pos, Span

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


class Symbol:
    """A definition or a reference found by the tag queries.

    ``kind`` is the capture suffix: function, method, class, interface, type, module, macro,
    constant for definitions; call, class, import, type, declaration, ... for references.
    ``path`` is relative to the workspace root and "/" separated.

    A large file holds a hundred thousand of these, so the span is kept packed (the start in one
    int; the end only when it is not where the name ends on the same line) and made on reading.
    Immutable, compared and hashed by value.
    """

    __slots__ = ("_end", "_start", "kind", "name", "path")

    name: str
    kind: str
    path: str
    _start: int
    _end: Pos | None

    def __init__(self, name: str, kind: str, path: str, span: Span) -> None:
        start, end = span.start, span.end
        set_ = object.__setattr__
        set_(self, "name", name)
        set_(self, "kind", kind)
        set_(self, "path", path)
        set_(self, "_start", start.line << _COL_BITS | start.col)
        plain = end.line == start.line and end.col == start.col + len(name)
        set_(self, "_end", None if plain else end)

    @property
    def span(self) -> Span:
        packed: int = self._start
        start = Pos(packed >> _COL_BITS, packed & _COL_MASK)
        end: Pos | None = self._end
        return Span(start, end if end is not None else Pos(start.line, start.col + len(self.name)))

    def _key(self) -> tuple[str, str, str, int, Pos | None]:
        return self.name, self.kind, self.path, self._start, self._end

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Symbol) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Symbol is immutable (cannot set {name})")

    def __repr__(self) -> str:
        return f"Symbol(name={self.name!r}, kind={self.kind!r}, path={self.path!r}, span={self.span!r})"


_COL_BITS = 32
_COL_MASK = (1 << _COL_BITS) - 1


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
