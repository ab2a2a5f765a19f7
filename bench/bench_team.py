"""Wall time and tokens of a workspace refactor by the agent team, sequential vs parallel teammates.

    .venv/bin/python bench/bench_team.py [--sizes 3,6,12] [--time-scale 1.0]

A synthetic workspace where ``fetch_orders`` is defined once and called from N files; the team
renames it: the lead looks up the references, assigns one task per file, and approves the diff;
each teammate makes its edits in one turn and says done in the next. The model is Claude Opus 4.6
on the loopback emulator with its ``opus`` latency profile (1.2 s to the first token, 60 tokens/s),
called through the real Dispatcher over HTTP. For each N the same run is timed with teammates one
at a time (``max_teammates = 1``), three at a time (the default) and all at once (``= N``), and
every run's result is checked (N + 1 files renamed). Tokens are what the emulator reported
(its estimates: request bytes / 4 in, reply pieces out) and dollars are at Opus prices.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from codeswitch.catalog import load_catalog
from codeswitch.config import Config, TeamConfig
from codeswitch.dispatch import Dispatcher
from codeswitch.providers import make_provider
from codeswitch.routing import Budget, Health, route
from codeswitch.scope.index import WorkspaceIndex
from codeswitch.team import Caps, Overlay, Team, TeamRuntime
from codeswitch.testing import PROFILES, Conversations, Emulator, Reply, ToolCall
from codeswitch.testing.conversation import rename_edits

OPUS = "claude-opus-4-6"
OLD, NEW = "fetch_orders", "load_orders"


class _Workspace:
    scope = "workspace"
    context_tokens = 0
    confidence = 1.0


def make_workspace(root: Path, n: int) -> list[str]:
    """core.py defines OLD; n modules call it. Returns every file that mentions OLD."""
    (root / "core.py").write_text(f"def {OLD}(customer: str) -> list[str]:\n    return [customer]\n")
    files = ["core.py"]
    for i in range(n):
        name = f"mod{i:02d}.py"
        (root / name).write_text(f"from core import {OLD}\n\n\ndef report_{i}(c: str) -> int:\n"
                                 f"    orders = {OLD}(c)\n    return len(orders) + {i}\n")
        files.append(name)
    return files


def script(root: Path, files: list[str]) -> Conversations:
    conv = Conversations()
    tasks = [{"files": [f], "instruction": f"rename {OLD} to {NEW}"} for f in files]
    conv.add("[codeswitch-team:lead]", Reply(tool_calls=[ToolCall("find_references", {"name": OLD})]),
             Reply(tool_calls=[ToolCall("assign_tasks", {"tasks": tasks})]),
             Reply(tool_calls=[ToolCall("approve", {"summary": "renamed"})]))
    for n, f in enumerate(files, 1):
        conv.add(f"[codeswitch-team:teammate {n}]",
                 Reply(tool_calls=rename_edits(f, (root / f).read_text(), OLD, NEW)),
                 Reply(tool_calls=[ToolCall("done", {"summary": f"renamed in {f}"})]))
    return conv


async def run_once(emu: Emulator, root: Path, files: list[str], concurrency: int) -> tuple[float, Caps]:
    catalog = load_catalog()
    dispatcher = Dispatcher(Config(), catalog, None,
                            lambda m: make_provider(m.provider, m.api, emu.base_url(m.api), "bench-key"))
    emu.reset()
    emu.respond(OPUS, script(root, files))
    emu.set_profile(OPUS, PROFILES["opus"])
    decision = route(_Workspace(), Config(), catalog, Health(), Budget(), frozenset({"anthropic"}))
    caps = Caps(TeamConfig(max_teammates=concurrency))
    index = WorkspaceIndex(root)
    index.build(root)
    team = Team(TeamRuntime(dispatcher, decision, caps, "bench", 4096), Overlay([root]), index,
                f"rename {OLD} to {NEW} everywhere", concurrency=concurrency)
    t0 = time.perf_counter()
    result = await team.run()
    wall = time.perf_counter() - t0
    await dispatcher.aclose()
    got = sorted(c.rel for c in result.changes)
    assert got == sorted(files), got
    assert all(c.new_text == (root / c.rel).read_text().replace(OLD, NEW) for c in result.changes)
    return wall, caps


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="3,6,12", help="numbers of calling files")
    ap.add_argument("--time-scale", type=float, default=1.0,
                    help="scale the latency profile (0.1 = 10x faster)")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    print(f"team rename over N caller files (+ the defining file), {OPUS} on the emulator, "
          f"profile opus (ttft {PROFILES['opus'].ttft_s}s, {PROFILES['opus'].tokens_per_second:.0f} tok/s)"
          f" x time scale {args.time_scale}")
    head = (f"{'N':>3} {'teammates at once':>18} {'wall s':>8} {'speedup':>8} {'calls':>6} "
            f"{'tokens in':>10} {'tokens out':>10} {'cost $':>8}")
    print(head)
    print("-" * len(head))
    async with Emulator(time_scale=args.time_scale) as emu:
        for n in sizes:
            with tempfile.TemporaryDirectory() as tmp:
                root = Path(tmp)
                files = make_workspace(root, n)
                base: float | None = None
                modes = (("1 (sequential)", 1), ("3 (default)", 3), (f"{n + 1} (all)", n + 1))
                for label, concurrency in modes:
                    wall, caps = await run_once(emu, root, files, concurrency)
                    base = base or wall
                    tin = sum(a.input_tokens for a in caps.agents.values())
                    tout = sum(a.output_tokens for a in caps.agents.values())
                    print(f"{n:>3} {label:>18} {wall:>8.2f} {base / wall:>7.2f}x {caps.calls:>6} {tin:>10} "
                          f"{tout:>10} {caps.cost_usd:>8.4f}")


if __name__ == "__main__":
    asyncio.run(main())
