"""Money in the dispatcher: cache writes billed at their price, the per-request ceiling enforced per call."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from test_dispatch import CATALOG, OK, A, B, Scripted, Step, build, decision, rig

from codeswitch.config import Config
from codeswitch.dispatch import AllModelsFailed, Dispatcher, DispatchPolicy
from codeswitch.dispatch_budget import CostCeilingReached, upper_estimate
from codeswitch.ledger import Ledger
from codeswitch.providers import CompletionRequest, Finish, Message, ServerError, TextBlock, TextDelta, Usage

OPUS = CATALOG.get(B)


def test_cache_writes_cost_their_catalog_price() -> None:
    assert OPUS.price_cache_write_in == pytest.approx(1.25 * (OPUS.price_in or 0))
    # 1000 prompt tokens: 100 read from the cache, 800 written to it, 100 plain
    cost = OPUS.cost_usd(1000, 10, 100, 800)
    assert cost == pytest.approx((100 * 5.0 + 100 * 0.5 + 800 * 6.25 + 10 * 25.0) / 1e6)
    assert cost > (OPUS.cost_usd(1000, 10, 100) or 0)  # what a base-price bill would have said
    codex = CATALOG.get(A)  # no separate cache-write price: writes cost the input price
    assert codex.cost_usd(1000, 10, 0, 800) == codex.cost_usd(1000, 10)


async def test_a_call_that_wrote_the_prompt_cache_is_billed_and_recorded_with_it(tmp_path: Path) -> None:
    usage = Usage(input_tokens=1000, cached_input_tokens=100, output_tokens=10, cache_write_input_tokens=800)
    with Ledger(tmp_path / "l.db") as ledger:
        d, _, _ = rig({B: [[TextDelta("ok"), usage, Finish("stop")]]}, ledger=ledger)
        done = await d.complete(decision(B), build, request_kind="refactor", scope="workspace")
        [row] = ledger.rows()
        stats = ledger.stats(CATALOG, B)
        assert ledger.spent_today() == pytest.approx(done.cost_usd)
    assert done.cost_usd == pytest.approx(OPUS.cost_usd(1000, 10, 100, 800))
    assert row.cache_write_tokens == 800 and row.cost_usd == pytest.approx(done.cost_usd)
    assert stats.premium is not None  # everything on the premium model: the same calls, same price
    assert stats.premium.premium_only_usd == pytest.approx(done.cost_usd or 0, abs=1e-6)


async def test_a_retry_and_a_fallback_that_would_pass_the_ceiling_are_not_made() -> None:
    boom = ServerError("boom", provider="p", status=500)
    first: list[Step] = [TextDelta("x"), boom]  # billed: the prompt and one output token
    d, prov, _ = rig({A: [first, OK]})
    estimate = upper_estimate(CATALOG.get(A), build(CATALOG.get(A)))
    assert estimate is not None
    dec = replace(decision(A, B), cost_ceiling_usd=estimate * 1.02)  # room for one call, not two
    with pytest.raises(CostCeilingReached) as info:
        await d.complete(dec, build, request_kind="edit", scope="function")
    assert prov.calls == [A]  # neither the retry of A nor the fallback to Opus went out
    kinds = [(a.model_key, a.kind) for a in info.value.attempts]
    assert kinds == [(A, "server_error"), (A, "cost_ceiling"), (B, "cost_ceiling")]
    assert info.value.kind == "cost_ceiling" and "cost ceiling" in str(info.value)
    assert "budget.per_request_usd" in info.value.attempts[1].message


async def test_without_a_ceiling_the_same_failure_retries() -> None:
    boom = ServerError("boom", provider="p", status=500)
    d, prov, _ = rig({A: [[TextDelta("x"), boom], OK]})
    done = await d.complete(decision(A, B), build, request_kind="edit", scope="function")
    assert done.model_key == A and prov.calls == [A, A]


async def test_a_hedge_that_would_pass_the_ceiling_is_not_started() -> None:
    prov = Scripted("p", {A: [[0.05, *OK]]})
    d = Dispatcher(Config(), CATALOG, None, lambda model: prov, policy=DispatchPolicy())
    a_cost = upper_estimate(CATALOG.get(A), build(CATALOG.get(A))) or 0.0
    dec = replace(decision(A, B), hedge_after_ms=5, cost_ceiling_usd=a_cost * 1.5)  # Opus does not fit
    done = await d.complete(dec, build, request_kind="inline", scope="inline")
    assert done.model_key == A and prov.calls == [A]
    assert (B, "cost_ceiling") in done.fallbacks


async def test_a_call_over_the_ceiling_on_its_own_is_never_made() -> None:
    d, prov, _ = rig({})
    with pytest.raises(AllModelsFailed) as info:
        await d.complete(replace(decision(B), cost_ceiling_usd=1e-6), build, request_kind="edit",
                         scope="function")
    assert prov.calls == [] and info.value.kind == "cost_ceiling"


def test_a_request_asking_for_prompt_caching_is_estimated_at_the_cache_write_price() -> None:
    plain = CompletionRequest(model_id="m", system="s" * 4000, max_tokens=0)
    cached = replace(plain, cache_system=True)
    assert upper_estimate(OPUS, cached) == pytest.approx((upper_estimate(OPUS, plain) or 0) * 1.25)
    marked = CompletionRequest(model_id="m", max_tokens=0,
                               messages=(Message("user", (TextBlock("s" * 4000, cache=True),)),))
    assert upper_estimate(OPUS, marked) == pytest.approx(upper_estimate(OPUS, cached))
