#!/usr/bin/env python3
"""Time estimate_scope (and route) for inline requests on a 10,000-line file.

Prints median and p99 in microseconds for cursors spread over the file: inside methods, on
blank lines, mid-line, in argument lists. The budget is estimate + route under 0.5 ms
p99. Usage: bench_scope.py [--lines N] [--requests N] [--language python|javascript]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

PY_UNIT = '''\
class Worker{n}:
    """A worker."""

    def __init__(self, name, limit=10):
        self.name = name
        self.limit = limit

    def run(self, items):
        done = []
        for item in items:
            if len(done) >= self.limit:
                break
            done.append(self.handle(item, retries=3))

        return done

    def handle(self, item, retries):
        return {{"item": item, "by": self.name, "retries": retries}}


def helper_{n}(values):
    total = 0
    for v in values:
        total += v * {n}
    return total

'''
JS_UNIT = '''\
export class Worker{n} {{
  constructor(name, limit = 10) {{
    this.name = name;
    this.limit = limit;
  }}

  run(items) {{
    const done = [];
    for (const item of items) {{
      if (done.length >= this.limit) {{
        break;
      }}
      done.push(this.handle(item, 3));
    }}
    return done;
  }}

  handle(item, retries) {{
    return {{ item, by: this.name, retries }};
  }}
}}

export function helper{n}(values) {{
  return values.reduce((a, v) => a + v * {n}, 0);
}}

'''


def make_text(language: str, lines: int) -> str:
    unit = PY_UNIT if language == "python" else JS_UNIT
    parts: list[str] = []
    n = 0
    count = 0
    per = unit.count("\n")
    while count < lines:
        parts.append(unit.format(n=n))
        count += per
        n += 1
    return "".join(parts)


def _workspace(text: str, ext: str) -> tuple[object, str]:
    """A workspace around the big file: 30 small files that import and call its definitions."""
    from codeswitch.scope import WorkspaceIndex

    tmp = tempfile.mkdtemp(prefix="bench-scope-")
    Path(tmp, "big" + ext).write_text(text)
    for i in range(30):
        if ext == ".py":
            body = (f"from big import Worker{i}, helper_{i}\n\n\ndef use_{i}(x):\n"
                    f"    return helper_{i}(Worker{i}(x).run([]))\n")
        else:
            body = (f"import {{ Worker{i}, helper{i} }} from './big';\n"
                    f"export const use{i} = (x) => helper{i}(new Worker{i}(x).run([]));\n")
        Path(tmp, f"use_{i}{ext}").write_text(body)
    index = WorkspaceIndex()
    index.build(tmp)
    return index, tmp


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=10_000)
    ap.add_argument("--requests", type=int, default=5_000)
    ap.add_argument("--language", default="python", choices=["python", "javascript"])
    args = ap.parse_args(argv)

    from codeswitch.documents import Pos, Snapshot, Span
    from codeswitch.scope import ScopeRequest, estimate_scope

    ext = ".py" if args.language == "python" else ".js"
    text = make_text(args.language, args.lines)
    path = Path("/bench/big" + ext)
    t0 = time.perf_counter()
    snap = Snapshot.from_text(text, path=path, uri=path.as_uri())
    parse_ms = (time.perf_counter() - t0) * 1000
    rng = random.Random(7)
    cursors: list[Pos] = []
    for _ in range(args.requests):
        line = rng.randrange(snap.line_count)
        width = len(snap.line(line))
        cursors.append(Pos(line, rng.choice([width, width // 2, 0]) if width else 0))

    router = None
    try:
        from codeswitch.catalog import load_catalog
        from codeswitch.config import Config
        from codeswitch.routing import Budget, Health, route

        config, catalog = Config(), load_catalog()
        health, budget, keys = Health(), Budget(), frozenset(config.providers)

        def router(scope: object) -> object:
            return route(scope, config, catalog, health, budget, keys)  # type: ignore[arg-type]
    except ImportError:
        pass

    for pos in cursors[:200]:  # warm caches (grammar, query objects)
        estimate_scope(snap, ScopeRequest("inline", Span(pos, pos)), None)
    est_us: list[float] = []
    both_us: list[float] = []
    shapes: dict[str, int] = {}
    for pos in cursors:
        req = ScopeRequest("inline", Span(pos, pos))
        t = time.perf_counter()
        scope = estimate_scope(snap, req, None)
        mid = time.perf_counter()
        if router is not None:
            router(scope)
        end = time.perf_counter()
        est_us.append((mid - t) * 1e6)
        both_us.append((end - t) * 1e6)
        shapes[scope.inline_shape or "-"] = shapes.get(scope.inline_shape or "-", 0) + 1

    print(f"file: {snap.line_count} lines of {args.language}, {len(text)} chars; "
          f"snapshot with full parse {parse_ms:.1f} ms")
    print(f"inline requests: {len(cursors)}  shapes: {dict(sorted(shapes.items()))}")
    print(f"estimate_scope  median {statistics.median(est_us):7.1f} us   p99 {pct(est_us, 99):7.1f} us"
          f"   max {max(est_us):7.1f} us")
    if router is not None:
        print(f"estimate+route  median {statistics.median(both_us):7.1f} us   p99 {pct(both_us, 99):7.1f} us"
              f"   max {max(both_us):7.1f} us")
    else:
        print("route: codeswitch.routing not available, estimate only")
    edit_us: list[float] = []
    edit_both_us: list[float] = []
    index, tmp = _workspace(text, ext)
    try:
        big = Path(tmp) / ("big" + ext)
        esnap = Snapshot.from_text(text, path=big, uri=big.as_uri())
        instructions = ("fix the off-by-one here", "add a retries parameter", "rename run to execute",
                        "Handle empty input in helper_3 (#412)", "use the new connection pool")
        for i, pos in enumerate(cursors[:2000]):
            req = ScopeRequest("edit", Span(pos, pos), instructions[i % len(instructions)])
            t = time.perf_counter()
            scope = estimate_scope(esnap, req, index)
            mid = time.perf_counter()
            if router is not None:
                router(scope)
            end = time.perf_counter()
            edit_us.append((mid - t) * 1e6)
            edit_both_us.append((end - t) * 1e6)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"edit requests   median {statistics.median(edit_us):7.1f} us   p99 {pct(edit_us, 99):7.1f} us"
          f"   (learned decision, index of {len(index)} files)")
    if router is not None:
        print(f"edit+route      median {statistics.median(edit_both_us):7.1f} us   "
              f"p99 {pct(edit_both_us, 99):7.1f} us")
    budget_ok = pct(both_us, 99) < 500
    print(f"budget (inline estimate+route p99 < 0.5 ms): {'met' if budget_ok else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
