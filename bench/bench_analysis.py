#!/usr/bin/env python3
"""Time gathering explain context with the workspace index, and the route it gets.

Builds a workspace with one function used in N caller files (the long analysis of the end-to-end
test: about 270K tokens) and one used once (a short one), indexes it, then times what
``codeswitch/explain`` does before the model call: read the definitions and uses through the
index, count the tokens, route. Prints median and p99 in milliseconds, the tokens and the model.
The gathering runs on the server's event loop, so it should stay well under a second.
Usage: bench_analysis.py [--callers N] [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from codeswitch.features.analysis import AnalysisScope, context_limit
from codeswitch.features.analysis_context import explain_context
from codeswitch.handlers.analysis_source import WorkspaceSource
from codeswitch.routing import Budget, Health, route
from codeswitch.scope.index import WorkspaceIndex
from codeswitch.server import State

GEO = ("from units import scale\n\n\ndef area(w, h):\n    return scale(w * h)\n\n\n"
       "def perimeter(w, h):\n    return 2 * (w + h)\n")


REPORT = "from geo import perimeter\n\n\ndef fence(w, h):\n    return perimeter(w, h)\n"
CASES = (("short (perimeter)", 7, 8, "perimeter"), ("long (area)", 3, 4, "area"))


def callers(i: int, count: int) -> str:
    rows = ["from geo import area\n"]
    rows += [f"\n\ndef use_{i}_{j}(w):\n    # the area of a {j} by w rectangle, doubled for the margin\n"
             f"    return area(w, {j}) * 2\n" for j in range(count)]
    return "".join(rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--callers", type=int, default=2300, help="caller functions per file (4 files)")
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "geo.py").write_text(GEO)
        (root / "units.py").write_text("def scale(x):\n    return x * 2\n")
        (root / "report.py").write_text(REPORT)
        for i in range(4):
            (root / f"callers_{i}.py").write_text(callers(i, args.callers))
        index = WorkspaceIndex(root)
        started = time.perf_counter()
        index.build(root)
        print(f"index build: {(time.perf_counter() - started) * 1000:.0f} ms for {len(index)} files")
        state = State(root=root, index=index, provider_keys=frozenset({"openai", "anthropic"}))
        keys = state.provider_keys
        limit = context_limit(state.config, state.catalog, {m.key for m in state.catalog.models.values()
                                                            if m.provider in keys})
        for label, first, last, name in CASES:
            times: list[float] = []
            tokens, model = 0, ""
            for _ in range(args.runs):
                t0 = time.perf_counter()
                ctx = explain_context(WorkspaceSource(state), index, path="geo.py", text=GEO,
                                      start_line=first, end_line=last, subject=name, name=name, limit=limit)
                decision = route(AnalysisScope(ctx.tokens), state.config, state.catalog, Health(), Budget(),
                                 keys)
                times.append((time.perf_counter() - t0) * 1000)
                tokens, model = ctx.tokens, decision.chain[0] if decision.chain else "none"
            times.sort()
            p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
            print(f"{label:18} gather + count + route: median {statistics.median(times):7.1f} ms, "
                  f"p99 {p99:7.1f} ms; {tokens:,} tokens -> {model}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
