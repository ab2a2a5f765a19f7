"""Cancellation and first-token hedging over real loopback HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from codeswitch.breakers import BreakerPolicy, RetryPolicy
from codeswitch.catalog import ModelInfo, load_catalog
from codeswitch.config import Config
from codeswitch.dispatch import Dispatcher, DispatchPolicy
from codeswitch.ledger import Ledger
from codeswitch.providers import CompletionRequest, Message, Provider, Timeouts, make_provider
from codeswitch.routing import RouteDecision
from codeswitch.testing import Emulator, LatencyProfile, Reply

CATALOG = load_catalog()
CODEX, OPUS, SPARK, CODESTRAL = "gpt-5.3-codex", "claude-opus-4-6", "gpt-5.3-codex-spark", "codestral"
CODESTRAL_ID = CATALOG.get(CODESTRAL).model_id  # what the emulator sees
LONG = " ".join(f"word{i}" for i in range(400))


def decision(*chain: str, hedge_ms: int | None = None) -> RouteDecision:
    return RouteDecision(tier="inline", scope="inline", chain=chain, max_output_tokens=256,
                         latency_budget_ms=20_000, cost_ceiling_usd=None, cause="test",
                         hedge_after_ms=hedge_ms)


def build(model: ModelInfo) -> CompletionRequest:
    if model.fim:
        return CompletionRequest(model_id=model.model_id, prompt="x = " * 100, suffix="\n")
    return CompletionRequest(model_id=model.model_id, messages=(Message("user", "x = " * 100),))


@pytest_asyncio.fixture
async def pair(
    emulator: Emulator, tmp_path: Path, hermetic_env: Path
) -> AsyncIterator[tuple[Dispatcher, Ledger]]:
    def factory(model: ModelInfo) -> Provider:
        return make_provider(model.provider, model.api, emulator.base_url(model.api), "test-key",
                             Timeouts(2.0, 30.0, 30.0))

    ledger = Ledger(tmp_path / "ledger.sqlite3")
    d = Dispatcher(Config(), CATALOG, ledger, factory,
                   policy=DispatchPolicy(RetryPolicy(2, 0.01, 0.05), BreakerPolicy(3, 30.0)))
    yield d, ledger
    await d.aclose()
    ledger.close()


async def test_cancel_mid_stream_closes_upstream_and_records_tokens_so_far(
    emulator: Emulator, pair: tuple[Dispatcher, Ledger]
) -> None:
    dispatcher, ledger = pair
    emulator.set_profile(CODEX, LatencyProfile(0.0, 40.0)).script(CODEX, LONG)
    got = asyncio.Event()
    pieces: list[str] = []

    def on_text(text: str) -> None:
        pieces.append(text)
        if len(pieces) == 3:
            got.set()

    task = asyncio.create_task(dispatcher.complete(decision(CODEX, OPUS), build, request_kind="inline",
                                                   scope="inline", on_text=on_text))
    await got.wait()
    loop = asyncio.get_running_loop()
    cancelled_at = loop.time()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    [record] = emulator.requests_for(CODEX)
    await emulator.wait_closed(record)
    assert record.disconnected_at is not None and not record.completed
    print(f"upstream closed {1000 * (record.disconnected_at - cancelled_at):.2f} ms after cancel")
    assert 3 <= record.tokens_sent < 400
    [row] = ledger.rows()
    assert row.outcome == "cancelled" and row.model_key == CODEX and row.tokens_estimated
    assert row.output_tokens >= 3 and row.input_tokens > 0
    assert row.cost_usd is not None and row.cost_usd > 0
    assert emulator.requests_for(OPUS) == []


async def test_cancel_before_first_token_closes_upstream(
    emulator: Emulator, pair: tuple[Dispatcher, Ledger]
) -> None:
    dispatcher, ledger = pair
    emulator.fault(CODEX, "stall_first")
    task = asyncio.create_task(dispatcher.complete(decision(CODEX, OPUS), build, request_kind="inline",
                                                   scope="inline"))
    [record] = await emulator.wait_requests(1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await emulator.wait_closed(record)
    assert record.disconnected_at is not None
    [row] = ledger.rows()
    assert (row.outcome, row.output_tokens) == ("cancelled", 0)
    assert dispatcher.breakers.get("openai", CODEX).state == "closed"


async def test_hedge_starts_the_backup_and_keeps_the_first_token(
    emulator: Emulator, pair: tuple[Dispatcher, Ledger]
) -> None:
    dispatcher, ledger = pair
    emulator.set_profile(SPARK, LatencyProfile(30.0, 0.0))  # a cold primary
    emulator.script(CODESTRAL_ID, "return a + b")
    done = await dispatcher.complete(decision(SPARK, CODESTRAL, hedge_ms=50), build, request_kind="inline",
                                     scope="inline")
    assert done.model_key == CODESTRAL and done.text == "return a + b" and done.hedged
    assert done.fallbacks == ()
    [slow] = emulator.requests_for(SPARK)
    await emulator.wait_closed(slow)
    assert slow.disconnected_at is not None and slow.tokens_sent == 0
    rows = {r.model_key: r for r in ledger.rows()}
    assert (rows[SPARK].outcome, rows[SPARK].error_kind) == ("cancelled", "hedge_lost")
    assert rows[CODESTRAL].outcome == "ok"


async def test_no_hedge_when_the_primary_answers_in_time(
    emulator: Emulator, pair: tuple[Dispatcher, Ledger]
) -> None:
    dispatcher, _ = pair
    done = await dispatcher.complete(decision(SPARK, CODESTRAL, hedge_ms=5_000), build, request_kind="inline",
                                     scope="inline")
    assert done.model_key == SPARK and not done.hedged
    assert emulator.requests_for(CODESTRAL_ID) == []


async def test_hedge_primary_can_still_win(emulator: Emulator, pair: tuple[Dispatcher, Ledger]) -> None:
    dispatcher, ledger = pair
    emulator.set_profile(SPARK, LatencyProfile(0.2, 0.0)).script(SPARK, Reply("fast enough"))
    emulator.set_profile(CODESTRAL_ID, LatencyProfile(30.0, 0.0))
    done = await dispatcher.complete(decision(SPARK, CODESTRAL, hedge_ms=20), build, request_kind="inline",
                                     scope="inline")
    assert done.model_key == SPARK and done.hedged and done.text == "fast enough"
    [backup] = emulator.requests_for(CODESTRAL_ID)
    await emulator.wait_closed(backup)
    assert backup.disconnected_at is not None
    assert {(r.model_key, r.outcome) for r in ledger.rows()} == {(SPARK, "ok"), (CODESTRAL, "cancelled")}


async def test_hedge_when_the_primary_fails_fast_falls_back_normally(
    emulator: Emulator, pair: tuple[Dispatcher, Ledger]
) -> None:
    dispatcher, _ = pair
    emulator.fault(SPARK, "model_not_found")
    done = await dispatcher.complete(decision(SPARK, CODESTRAL, hedge_ms=5_000), build, request_kind="inline",
                                     scope="inline")
    assert done.model_key == CODESTRAL and done.fallbacks == ((SPARK, "model_not_found"),)
    assert not done.hedged


async def test_cancel_during_a_hedge_closes_both_streams(
    emulator: Emulator, pair: tuple[Dispatcher, Ledger]
) -> None:
    dispatcher, ledger = pair
    emulator.fault(SPARK, "stall_first").fault(CODESTRAL_ID, "stall_first")
    task = asyncio.create_task(dispatcher.complete(decision(SPARK, CODESTRAL, hedge_ms=10), build,
                                                   request_kind="inline", scope="inline"))
    records = await emulator.wait_requests(2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for rec in records:
        await emulator.wait_closed(rec)
        assert rec.disconnected_at is not None
    assert sorted(r.outcome for r in ledger.rows()) == ["cancelled", "cancelled"]


async def test_cancelled_probe_does_not_keep_the_breaker_half_open(
    emulator: Emulator, pair: tuple[Dispatcher, Ledger]
) -> None:
    dispatcher, _ = pair
    breaker = dispatcher.breakers.get("openai", CODEX)
    breaker.hold(0.0)  # as if the cooldown had just ended: the next call is the probe
    assert breaker.state == "half_open"
    emulator.fault(CODEX, "stall_first")
    task = asyncio.create_task(dispatcher.complete(decision(CODEX, OPUS), build, request_kind="inline",
                                                   scope="inline"))
    await emulator.wait_requests(1)
    assert breaker.probing
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not breaker.probing
    done = await dispatcher.complete(decision(CODEX, OPUS), build, request_kind="inline", scope="inline")
    assert done.model_key == CODEX and breaker.state == "closed"
