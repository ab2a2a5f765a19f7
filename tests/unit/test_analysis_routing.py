"""The analysis tier: the needed context picks the model (the catalog's windows at the tier's fill)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from codeswitch.catalog import load_catalog
from codeswitch.config import Config, load_config
from codeswitch.features.analysis import AnalysisScope, context_limit
from codeswitch.routing import Budget, Health, RouteDecision, route

CATALOG = load_catalog()
CONFIG = Config()
BOTH = frozenset({"openai", "anthropic"})


def decide(tokens: int, keys: frozenset[str] = BOTH, config: Config = CONFIG) -> RouteDecision:
    return route(AnalysisScope(tokens), config, CATALOG, Health(), Budget(), keys)


@pytest.mark.parametrize(("tokens", "keys", "first"), [
    (3_000, BOTH, "gpt-5.1-codex-mini"),
    (150_000, BOTH, "gpt-5.1-codex-mini"),  # 158K of 400K: within half the window
    (250_000, BOTH, "claude-opus-4-6"),  # over half of every 400K and 200K window
    (480_000, BOTH, "claude-opus-4-6"),
    (3_000, frozenset({"anthropic"}), "claude-haiku-4-5"),
    (150_000, frozenset({"anthropic"}), "claude-opus-4-6"),  # over half of haiku's and sonnet's 200K
])
def test_the_needed_context_picks_the_model(tokens: int, keys: frozenset[str], first: str) -> None:
    decision = decide(tokens, keys)
    assert (decision.tier, decision.scope) == ("analysis", "analysis")
    assert decision.chain[0] == first


def test_the_cause_names_the_context_size_and_why_smaller_windows_were_skipped() -> None:
    decision = decide(300_000)
    assert decision.cause.startswith("analysis request -> analysis tier: claude-opus-4-6 (est. $")
    assert "needs 308K tokens" in decision.cause
    assert ("skipped gpt-5.1-codex-mini (context window 400K holds 200K at this tier's 50% fill "
            "< needed 308K)") in decision.cause
    assert "claude-sonnet-4-5 (context window 200K < needed 308K)" in decision.cause
    assert decision.signals["context_tokens"] == 300_000


def test_too_long_for_every_window_is_refused_not_escalated_to_other_tiers() -> None:
    decision = decide(600_000)
    assert decision.chain == ()
    assert "escalated_to" not in decision.signals
    assert "no model can serve it" in decision.cause
    assert ("claude-opus-4-6: context window 1M holds 500K at this tier's 50% fill < needed 608K"
            in decision.cause)


def test_the_other_tiers_still_fill_whole_windows() -> None:
    assert CONFIG.tiers["function"].max_context_fill == 1.0
    assert CONFIG.tiers["analysis"].max_context_fill == 0.5


def test_the_fill_is_a_setting_checked_like_the_others() -> None:
    config, problems = load_config(None, {"tiers": {"analysis": {"max_context_fill": 0.9}}}, env={})
    assert problems == [] and config.tiers["analysis"].max_context_fill == 0.9
    assert decide(300_000, config=config).chain[0] == "gpt-5.1-codex-mini"  # 308K of 400K is now allowed
    _, problems = load_config(None, {"tiers": {"analysis": {"max_context_fill": 1.5}}}, env={})
    assert [p.key for p in problems] == ["tiers.analysis.max_context_fill"]


def test_context_limit_is_what_the_largest_callable_model_holds() -> None:
    assert context_limit(CONFIG, CATALOG, {"claude-opus-4-6", "gpt-5.1-codex-mini"}) == 500_000 - 8192 - 2000
    assert context_limit(CONFIG, CATALOG, {"gpt-5.1-codex-mini"}) == 200_000 - 8192 - 2000
    # nothing callable: the whole chain counts (the route then says why no model can serve it)
    assert context_limit(CONFIG, CATALOG, set()) == 500_000 - 8192 - 2000
    empty = replace(CONFIG, tiers={**CONFIG.tiers, "analysis": replace(CONFIG.tiers["analysis"], chain=())})
    assert context_limit(empty, CATALOG, set()) == 0
