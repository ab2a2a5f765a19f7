"""Dispatch overhead and circuit-breaker behaviour, against the loopback emulator.

    .venv/bin/python bench/bench_dispatch.py [--n 300]

Prints, from one run on this machine:
- per-request time of `Dispatcher.complete` (with and without the SQLite ledger) vs. a bare httpx
  streaming request to the same zero-latency emulator endpoint (median, p99, the difference of the
  medians = what dispatch adds), a 40-token Responses API reply;
- the dispatch logic alone: `Dispatcher.complete` over an in-process provider that yields the
  same 40 events with no I/O, vs. draining that provider directly (what dispatch itself costs);
- breaker behaviour with a primary that always answers 500: requests that reach the failing
  model before and after its breaker opens, time to a served fallback before/after, and the single
  probe sent when the cooldown ends;
- hedging: time to first token with a cold primary, without and with `hedge_after_ms`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import AsyncGenerator
from pathlib import Path

import httpx

from codeswitch.breakers import BreakerPolicy, RetryPolicy
from codeswitch.catalog import ModelInfo, load_catalog
from codeswitch.config import Config
from codeswitch.dispatch import Dispatcher, DispatchPolicy
from codeswitch.ledger import Ledger
from codeswitch.providers import (
    CompletionRequest,
    Finish,
    Message,
    Provider,
    StreamEvent,
    TextDelta,
    Usage,
    collect,
    make_provider,
)
from codeswitch.routing import RouteDecision
from codeswitch.testing import Emulator, LatencyProfile, Reply

TEXT = " ".join(f"tok{i}" for i in range(40))
CATALOG = load_catalog()
PRIMARY, BACKUP = "gpt-5.3-codex", "claude-opus-4-6"


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))]


def fmt(xs: list[float]) -> str:
    return f"median {statistics.median(xs) * 1e3:7.3f} ms   p99 {pct(xs, 0.99) * 1e3:7.3f} ms"


def decision(*chain: str, budget_ms: int = 30_000) -> RouteDecision:
    return RouteDecision(tier="function", scope="function", chain=chain, max_output_tokens=256,
                         latency_budget_ms=budget_ms, cost_ceiling_usd=None, cause="bench")


def build(model: ModelInfo) -> CompletionRequest:
    return CompletionRequest(model_id=model.model_id, messages=(Message("user", "hi"),))


def dispatcher(emu: Emulator, ledger: Ledger | None, policy: DispatchPolicy | None = None) -> Dispatcher:
    def factory(model: ModelInfo) -> Provider:
        return make_provider(model.provider, model.api, emu.base_url(model.api), "k")

    return Dispatcher(Config(), CATALOG, ledger, factory, policy=policy)


async def overhead(emu: Emulator, n: int, tmp: Path) -> None:
    emu.script(PRIMARY, *([Reply(TEXT)] * (4 * n + 60)))
    ledger = Ledger(tmp / "bench.sqlite3")
    with_ledger, without = dispatcher(emu, ledger), dispatcher(emu, None)
    probe = make_provider("probe", "openai_responses", emu.base_url("openai_responses"), "k")
    path, body = probe.build(build(CATALOG.get(PRIMARY)))  # type: ignore[attr-defined]
    await probe.aclose()
    url = emu.base_url("openai_responses") + path
    client_only = make_provider("bench", "openai_responses", emu.base_url("openai_responses"), "k")
    req = build(CATALOG.get(PRIMARY))
    times: dict[str, list[float]] = {"dispatch+ledger": [], "dispatch": [], "provider client": [],
                                     "bare httpx": []}
    async with httpx.AsyncClient(trust_env=False) as client:

        async def ours_ledger() -> None:
            done = await with_ledger.complete(decision(PRIMARY), build, request_kind="edit", scope="function")
            assert done.text == TEXT

        async def ours() -> None:
            done = await without.complete(decision(PRIMARY), build, request_kind="edit", scope="function")
            assert done.text == TEXT

        async def provider_only() -> None:
            assert (await collect(client_only.stream(req))).text == TEXT

        async def bare() -> None:
            async with client.stream("POST", url, json=body, headers={"Authorization": "Bearer k"}) as r:
                async for _ in r.aiter_lines():
                    pass

        runs = [("dispatch+ledger", ours_ledger), ("dispatch", ours), ("provider client", provider_only),
                ("bare httpx", bare)]
        for i in range(n + 10):
            k = i % len(runs)
            for label, fn in runs[k:] + runs[:k]:  # rotate: order on one loop matters a little
                t0 = time.perf_counter()
                await fn()
                if i >= 10:
                    times[label].append(time.perf_counter() - t0)
    await with_ledger.aclose()
    await without.aclose()
    await client_only.aclose()
    ledger.close()
    base = statistics.median(times["bare httpx"])
    alone = statistics.median(times["provider client"])
    print(f"dispatch overhead, {n} requests each, 40-token reply, zero-latency emulator")
    for label, xs in times.items():
        med = statistics.median(xs)
        extra = "" if label == "bare httpx" else f"   +{(med - base) * 1e3:.3f} ms vs bare"
        if label.startswith("dispatch"):
            extra += f", +{(med - alone) * 1e3:.3f} ms vs the provider client alone"
        print(f"  {label:16s} {fmt(xs)}{extra}")


class InProcess:
    """A provider with no I/O: 40 text deltas, usage, finish."""

    name, api = "inproc", "inproc"

    async def stream(self, req: CompletionRequest) -> AsyncGenerator[StreamEvent, None]:
        for piece in TEXT.split(" "):
            yield TextDelta(piece)
        yield Usage(10, 0, 40)
        yield Finish("stop")

    async def aclose(self) -> None:
        pass


async def logic_only(n: int) -> None:
    prov = InProcess()
    d = Dispatcher(Config(), CATALOG, None, lambda model: prov)
    req = build(CATALOG.get(PRIMARY))
    times: dict[str, list[float]] = {"dispatch": [], "drain provider": []}

    async def ours() -> None:
        await d.complete(decision(PRIMARY), build, request_kind="edit", scope="function")

    async def drain() -> None:
        await collect(prov.stream(req))

    runs = [("dispatch", ours), ("drain provider", drain)]
    for i in range(n + 100):
        for label, fn in runs[i % 2 :] + runs[: i % 2]:
            t0 = time.perf_counter()
            await fn()
            if i >= 100:
                times[label].append(time.perf_counter() - t0)
    print(f"dispatch logic alone, {n} requests, in-process provider (40 events, no I/O)")
    base = statistics.median(times["drain provider"])
    for label, xs in times.items():
        extra = f"   +{(statistics.median(xs) - base) * 1e6:.1f} us" if label == "dispatch" else ""
        print(f"  {label:16s} {fmt(xs)}{extra}")


async def breaker(emu: Emulator, requests: int) -> None:
    emu.reset()
    emu.fault(PRIMARY, "server_error", times=None)
    cooldown = 0.5
    policy = DispatchPolicy(RetryPolicy(max_retries=2, base_s=0.02, cap_s=0.1), BreakerPolicy(3, cooldown))
    d = dispatcher(emu, None, policy)
    before_open: list[float] = []
    after_open: list[float] = []
    sent_before = 0
    for _ in range(requests):
        was_open = PRIMARY in d.health().cooling
        seen = len(emu.requests_for(PRIMARY))
        t0 = time.perf_counter()
        done = await d.complete(decision(PRIMARY, BACKUP), build, request_kind="edit", scope="function")
        elapsed = time.perf_counter() - t0
        assert done.model_key == BACKUP
        (after_open if was_open else before_open).append(elapsed)
        if not was_open:
            sent_before += len(emu.requests_for(PRIMARY)) - seen
    total = len(emu.requests_for(PRIMARY))
    await asyncio.sleep(cooldown)
    await d.complete(decision(PRIMARY, BACKUP), build, request_kind="edit", scope="function")
    probes = len(emu.requests_for(PRIMARY)) - total
    await d.aclose()
    print(f"breaker, primary always 500, {requests} requests (threshold 3, 2 retries, cooldown {cooldown}s)")
    print(f"  calls to the failing model: {sent_before} before the breaker opened, "
          f"{total - sent_before} after ({len(after_open)} requests skipped it)")
    print(f"  time to served fallback, breaker closed: {fmt(before_open)}")
    if after_open:
        print(f"  time to served fallback, breaker open:   {fmt(after_open)}")
    print(f"  after the cooldown: {probes} probe call(s) to the failing model")


async def hedging(emu: Emulator, requests: int) -> None:
    """Time to first token when the primary is cold (1 s), with and without a 200 ms hedge."""
    emu.reset()
    emu.set_profile("gpt-5.3-codex-spark", LatencyProfile(1.0, 1000.0))
    emu.set_profile("gpt-5.1-codex-mini", LatencyProfile(0.05, 150.0))
    d = dispatcher(emu, None)
    chain = ("gpt-5.3-codex-spark", "gpt-5.1-codex-mini")
    for hedge in (None, 200):
        ttfts: list[float] = []
        winners: dict[str, int] = {}
        for _ in range(requests):
            dec = RouteDecision(tier="inline", scope="inline", chain=chain, max_output_tokens=64,
                                latency_budget_ms=5000, cost_ceiling_usd=None, cause="bench",
                                hedge_after_ms=hedge)
            done = await d.complete(dec, build, request_kind="inline", scope="inline")
            ttfts.append((done.ttft_ms or 0.0) / 1000)
            winners[done.model_key] = winners.get(done.model_key, 0) + 1
        label = "no hedge" if hedge is None else f"hedge after {hedge} ms"
        print(f"  {label:20s} ttft {fmt(ttfts)}   served by {winners}")
    await d.aclose()


async def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with Emulator() as emu:
            await overhead(emu, n, Path(tmp))
            await logic_only(10 * n)
            await breaker(emu, 50)
            print("hedging, primary cold (1 s to first token), backup 50 ms, 10 requests each")
            await hedging(emu, 10)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300)
    asyncio.run(main(ap.parse_args().n))
