"""The dispatcher over real loopback HTTP against the emulator: every fault ends as documented.

No test measures wall time; timeouts live in the code (provider timeouts, latency budgets), and
the emulator's `wait_closed` guards against a hang.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from codeswitch.breakers import BreakerPolicy, RetryPolicy
from codeswitch.catalog import ModelInfo, load_catalog
from codeswitch.config import Config
from codeswitch.dispatch import AllModelsFailed, Dispatcher, DispatchPolicy
from codeswitch.ledger import Ledger
from codeswitch.providers import CompletionRequest, Message, Provider, Timeouts, make_provider
from codeswitch.routing import RouteDecision
from codeswitch.testing import Emulator, Reply

CATALOG = load_catalog()
CODEX, OPUS, SPARK, CODESTRAL = "gpt-5.3-codex", "claude-opus-4-6", "gpt-5.3-codex-spark", "codestral"


def decision(*chain: str, budget_ms: int = 20_000, hedge_ms: int | None = None,
             tier: str = "function") -> RouteDecision:
    return RouteDecision(tier=tier, scope=tier, chain=chain, max_output_tokens=256,
                         latency_budget_ms=budget_ms, cost_ceiling_usd=None, cause="test decision",
                         hedge_after_ms=hedge_ms)


def build(model: ModelInfo) -> CompletionRequest:
    if model.fim:
        return CompletionRequest(model_id=model.model_id, prompt="def add(a, b):\n    ", suffix="\n")
    return CompletionRequest(model_id=model.model_id, system="You write code.",
                             messages=(Message("user", "add retries to fetch()"),))


@dataclass
class Rig:
    emu: Emulator
    dispatcher: Dispatcher
    ledger: Ledger

    async def run(self, *chain: str, **kw: object) -> object:
        return await self.dispatcher.complete(decision(*chain, **kw), build,  # type: ignore[arg-type]
                                              request_kind="edit", scope="function")


def make_rig(emu: Emulator, tmp_path: Path, *, timeouts: Timeouts, retries: int = 2,
             threshold: int = 3) -> Rig:
    def factory(model: ModelInfo) -> Provider:
        return make_provider(model.provider, model.api, emu.base_url(model.api), "test-key", timeouts)

    policy = DispatchPolicy(RetryPolicy(retries, 0.01, 0.05), BreakerPolicy(threshold, 30.0))
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    return Rig(emu, Dispatcher(Config(), CATALOG, ledger, factory, policy=policy), ledger)


@pytest_asyncio.fixture
async def rig(emulator: Emulator, tmp_path: Path, hermetic_env: Path) -> AsyncIterator[Rig]:
    """Generous timeouts: a busy machine must not turn a healthy stream into a timeout."""
    r = make_rig(emulator, tmp_path, timeouts=Timeouts(connect_s=2.0, first_token_s=5.0, idle_s=5.0))
    yield r
    await r.dispatcher.aclose()
    r.ledger.close()


@pytest_asyncio.fixture
async def stall_rig(emulator: Emulator, tmp_path: Path, hermetic_env: Path) -> AsyncIterator[Rig]:
    """Short first-token and idle timeouts, for the tests whose streams stall on purpose."""
    r = make_rig(emulator, tmp_path, timeouts=Timeouts(connect_s=2.0, first_token_s=0.3, idle_s=0.3))
    yield r
    await r.dispatcher.aclose()
    r.ledger.close()


def outcomes(rig: Rig) -> list[tuple[str, str, str | None]]:
    return [(r.model_key, r.outcome, r.error_kind) for r in rig.ledger.rows()]


async def test_served_by_the_primary(rig: Rig) -> None:
    rig.emu.script(CODEX, Reply("def fetch(): ...", input_tokens=1200, cached_input_tokens=200,
                                output_tokens=40))
    done = await rig.dispatcher.complete(decision(CODEX, OPUS), build, request_kind="edit", scope="function")
    assert done.text == "def fetch(): ..." and done.model_key == CODEX and done.fallbacks == ()
    u = done.usage
    assert (u.input_tokens, u.cached_input_tokens, u.output_tokens) == (1200, 200, 40)
    assert done.cost_usd == pytest.approx(CATALOG.get(CODEX).cost_usd(1200, 40, 200))
    assert done.finish_reason == "stop" and done.ttft_ms is not None and done.total_ms >= done.ttft_ms
    [row] = rig.ledger.rows()
    assert (row.outcome, row.model_key, row.tier) == ("ok", CODEX, "function")
    assert row.request_id == done.request_id
    assert row.cost_usd == pytest.approx(done.cost_usd) and not row.tokens_estimated
    assert rig.emu.requests_for(OPUS) == []


async def test_unknown_price_costs_none_not_zero(rig: Rig) -> None:
    done = await rig.dispatcher.complete(decision(SPARK), build, request_kind="inline", scope="inline")
    assert done.cost_usd is None
    assert rig.ledger.rows()[0].cost_usd is None


async def test_429_with_short_retry_after_is_retried_on_the_same_model(rig: Rig) -> None:
    rig.emu.fault(CODEX, "rate_limit", retry_after_s=0.05)
    done = await rig.dispatcher.complete(decision(CODEX, OPUS), build, request_kind="edit", scope="function")
    assert done.model_key == CODEX and done.fallbacks == ((CODEX, "rate_limited"),)
    assert len(rig.emu.requests_for(CODEX)) == 2 and rig.emu.requests_for(OPUS) == []
    assert outcomes(rig) == [(CODEX, "fallback", "rate_limited"), (CODEX, "ok", None)]


async def test_429_with_long_retry_after_falls_back_and_cools_the_model(rig: Rig) -> None:
    rig.emu.fault(CODEX, "rate_limit", retry_after_s=60)
    done = await rig.dispatcher.complete(decision(CODEX, OPUS), build, request_kind="edit", scope="function")
    assert done.model_key == OPUS
    assert len(rig.emu.requests_for(CODEX)) == 1
    assert CODEX in rig.dispatcher.health().cooling


@pytest.mark.parametrize(("fault", "kind"), [("server_error", "server_error"), ("overloaded", "overloaded")])
async def test_5xx_backs_off_then_falls_back(rig: Rig, fault: str, kind: str) -> None:
    rig.emu.fault(OPUS, fault, times=None)  # type: ignore[arg-type]
    done = await rig.dispatcher.complete(decision(OPUS, CODEX), build, request_kind="edit", scope="function")
    assert done.model_key == CODEX
    assert done.fallbacks == ((OPUS, kind),) * 3
    assert len(rig.emu.requests_for(OPUS)) == 3  # first try + two retries
    assert [o for _, o, _ in outcomes(rig)] == ["fallback"] * 3 + ["ok"]


async def test_stall_before_first_token_times_out_and_falls_back(stall_rig: Rig) -> None:
    rig = stall_rig
    rig.emu.fault(CODEX, "stall_first", times=None)
    done = await rig.dispatcher.complete(decision(CODEX, OPUS), build, request_kind="edit", scope="function")
    assert done.model_key == OPUS
    assert {k for _, k in done.fallbacks} == {"first_token_timeout"}
    for rec in rig.emu.requests_for(CODEX):
        await rig.emu.wait_closed(rec)
        assert rec.disconnected_at is not None and rec.tokens_sent == 0


async def test_stall_mid_stream_hits_the_idle_timeout(stall_rig: Rig) -> None:
    rig = stall_rig
    rig.emu.script(CODEX, "one two three four five six")
    rig.emu.fault(CODEX, "stall_mid", after_tokens=2)
    done = await rig.dispatcher.complete(decision(CODEX, OPUS), build, request_kind="edit", scope="function")
    assert done.model_key == CODEX  # the retry is served: nothing reached the client before it
    assert done.fallbacks == ((CODEX, "idle_timeout"),)
    first = rig.ledger.rows()[0]
    assert (first.outcome, first.error_kind, first.output_tokens, first.tokens_estimated) == (
        "fallback", "idle_timeout", 2, True)


BROKEN = {"reset_mid": {"connection"}, "malformed": {"malformed_stream"},
          "stream_error": {"server_error", "overloaded"}}


@pytest.mark.parametrize("model", [CODEX, OPUS, "cerebras-gpt-oss-120b", CODESTRAL])
@pytest.mark.parametrize("fault", sorted(BROKEN))
async def test_broken_streams_are_retried(rig: Rig, fault: str, model: str) -> None:
    """Every wire format: a stream that breaks after two tokens is retried on the same model."""
    rig.emu.fault(CATALOG.get(model).model_id, fault)  # type: ignore[arg-type]
    done = await rig.dispatcher.complete(decision(model, "gpt-5.1-codex-mini"), build, request_kind="edit",
                                         scope="function")
    assert done.model_key == model and [m for m, _ in done.fallbacks] == [model]
    assert done.fallbacks[0][1] in BROKEN[fault]
    assert done.text == "Hello from the codeswitch emulator."


async def test_model_not_found_marks_unavailable_and_is_skipped_next_time(rig: Rig) -> None:
    rig.emu.fault(SPARK, "model_not_found", times=None)
    first = await rig.dispatcher.complete(decision(SPARK, CODESTRAL, tier="inline"), build,
                                          request_kind="inline", scope="inline")
    assert first.model_key == CODESTRAL and first.fallbacks == ((SPARK, "model_not_found"),)
    assert SPARK in rig.dispatcher.health().unavailable
    [notice] = rig.dispatcher.take_notices()
    assert notice.kind == "model_not_found" and notice.model_key == SPARK
    second = await rig.dispatcher.complete(decision(SPARK, CODESTRAL, tier="inline"), build,
                                           request_kind="inline", scope="inline")
    assert second.fallbacks == ((SPARK, "unavailable"),)
    assert len(rig.emu.requests_for(SPARK)) == 1
    assert rig.dispatcher.take_notices() == []


@pytest.mark.parametrize(("fault", "kind"), [("auth", "auth"), ("quota", "quota")])
async def test_auth_and_quota_are_not_retried_and_disable_the_provider(
    rig: Rig, fault: str, kind: str
) -> None:
    rig.emu.fault(CODEX, fault, times=None)  # type: ignore[arg-type]
    done = await rig.dispatcher.complete(decision(CODEX, SPARK, OPUS), build, request_kind="edit",
                                         scope="function")
    assert done.model_key == OPUS
    assert done.fallbacks == ((CODEX, kind), (SPARK, "provider_disabled"))
    assert len(rig.emu.requests_for(CODEX)) == 1 and rig.emu.requests_for(SPARK) == []
    assert {CODEX, SPARK, "gpt-5.1-codex-mini"} <= rig.dispatcher.health().unavailable
    notices = rig.dispatcher.take_notices()
    assert [(n.provider, n.kind) for n in notices] == [("openai", kind)]
    assert "test-key" not in notices[0].message
    await rig.dispatcher.complete(decision(CODEX, OPUS), build, request_kind="edit", scope="function")
    assert len(rig.emu.requests_for(CODEX)) == 1 and rig.dispatcher.take_notices() == []
    await rig.dispatcher.reconfigure(Config(), rig.dispatcher.provider_factory)
    assert CODEX not in rig.dispatcher.health().unavailable


async def test_every_model_failing_raises_with_all_attempts(rig: Rig) -> None:
    rig.emu.fault(CODEX, "auth", times=None).fault(OPUS, "server_error", times=None)
    with pytest.raises(AllModelsFailed) as info:
        await rig.dispatcher.complete(decision(CODEX, OPUS), build, request_kind="edit", scope="function")
    kinds = [(a.model_key, a.kind) for a in info.value.attempts]
    assert kinds == [(CODEX, "auth")] + [(OPUS, "server_error")] * 3
    assert "test-key" not in str(info.value)
    assert [o for _, o, _ in outcomes(rig)] == ["fallback"] * 3 + ["error"]


async def test_empty_chain_fails_with_the_routing_cause(rig: Rig) -> None:
    with pytest.raises(AllModelsFailed, match="test decision"):
        await rig.dispatcher.complete(decision(), build, request_kind="edit", scope="function")


async def test_latency_budget_bounds_the_wait_for_a_stalled_model(
    emulator: Emulator, tmp_path: Path, hermetic_env: Path
) -> None:
    rig = make_rig(emulator, tmp_path, timeouts=Timeouts(connect_s=2.0, first_token_s=60.0, idle_s=60.0))
    emulator.fault(CODEX, "stall_first", times=None)
    try:
        with pytest.raises(AllModelsFailed) as info:
            await rig.dispatcher.complete(decision(CODEX, OPUS, budget_ms=300), build, request_kind="edit",
                                          scope="function")
        assert [a.kind for a in info.value.attempts] == ["first_token_timeout", "latency_budget"]
        assert rig.emu.requests_for(OPUS) == []
        await emulator.wait_closed(emulator.requests_for(CODEX)[0])
    finally:
        await rig.dispatcher.aclose()
        rig.ledger.close()


async def test_breaker_opens_and_stops_calls_to_a_failing_model(rig: Rig) -> None:
    rig.emu.fault(CODEX, "server_error", times=None)
    first = await rig.dispatcher.complete(decision(CODEX, OPUS), build, request_kind="edit", scope="function")
    assert first.model_key == OPUS and len(rig.emu.requests_for(CODEX)) == 3
    assert CODEX in rig.dispatcher.health().cooling
    for _ in range(3):
        again = await rig.dispatcher.complete(decision(CODEX, OPUS), build, request_kind="edit",
                                              scope="function")
        assert again.fallbacks == ((CODEX, "breaker_open"),)
    assert len(rig.emu.requests_for(CODEX)) == 3


async def test_streaming_consumer_never_switches_model_after_text(rig: Rig) -> None:
    rig.emu.script(CODEX, "alpha beta gamma delta")
    rig.emu.fault(CODEX, "reset_mid", after_tokens=2)
    seen: list[str] = []
    with pytest.raises(AllModelsFailed) as info:
        await rig.dispatcher.complete(decision(CODEX, OPUS), build, request_kind="edit", scope="function",
                                      on_text=seen.append)
    assert "".join(seen) == "alpha beta" == info.value.partial_text
    assert rig.emu.requests_for(OPUS) == [] and len(rig.emu.requests_for(CODEX)) == 1


async def test_streaming_consumer_gets_every_piece_in_order(rig: Rig) -> None:
    rig.emu.script(OPUS, "x = 1\ny = 2\n")
    seen: list[str] = []
    started: list[str] = []
    done = await rig.dispatcher.complete(decision(OPUS), build, request_kind="edit", scope="function",
                                         on_text=seen.append, on_attempt=started.append)
    assert "".join(seen) == done.text == "x = 1\ny = 2\n" and len(seen) > 1
    assert started == [OPUS]
