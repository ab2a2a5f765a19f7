"""Closing or cancelling a stream closes the upstream HTTP connection: the emulator sees it go."""

from __future__ import annotations

import asyncio

import pytest
from emulator_helpers import LONG, SLOW, model_for, request

from codeswitch.providers import API_NAMES, TextDelta, collect
from codeswitch.testing import Emulator, LatencyProfile, read_text
from codeswitch.testing.pytest_plugin import ProviderFactory


@pytest.mark.parametrize("api", API_NAMES)
async def test_aclose_mid_stream_disconnects_upstream(
    api: str, emulator: Emulator, emulator_provider: ProviderFactory
) -> None:
    emulator.set_profile(model_for(api), SLOW).script(model_for(api), LONG)
    stream = emulator_provider(api).stream(request(api))
    assert len(await read_text(stream, 3)) == 3
    await stream.aclose()
    rec = await emulator.wait_closed(emulator.requests[0])
    assert rec.disconnected_at is not None
    assert rec.finished_at is None  # the emulator never got to finish: it stopped on the hang-up
    assert 3 <= rec.tokens_sent < 400


async def test_cancelling_the_consumer_task_disconnects_upstream(
    emulator: Emulator, emulator_provider: ProviderFactory
) -> None:
    emulator.set_profile("m", SLOW).script("m", LONG)
    provider = emulator_provider("anthropic")
    received: list[str] = []
    got_two = asyncio.Event()

    async def consume() -> None:
        async for ev in provider.stream(request("anthropic")):
            if isinstance(ev, TextDelta):
                received.append(ev.text)
                if len(received) == 2:
                    got_two.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(got_two.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    rec = await emulator.wait_closed(emulator.requests[0])
    assert rec.disconnected_at is not None and rec.tokens_sent < 400
    # The provider stays usable after a cancelled stream.
    emulator.set_profile("m", LatencyProfile()).script("m", "again")
    assert (await collect(provider.stream(request("anthropic")))).text == "again"


async def test_cancel_while_waiting_for_the_first_token(
    emulator: Emulator, emulator_provider: ProviderFactory
) -> None:
    emulator.fault("m", "stall_first")
    task = asyncio.create_task(
        collect(emulator_provider("openai_responses").stream(request("openai_responses")))
    )
    await emulator.wait_requests(1)
    while emulator.requests[0].status != 200:
        await asyncio.sleep(0.005)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    rec = await emulator.wait_closed(emulator.requests[0])
    assert rec.disconnected_at is not None and rec.tokens_sent == 0
