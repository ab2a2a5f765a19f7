"""Every wire format over real loopback HTTP: our clients parse what the emulator streams."""

from __future__ import annotations

import asyncio

import pytest

from codeswitch.providers import (
    API_NAMES,
    CompletionRequest,
    Finish,
    Message,
    ServerError,
    TextDelta,
    ToolResultBlock,
    ToolUseBlock,
    Usage,
    collect,
)
from codeswitch.testing import Emulator, LatencyProfile, RecordedRequest, Reply, ToolCall
from codeswitch.testing.pytest_plugin import ProviderFactory

CHAT_APIS = ("openai_responses", "openai_chat", "anthropic")
FIM_APIS = ("fim_mistral", "fim_deepseek", "fim_llamacpp", "fim_ollama")
TEXT = "def add(a, b):\n    return a + b\n"


def request(model: str = "m") -> CompletionRequest:
    return CompletionRequest(
        model, system="be brief", messages=[Message("user", "hi")], prompt="def add(", suffix="\n"
    )


@pytest.mark.parametrize("api", API_NAMES)
async def test_text_usage_and_finish_for_every_api(
    api: str, emulator: Emulator, emulator_provider: ProviderFactory
) -> None:
    model = "llamacpp" if api == "fim_llamacpp" else "m"
    emulator.script(model, Reply(TEXT, input_tokens=120, cached_input_tokens=100 if api in CHAT_APIS else 0))
    events = [ev async for ev in emulator_provider(api).stream(request(model))]
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == TEXT
    assert sum(isinstance(e, TextDelta) for e in events) > 3  # streamed, not one blob
    usage = [e for e in events if isinstance(e, Usage)]
    assert len(usage) == 1
    assert usage[0].input_tokens == 120
    assert usage[0].output_tokens == emulator.requests[0].tokens_sent > 5
    if api in CHAT_APIS:
        assert usage[0].cached_input_tokens == 100
    assert isinstance(events[-1], Finish) and events[-1].reason == "stop"
    assert isinstance(events[-2], Usage)
    rec = emulator.requests[0]
    assert rec.api == api and rec.completed and rec.disconnected_at is None


@pytest.mark.parametrize("api", CHAT_APIS)
async def test_tool_calls_arrive_parsed(
    api: str, emulator: Emulator, emulator_provider: ProviderFactory
) -> None:
    calls = [
        ToolCall("read_file", {"path": "src/a.py"}, id="c1"),
        ToolCall("grep", {"pattern": "foo", "n": 3}),
    ]
    emulator.script("m", Reply("Let me look.", tool_calls=calls))
    got = await collect(emulator_provider(api).stream(request()))
    assert got.text == "Let me look."
    assert [(t.name, t.input) for t in got.tool_uses] == [
        ("read_file", {"path": "src/a.py"}),
        ("grep", {"pattern": "foo", "n": 3}),
    ]
    assert got.tool_uses[0].id == "c1" and got.tool_uses[1].id
    assert got.finish is not None and got.finish.reason == "tool_use"


@pytest.mark.parametrize("api", [*CHAT_APIS, "fim_ollama", "fim_llamacpp", "fim_deepseek"])
async def test_max_tokens_finish_is_length(
    api: str, emulator: Emulator, emulator_provider: ProviderFactory
) -> None:
    model = "llamacpp" if api == "fim_llamacpp" else "m"
    emulator.script(model, Reply("cut short", finish="length"))
    got = await collect(emulator_provider(api).stream(request(model)))
    assert got.text == "cut short"
    assert got.finish is not None and got.finish.reason == "length"


@pytest.mark.parametrize("api", CHAT_APIS)
async def test_multi_turn_tool_loop_with_a_responder(
    api: str, emulator: Emulator, emulator_provider: ProviderFactory
) -> None:
    """A responder sees the tool result the client sent back and answers from it."""

    def responder(rec: RecordedRequest) -> Reply:
        body = str(rec.body)
        if "CONTENTS-OF-A" in body:
            return Reply("a.py defines foo")
        return Reply(tool_calls=[ToolCall("read_file", {"path": "a.py"})])

    emulator.respond("m", responder)
    provider = emulator_provider(api)
    first = await collect(provider.stream(request()))
    assert first.text == "" and len(first.tool_uses) == 1
    call = first.tool_uses[0]
    history = [
        Message("user", "what is in a.py?"),
        Message("assistant", [ToolUseBlock(call.id, call.name, call.input)]),
        Message("user", [ToolResultBlock(call.id, "CONTENTS-OF-A")]),
    ]
    second = await collect(provider.stream(CompletionRequest("m", messages=history)))
    assert second.text == "a.py defines foo"
    assert len(emulator.requests_for("m")) == 2


async def test_latency_profile_paces_the_stream(
    emulator: Emulator, emulator_provider: ProviderFactory
) -> None:
    emulator.set_profile("m", LatencyProfile(ttft_s=0.05, tokens_per_second=200.0))
    emulator.script("m", " ".join(["tok"] * 11))
    got = await collect(emulator_provider("openai_chat").stream(request()))
    assert got.text.split() == ["tok"] * 11
    rec = emulator.requests[0]
    assert rec.first_token_at is not None and rec.finished_at is not None
    # Lower bounds only: sleeping never ends early. 10 gaps at 200 tok/s = 50 ms.
    assert rec.first_token_at - rec.received_at >= 0.05
    assert rec.finished_at - rec.first_token_at >= 0.05


async def test_default_reply_and_models_listing(
    emulator: Emulator, emulator_provider: ProviderFactory
) -> None:
    got = await collect(emulator_provider("openai_responses").stream(request("unscripted")))
    assert got.text == "Hello from the codeswitch emulator."
    assert emulator.requests[0].model == "unscripted"


def test_emulator_in_a_background_thread_for_sync_tests(emulator_thread: Emulator) -> None:
    from codeswitch.providers import make_provider

    emulator_thread.script("m", "from a thread")

    async def go() -> str:
        p = make_provider("t", "anthropic", emulator_thread.base_url("anthropic"), "k")
        try:
            return (await collect(p.stream(request()))).text
        finally:
            await p.aclose()

    assert asyncio.run(go()) == "from a thread"
    assert emulator_thread.requests[0].headers["x-api-key"] == "k"


async def test_a_failing_responder_gives_a_500_not_a_dead_server(
    emulator: Emulator, emulator_provider: ProviderFactory
) -> None:
    def broken(rec: RecordedRequest) -> Reply:
        raise KeyError("oops")

    emulator.respond("m", broken)
    with pytest.raises(ServerError, match="responder failed: KeyError"):
        await collect(emulator_provider("openai_chat").stream(request()))
    emulator.respond("m", None)
    assert (await collect(emulator_provider("openai_chat").stream(request()))).text


async def test_concurrent_streams_are_served_independently(
    emulator: Emulator, emulator_provider: ProviderFactory
) -> None:
    """Hedged requests run two streams at once: a slow one must not hold up a fast one."""
    emulator.set_profile("slow", LatencyProfile(0.3, 50.0)).script("slow", "a b c d e")
    emulator.set_profile("fast", "instant").script("fast", "quick answer")
    p = emulator_provider("openai_chat")
    order: list[str] = []

    async def run(model: str) -> str:
        text = (await collect(p.stream(request(model)))).text
        order.append(model)
        return text

    slow, fast = await asyncio.gather(run("slow"), run("fast"))
    assert (slow, fast) == ("a b c d e", "quick answer")
    assert order == ["fast", "slow"]


@pytest.mark.parametrize("api", API_NAMES)
async def test_a_finished_stream_returns_its_connection_to_the_pool(
    api: str, emulator: Emulator, emulator_provider: ProviderFactory
) -> None:
    """Reading past the final event lets httpx reuse the connection: no handshake per request."""
    model = "llamacpp" if api == "fim_llamacpp" else "m"
    p = emulator_provider(api)
    for _ in range(4):
        assert (await collect(p.stream(request(model)))).text
    assert [r.connection for r in emulator.requests] == [1, 1, 1, 1]


async def test_a_stream_closed_early_does_not_poison_the_pool(
    emulator: Emulator, emulator_provider: ProviderFactory
) -> None:
    emulator.set_profile("m", LatencyProfile(0.0, 100.0)).script("m", " ".join(["w"] * 50), "short")
    p = emulator_provider("anthropic")
    stream = p.stream(request())
    await anext(stream)
    await stream.aclose()
    emulator.set_profile("m", "instant")
    assert (await collect(p.stream(request()))).text == "short"
    assert [r.connection for r in emulator.requests] == [1, 2]
