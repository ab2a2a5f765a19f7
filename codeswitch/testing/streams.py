"""Reading the start of a provider stream, for tests of streams stopped part-way."""

from __future__ import annotations

from collections.abc import AsyncIterator

from codeswitch.providers import StreamEvent, TextDelta


async def read_text(stream: AsyncIterator[StreamEvent], deltas: int) -> list[str]:
    """Read ``stream`` until ``deltas`` text deltas have arrived (or it ends); return their texts.

    The stream is left open, so a test can then close it (``aclose()``), cancel the task reading
    it or drop it, and look at the emulator's recorded request to see what the server saw.
    """
    got: list[str] = []
    if deltas <= 0:
        return got
    async for ev in stream:
        if isinstance(ev, TextDelta):
            got.append(ev.text)
            if len(got) == deltas:
                break
    return got
