"""Inline completion: from a snapshot and a cursor to the ghost text to show (or nothing).

The engine is the feature's only stateful piece: it owns the type-through cache and remembers
which provider failures the user has already been told about. Everything else is a pure step
(``prompts_inline``, ``postprocess``). The model call goes through a ``CompleteFn`` (the
dispatcher's ``complete``), so fallbacks, breakers and cancellation live in one place; cancelling
the task that awaits it closes the upstream stream.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from codeswitch.catalog import Catalog, ModelInfo
from codeswitch.config import Config
from codeswitch.providers import CompletionRequest
from codeswitch.routing import RouteDecision
from codeswitch.secrets import is_secret

from .inline_cache import CacheEntry, InlineCache, context_key
from .postprocess import shape_completion
from .prompts_inline import (
    DefinitionSite,
    InlineContext,
    build_request,
    file_imports,
    gather_snippets,
    max_tokens_for,
    names_near_cursor,
    prefix_window,
    suffix_window,
)


class LineDocument(Protocol):
    """What the engine reads from a snapshot (``documents.Snapshot`` fits)."""

    @property
    def uri(self) -> str: ...
    @property
    def language(self) -> str | None: ...
    @property
    def line_count(self) -> int: ...
    def line(self, i: int) -> str: ...


class CompletionLike(Protocol):
    """The part of ``dispatch.Completion`` the engine reads."""

    @property
    def text(self) -> str: ...
    @property
    def model_key(self) -> str: ...
    @property
    def fallbacks(self) -> Any: ...
    @property
    def cost_usd(self) -> float | None: ...


#: (decision, build, request_kind=..., scope=...) -> Completion; ``Dispatcher.complete`` fits
CompleteFn = Callable[..., Awaitable[CompletionLike]]
#: name -> where it is defined in the workspace (from the index)
DefinitionLookup = Callable[[str], list[DefinitionSite]]

_ids = itertools.count(1)


def new_item_id() -> str:
    """A short unique id for an item, echoed back by the accept command."""
    return f"inl-{os.getpid():x}-{next(_ids)}"


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One suggestion at the cursor: insert ``text`` at (line, col); code-point columns."""

    text: str
    line: int
    col: int
    item_id: str
    model: str
    tier: str
    from_cache: bool
    notes: tuple[str, ...] = ()
    typed: int = 0  # characters of the original suggestion the user typed before this one

    @property
    def full_length(self) -> int:
        """Length of the whole original suggestion (what an acceptance of this item accepts)."""
        return self.typed + len(self.text)


@dataclass(frozen=True, slots=True)
class InlineOutcome:
    """What a request produced: a suggestion or None, and what the user should hear about."""

    suggestion: Suggestion | None
    model: str | None = None
    tier: str = "inline"
    cost_usd: float | None = None
    fallbacks: tuple[tuple[str, str], ...] = ()
    notice: str | None = None  # a first failure to show once (window/showMessage)
    reason: str | None = None  # why there is no suggestion
    #: further distinct suggestions from the same call (``choices`` > 1 on a model that takes n)
    alternatives: tuple[Suggestion, ...] = ()


@dataclass(slots=True)
class InlineEngine:
    """Builds prompts, calls the models through ``complete``, shapes and caches the results."""

    config: Config
    catalog: Catalog
    root: Path | None = None
    definitions: DefinitionLookup | None = None
    cache: InlineCache = field(default_factory=InlineCache)
    context_time_budget_s: float | None = None  # None: the config's inline.context_ms
    upstream_calls: int = 0
    _told: set[tuple[str, str]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.cache = InlineCache(self.config.inline.cache_size)

    def _context_budget_s(self) -> float:
        given = self.context_time_budget_s
        return given if given is not None else self.config.inline.context_ms / 1000

    def cached(self, doc: LineDocument, line: int, col: int) -> Suggestion | None:
        """A suggestion from the cache (exact or type-through), without any model call."""
        before, after = context_key(doc.line, doc.line_count, line, col)
        hit = self.cache.get(doc.uri, line, col, before, after)
        if hit is None:
            return None
        return Suggestion(hit.text, line, col, hit.entry.item_id, hit.entry.model, "inline", True,
                          ("served from cache",) if hit.typed == 0 else (f"typed through {hit.typed}",),
                          hit.typed)

    def context(self, doc: LineDocument, line: int, col: int, rel_path: str | None) -> InlineContext:
        """Prompt windows sized by the config's token budgets, plus imports and definitions."""
        prefix = prefix_window(doc.line, line, col, self.config.inline.max_prefix_tokens)
        suffix = suffix_window(doc.line, doc.line_count, line, col, self.config.inline.max_suffix_tokens)
        # the window already shows the top of the file: its imports need no second copy
        covers_top = prefix.count("\n") >= line
        imports = () if covers_top else file_imports(doc.line, doc.line_count)
        snippets: tuple[Any, ...] = ()
        if self.definitions is not None and self.root is not None:
            root = self.root
            snippets = gather_snippets(names_near_cursor(prefix), self.definitions, root=root,
                                       exclude_path=rel_path, is_secret=lambda p: is_secret(p, root),
                                       time_budget_s=self._context_budget_s())
        return InlineContext(prefix, suffix, doc.language, rel_path, imports, snippets)

    async def complete(self, doc: LineDocument, line: int, col: int, *, shape: str | None,
                       decision: RouteDecision, complete: CompleteFn,
                       rel_path: str | None = None, choices: int = 1) -> InlineOutcome:
        """The suggestion at (line, col): cache first, else one routed model call.

        ``choices`` > 1 asks a model that takes ``n`` (the catalog's ``max_choices``) for that many
        answers in the same call; the others come back shaped as ``alternatives``.
        Raises what ``complete`` raises when every model failed (the handler reports it);
        cancellation propagates (the caller was superseded).
        """
        hit = self.cached(doc, line, col)
        if hit is not None:
            return InlineOutcome(hit, hit.model, decision.tier, 0.0)
        if not decision.chain:
            return InlineOutcome(None, reason=decision.cause)
        ctx = self.context(doc, line, col, rel_path)
        done = await self.call(ctx, shape=shape, decision=decision, complete=complete, choices=choices)
        fallbacks = tuple((str(k), str(e)) for k, e in (done.fallbacks or ()))
        notice = self._first_failure_notice(fallbacks, done.model_key)
        item, notes = self.shaped(doc, ctx, done.text, done.model_key, line, col, shape=shape,
                                  tier=decision.tier)
        if item is None:
            return InlineOutcome(None, done.model_key, decision.tier, done.cost_usd, fallbacks, notice,
                                 "; ".join(notes))
        before, after = context_key(doc.line, doc.line_count, line, col)
        self.cache.put(CacheEntry(doc.uri, line, col, before, after, item.text, done.model_key,
                                  item.item_id))
        others = (self.shaped(doc, ctx, text, done.model_key, line, col, shape=shape, tier=decision.tier)[0]
                  for text in getattr(done, "choices", ()))
        return InlineOutcome(item, done.model_key, decision.tier, done.cost_usd, fallbacks, notice,
                             alternatives=tuple(o for o in others if o is not None))

    async def call(self, ctx: InlineContext, *, shape: str | None, decision: RouteDecision,
                   complete: CompleteFn, choices: int = 1) -> CompletionLike:
        """One routed model call for ``ctx`` (``choices`` answers where the model takes ``n``)."""
        tokens = max_tokens_for(shape, decision.max_output_tokens)

        def build(model: ModelInfo) -> CompletionRequest:
            req = build_request(model, ctx, shape=shape, max_tokens=tokens)
            n = min(choices, model.max_choices)
            return replace(req, n=n) if n > 1 else req

        self.upstream_calls += 1
        return await complete(decision, build, request_kind="inline", scope="inline")

    def shaped(self, doc: LineDocument, ctx: InlineContext, text: str, model_key: str, line: int, col: int,
               *, shape: str | None, tier: str) -> tuple[Suggestion | None, tuple[str, ...]]:
        """A model's raw text shaped into a suggestion (None when nothing usable is left)."""
        model = self.catalog.models.get(model_key)
        chat = model is None or model.chat
        result = shape_completion(text, language=doc.language, prefix=ctx.prefix, suffix=ctx.suffix,
                                  shape=shape, chat=chat)
        if result.text is None:
            return None, tuple(result.notes)
        notes = tuple(result.notes)
        return Suggestion(result.text, line, col, new_item_id(), model_key, tier, False, notes), notes

    def _first_failure_notice(self, fallbacks: Sequence[tuple[str, str]], served_by: str) -> str | None:
        """One message per (model, error kind), the first time it happens in this session."""
        for key, kind in fallbacks:
            if (key, kind) in self._told:
                continue
            self._told.add((key, kind))
            why = "is not available for this account" if kind == "model_not_found" else f"failed ({kind})"
            return f"codeswitch: {key} {why}; inline completions now use {served_by}."
        return None

    def forget(self, uri: str) -> None:
        self.cache.forget(uri)
