"""Keystroke cost: keeping a document in sync, codeswitch vs a bare pygls echo server.

    .venv/bin/python bench/bench_sync.py [--n 200] [--lines 100 10000 50000]

Workload, per keystroke: one didChange inserting one character (typing an identifier inside a
method in the middle of the file), then one textDocument/inlineCompletion round trip at the new
cursor. Both servers run over stdio in the same run and are driven alternately, keystroke by
keystroke, so load on the machine falls on both alike. Printed per file size (100, 10k, 50k lines
of ordinary Python: classes with methods): median and p99 of each server, and the ratio the
design budget is about, "codeswitch at 50k lines vs the echo server at 100 lines" (goal: 1.5x
or less, DESIGN.md "Budgets a user feels"). Nothing is asserted.

The baseline is bench/echo_server.py: pygls's own incremental sync (its document store rebuilds
the text on every change) and inline requests answered at once with an empty list.

How codeswitch answers without a model call: it starts with no provider key at all (and no local
provider in the inline chain), so its inline request runs the whole path up to the dispatcher
(snapshot of the synced document, cache lookup, scope estimate on the tree-sitter tree, which
makes it pay the reparse this keystroke caused, and routing) and then answers an empty list
because no model can be called. That is what a keystroke costs codeswitch before any network
I/O, which is what the budget is about; a zero-latency emulator would add a loopback HTTP call
and prompt building, which bench/bench_inline.py measures. The last route is printed at the end
to show that no model was chosen.

A third server, "codeswitch sync only", gets the same didChange followed by codeswitch/lastRoute
(answered from memory, no document access): the difference to the inline column is what the
inline path adds on top of keeping the text in sync (mostly the tree-sitter reparse it triggers).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import echo_server  # bench/echo_server.py (scripts run with bench/ on sys.path)
from bench_inline import Client, fmt

BLOCK = '''class Item{i}:
    """One item of the inventory."""

    def __init__(self, value: int) -> None:
        self.value = value

    def total(self, other: int) -> int:
        result = self.value + other
        return result

'''
BLOCK_LINES = BLOCK.count("\n")
TYPING_LINE = 7  # `        result = self.value + other` in a block: letters are appended to `other`
LETTERS = "abcdefghijklmnopqrstuvwxyz"
LAST_ROUTE = "codeswitch/lastRoute"
SYNC_ONLY = "codeswitch sync only"


def document(lines: int) -> tuple[str, int, int]:
    """(text of about `lines` lines, the line typed on, its length) with the typing in the middle."""
    blocks = max(1, lines // BLOCK_LINES)
    text = "".join(BLOCK.format(i=i) for i in range(blocks))
    row = (blocks // 2) * BLOCK_LINES + TYPING_LINE
    return text, row, len(text.split("\n")[row])


@dataclass
class Typist:
    """One server, its open document and where the cursor is."""

    name: str
    client: Client
    row: int
    col: int
    sync_only: bool = False  # follow the didChange with codeswitch/lastRoute instead of inline
    samples: list[float] = field(default_factory=list)

    async def keystroke(self, ch: str, record: bool) -> None:
        t0 = time.perf_counter()
        self.client.change([(self.row, self.col, ch)])
        self.col += 1
        if self.sync_only:  # answered from memory: what remains is the didChange (and a round trip)
            await self.client.lc.protocol.send_request_async(LAST_ROUTE, None)
        else:
            await self.client.inline(self.row, self.col)
        if record:
            self.samples.append((time.perf_counter() - t0) * 1000)


def _env(tmp: Path) -> dict[str, str]:
    """No provider keys or endpoints: codeswitch has no model to call."""
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env.update(XDG_CONFIG_HOME=str(tmp / "config"), XDG_DATA_HOME=str(tmp / "data"))
    return env


async def run_size(tmp: Path, lines: int, n: int, warmup: int) -> tuple[dict[str, list[float]], object]:
    text, row, col = document(lines)
    typists: list[Typist] = []
    serve = [sys.executable, "-m", "codeswitch", "serve"]
    for name, cmd in (("echo", echo_server.command()), ("codeswitch", serve), (SYNC_ONLY, serve)):
        root = tmp / f"{name.split()[0]}-{lines}-{len(typists)}"
        root.mkdir()
        (root / "inventory.py").write_text(text, encoding="utf-8")
        client = await Client.start(cmd, _env(tmp), root, {"inline": {"debounce_ms": 0}})
        client.open((root / "inventory.py").as_uri(), "python", text)
        typists.append(Typist(name, client, row, col, sync_only=name == SYNC_ONLY))
    for i in range(warmup + n):
        for t in typists:
            await t.keystroke(LETTERS[i % len(LETTERS)], record=i >= warmup)
    codeswitch = typists[1].client
    route = await codeswitch.lc.protocol.send_request_async(LAST_ROUTE, None)
    for t in typists:
        await t.client.stop()
    return {t.name: t.samples for t in typists}, route


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--n", type=int, default=200, help="measured keystrokes per server and size")
    ap.add_argument("--warmup", type=int, default=20, help="keystrokes before measuring")
    ap.add_argument("--lines", type=int, nargs="+", default=[100, 10_000, 50_000])
    args = ap.parse_args()
    medians: dict[tuple[str, int], float] = {}
    route: object = None
    with tempfile.TemporaryDirectory() as d:
        print(f"Keystroke = didChange (one character) + inlineCompletion round trip, n={args.n} per cell")
        for lines in args.lines:
            results, route = await run_size(Path(d), lines, args.n, args.warmup)
            actual = document(lines)[0].count("\n")
            for name, xs in results.items():
                medians[(name, lines)] = statistics.median(xs)
                print(f"  {actual:6d} lines  {name:20s}  {fmt(xs)}")
    first, last = args.lines[0], args.lines[-1]
    for name in ("codeswitch", SYNC_ONLY):
        ratio = medians[(name, last)] / medians[("echo", first)]
        print(f"{name} at {last} lines vs echo at {first} lines (medians): {ratio:.2f}x (goal: <= 1.5x)")
    for lines in args.lines:
        echo, ours = medians[("echo", lines)], medians[("codeswitch", lines)]
        print(f"  {lines:6d} lines: codeswitch / echo = {ours / echo:.2f}x")
    print(f"last inline route of codeswitch (no model was chosen): {route}")


if __name__ == "__main__":
    asyncio.run(main())

