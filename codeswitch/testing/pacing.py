"""Playing a rendered stream: time to first token, tokens per second, and injected mid-stream faults.

Kept apart from the server so the timing rules are in one place: structural chunks go out at
once, token chunks are paced against an absolute schedule (no drift), and every wait wakes up
early when the client hangs up, which is then recorded.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .httpio import Responder
from .render import Chunk
from .script import Fault, LatencyProfile, RecordedRequest


@dataclass(frozen=True, slots=True)
class Pace:
    ttft_s: float
    tokens_per_second: float  # 0 = no pacing

    @classmethod
    def of(cls, profile: LatencyProfile, time_scale: float) -> Pace:
        tps = profile.tokens_per_second / time_scale if time_scale > 0 else 0.0
        return cls(profile.ttft_s * time_scale, tps)


async def _inject(resp: Responder, fault: Fault, err_bytes: bytes, bad_bytes: bytes) -> bool:
    """Apply a mid-stream fault; True if the stream should go on afterwards (a stall that ended)."""
    if fault.kind in ("stall_first", "stall_mid"):
        return await resp.pause(fault.stall_s)
    if fault.kind == "reset_mid":
        resp.abort()
        return False
    await resp.write_chunk(bad_bytes if fault.kind == "malformed" else err_bytes)
    return False


async def play(
    resp: Responder,
    record: RecordedRequest,
    chunks: list[Chunk],
    pace: Pace,
    fault: Fault | None,
    *,
    err_bytes: bytes,
    bad_bytes: bytes,
) -> None:
    """Send `chunks` (headers already sent), updating `record` as tokens go out or the client leaves."""
    last_token = max((i for i, c in enumerate(chunks) if c.tokens), default=-1)
    t0: float | None = None
    complete = False
    try:
        for i, chunk in enumerate(chunks):
            # A fault fires before the token that crosses its threshold, or after the last token.
            if fault is not None and (chunk.tokens or i > last_token):
                threshold = 0 if fault.kind == "stall_first" else fault.after_tokens
                if record.tokens_sent >= threshold:
                    injected, fault = fault, None
                    if not await _inject(resp, injected, err_bytes, bad_bytes):
                        return
            if chunk.tokens:
                if t0 is None:
                    if not await resp.pause(pace.ttft_s):
                        return
                    t0 = time.monotonic()
                elif pace.tokens_per_second > 0:
                    due = t0 + record.tokens_sent / pace.tokens_per_second
                    if not await resp.pause(due - time.monotonic()):
                        return
            if not await resp.write_chunk(chunk.data):
                return
            if chunk.tokens:
                record.tokens_sent += chunk.tokens
                if record.first_token_at is None:
                    record.first_token_at = time.monotonic()
        complete = True
    finally:
        # stopped early because the client went away (seen as a closing transport before the
        # hang-up watch fired): that is a disconnect, not a finished stream
        if not complete and resp.disconnected_at is None and not resp.aborted and resp.gone:
            resp.disconnected_at = time.monotonic()
        try:
            if not resp.aborted:
                await resp.end_stream()
        except (ConnectionError, OSError):  # reset while the stream ended: the client is gone
            if resp.disconnected_at is None:
                resp.disconnected_at = time.monotonic()
        record.disconnected_at = resp.disconnected_at
        record.finished_at = None if resp.disconnected_at is not None else time.monotonic()
