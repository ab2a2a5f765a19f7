"""A stream closed early closes every reader it opened, at once, not when garbage is collected.

Each layer of a provider stream (the parser, the SSE reader, the response lines, the timed byte
stream, the response) is closed explicitly when the caller closes the stream, cancels the task
reading it, or abandons it as a hedging loser does. Nothing of ours stays suspended, and the
emulator sees the client hang up.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncGenerator, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import AsyncGeneratorType
from typing import Any

import pytest
from emulator_helpers import LONG, SLOW, model_for, request

import codeswitch
from codeswitch.providers import API_NAMES, CompletionRequest, Message, TextDelta, collect
from codeswitch.testing import Emulator, read_text
from codeswitch.testing.pytest_plugin import ProviderFactory

PACKAGE = str(Path(codeswitch.__file__).parent)


@contextmanager
def started_generators() -> Iterator[list[AsyncGenerator[Any, Any]]]:
    """Every async generator first iterated inside the block, held so that collection cannot close it."""
    seen: list[AsyncGenerator[Any, Any]] = []
    firstiter, finalizer = sys.get_asyncgen_hooks()

    def track(agen: AsyncGenerator[Any, Any]) -> None:
        seen.append(agen)
        if firstiter is not None:
            firstiter(agen)

    sys.set_asyncgen_hooks(firstiter=track, finalizer=finalizer)
    try:
        yield seen
    finally:
        sys.set_asyncgen_hooks(firstiter=firstiter, finalizer=finalizer)


def left_open(seen: list[AsyncGenerator[Any, Any]]) -> list[str]:
    """Our own generators (and httpx's line reader we iterate) still suspended mid-body."""
    out = []
    for agen in seen:
        assert isinstance(agen, AsyncGeneratorType)
        if agen.ag_frame is None:
            continue
        code = agen.ag_code
        if code.co_filename.startswith(PACKAGE) or code.co_name == "aiter_lines":
            out.append(f"{code.co_qualname} ({Path(code.co_filename).name})")
    return out


@pytest.mark.parametrize("api", API_NAMES)
async def test_aclose_closes_every_inner_reader(
    api: str, emulator: Emulator, emulator_provider: ProviderFactory
) -> None:
    emulator.set_profile(model_for(api), SLOW).script(model_for(api), LONG)
    provider = emulator_provider(api)
    with started_generators() as seen:
        stream = provider.stream(request(api))
        assert len(await read_text(stream, 3)) == 3
        await stream.aclose()
    assert left_open(seen) == []
    assert len(seen) >= 3  # the stream, its parser and the line reader at least
    rec = await emulator.wait_closed(emulator.requests[0])
    assert rec.disconnected_at is not None and rec.finished_at is None


@pytest.mark.parametrize("api", ["anthropic", "openai_responses", "fim_ollama"])
async def test_cancelling_the_reader_closes_every_inner_reader(
    api: str, emulator: Emulator, emulator_provider: ProviderFactory
) -> None:
    emulator.set_profile(model_for(api), SLOW).script(model_for(api), LONG)
    provider = emulator_provider(api)
    got_two = asyncio.Event()

    async def consume() -> None:
        n = 0
        async for ev in provider.stream(request(api)):
            n += isinstance(ev, TextDelta)
            if n == 2:
                got_two.set()

    with started_generators() as seen:
        task = asyncio.create_task(consume())
        await asyncio.wait_for(got_two.wait(), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert left_open(seen) == []
    rec = await emulator.wait_closed(emulator.requests[0])
    assert rec.disconnected_at is not None and rec.tokens_sent < 400


async def test_closing_the_hedging_loser_releases_it_and_keeps_the_winner(
    emulator: Emulator, emulator_provider: ProviderFactory
) -> None:
    """Two streams on one client; the slow one is closed as soon as the fast one has answered."""
    emulator.set_profile("slow", SLOW).script("slow", LONG)
    emulator.set_profile("fast", "instant").script("fast", "the winner")
    provider = emulator_provider("openai_chat")
    with started_generators() as seen:
        loser = provider.stream(CompletionRequest("slow", messages=[Message("user", "go")]))
        first = await anext(loser)
        winner = await collect(provider.stream(CompletionRequest("fast", messages=[Message("user", "go")])))
        await loser.aclose()
    assert isinstance(first, TextDelta) and winner.text == "the winner"
    assert left_open(seen) == []
    slow = await emulator.wait_closed(emulator.requests_for("slow")[0])
    assert slow.disconnected_at is not None and slow.tokens_sent < 400
    assert emulator.requests_for("fast")[0].completed
    # The client is still usable; the finished winner's connection is the one reused.
    emulator.script("fast", "again")
    assert (
        await collect(provider.stream(CompletionRequest("fast", messages=[Message("user", "x")])))
    ).text == "again"
    assert emulator.requests_for("fast")[1].connection == emulator.requests_for("fast")[0].connection
