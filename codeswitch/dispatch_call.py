"""One model call inside a dispatch: its stream, what it has produced so far, and its cost.

Kept apart from the chain logic in dispatch.py so that the token accounting a cancelled or failed
call leaves behind (what the ledger records) is one small, testable piece.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from codeswitch.catalog import ModelInfo
from codeswitch.providers import (
    CompletionRequest,
    Finish,
    MalformedStream,
    StreamEvent,
    TextDelta,
    ToolUse,
    Usage,
)


@dataclass(slots=True, eq=False)
class Call:
    """A call in flight or finished. `outcome` is None while in flight, then ok|failed|cancelled."""

    model: ModelInfo
    started: float
    input_estimate: int
    clock: Callable[[], float]
    stream: AsyncIterator[StreamEvent] | None = None
    stream_closed: bool = False
    first_at: float | None = None
    ended: float | None = None
    deltas: int = 0
    delivered: int = 0
    parts: list[str] = field(default_factory=list)
    tool_uses: list[ToolUse] = field(default_factory=list)
    usage: Usage | None = None
    finish: Finish | None = None
    outcome: str | None = None
    error_kind: str | None = None

    @property
    def text(self) -> str:
        return "".join(self.parts)

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

    def cost_usd(self) -> float | None:
        """Dollars for this call from the catalog price; None when the price is not published."""
        inp, cached, out, _ = self.tokens()
        return self.model.cost_usd(inp, out, cached)

    def ttft_ms(self) -> float | None:
        return None if self.first_at is None else (self.first_at - self.started) * 1000

    def total_ms(self) -> float | None:
        return None if self.ended is None else (self.ended - self.started) * 1000


def estimate_input_tokens(req: CompletionRequest) -> int:
    """About four characters per token: enough to price a call the provider never reported."""
    chars = len(req.system or "") + len(req.prompt or "") + len(req.suffix or "")
    chars += sum(len(m.text()) for m in req.messages)
    chars += sum(len(t.description) + len(str(t.input_schema)) for t in req.tools)
    return chars // 4 + 1


async def close_stream(call: Call) -> None:
    """Close the provider stream once (closing the HTTP response: the vendor stops generating)."""
    if call.stream is None or call.stream_closed:
        return
    call.stream_closed = True
    aclose = getattr(call.stream, "aclose", None)
    if aclose is not None:
        await aclose()


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
