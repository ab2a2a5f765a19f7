"""From dispatch to `codeswitch stats`: real loopback calls land in the default ledger and the
report adds them up (served, fallbacks, unknown prices, acceptance, premium-only comparison)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codeswitch.catalog import ModelInfo, load_catalog
from codeswitch.cli import main
from codeswitch.config import Config
from codeswitch.dispatch import Dispatcher
from codeswitch.ledger import Ledger
from codeswitch.providers import CompletionRequest, Message, Provider, make_provider
from codeswitch.routing import RouteDecision
from codeswitch.testing import Emulator, Reply

CATALOG = load_catalog()


def build(model: ModelInfo) -> CompletionRequest:
    return CompletionRequest(model_id=model.model_id, messages=(Message("user", "go"),))


def decision(tier: str, *chain: str) -> RouteDecision:
    return RouteDecision(tier=tier, scope=tier, chain=chain, max_output_tokens=64, latency_budget_ms=20_000,
                         cost_ceiling_usd=None, cause="test")


async def test_dispatch_traffic_shows_up_in_stats(
    emulator: Emulator, hermetic_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def factory(model: ModelInfo) -> Provider:
        return make_provider(model.provider, model.api, emulator.base_url(model.api), "test-key")

    emulator.script("gpt-5.3-codex-spark", Reply("a + b", input_tokens=300, output_tokens=3),
                    Reply("a - b", input_tokens=300, output_tokens=3))
    emulator.script("gpt-5.3-codex", Reply("def f(): ...", input_tokens=8000, output_tokens=500))
    emulator.fault("claude-opus-4-6", "overloaded", times=None)
    with Ledger() as ledger:
        d = Dispatcher(Config(), CATALOG, ledger, factory)
        try:
            first = await d.complete(decision("inline", "gpt-5.3-codex-spark"), build, request_kind="inline",
                                     scope="inline")
            await d.complete(decision("inline", "gpt-5.3-codex-spark"), build, request_kind="inline",
                             scope="inline")
            served = await d.complete(decision("workspace", "claude-opus-4-6", "gpt-5.3-codex"), build,
                                      request_kind="refactor", scope="workspace")
        finally:
            await d.aclose()
        ledger.record_acceptance(first.request_id, first.model_key, 5, True)
        assert served.model_key == "gpt-5.3-codex" and len(served.fallbacks) == 3
        assert ledger.spent_today() == pytest.approx(served.cost_usd)
    assert main(["stats", "--json", "--root", str(hermetic_env)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["totals"]["requests"] == 3 and data["totals"]["calls"] == 6
    tiers = {t["name"]: t for t in data["by_tier"]}
    assert tiers["inline"]["unknown_cost_calls"] == 2 and tiers["inline"]["cost_usd"] == 0
    assert tiers["workspace"]["failed"] == 3 and tiers["workspace"]["served"] == 1
    spark = next(m for m in data["by_model"] if m["name"] == "gpt-5.3-codex-spark")
    assert spark["acceptance_rate"] == 0.5
    opus = CATALOG.get("claude-opus-4-6")
    assert data["premium"]["premium_only_usd"] == pytest.approx(opus.cost_usd(8600, 506), abs=1e-6)
    assert data["premium"]["actual_usd"] == pytest.approx(served.cost_usd, abs=1e-6)
