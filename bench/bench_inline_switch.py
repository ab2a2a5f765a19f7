"""What the inline switch adds to every inline request: the state file's `stat` and the rules.

    .venv/bin/python bench/bench_inline_switch.py [--n 20000]

`InlineSwitch.verdict` runs before anything else on each inline and completion request. Measured
here on its own, in one process, per call (median and p99 in microseconds), in four cases: no
state file; a state file that has not changed (one `stat`); a state file rewritten before every
call (the CLI or another editor's server changed it: `stat` + read + JSON); and the same rules
with three globs against a deep path (the gitignore matcher). The baseline row is the verdict with
an empty `inline.enable` and no file at all. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from codeswitch.features.inline_switch import InlineSwitch
from codeswitch.inline_enable import EnableRules

RULES = EnableRules.parse({"*": True, "markdown": False, "**/migrations/**": False, "docs/**": False,
                           "*_pb2.py": False})
PATHS = ("src/shop/billing/invoices/models.py", "/home/u/src/shop/billing/invoices/models.py")


def measure(fn: Callable[[], object], n: int) -> tuple[float, float]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        fn()
        times.append((time.perf_counter_ns() - t0) / 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000)
    n = parser.parse_args().n
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "inline-switch.json"
        plain = EnableRules()
        sw = InlineSwitch(path)
        base = measure(lambda: sw.verdict(plain, "python", PATHS[:1]), n)
        rows = [("baseline: no file, empty inline.enable", base)]
        rows.append(("no state file, 4 rules", measure(lambda: sw.verdict(RULES, "python", PATHS), n)))
        InlineSwitch(path).set_enabled(True)
        rows.append(("state file unchanged (one stat), 4 rules",
                     measure(lambda: sw.verdict(RULES, "python", PATHS), n)))
        other = InlineSwitch(path)
        times = []
        for i in range(n // 10):
            other.snooze(30 if i % 2 else 0)  # another process rewrote it (the size changes too)
            t0 = time.perf_counter_ns()
            sw.verdict(RULES, "python", PATHS)
            times.append((time.perf_counter_ns() - t0) / 1000)
        times.sort()
        rows.append(("state file rewritten before each call (stat + read)",
                     (statistics.median(times), times[int(len(times) * 0.99) - 1])))
    print(f"inline switch verdict, n = {n} per row (microseconds)")
    for name, (median, p99) in rows:
        print(f"  {name:58s} median {median:7.1f}  p99 {p99:7.1f}")


if __name__ == "__main__":
    main()
