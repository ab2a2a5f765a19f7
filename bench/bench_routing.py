#!/usr/bin/env python3
"""Routing decision cost: median and p99 of ``routing.route`` per tier, and of estimate+route
for inline requests on a parsed example file (the per-keystroke work before any provider call).

Usage: bench_routing.py [--n N]. Prints figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

from codeswitch.catalog import load_catalog
from codeswitch.config import Config
from codeswitch.documents import Snapshot, Span
from codeswitch.routing import Budget, Health, route
from codeswitch.scope import ScopeRequest, estimate_scope

SHOP = Path(__file__).resolve().parents[1] / "examples" / "shop"


@dataclass(frozen=True)
class _Scope:
    scope: str
    context_tokens: int = 1500
    confidence: float = 0.9


def _figures(samples: list[float]) -> str:
    samples.sort()
    med = samples[len(samples) // 2] * 1e6
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))] * 1e6
    return f"median {med:8.1f} us   p99 {p99:8.1f} us"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    n = parser.parse_args().n
    config, catalog = Config(), load_catalog()
    health = Health(cooling=frozenset({"codestral"}))
    budget = Budget(2.0, 20.0, 3.5)
    keys = frozenset({"openai", "anthropic", "mistral", "cerebras"})
    for tier in ("inline", "function", "workspace"):
        probe = _Scope(tier)
        samples = []
        for _ in range(n):
            t = time.perf_counter()
            route(probe, config, catalog, health, budget, keys)
            samples.append(time.perf_counter() - t)
        print(f"route {tier:<9}              {_figures(samples)}")
    text = (SHOP / "orders.py").read_text(encoding="utf-8")
    snap = Snapshot.from_text(text, path=SHOP / "orders.py", language_id="python")
    lines = text.splitlines()
    cursors = [snap.to_pos(i, len(line)) for i, line in enumerate(lines) if line.strip()]
    samples = []
    for i in range(n):
        pos = cursors[i % len(cursors)]
        t = time.perf_counter()
        estimated = estimate_scope(snap, ScopeRequest("inline", Span(pos, pos)), None)
        route(estimated, config, catalog, health, budget, keys)
        samples.append(time.perf_counter() - t)
    print(f"estimate+route inline (orders.py) {_figures(samples)}")


if __name__ == "__main__":
    main()
