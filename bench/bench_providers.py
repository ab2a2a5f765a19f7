"""Provider client overhead and cancellation speed, against the loopback emulator.

    .venv/bin/python bench/bench_providers.py [--n 300]

Prints, from one run on this machine:
- per-request time of our streaming client vs. a bare httpx streaming request to the same
  zero-latency emulator endpoint, and vs. bare httpx that also json-decodes each line (median,
  p99, ratio of medians), per API; a 40-token reply;
- how long after `aclose()` the emulator observes the client hanging up (median, p99).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

import httpx

from codeswitch.providers import CompletionRequest, Message, collect, make_provider
from codeswitch.testing import Emulator, LatencyProfile, Reply, read_text

TEXT = " ".join(f"tok{i}" for i in range(40))


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))]


def fmt(xs: list[float]) -> str:
    return f"median {statistics.median(xs) * 1e3:7.3f} ms   p99 {pct(xs, 0.99) * 1e3:7.3f} ms"


async def overhead(emu: Emulator, api: str, n: int) -> None:
    emu.script("*", *([Reply(TEXT)] * (3 * n + 40)))
    provider = make_provider("bench", api, emu.base_url(api), "k")
    probe = make_provider("probe", api, emu.base_url(api), "k")
    path, body = probe.build(CompletionRequest("m", messages=[Message("user", "hi")], prompt="a", suffix="b"))  # type: ignore[attr-defined]
    await probe.aclose()
    url = emu.base_url(api) + path
    req = CompletionRequest("m", messages=[Message("user", "hi")], prompt="a", suffix="b")
    times: dict[str, list[float]] = {"ours": [], "httpx": [], "httpx+json": []}
    headers = {"Authorization": "Bearer k"}
    async with httpx.AsyncClient(trust_env=False) as client:

        async def ours() -> None:
            assert (await collect(provider.stream(req))).text == TEXT

        async def bare() -> None:
            async with client.stream("POST", url, json=body, headers=headers) as r:
                async for _ in r.aiter_lines():
                    pass

        async def bare_json() -> None:
            async with client.stream("POST", url, json=body, headers=headers) as r:
                async for line in r.aiter_lines():
                    payload = line[6:] if line.startswith("data: ") else line
                    if payload.startswith("{"):
                        json.loads(payload)

        runs = [("ours", ours), ("httpx", bare), ("httpx+json", bare_json)]
        for i in range(n + 10):
            # Rotate the order: the request that follows another one on the same loop pays a little more.
            for label, fn in runs[i % 3 :] + runs[: i % 3]:
                t0 = time.perf_counter()
                await fn()
                if i >= 10:  # warm-up
                    times[label].append(time.perf_counter() - t0)
    await provider.aclose()
    med = statistics.median(times["ours"])
    for label, xs in times.items():
        ratio = "" if label == "ours" else f"   ours/this {med / statistics.median(xs):.2f}"
        print(f"{api:17s} {label:11s} {fmt(xs)}{ratio}")


async def cancel_latency(emu: Emulator, api: str, n: int) -> None:
    emu.reset()
    emu.set_profile("slow", LatencyProfile(0.0, 200.0))
    emu.script("slow", *([Reply(TEXT * 5)] * n))
    provider = make_provider("bench", api, emu.base_url(api), "k")
    waits: list[float] = []
    for _ in range(n):
        stream = provider.stream(CompletionRequest("slow", messages=[Message("user", "go")], prompt="a"))
        assert len(await read_text(stream, 2)) == 2
        closed_at = time.monotonic()
        await stream.aclose()
        rec = await emu.wait_closed(emu.requests[-1])
        assert rec.disconnected_at is not None
        waits.append(max(0.0, rec.disconnected_at - closed_at))
    await provider.aclose()
    print(f"{api:17s} aclose -> upstream sees disconnect: {fmt(waits)}")


async def main(n: int) -> None:
    async with Emulator() as emu:
        for api in ("openai_responses", "openai_chat", "anthropic", "fim_ollama"):
            await overhead(emu, api, n)
            emu.reset()
        for api in ("openai_responses", "anthropic"):
            await cancel_latency(emu, api, max(20, n // 10))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300)
    asyncio.run(main(ap.parse_args().n))
