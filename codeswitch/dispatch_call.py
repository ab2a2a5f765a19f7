"""The data of one dispatched request: its model calls, failed attempts, result and ledger rows.

Kept apart from the chain logic in dispatch.py so that the token accounting a cancelled or failed
call leaves behind (what the ledger records) is one small, testable piece. The public types are
re-exported by ``codeswitch.dispatch``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field

from codeswitch.breakers import DispatchPolicy as DispatchPolicy
from codeswitch.catalog import ModelInfo
from codeswitch.ledger import RequestRow
from codeswitch.limits import CHARS_PER_TOKEN
from codeswitch.providers import (
    CompletionRequest,
    Finish,
    MalformedStream,
    ProviderError,
    StreamEvent,
    TextDelta,
    ToolUse,
    Usage,
)
from codeswitch.routing import RouteDecision

BuildRequest = Callable[[ModelInfo], CompletionRequest]


@dataclass(frozen=True, slots=True)
class Attempt:
    """One model that did not serve the request: an error kind, or why it was skipped
    (``breaker_open``, ``unavailable``, ``provider_disabled``, ``unknown_model``, ``latency_budget``,
    ``cost_ceiling``)."""

    model_key: str
    kind: str
    message: str


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the user should hear about once (a bad key, an exhausted quota, a missing model)."""

    provider: str
    model_key: str | None
    kind: str
    message: str


#: attempt kinds that mean a model was not called at all
SKIP_KINDS = frozenset({"breaker_open", "unavailable", "provider_disabled", "unknown_model",
                        "latency_budget", "cost_ceiling"})


def failure_summary(attempts: list[Attempt]) -> str:
    """Each model's error kind, then what the first failed call was told (what the provider sent)."""
    kinds = "; ".join(f"{a.model_key}: {a.kind}" for a in attempts)
    first = next((a for a in attempts if a.kind not in SKIP_KINDS), None)
    return f"{kinds}; first error: {first.message}" if first is not None else kinds


class AllModelsFailed(ProviderError):
    """No model in the chain served the request; `attempts` says what happened to each."""

    kind = "all_models_failed"

    def __init__(self, message: str, attempts: list[Attempt], *, partial_text: str = "") -> None:
        super().__init__(message)
        self.attempts = attempts
        self.partial_text = partial_text


class DeadlineExceeded(AllModelsFailed):
    """The request's total deadline (the tier's latency budget) passed before any model finished;
    `partial_text` holds what was shown when a streaming consumer had already received text."""

    kind = "deadline"


class CallDeadline(ProviderError):
    """One call cut off at the request's deadline (an attempt's kind; not retried)."""

    kind = "deadline"

    @classmethod
    def of(cls, call: Call, budget_ms: int) -> CallDeadline:
        return cls(f"stopped at the request's deadline ({budget_ms} ms) after {call.deltas} streamed pieces",
                   provider=call.model.provider, model=call.model.model_id)


@dataclass(frozen=True, slots=True)
class Completion:
    """The served result. `ttft_ms`/`total_ms` are measured from the start of `complete` (what the
    user waited); `cost_usd` is the serving call's cost (None when its price is unknown);
    `fallbacks` lists (model key, error kind) for every model tried or skipped before it."""

    text: str
    tool_uses: tuple[ToolUse, ...]
    usage: Usage
    model_key: str
    provider: str
    request_id: str
    fallbacks: tuple[tuple[str, str], ...]
    ttft_ms: float | None
    total_ms: float
    finish_reason: str
    cost_usd: float | None
    hedged: bool = False
    #: the texts of the further choices when the request asked for n > 1 (choice 1, 2, ...)
    choices: tuple[str, ...] = ()


@dataclass(slots=True, eq=False)
class Call:
    """A call in flight or finished. `outcome` is None while in flight, then ok|failed|cancelled."""

    model: ModelInfo
    started: float
    input_estimate: int
    clock: Callable[[], float]
    stream: AsyncGenerator[StreamEvent, None] | None = None
    stream_closed: bool = False
    first_at: float | None = None
    ended: float | None = None
    deltas: int = 0
    delivered: int = 0
    parts: list[str] = field(default_factory=list)
    other_parts: dict[int, list[str]] = field(default_factory=dict)  # choices 1.. of an n > 1 call
    tool_uses: list[ToolUse] = field(default_factory=list)
    usage: Usage | None = None
    finish: Finish | None = None
    outcome: str | None = None
    error_kind: str | None = None
    #: the most this call can cost (the cost ceiling counts it while the call is in flight)
    max_cost_usd: float | None = None

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def other_choices(self) -> tuple[str, ...]:
        """The texts of choices 1, 2, ... (empty unless the call asked for several)."""
        return tuple("".join(self.other_parts[i]) for i in sorted(self.other_parts))

    def tokens(self) -> tuple[int, int, int, bool]:
        """(input, cached input, output, estimated). Without a usage report (cancelled or failed
        mid-stream) input is estimated from the request size and output is one token per delta;
        a call that produced nothing and was not cancelled was not billed."""
        if self.usage is not None:
            u = self.usage
            return u.input_tokens, u.cached_input_tokens, u.output_tokens, False
        if self.first_at is not None or self.outcome == "cancelled":
            return self.input_estimate, 0, self.deltas, True
        return 0, 0, 0, False

    def cache_write_tokens(self) -> int:
        """Prompt tokens the provider wrote to its prompt cache (reported in the usage only)."""
        return self.usage.cache_write_input_tokens if self.usage is not None else 0

    def cost_usd(self) -> float | None:
        """Dollars for this call from the catalog price; None when the price is not published."""
        inp, cached, out, _ = self.tokens()
        return self.model.cost_usd(inp, out, cached, self.cache_write_tokens())

    def ttft_ms(self) -> float | None:
        return None if self.first_at is None else (self.first_at - self.started) * 1000

    def total_ms(self) -> float | None:
        return None if self.ended is None else (self.ended - self.started) * 1000


def estimate_input_tokens(req: CompletionRequest) -> int:
    """About ``CHARS_PER_TOKEN`` characters a token: enough to price a call the provider never reported."""
    chars = len(req.system or "") + len(req.prompt or "") + len(req.suffix or "")
    chars += sum(len(m.text()) for m in req.messages)
    chars += sum(len(t.description) + len(str(t.input_schema)) for t in req.tools)
    return chars // CHARS_PER_TOKEN + 1


async def close_stream(call: Call) -> None:
    """Close the provider stream once (closing the HTTP response: the vendor stops generating)."""
    if call.stream is None or call.stream_closed:
        return
    call.stream_closed = True
    await call.stream.aclose()


async def drain_after_finish(call: Call, limit_s: float = 1.0) -> None:
    """Let the provider's stream run to its natural end once Finish has arrived.

    Closing a generator that is parked at its last `yield` tears it down with GeneratorExit,
    which leaves its inner readers to the event loop's finalizer and costs a fraction of a
    millisecond per request; running it out lets it close its response the ordinary way. Bounded
    by `limit_s` in case a provider keeps the stream open after its final event.
    """
    if call.stream is None or call.stream_closed:
        return
    try:
        async with asyncio.timeout(limit_s):
            async for _ in call.stream:
                pass
    except (TimeoutError, ProviderError):
        pass


async def read_until(
    call: Call,
    on_text: Callable[[str], None] | None,
    *,
    finish: bool,
    on_delivered: Callable[[], None] | None = None,
) -> None:
    """Read events into `call`: up to the first token (finish=False) or to the Finish event.

    With `on_text`, text not yet handed over (including text read while racing for the first
    token) is passed on as it arrives; `on_delivered` runs before the first piece is handed over.
    """
    assert call.stream is not None
    while True:
        if on_text is not None:
            while call.delivered < len(call.parts):
                if on_delivered is not None:
                    on_delivered()
                on_text(call.parts[call.delivered])
                call.delivered += 1
        if call.finish is not None or (not finish and call.first_at is not None):
            return
        try:
            ev = await anext(call.stream)
        except StopAsyncIteration:
            raise MalformedStream(
                "the stream ended without a finish event", provider=call.model.provider,
                model=call.model.model_id,
            ) from None
        if isinstance(ev, TextDelta):
            if ev.index:  # another choice of an n > 1 call: kept apart, never streamed to on_text
                call.other_parts.setdefault(ev.index, []).append(ev.text)
            else:
                call.parts.append(ev.text)
            call.deltas += 1
            if call.first_at is None:
                call.first_at = call.clock()
        elif isinstance(ev, ToolUse):
            call.tool_uses.append(ev)
            if call.first_at is None:
                call.first_at = call.clock()
        elif isinstance(ev, Usage):
            call.usage = ev
        else:
            call.finish = ev


@dataclass(slots=True)
class RequestCtx:
    """Everything one `Dispatcher.complete` call accumulates: its calls and failed attempts."""

    decision: RouteDecision
    build: BuildRequest
    kind: str
    scope: str
    parent_id: str | None
    role: str | None
    request_id: str
    on_text: Callable[[str], None] | None
    on_attempt: Callable[[str], None] | None
    started: float
    calls: list[Call] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    tries: dict[str, int] = field(default_factory=dict)
    delivered: bool = False
    hedged: bool = False


def make_completion(ctx: RequestCtx, call: Call, now: float) -> Completion:
    """The result handed to the feature, timed from the start of the request."""
    first = call.first_at
    return Completion(
        text=call.text,
        tool_uses=tuple(call.tool_uses),
        usage=call.usage or Usage(call.input_estimate, 0, call.deltas),
        model_key=call.model.key,
        provider=call.model.provider,
        request_id=ctx.request_id,
        fallbacks=tuple((a.model_key, a.kind) for a in ctx.attempts),
        ttft_ms=None if first is None else (first - ctx.started) * 1000,
        total_ms=(now - ctx.started) * 1000,
        finish_reason=call.finish.reason if call.finish is not None else "other",
        cost_usd=call.cost_usd(),
        hedged=ctx.hedged,
        choices=call.other_choices(),
    )


def ledger_rows(ctx: RequestCtx, served: Call | None, now: float, wall: float) -> list[RequestRow]:
    """One row per call. Calls still in flight were cancelled; a failed call is ``fallback`` unless
    it was the last one of a request that failed (``error``). `now` is the monotonic clock,
    `wall` the timestamp the rows carry."""
    failed = [c for c in ctx.calls if c.outcome == "failed"]
    last_failed = failed[-1] if failed and served is None else None
    rows = []
    for call in ctx.calls:
        if call.outcome is None:
            call.outcome, call.ended = "cancelled", now
        outcome = call.outcome
        if outcome == "failed":
            outcome = "error" if call is last_failed else "fallback"
        inp, cached, out, estimated = call.tokens()
        rows.append(RequestRow(
            ts=wall, request_id=ctx.request_id, kind=ctx.kind, scope=ctx.scope, tier=ctx.decision.tier,
            provider=call.model.provider, model_key=call.model.key, input_tokens=inp,
            cached_input_tokens=cached, output_tokens=out, cost_usd=call.cost_usd(),
            ttft_ms=call.ttft_ms(), total_ms=call.total_ms(), outcome=outcome,
            error_kind=call.error_kind, parent_id=ctx.parent_id, role=ctx.role,
            tokens_estimated=estimated, cache_write_tokens=call.cache_write_tokens(),
        ))
    return rows
