"""What the server adds to a function edit, apart from the model: validate, diff, rebase.

    .venv/bin/python bench/bench_edit.py [--n 30]

For Python files of 100, 10k and 50k lines with the edited function in the middle, prints the
median and p99 of:
- apply: the search/replace answer applied inside the anchor (`EditEngine.apply`: parse, apply,
  the outside-anchor check, and the syntax check, which re-parses the whole file before and after);
- region edits: the minimal TextEdits the request returns (`region_edits`, the anchor's lines);
- minimal_edits on the whole file (common head and tail lines skipped before difflib);
- rebase: `onto` after the user inserted a line at the top of the file meanwhile;
- unified diff: the `diff` the result carries;
and, for comparison in the same run (100 and 10k lines; it grows quadratically on this file of
repeated lines), plain `difflib` on all lines of the file, what a naive whole-file diff costs.
"""

from __future__ import annotations

import argparse
import difflib
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from codeswitch.documents import Pos, Snapshot, Span
from codeswitch.edits import minimal_edits, split_lines, unified_diff
from codeswitch.features.edit import EditEngine, EditOutcome, onto, region_edits, target_for


def make_file(lines: int) -> tuple[str, int]:
    """A file of small functions; returns (text, first line of the function in the middle)."""
    chunk = ["def f{i}(a, b):", "    x = a + b", "    if x > {i}:", "        return x * 2", "    return x",
             ""]
    rows: list[str] = []
    i = 0
    while len(rows) < lines:
        rows.extend(r.format(i=i) for r in chunk)
        i += 1
    mid = (len(rows) // 2) // len(chunk) * len(chunk)
    return "\n".join(rows[:lines]) + "\n", mid


def timed(fn: Callable[[], object], n: int) -> tuple[float, float]:
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def measure(lines: int, n: int) -> None:
    text, mid = make_file(lines)
    snap = Snapshot.from_text(text, uri="file:///b/m.py", path=Path("/b/m.py"), language_id="python")
    anchor = Span(Pos(mid, 0), Pos(mid + 4, len(snap.line(mid + 4))))
    target = target_for(snap, anchor, Span(Pos(mid + 1, 4), Pos(mid + 1, 4)), "function", "f")
    answer = "<<<<<<< SEARCH\n    x = a + b\n=======\n    x = a - b\n>>>>>>> REPLACE\n"
    engine = EditEngine()
    new = engine.apply(snap, target, answer, None)
    outcome = EditOutcome(snap.version, text, new, region_edits(text, new, target), target)
    typed = "import os\n" + text
    old_lines, new_lines = split_lines(text), split_lines(new)
    rows: list[tuple[str, Callable[[], object]]] = [
        ("apply (validated)", lambda: engine.apply(snap, target, answer, None)),
        ("region edits", lambda: region_edits(text, new, target)),
        ("minimal_edits (file)", lambda: minimal_edits(text, new)),
        ("rebase (typed above)", lambda: onto(outcome, snap.version + 1, typed)),
        ("unified diff", lambda: unified_diff("m.py", text, new)),
    ]
    if lines <= 10_000:
        rows.append(("baseline: difflib lines", lambda: difflib.SequenceMatcher(
            None, old_lines, new_lines, autojunk=False).get_opcodes()))
    for name, fn in rows:
        med, p99 = timed(fn, n)
        print(f"{lines:>7} {name:<24} {med:>10.2f} {p99:>10.2f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=30)
    args = ap.parse_args()
    print(f"{'lines':>7} {'step':<24} {'median ms':>10} {'p99 ms':>10}")
    for lines in (100, 10_000, 50_000):
        measure(lines, args.n)


if __name__ == "__main__":
    main()
