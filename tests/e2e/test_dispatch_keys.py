"""Keys read from the environment reach only their own provider's auth header: never the ledger,
an error, a notice or a log line, even when the provider rejects them."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from codeswitch.catalog import ModelInfo, load_catalog
from codeswitch.config import Config, ProviderConfig
from codeswitch.dispatch import AllModelsFailed, Dispatcher
from codeswitch.ledger import Ledger
from codeswitch.providers import CompletionRequest, Message
from codeswitch.routing import RouteDecision
from codeswitch.testing import Emulator

CATALOG = load_catalog()
OPENAI_KEY = "sk-proj-OPENAIsecret0123456789abcdef"
ANTHROPIC_KEY = "sk-ant-api03-ANTHROPICsecret0123456789"


def build(model: ModelInfo) -> CompletionRequest:
    return CompletionRequest(model_id=model.model_id, messages=(Message("user", "hello"),))


async def test_keys_stay_in_their_auth_headers(
    emulator: Emulator, hermetic_env: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
    openai = ProviderConfig(base_url=emulator.base_url("openai_responses"), api_key_env="OPENAI_API_KEY")
    anthropic = ProviderConfig(base_url=emulator.base_url("anthropic"), api_key_env="ANTHROPIC_API_KEY")
    config = Config(providers={"openai": openai, "anthropic": anthropic})
    emulator.fault("gpt-5.3-codex", "auth").fault("claude-opus-4-6", "server_error", times=None)
    ledger_path = hermetic_env / "ledger.sqlite3"
    caplog.set_level(logging.DEBUG)
    decision = RouteDecision(tier="function", scope="function", chain=("gpt-5.3-codex", "claude-opus-4-6"),
                             max_output_tokens=64, latency_budget_ms=20_000, cost_ceiling_usd=None,
                             cause="test")
    with Ledger(ledger_path) as ledger:
        dispatcher = Dispatcher(config, CATALOG, ledger)
        try:
            with pytest.raises(AllModelsFailed) as info:
                await dispatcher.complete(decision, build, request_kind="edit", scope="function")
            notices = dispatcher.take_notices()
        finally:
            await dispatcher.aclose()
    texts = [str(info.value), repr(info.value), *(a.message for a in info.value.attempts),
             *(n.message for n in notices), *(r.getMessage() for r in caplog.records)]
    blob = ledger_path.read_bytes() + b"".join(p.read_bytes() for p in hermetic_env.glob("ledger.sqlite3-*"))
    for key in (OPENAI_KEY, ANTHROPIC_KEY):
        assert not [t for t in texts if key in t]
        assert key.encode() not in blob
    openai_seen = emulator.find_secret(OPENAI_KEY)
    anthropic_seen = emulator.find_secret(ANTHROPIC_KEY)
    assert openai_seen and all(where == ["header:authorization"] and r.api == "openai_responses"
                               for r, where in openai_seen)
    assert anthropic_seen and all(where == ["header:x-api-key"] and r.api == "anthropic"
                                  for r, where in anthropic_seen)


async def test_a_rotated_key_from_api_key_cmd_is_used_after_the_old_one_is_refused(
    emulator: Emulator, hermetic_env: Path, tmp_path: Path,
) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("sk-old-0123456789\n")
    cmd = f'{sys.executable} -c "import sys; print(open(sys.argv[1]).read())" {key_file}'
    openai = ProviderConfig(base_url=emulator.base_url("openai_responses"), api_key_cmd=cmd)
    decision = RouteDecision(tier="function", scope="function", chain=("gpt-5.3-codex",),
                             max_output_tokens=64, latency_budget_ms=20_000, cost_ceiling_usd=None, cause="t")
    dispatcher = Dispatcher(Config(providers={"openai": openai}), CATALOG, None)
    try:
        await dispatcher.complete(decision, build, request_kind="edit", scope="function")
        key_file.write_text("sk-new-9876543210\n")  # the user rotates the key; the old one is revoked
        emulator.fault("gpt-5.3-codex", "auth")
        with pytest.raises(AllModelsFailed):
            await dispatcher.complete(decision, build, request_kind="edit", scope="function")
        await dispatcher.key_refreshes()  # the refused key made the command run again
        done = await dispatcher.complete(decision, build, request_kind="edit", scope="function")
    finally:
        await dispatcher.aclose()
    assert done.model_key == "gpt-5.3-codex"
    sent = [r.headers.get("authorization") for r in emulator.requests_for("gpt-5.3-codex")]
    assert sent == ["Bearer sk-old-0123456789", "Bearer sk-old-0123456789", "Bearer sk-new-9876543210"]
