"""Several choices in one call (`n`): taken by Chat Completions, refused by the APIs that have none.

The official SDKs read the emulator's answers, so its `n` behaviour is the real APIs' shape; our
Chat Completions client sends `n` and keeps every choice apart.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import anthropic
import httpx
import openai
import pytest
import pytest_asyncio

from codeswitch.providers import CompletionRequest, TextDelta, Usage, collect
from codeswitch.testing import Emulator
from codeswitch.testing.pytest_plugin import ProviderFactory


@pytest_asyncio.fixture
async def oai(emulator: Emulator, hermetic_env: Path) -> AsyncIterator[openai.AsyncOpenAI]:
    client = openai.AsyncOpenAI(api_key="sk-test", base_url=emulator.base_url("openai_chat"), max_retries=0)
    yield client
    await client.close()


async def test_chat_stream_with_n_gives_each_choice_its_index(
    emulator: Emulator, oai: openai.AsyncOpenAI
) -> None:
    emulator.script("gpt-oss-120b", "alpha one", "beta two three", "gamma")
    texts: dict[int, str] = {}
    finishes: dict[int, str] = {}
    usage = None
    stream = await oai.chat.completions.create(
        model="gpt-oss-120b", messages=[{"role": "user", "content": "x"}], n=3, stream=True,
        stream_options={"include_usage": True})
    async for chunk in stream:
        usage = chunk.usage or usage
        for c in chunk.choices:
            texts[c.index] = texts.get(c.index, "") + (c.delta.content or "")
            if c.finish_reason:
                finishes[c.index] = c.finish_reason
    assert texts == {0: "alpha one", 1: "beta two three", 2: "gamma"}
    assert finishes == {0: "stop", 1: "stop", 2: "stop"}
    assert usage is not None and usage.completion_tokens == 2 + 3 + 1  # every choice is billed


async def test_chat_without_stream_lists_the_choices(emulator: Emulator, oai: openai.AsyncOpenAI) -> None:
    emulator.script("gpt-oss-120b", "a", "b")
    done = await oai.chat.completions.create(model="gpt-oss-120b", n=2,
                                             messages=[{"role": "user", "content": "x"}])
    assert [(c.index, c.message.content) for c in done.choices] == [(0, "a"), (1, "b")]


@pytest.mark.parametrize("n", [0, 129])
async def test_chat_n_out_of_range_is_refused(emulator: Emulator, oai: openai.AsyncOpenAI, n: int) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        await oai.chat.completions.create(model="gpt-oss-120b", n=n,
                                          messages=[{"role": "user", "content": "x"}])
    assert err.value.param == "n"


async def test_responses_api_has_no_n(emulator: Emulator, hermetic_env: Path) -> None:
    client = openai.AsyncOpenAI(api_key="sk-test", base_url=emulator.base_url("openai_responses"),
                                max_retries=0)
    try:
        with pytest.raises(openai.BadRequestError) as err:
            await client.responses.create(model="gpt-5.3-codex", input="x", extra_body={"n": 2})
    finally:
        await client.close()
    assert err.value.code == "unknown_parameter"
    assert emulator.requests[-1].status == 400


async def test_anthropic_messages_have_no_n(emulator: Emulator, hermetic_env: Path) -> None:
    client = anthropic.AsyncAnthropic(api_key="test", base_url=emulator.url, max_retries=0)
    try:
        with pytest.raises(anthropic.BadRequestError) as err:
            await client.messages.create(model="claude-haiku-4-5", max_tokens=10,
                                         messages=[{"role": "user", "content": "x"}], extra_body={"n": 2})
    finally:
        await client.close()
    assert "n: Extra inputs are not permitted" in str(err.value)


async def test_fim_endpoints_give_one_answer(emulator: Emulator) -> None:
    emulator.script("codestral-latest", "only", "never")
    async with httpx.AsyncClient() as http:
        r = await http.post(emulator.base_url("fim_mistral") + "/fim/completions",
                            json={"model": "codestral-latest", "prompt": "a", "suffix": "b", "n": 2})
    assert [c["message"]["content"] for c in r.json()["choices"]] == ["only"]


async def test_our_chat_client_sends_n_and_keeps_choices_apart(
    emulator: Emulator, emulator_provider: ProviderFactory
) -> None:
    emulator.script("gpt-oss-120b", "first answer", "second", "third one")
    provider = emulator_provider("openai_chat")
    events = [ev async for ev in provider.stream(CompletionRequest("gpt-oss-120b", prompt="x", n=3))]
    by_index: dict[int, str] = {}
    for ev in events:
        if isinstance(ev, TextDelta):
            by_index[ev.index] = by_index.get(ev.index, "") + ev.text
    assert by_index == {0: "first answer", 1: "second", 2: "third one"}
    assert emulator.requests[-1].body["n"] == 3  # type: ignore[index]
    assert any(isinstance(ev, Usage) and ev.output_tokens == 2 + 1 + 2 for ev in events)
    # collect() keeps the first choice's text
    emulator.script("gpt-oss-120b", "one", "two")
    got = await collect(provider.stream(CompletionRequest("gpt-oss-120b", prompt="x", n=2)))
    assert got.text == "one"


async def test_n_of_one_is_not_sent(emulator: Emulator, emulator_provider: ProviderFactory) -> None:
    await collect(emulator_provider("openai_chat").stream(CompletionRequest("gpt-oss-120b", prompt="x")))
    assert "n" not in emulator.requests[-1].body  # type: ignore[operator]
