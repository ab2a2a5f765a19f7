"""The official SDKs consume the emulator's streams and agree with our own clients.

If the emulator drifted from the real wire formats, these SDKs (which parse strictly typed
events) would fail or disagree; if our parsers drifted, the comparison would.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import anthropic
import openai
import pytest
import pytest_asyncio

from codeswitch.providers import CompletionRequest, Message, ToolSpec, collect
from codeswitch.testing import Emulator, Reply, ToolCall
from codeswitch.testing.pytest_plugin import ProviderFactory

TEXT = "Here is the fix:\n```python\nreturn a + b\n```"
USAGE = {"input_tokens": 1234, "cached_input_tokens": 1000}
TOOL = ToolSpec("read_file", "Read a file", {"type": "object", "properties": {"path": {"type": "string"}}})


@pytest_asyncio.fixture
async def oai(emulator: Emulator, hermetic_env: Path) -> AsyncIterator[openai.AsyncOpenAI]:
    client = openai.AsyncOpenAI(
        api_key="sk-test-openai", base_url=emulator.base_url("openai_chat"), max_retries=0
    )
    yield client
    await client.close()


@pytest_asyncio.fixture
async def claude(emulator: Emulator, hermetic_env: Path) -> AsyncIterator[anthropic.AsyncAnthropic]:
    client = anthropic.AsyncAnthropic(api_key="test-anthropic", base_url=emulator.url, max_retries=0)
    yield client
    await client.close()


async def test_openai_responses_stream(
    emulator: Emulator, oai: openai.AsyncOpenAI, emulator_provider: ProviderFactory
) -> None:
    emulator.script("gpt-5.3-codex", Reply(TEXT, **USAGE), Reply(TEXT, **USAGE))  # type: ignore[arg-type]
    deltas: list[str] = []
    usage = None
    stream = await oai.responses.create(model="gpt-5.3-codex", input="fix it", stream=True)
    async for event in stream:
        if event.type == "response.output_text.delta":
            deltas.append(event.delta)
        elif event.type == "response.completed":
            usage = event.response.usage
            assert event.response.output_text == TEXT
    assert usage is not None
    ours = await collect(
        emulator_provider("openai_responses").stream(CompletionRequest("gpt-5.3-codex", prompt="fix it"))
    )
    assert "".join(deltas) == ours.text == TEXT
    assert ours.usage is not None
    assert (usage.input_tokens, usage.input_tokens_details.cached_tokens, usage.output_tokens) == (
        ours.usage.input_tokens,
        ours.usage.cached_input_tokens,
        ours.usage.output_tokens,
    )


async def test_openai_responses_stream_helper_with_tool_call(
    emulator: Emulator, oai: openai.AsyncOpenAI
) -> None:
    emulator.script(
        "gpt-5.3-codex", Reply("Reading.", tool_calls=[ToolCall("read_file", {"path": "a.py"}, "call_1")])
    )
    async with oai.responses.stream(model="gpt-5.3-codex", input="look") as stream:
        async for _ in stream:
            pass
        final = await stream.get_final_response()
    assert final.output_text == "Reading."
    calls = [item for item in final.output if item.type == "function_call"]
    assert len(calls) == 1 and calls[0].name == "read_file" and calls[0].call_id == "call_1"
    assert json.loads(calls[0].arguments) == {"path": "a.py"}


async def test_openai_chat_stream(
    emulator: Emulator, oai: openai.AsyncOpenAI, emulator_provider: ProviderFactory
) -> None:
    emulator.script("gpt-oss-120b", Reply(TEXT, **USAGE), Reply(TEXT, **USAGE))  # type: ignore[arg-type]
    stream = await oai.chat.completions.create(
        model="gpt-oss-120b",
        messages=[{"role": "user", "content": "fix it"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    parts: list[str] = []
    usage = None
    finish = None
    async for chunk in stream:
        for choice in chunk.choices:
            parts.append(choice.delta.content or "")
            finish = choice.finish_reason or finish
        usage = chunk.usage or usage
    ours = await collect(
        emulator_provider("openai_chat").stream(CompletionRequest("gpt-oss-120b", prompt="fix it"))
    )
    assert "".join(parts) == ours.text == TEXT
    assert finish == "stop" and ours.finish is not None and ours.finish.raw == "stop"
    assert usage is not None and ours.usage is not None
    assert usage.prompt_tokens == ours.usage.input_tokens == 1234
    assert usage.prompt_tokens_details is not None
    assert usage.prompt_tokens_details.cached_tokens == ours.usage.cached_input_tokens == 1000
    assert usage.completion_tokens == ours.usage.output_tokens


async def test_openai_chat_stream_helper_tool_calls_and_non_stream(
    emulator: Emulator, oai: openai.AsyncOpenAI
) -> None:
    call = ToolCall("read_file", {"path": "src/x.py"}, "call_9")
    emulator.script("m", Reply(tool_calls=[call]), Reply("plain answer"))
    async with oai.chat.completions.stream(model="m", messages=[{"role": "user", "content": "x"}]) as stream:
        async for _ in stream:
            pass
        final = await stream.get_final_completion()
    tool_calls = final.choices[0].message.tool_calls
    assert tool_calls is not None and tool_calls[0].id == "call_9"
    assert json.loads(tool_calls[0].function.arguments) == {"path": "src/x.py"}
    whole = await oai.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert whole.choices[0].message.content == "plain answer"


async def test_anthropic_messages_stream_with_tool_use(
    emulator: Emulator, claude: anthropic.AsyncAnthropic, emulator_provider: ProviderFactory
) -> None:
    reply = Reply("Let me read it.", tool_calls=[ToolCall("read_file", {"path": "a.py"}, "toolu_1")], **USAGE)  # type: ignore[arg-type]
    emulator.script("claude-opus-4-6", reply, reply)
    texts: list[str] = []
    async with claude.messages.stream(
        model="claude-opus-4-6",
        max_tokens=512,
        messages=[{"role": "user", "content": "what is in a.py"}],
        tools=[{"name": TOOL.name, "description": TOOL.description, "input_schema": dict(TOOL.input_schema)}],
    ) as stream:
        async for text in stream.text_stream:
            texts.append(text)
        message = await stream.get_final_message()
    req = CompletionRequest(
        "claude-opus-4-6", messages=[Message("user", "what is in a.py")], tools=[TOOL], max_tokens=512
    )
    ours = await collect(emulator_provider("anthropic").stream(req))
    assert "".join(texts) == ours.text == "Let me read it."
    blocks = [b for b in message.content if b.type == "tool_use"]
    assert len(blocks) == 1 and len(ours.tool_uses) == 1
    assert (blocks[0].id, blocks[0].name, blocks[0].input) == (
        ours.tool_uses[0].id,
        ours.tool_uses[0].name,
        ours.tool_uses[0].input,
    )
    assert message.stop_reason == "tool_use" and ours.finish is not None and ours.finish.reason == "tool_use"
    u = message.usage
    assert ours.usage is not None
    assert (
        u.input_tokens + (u.cache_read_input_tokens or 0) + (u.cache_creation_input_tokens or 0)
        == ours.usage.input_tokens
    )
    assert u.cache_read_input_tokens == ours.usage.cached_input_tokens == 1000
    assert u.output_tokens == ours.usage.output_tokens
    sdk_sent, ours_sent = emulator.requests
    assert sdk_sent.headers["anthropic-version"] and ours_sent.headers["anthropic-version"] == "2023-06-01"
    # Recent SDKs send the key as a bearer token; we send the documented x-api-key. Both are auth headers.
    assert sdk_sent.contains("test-anthropic") == ["header:authorization"]
    assert ours_sent.contains("test-key") == ["header:x-api-key"]


async def test_sdks_see_faults_as_their_own_errors(
    emulator: Emulator, oai: openai.AsyncOpenAI, claude: anthropic.AsyncAnthropic
) -> None:
    emulator.fault("m", "rate_limit").fault("m", "overloaded")
    with pytest.raises(openai.RateLimitError):
        await oai.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    with pytest.raises(anthropic.APIStatusError) as info:
        await claude.messages.create(model="m", max_tokens=10, messages=[{"role": "user", "content": "x"}])
    assert info.value.status_code == 529


async def test_models_listing_in_both_dialects(
    emulator: Emulator, oai: openai.AsyncOpenAI, claude: anthropic.AsyncAnthropic
) -> None:
    emulator.script("gpt-5.3-codex", "x").script("claude-opus-4-6", "y")
    openai_ids = [m.id async for m in oai.models.list()]
    claude_ids = [m.id async for m in claude.models.list()]
    assert openai_ids == claude_ids == ["gpt-5.3-codex", "claude-opus-4-6"]
