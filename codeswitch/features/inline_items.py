"""Several suggestions to cycle through, when the user asks for them.

An automatic request (the editor asks while the user types) gets one suggestion from one upstream
call. When the user asks for more (VS Code's next/previous suggestion sends
``InlineCompletionTriggerKind.Invoked``), the answer holds up to ``inline.max_items`` distinct
suggestions: first the choices (``n``) of the serving model where its API has them (the catalog's
``max_choices``), then one call per further model of the route's chain, run side by side. Items are
deduplicated after shaping, and the whole list is kept per cursor context, so asking again at the
same place makes no call.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from codeswitch.catalog import Catalog
from codeswitch.routing import RouteDecision

from .inline import CompleteFn, InlineEngine, LineDocument, Suggestion
from .inline_cache import context_key


def same_text(a: str, b: str) -> bool:
    """Two suggestions that insert the same code (trailing whitespace does not count)."""
    return a.rstrip() == b.rstrip()


def distinct(items: Iterable[Suggestion], limit: int) -> list[Suggestion]:
    """The first ``limit`` items whose text differs from every earlier one."""
    out: list[Suggestion] = []
    for item in items:
        if len(out) >= limit:
            break
        if item.text.strip() and not any(same_text(item.text, o.text) for o in out):
            out.append(item)
    return out


@dataclass(frozen=True, slots=True)
class PlannedCall:
    """One extra upstream call: a model of the chain and how many choices to ask it for."""

    model_key: str
    n: int


def plan_extra(chain: Sequence[str], catalog: Catalog, *, have: int, want: int,
               used: Iterable[str], asked: Iterable[str] = ()) -> list[PlannedCall]:
    """Calls that can bring the item count from ``have`` up to ``want``.

    Models ``asked`` in this request already gave all they had. A model whose earlier answer is
    shown (from the cache) is asked again only when it takes ``n`` (other samples differ); the
    others give their one answer each, in chain order, until enough are planned. A model that takes
    ``n`` is asked for everything still missing, as the single answers planned before it may
    turn out to repeat one another.
    """
    used_set, asked_set = set(used), set(asked)
    planned: list[PlannedCall] = []
    missing = want - have
    for key in chain:
        if missing <= 0:
            break
        model = catalog.models.get(key)
        if model is None or key in asked_set:
            continue
        again = key in used_set
        n = min(model.max_choices, want - have + (1 if again else 0)) if model.max_choices > 1 else 1
        if again and n <= 1:
            continue
        planned.append(PlannedCall(key, n))
        missing -= n - (1 if again else 0)
    return planned


_Key = tuple[str, int, int, str, str]


@dataclass(slots=True)
class ItemsCache:
    """The last lists of several items, by cursor context (an LRU of ``size`` entries)."""

    size: int = 64
    _lists: OrderedDict[_Key, tuple[Suggestion, ...]] = field(default_factory=OrderedDict)

    @staticmethod
    def key(doc: LineDocument, line: int, col: int) -> _Key:
        before, after = context_key(doc.line, doc.line_count, line, col)
        return doc.uri, line, col, before, after

    def get(self, doc: LineDocument, line: int, col: int) -> tuple[Suggestion, ...] | None:
        k = self.key(doc, line, col)
        got = self._lists.get(k)
        if got is not None:
            self._lists.move_to_end(k)
        return got

    def put(self, doc: LineDocument, line: int, col: int, items: Sequence[Suggestion]) -> None:
        k = self.key(doc, line, col)
        self._lists[k] = tuple(items)
        self._lists.move_to_end(k)
        while len(self._lists) > max(1, self.size):
            self._lists.popitem(last=False)

    def forget(self, uri: str) -> None:
        for k in [k for k in self._lists if k[0] == uri]:
            del self._lists[k]


async def more_items(engine: InlineEngine, doc: LineDocument, line: int, col: int, *,
                     have: Sequence[Suggestion], want: int, shape: str | None, decision: RouteDecision,
                     complete: CompleteFn, rel_path: str | None = None,
                     asked: Iterable[str] = ()) -> list[Suggestion]:
    """``have`` plus suggestions from further calls, distinct, at most ``want`` of them; the
    models ``asked`` in this request are not asked again.

    The calls run side by side, each on one model (no fallback inside: the next model is another
    planned call). A call that fails just brings nothing; cancellation propagates.
    """
    items = distinct(have, want)
    plan = plan_extra(decision.chain, engine.catalog, have=len(items), want=want,
                      used={s.model for s in items}, asked=asked)
    if not plan:
        return items
    ctx = engine.context(doc, line, col, rel_path)

    async def one(call: PlannedCall) -> list[Suggestion]:
        single = replace(decision, chain=(call.model_key,), hedge_after_ms=None)
        try:
            done = await engine.call(ctx, shape=shape, decision=single, complete=complete, choices=call.n)
        except asyncio.CancelledError:
            raise
        except Exception:  # a failed extra call only means fewer items
            return []
        texts = (done.text, *getattr(done, "choices", ()))
        shaped = (engine.shaped(doc, ctx, t, done.model_key, line, col, shape=shape, tier=decision.tier)[0]
                  for t in texts)
        return [s for s in shaped if s is not None]

    results = await asyncio.gather(*(one(c) for c in plan))
    return distinct([*items, *(s for found in results for s in found)], want)
