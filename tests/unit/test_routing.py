"""Routing tables: who serves which tier for which keys, health, context size and budget."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codeswitch.catalog import load_catalog
from codeswitch.config import BudgetConfig, Config, TierConfig
from codeswitch.routing import Budget, Health, RouteDecision, route

CATALOG = load_catalog()
CONFIG = Config()
OPENAI = frozenset({"openai"})
ANTHROPIC = frozenset({"anthropic"})
BOTH = frozenset({"openai", "anthropic"})
ALL = frozenset({"openai", "anthropic", "cerebras", "mistral", "deepseek"})
NO_LIMIT = Budget()


@dataclass(frozen=True)
class S:
    """Stands in for codeswitch.scope.Scope: routing reads only these three fields."""

    scope: str
    context_tokens: int = 2000
    confidence: float = 0.8


def decide(scope: str, keys: frozenset[str], *, tokens: int = 2000, health: Health | None = None,
           budget: Budget = NO_LIMIT, config: Config = CONFIG) -> RouteDecision:
    return route(S(scope, tokens), config, CATALOG, health or Health(), budget, keys)


@pytest.mark.parametrize(
    ("keys", "scope", "first", "providers"),
    [
        (BOTH, "inline", "gpt-5.3-codex-spark", {"openai", "anthropic"}),
        (BOTH, "function", "gpt-5.3-codex", {"openai", "anthropic"}),
        (BOTH, "workspace", "claude-opus-4-6", {"openai", "anthropic"}),
        (OPENAI, "inline", "gpt-5.3-codex-spark", {"openai"}),
        (OPENAI, "function", "gpt-5.3-codex", {"openai"}),
        (OPENAI, "workspace", "gpt-5.3-codex", {"openai"}),
        (ANTHROPIC, "inline", "claude-haiku-4-5", {"anthropic"}),
        (ANTHROPIC, "function", "claude-sonnet-4-5", {"anthropic"}),
        (ANTHROPIC, "workspace", "claude-opus-4-6", {"anthropic"}),
        (frozenset({"mistral"}), "inline", "codestral", {"mistral"}),
    ],
)
def test_chain_per_key_set(keys: frozenset[str], scope: str, first: str, providers: set[str]) -> None:
    d = decide(scope, keys)
    assert d.tier == scope and d.scope == scope
    assert d.chain[0] == first
    assert {CATALOG.get(k).provider for k in d.chain} == providers
    for key, why in d.skipped:
        if CATALOG.get(key).provider not in keys:
            assert why.startswith("no API key for provider")
    assert first in d.cause


def test_only_openai_still_has_an_inline_fallback_with_a_price() -> None:
    d = decide("inline", OPENAI)
    assert d.chain == ("gpt-5.3-codex-spark", "gpt-5.1-codex-mini")
    assert d.signals["unknown_price"] == ["gpt-5.3-codex-spark"]
    assert d.signals["estimated_cost_usd"]["gpt-5.3-codex-spark"] is None  # type: ignore[index]


def test_tier_limits_come_from_config() -> None:
    d = decide("inline", ALL)
    inline = CONFIG.tiers["inline"]
    assert (d.max_output_tokens, d.latency_budget_ms, d.hedge_after_ms) == (
        inline.max_output_tokens, inline.latency_budget_ms, inline.hedge_after_ms)


def test_unavailable_model_is_skipped() -> None:
    d = decide("inline", ALL, health=Health(unavailable=frozenset({"gpt-5.3-codex-spark"})))
    assert d.chain[0] == "codestral"
    assert ("gpt-5.3-codex-spark", "marked unavailable") in d.skipped
    assert "gpt-5.3-codex-spark (marked unavailable)" in d.cause


def test_cooling_model_is_skipped() -> None:
    d = decide("function", BOTH, health=Health(cooling=frozenset({"gpt-5.3-codex"})))
    assert d.chain[0] == "claude-sonnet-4-5"
    assert "gpt-5.3-codex" not in d.chain
    assert dict(d.skipped)["gpt-5.3-codex"].startswith("cooling down")


def test_context_too_big_for_a_model_skips_it() -> None:
    # 300K tokens: Sonnet (200K) cannot hold it, Codex (400K) and Opus (1M) can
    d = decide("function", BOTH, tokens=300_000)
    assert d.chain == ("gpt-5.3-codex", "claude-opus-4-6", "gpt-5.1-codex-mini")
    assert "context window 200K < needed" in dict(d.skipped)["claude-sonnet-4-5"]
    assert d.signals["needed_tokens"] == 300_000 + CONFIG.tiers["function"].max_output_tokens


def test_context_escalates_to_a_broader_tier() -> None:
    # 600K tokens: nothing in the function chain for an Anthropic-only user except Opus fits...
    config = replace(CONFIG, tiers=CONFIG.tiers | {"function": TierConfig(chain=("claude-sonnet-4-5",))})
    d = decide("function", ANTHROPIC, tokens=600_000, config=config)
    assert d.tier == "function"
    assert d.chain == ("claude-opus-4-6",)
    assert d.signals["escalated_to"] == "workspace"
    assert "escalated" in d.cause


def test_context_too_big_for_everything() -> None:
    d = decide("workspace", ALL, tokens=2_000_000)
    assert d.chain == ()
    assert "no model can serve it" in d.cause
    assert all("context window" in why for _, why in d.skipped)


def test_per_request_ceiling() -> None:
    # 100K context on Opus: 0.1*5 + 0.032*25 = $1.30 > $1; Codex: 0.175 + 0.448 = $0.62 fits
    budget = Budget(per_request_usd=1.0)
    d = decide("workspace", BOTH, tokens=100_000, budget=budget)
    assert d.chain[0] == "gpt-5.3-codex"
    assert d.cost_ceiling_usd == 1.0
    assert "per-request ceiling $1.00" in dict(d.skipped)["claude-opus-4-6"]
    assert d.signals["estimated_cost_usd"]["gpt-5.3-codex"] == pytest.approx(0.623)  # type: ignore[index]


def test_remaining_daily_budget_caps_the_ceiling() -> None:
    budget = Budget(per_request_usd=2.0, daily_usd=10.0, spent_today_usd=9.5)
    d = decide("workspace", BOTH, tokens=100_000, budget=budget)
    assert d.cost_ceiling_usd == pytest.approx(0.5)
    assert "left of today's budget" in dict(d.skipped)["claude-opus-4-6"]


def test_daily_budget_exhausted_leaves_only_free_models() -> None:
    budget = Budget(per_request_usd=2.0, daily_usd=10.0, spent_today_usd=10.0)
    chain = ("gpt-5.3-codex-spark", "codestral", "ollama-qwen2.5-coder")
    inline = TierConfig(chain=chain, max_output_tokens=64)
    d = decide("inline", ALL | {"ollama"}, budget=budget,
               config=replace(CONFIG, tiers=CONFIG.tiers | {"inline": inline}))
    assert d.chain == ("ollama-qwen2.5-coder",)
    why = dict(d.skipped)
    assert why["gpt-5.3-codex-spark"] == "price unknown and the daily budget is used up"
    assert "left of today's budget" in why["codestral"]


def test_daily_budget_exhausted_nothing_left() -> None:
    d = decide("function", BOTH, budget=Budget(daily_usd=1.0, spent_today_usd=3.0))
    assert d.chain == ()
    assert "no model can serve it" in d.cause and "today's budget" in d.cause


def test_unknown_price_allowed_but_flagged_under_a_ceiling() -> None:
    d = decide("inline", OPENAI, budget=Budget(per_request_usd=0.0001))
    assert d.chain[0] == "gpt-5.3-codex-spark"
    assert "gpt-5.3-codex-spark" in d.signals["unknown_price"]  # type: ignore[operator]


def test_no_keys_gives_empty_chain_with_cause() -> None:
    d = decide("function", frozenset())
    assert d.chain == ()
    assert "no API key for provider openai" in d.cause


def test_empty_configured_chain() -> None:
    config = replace(CONFIG, tiers=CONFIG.tiers | {"inline": TierConfig(chain=())})
    d = decide("inline", ALL, config=config)
    assert d.chain == () and "chain is empty" in d.cause


def test_model_missing_from_catalog_is_skipped() -> None:
    config = replace(CONFIG, tiers=CONFIG.tiers | {"function": TierConfig(chain=("ghost", "gpt-5.3-codex"))})
    d = decide("function", OPENAI, config=config)
    assert d.chain == ("gpt-5.3-codex",) and ("ghost", "not in the catalog") in d.skipped


def test_budget_from_config() -> None:
    b = Budget.from_config(replace(CONFIG, budget=BudgetConfig(per_request_usd=None, daily_usd=None)), 3.0)
    assert b.ceiling_usd is None and b.remaining_today_usd is None
    assert Budget.from_config(CONFIG, 19.0).ceiling_usd == pytest.approx(1.0)


def test_decision_signals_carry_scope_facts() -> None:
    d = route(S("function", 1234, 0.42), CONFIG, CATALOG, Health(), NO_LIMIT, OPENAI)
    assert d.signals["confidence"] == 0.42
    assert d.signals["context_tokens"] == 1234
    assert d.signals["providers_with_keys"] == ["openai"]


def test_accepts_the_real_scope_type() -> None:
    from codeswitch.documents import Pos, Span
    from codeswitch.scope import Scope

    scope = Scope("workspace", Span(Pos(0, 0), Pos(3, 0)), "function", "f", None, ("a.py", "b.py"), "f",
                  5000, 0.9, ("renames f",))
    d = route(scope, CONFIG, CATALOG, Health(), NO_LIMIT, BOTH)
    assert d.tier == "workspace" and d.chain[0] == "claude-opus-4-6"


MODEL_KEYS = sorted(CATALOG.models)


@settings(max_examples=150, deadline=None)
@given(
    scope=st.sampled_from(["inline", "function", "workspace"]),
    tokens=st.integers(0, 1_500_000),
    keys=st.frozensets(st.sampled_from(sorted(CONFIG.providers))),
    unavailable=st.frozensets(st.sampled_from(MODEL_KEYS)),
    cooling=st.frozensets(st.sampled_from(MODEL_KEYS)),
    per_request=st.none() | st.floats(0, 5),
    daily=st.none() | st.floats(0, 50),
    spent=st.floats(0, 60),
)
def test_every_chosen_model_passes_every_filter(scope: str, tokens: int, keys: frozenset[str],
                                                unavailable: frozenset[str], cooling: frozenset[str],
                                                per_request: float | None, daily: float | None,
                                                spent: float) -> None:
    budget = Budget(per_request, daily, spent)
    d = route(S(scope, tokens), CONFIG, CATALOG, Health(unavailable, cooling), budget, keys)
    assert d.cause
    tier = CONFIG.tiers[d.tier]
    assert len(set(d.chain)) == len(d.chain)
    assert not set(d.chain) & {k for k, _ in d.skipped}
    for key in d.chain:
        model = CATALOG.get(key)
        assert model.provider in keys
        assert key not in unavailable and key not in cooling
        assert model.context_window >= tokens + tier.max_output_tokens
        cost = model.cost_usd(tokens, tier.max_output_tokens)
        if cost is not None and cost > 0 and budget.ceiling_usd is not None:
            assert cost <= budget.ceiling_usd
    if d.chain and set(d.chain) - set(tier.chain):
        assert "escalated_to" in d.signals
