"""API keys go only into their own provider's auth header: not into bodies, logs, errors or reprs."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from codeswitch.providers import (
    CompletionRequest,
    Message,
    ProviderError,
    Timeouts,
    collect,
    make_provider,
)
from codeswitch.testing import Emulator

KEYS = {
    "OPENAI_API_KEY": ("openai_responses", "sk-proj-OPENAIsecret0123456789", "authorization"),
    "ANTHROPIC_API_KEY": ("anthropic", "sk-ant-api03-ANTHROPICsecret0123", "x-api-key"),
    "CEREBRAS_API_KEY": ("openai_chat", "csk-CEREBRASsecret0123456789", "authorization"),
    "MISTRAL_API_KEY": ("fim_mistral", "MISTRALsecret0123456789abcd", "authorization"),
}
FAULTS = (
    "auth",
    "rate_limit",
    "model_not_found",
    "quota",
    "server_error",
    "malformed",
    "stall_first",
    "reset_mid",
)


@pytest.fixture
def keyed_env(hermetic_env: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for env, (_, key, _) in KEYS.items():
        monkeypatch.setenv(env, key)
    return {env: key for env, (_, key, _) in KEYS.items()}


async def test_keys_stay_in_their_own_auth_header(
    emulator: Emulator, keyed_env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    timeouts = Timeouts(connect_s=2.0, first_token_s=0.3, idle_s=0.3)
    for env, (api, _, _) in KEYS.items():
        provider = make_provider(env.lower(), api, emulator.base_url(api), os.environ[env], timeouts)
        texts.append(repr(provider))
        model = f"model-{api}"
        req = CompletionRequest(model, messages=[Message("user", "hello")], prompt="a", suffix="b")
        try:
            assert (await collect(provider.stream(req))).text
            for fault in FAULTS:
                emulator.script(model, "one two three four five").fault(model, fault)  # type: ignore[arg-type]
                with pytest.raises(ProviderError) as info:
                    await collect(provider.stream(req))
                texts += [str(info.value), repr(info.value), str(info.value.to_json()), info.value.message]
        finally:
            await provider.aclose()

    texts += [r.getMessage() for r in caplog.records] + [caplog.text]
    for env, (api, key, header) in KEYS.items():
        assert not any(key in t for t in texts), f"{env} leaked into a message, repr or log"
        hits = emulator.find_secret(key)
        assert hits, "the key was never sent at all"
        for rec, where in hits:
            assert rec.api == api, f"{env} was sent to the {rec.api} endpoint"
            assert where == [f"header:{header}"]
        assert len(hits) == len([r for r in emulator.requests if r.api == api])


async def test_no_key_no_auth_header(emulator: Emulator, hermetic_env: Path) -> None:
    """A keyless local server (Ollama, llama.cpp) gets no Authorization header at all."""
    for api in ("fim_ollama", "fim_llamacpp"):
        p = make_provider("local", api, emulator.base_url(api), None)
        try:
            await collect(p.stream(CompletionRequest("qwen2.5-coder", prompt="def f(", suffix="")))
        finally:
            await p.aclose()
    for rec in emulator.requests:
        assert "authorization" not in rec.headers and "x-api-key" not in rec.headers


async def test_key_with_a_trailing_newline_is_trimmed(emulator: Emulator, hermetic_env: Path) -> None:
    p = make_provider("a", "anthropic", emulator.base_url("anthropic"), "sk-ant-KEYfromfile123\n")
    try:
        await collect(p.stream(CompletionRequest("m", messages=[Message("user", "x")])))
    finally:
        await p.aclose()
    assert emulator.requests[0].headers["x-api-key"] == "sk-ant-KEYfromfile123"


async def test_an_unsendable_key_is_reported_without_echoing_it(
    emulator: Emulator, hermetic_env: Path
) -> None:
    for api, key in (
        ("anthropic", "plainkey\nWITHcontrolchar"),
        ("openai_chat", "plainkey\u00e9WITHcontrolchar"),
    ):
        p = make_provider("bad", api, emulator.base_url(api), key)
        try:
            with pytest.raises(ProviderError) as info:
                await collect(p.stream(CompletionRequest("m", messages=[Message("user", "x")])))
        finally:
            await p.aclose()
        assert info.value.kind == "auth" and not info.value.retryable
        for text in (str(info.value), repr(info.value)):
            assert "plainkey" not in text and "WITHcontrolchar" not in text
    assert emulator.requests == []


async def test_an_invalid_extra_header_is_not_echoed(emulator: Emulator, hermetic_env: Path) -> None:
    p = make_provider("gw", "openai_chat", emulator.base_url("openai_chat"), "k", headers={"x-gw": "tok\nEN"})
    try:
        with pytest.raises(ProviderError) as info:
            await collect(p.stream(CompletionRequest("m", messages=[Message("user", "x")])))
    finally:
        await p.aclose()
    assert info.value.kind == "bad_request" and "tok" not in str(info.value)
