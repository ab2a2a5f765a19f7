"""Dispatcher decisions with scripted in-process providers and a fake clock (no network, no sleep)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncGenerator
from dataclasses import replace
from pathlib import Path

import pytest

from codeswitch.breakers import BreakerPolicy, RetryPolicy
from codeswitch.catalog import ModelInfo, load_catalog
from codeswitch.config import Config, ProviderConfig
from codeswitch.dispatch import AllModelsFailed, Dispatcher, DispatchPolicy, config_provider_factory
from codeswitch.ledger import Ledger
from codeswitch.providers import (
    BadRequest,
    CompletionRequest,
    Finish,
    Provider,
    ProviderError,
    RateLimited,
    ServerError,
    StreamEvent,
    TextDelta,
    ToolUse,
    Usage,
)
from codeswitch.routing import RouteDecision

CATALOG = load_catalog()
A, B = "gpt-5.3-codex", "claude-opus-4-6"
Step = StreamEvent | ProviderError | float | None  # float: pause; None: end without a Finish

OK: list[Step] = [TextDelta("ok"), Usage(10, 0, 1), Finish("stop")]


class Scripted:
    """A Provider whose calls follow scripts: one list of events (or an error to raise) per call."""

    def __init__(self, name: str, scripts: dict[str, list[list[Step]]]) -> None:
        self.name, self.api = name, "scripted"
        self.scripts = scripts
        self.calls: list[str] = []
        self.closed = 0

    async def stream(self, req: CompletionRequest) -> AsyncGenerator[StreamEvent, None]:
        self.calls.append(req.model_id)
        queue = self.scripts.get(req.model_id) or [OK]
        steps = queue.pop(0) if len(queue) > 1 else queue[0]
        try:
            for step in steps:
                await asyncio.sleep(0)
                if step is None:
                    return
                if isinstance(step, float):
                    await asyncio.sleep(step)
                    continue
                if isinstance(step, ProviderError):
                    raise step
                yield step
        finally:
            self.closed += 1

    async def aclose(self) -> None:
        pass


class Lingering(Scripted):
    """Sends Finish, then keeps the stream open (a misbehaving proxy)."""

    async def stream(self, req: CompletionRequest) -> AsyncGenerator[StreamEvent, None]:
        self.calls.append(req.model_id)
        try:
            yield TextDelta("done")
            yield Finish("stop")
            await asyncio.Event().wait()
        finally:
            self.closed += 1


class Clock:
    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.t

    async def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.t += s


def rig(scripts: dict[str, list[list[Step]]], *, ledger: Ledger | None = None, retries: int = 2,
        threshold: int = 3) -> tuple[Dispatcher, Scripted, Clock]:
    clock = Clock()
    prov = Scripted("p", scripts)

    def factory(model: ModelInfo) -> Provider:
        return prov

    policy = DispatchPolicy(RetryPolicy(retries, 0.5, 4.0), BreakerPolicy(threshold, 30.0, 120.0))
    d = Dispatcher(Config(), CATALOG, ledger, factory, policy=policy, clock=clock, sleep=clock.sleep,
                   rng=random.Random(3))
    return d, prov, clock


def decision(*chain: str, budget_ms: int = 10_000) -> RouteDecision:
    return RouteDecision(tier="function", scope="function", chain=chain, max_output_tokens=64,
                         latency_budget_ms=budget_ms, cost_ceiling_usd=None, cause="because")


def build(model: ModelInfo) -> CompletionRequest:
    return CompletionRequest(model_id=model.model_id, prompt="x" * 400)


def rate_limited(after: float) -> ProviderError:
    return RateLimited("slow down", provider="p", retry_after_s=after)


async def test_retry_waits_at_least_retry_after() -> None:
    d, prov, clock = rig({A: [[rate_limited(2.0)], OK]})
    done = await d.complete(decision(A, B), build, request_kind="edit", scope="function")
    assert done.model_key == A and prov.calls == [A, A]
    assert clock.sleeps == [2.0]
    assert done.fallbacks == ((A, "rate_limited"),)


async def test_retry_after_longer_than_half_the_budget_goes_to_the_next_model() -> None:
    d, prov, clock = rig({A: [[rate_limited(6.0)], OK]})
    done = await d.complete(decision(A, B), build, request_kind="edit", scope="function")
    assert done.model_key == B and prov.calls == [A, B] and clock.sleeps == []
    assert A in d.health().cooling  # held open for the retry-after


async def test_retry_that_does_not_fit_the_budget_is_not_attempted() -> None:
    d, prov, clock = rig({A: [[rate_limited(20.0)]]})
    with pytest.raises(AllModelsFailed):
        await d.complete(decision(A), build, request_kind="edit", scope="function")
    assert prov.calls == [A] and clock.sleeps == []


async def test_retries_back_off_exponentially_then_fall_back() -> None:
    err = ServerError("boom", provider="p", status=500)
    d, prov, clock = rig({A: [[err]]})
    done = await d.complete(decision(A, B), build, request_kind="edit", scope="function")
    assert prov.calls == [A, A, A, B] and done.model_key == B
    first, second = clock.sleeps
    assert 0.25 <= first <= 0.5 and 0.5 <= second <= 1.0


async def test_breaker_probe_after_cooldown_closes_on_success() -> None:
    err = ServerError("boom", provider="p", status=500)
    d, prov, clock = rig({A: [[err], [err], [err], OK]})
    assert (await d.complete(decision(A, B), build, request_kind="edit", scope="function")).model_key == B
    assert d.health().cooling == {A}
    skipped = await d.complete(decision(A, B), build, request_kind="edit", scope="function")
    assert skipped.fallbacks == ((A, "breaker_open"),)
    clock.t += 30.0
    assert d.health().cooling == frozenset()
    probe = await d.complete(decision(A, B), build, request_kind="edit", scope="function")
    assert probe.model_key == A and d.breakers.get("openai", A).state == "closed"
    assert prov.calls.count(A) == 4


async def test_bad_request_moves_on_without_retry_or_breaker() -> None:
    d, prov, clock = rig({A: [[BadRequest("no", provider="p", status=400)]]}, threshold=1)
    done = await d.complete(decision(A, B), build, request_kind="edit", scope="function")
    assert done.model_key == B and prov.calls == [A, B] and clock.sleeps == []
    assert d.breakers.get("openai", A).state == "closed"


async def test_stream_without_finish_is_malformed_and_retried() -> None:
    d, prov, _ = rig({A: [[TextDelta("par"), None], OK]})
    done = await d.complete(decision(A), build, request_kind="edit", scope="function")
    assert done.text == "ok" and done.fallbacks == ((A, "malformed_stream"),)
    assert prov.closed == 2  # every stream was closed, the broken one included


async def test_empty_answer_and_tool_calls_are_served() -> None:
    tool = ToolUse("t1", "read_file", {"path": "a.py"})
    d, _, _ = rig({A: [[Finish("stop")]], B: [[tool, Usage(5, 0, 3), Finish("tool_use")]]})
    empty = await d.complete(decision(A), build, request_kind="edit", scope="function")
    assert (empty.text, empty.finish_reason, empty.ttft_ms) == ("", "stop", None)
    used = await d.complete(decision(B), build, request_kind="team", scope="workspace", parent_id="lead-1",
                            role="teammate")
    assert used.tool_uses == (tool,) and used.finish_reason == "tool_use"


async def test_unknown_model_key_is_skipped() -> None:
    d, prov, _ = rig({})
    done = await d.complete(decision("no-such-model", A), build, request_kind="edit", scope="function")
    assert done.fallbacks == (("no-such-model", "unknown_model"),) and prov.calls == [A]


async def test_a_broken_ledger_never_breaks_the_request(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.db")
    ledger.close()
    d, _, _ = rig({}, ledger=ledger)
    assert (await d.complete(decision(A), build, request_kind="edit", scope="function")).text == "ok"


async def test_ledger_links_sub_calls_to_their_parent(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.db") as ledger:
        d, _, _ = rig({}, ledger=ledger)
        done = await d.complete(decision(A), build, request_kind="team", scope="workspace", parent_id="p1",
                                role="reviewer", request_id="r1")
        [row] = ledger.rows()
    assert done.request_id == "r1"
    assert (row.request_id, row.parent_id, row.role, row.kind) == ("r1", "p1", "reviewer", "team")
    assert row.input_tokens == 10 and row.cost_usd == pytest.approx(CATALOG.get(A).cost_usd(10, 1))


def test_config_factory_uses_base_url_key_and_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODESWITCH_TEST_KEY", "sk-test-abcdefgh")
    cfg = Config(providers={"openai": ProviderConfig(base_url="http://127.0.0.1:9/v1",
                                                      api_key_env="CODESWITCH_TEST_KEY")})
    provider = config_provider_factory(cfg)(CATALOG.get(A))
    assert provider.name == "openai" and provider.api == "openai_responses"
    assert "127.0.0.1:9" in repr(provider) and "sk-test" not in repr(provider)
    asyncio.run(provider.aclose())


async def test_a_stream_left_open_after_finish_is_closed_and_served() -> None:
    prov = Lingering("p", {})
    policy = DispatchPolicy(drain_after_finish_s=0.01)
    d = Dispatcher(Config(), CATALOG, None, lambda model: prov, policy=policy)
    done = await d.complete(decision(A), build, request_kind="edit", scope="function")
    assert done.text == "done" and done.finish_reason == "stop"
    assert prov.closed == 1


async def test_rows_carry_the_ledger_clock_so_budgets_see_them(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.db", now=lambda: 1_000_000.0) as ledger:
        d, _, _ = rig({}, ledger=ledger)
        done = await d.complete(decision(A), build, request_kind="edit", scope="function")
        [row] = ledger.rows()
        assert row.ts == 1_000_000.0
        assert ledger.spent_today() == pytest.approx(done.cost_usd)


async def test_hedge_winner_failing_midway_falls_back_to_the_model_it_beat(tmp_path: Path) -> None:
    err = ServerError("boom", provider="p", status=500)
    slow_ok: list[Step] = [0.5, *OK]
    with Ledger(tmp_path / "l.db") as ledger:
        prov = Scripted("p", {A: [[0.02, TextDelta("a1"), err]], B: [slow_ok, OK]})
        policy = DispatchPolicy(RetryPolicy(max_retries=0))
        d = Dispatcher(Config(), CATALOG, ledger, lambda model: prov, policy=policy)
        dec = RouteDecision(tier="inline", scope="inline", chain=(A, B), max_output_tokens=64,
                            latency_budget_ms=10_000, cost_ceiling_usd=None, cause="c", hedge_after_ms=5)
        done = await d.complete(dec, build, request_kind="inline", scope="inline")
        rows = [(r.model_key, r.outcome, r.error_kind) for r in ledger.rows()]
    assert done.model_key == B and done.hedged and done.fallbacks == ((A, "server_error"),)
    assert prov.calls == [A, B, B]
    assert sorted(rows, key=str) == sorted([(A, "fallback", "server_error"), (B, "cancelled", "hedge_lost"),
                                           (B, "ok", None)], key=str)


class CancelsTheRequest(Scripted):
    """Cancels the request's task the moment its first token is out (the editor moved on)."""

    target: asyncio.Task[object] | None = None

    async def stream(self, req: CompletionRequest) -> AsyncGenerator[StreamEvent, None]:
        self.calls.append(req.model_id)
        try:
            await asyncio.sleep(0)
            assert self.target is not None
            asyncio.get_running_loop().call_soon(self.target.cancel)
            yield TextDelta("a")
            await asyncio.Event().wait()
        finally:
            self.closed += 1


async def test_a_request_cancelled_as_its_hedged_call_opens_closes_that_call() -> None:
    prov = CancelsTheRequest("p", {})
    policy = DispatchPolicy(RetryPolicy(max_retries=0))
    d = Dispatcher(Config(), CATALOG, None, lambda model: prov, policy=policy)
    dec = RouteDecision(tier="inline", scope="inline", chain=(A, B), max_output_tokens=64,
                        latency_budget_ms=10_000, cost_ceiling_usd=None, cause="c", hedge_after_ms=50)
    request = d.complete(dec, build, request_kind="inline", scope="inline")
    task: asyncio.Task[object] = asyncio.create_task(request)
    prov.target = task
    with pytest.raises(asyncio.CancelledError):
        await task
    assert prov.calls == [A] and prov.closed == 1  # closed now, not when the collector finds it


class Endless(Scripted):
    """Sends a first token, then nothing more until it is closed (a long answer)."""

    async def stream(self, req: CompletionRequest) -> AsyncGenerator[StreamEvent, None]:
        self.calls.append(req.model_id)
        try:
            await asyncio.sleep(0)
            yield TextDelta("a")
            await asyncio.Event().wait()
        finally:
            self.closed += 1


@pytest.mark.parametrize("hedge_after_ms", [None, 50])
async def test_a_request_cancelled_at_any_step_closes_every_call_it_opened(
    hedge_after_ms: int | None,
) -> None:
    """Whichever await the cancellation lands on (opening, the first token, handing the call over,
    reading on), no stream is left open for the collector to find."""
    dec = replace(decision(A, B), tier="inline", scope="inline", hedge_after_ms=hedge_after_ms)
    for ticks in range(40):
        prov = Endless("p", {})
        d = Dispatcher(Config(), CATALOG, None, lambda model, prov=prov: prov,
                       policy=DispatchPolicy(RetryPolicy(max_retries=0)))
        task = asyncio.create_task(d.complete(dec, build, request_kind="inline", scope="inline"))
        for _ in range(ticks):
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert prov.closed == len(prov.calls), f"cancelled after {ticks} steps: a stream left open"
