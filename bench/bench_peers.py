"""codeswitch side by side with tabby-agent and the Copilot language server, per keystroke.

    .venv/bin/python bench/bench_peers.py [--keys 200] [--lines 100 10000 50000] [--runs 1]
                                          [--drift 1000] [--drift-sessions 3] [--stock-keys 20]
                                          [--peers-dir DIR] [--no-install]

Each keystroke is an incremental ``didChange`` (one character typed into a line in the middle
of the file, starting ``--settle`` seconds after it was opened) followed by a completion request
at the new cursor, answered before the next key; the time of that round trip is what is
reported (median and p99 ms, and the server's peak RSS). Every key makes one model call to a
zero-latency loopback backend (``peer_backends.py``, its own process, the same small HTTP server
for every client): completions start with a character the benchmark never types and the typed
lines never repeat, so no server answers from its cache, and "calls/key" shows that each one
did call. Servers, all with their debounce at 0:

- ``echo``: a bare pygls server answering at once (bench/echo_server.py): the floor;
- ``codeswitch``: ``codeswitch serve`` with an OpenAI key, its endpoint pointed at the backend;
- ``codeswitch (no model call)``: the same without any key (nothing to call: the server's own
  cost per keystroke, compared with the echo floor at 100 lines);
- ``tabby-agent`` 1.5.0 (``textDocument/completion``, its only completion method in LSP mode),
  ``[completion.debounce] mode = "fixed", interval = 0``;
- ``Copilot LS`` 1.539.0 (``textDocument/inlineCompletion``), experiment ``copilotcompletionsdelay = 0``.

The peers are installed with npm into ``--peers-dir`` (default ``~/.cache/codeswitch-bench/peers``,
outside the repository) unless already there; a peer that cannot be installed or started is
skipped with the reason. Then, separately: the peers with their stock debounce (tabby adaptive,
Copilot's 200 ms delay), and codeswitch's drift over ``--drift`` keys (median of the first 100
keys against the last 100). Nothing leaves loopback. Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lsp_stdio import LspError, StdioClient
from peer_servers import (
    COPILOT_BIN,
    COPILOT_PKG,
    PROFILE_DIR,
    TABBY_JS,
    TABBY_PKG,
    Server,
    counts,
    install,
    servers,
    set_copilot_delay,
)

from codeswitch import trust

BENCH = Path(__file__).resolve().parent
WARMUP = 10
#: seconds between didOpen and the first key (--settle)
SETTLE_S = [3.0]


@dataclass
class Result:
    times: list[float]
    calls: int
    rss_mb: float | None
    error: str | None = None
    cpu: list[float] = field(default_factory=list)  # server CPU ms per key

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def cpu_mean(self) -> float:
        """Server CPU ms per key, averaged (a single key is below the clock tick)."""
        return sum(self.cpu) / len(self.cpu) if self.cpu else float("nan")

    def p99(self) -> float:
        s = sorted(self.times)
        return s[min(len(s) - 1, int(0.99 * len(s)))]


def typed_text(keys: int) -> str:
    """What the benchmark types, one character a key: lines that never repeat (so the text around
    the cursor is new at every key), without a "Q" (every completion starts with one)."""
    rows: list[str] = []
    size = 0
    while size < keys:
        rows.append(f"total_{len(rows)} = value_{len(rows)} + compute({len(rows)}) * rate\n")
        size += len(rows[-1])
    return "".join(rows)


def document(lines: int, typed: str = "") -> tuple[str, int, int]:
    """The file, and the cursor (row, column) in it, once ``typed`` is typed at its middle line."""
    rows = [f"value_{i} = compute({i})" for i in range(lines)]
    mid = lines // 2
    head = typed.split("\n")
    rows[mid:mid + 1] = head
    return "\n".join(rows) + "\n", mid + len(head) - 1, len(head[-1])


CAPS = {"textDocument": {"inlineCompletion": {}, "completion": {"completionItem": {"snippetSupport": False}},
                         "synchronization": {"dynamicRegistration": False}},
        "workspace": {"configuration": True, "workspaceFolders": True},
        "general": {"positionEncodings": ["utf-16"]}}


async def measure(server: Server, root: Path, lines: int, keys: int, ports: dict[str, int],
                  on_key: Callable[[int, float], None] | None = None, typed_before: int = 0) -> Result:
    """``keys`` keystrokes (after WARMUP more); ``typed_before``: characters already typed into
    the file when it is opened (the same text a session that typed them would have)."""
    root.mkdir(parents=True, exist_ok=True)
    env = dict(server.env)
    if server.name.startswith("codeswitch"):
        trust.add(root, env)  # the workspace's settings may point the provider at the emulator
    try:
        client = await StdioClient.start(server.cmd, env, cwd=str(root))
    except OSError as exc:
        return Result([], 0, None, f"cannot start: {exc}")
    try:
        await asyncio.wait_for(client.request("initialize", {
            "processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": CAPS,
            "workspaceFolders": [{"uri": root.as_uri(), "name": "ws"}],
            "initializationOptions": server.options}), 60)
        client.notify("initialized", {})
        typed = typed_text(typed_before + WARMUP + keys)
        text, row, col = document(lines, typed[:typed_before])
        uri = (root / "bench.py").as_uri()
        client.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1, "text": text}})
        await asyncio.sleep(SETTLE_S[0])  # each server's own work on open (parse, index) is done
        return await _type(client, server, uri, (row, col), typed[typed_before:], keys, ports, on_key)
    except (TimeoutError, LspError, ConnectionError) as exc:
        return Result([], 0, client.peak_rss_mb(), f"{type(exc).__name__}: {exc}")
    finally:
        await client.stop()


async def _type(client: StdioClient, server: Server, uri: str, at: tuple[int, int], typed: str, keys: int,
                ports: dict[str, int], on_key: Callable[[int, float], None] | None) -> Result:
    method = "textDocument/inlineCompletion" if server.method == "inline" else "textDocument/completion"
    trigger = {"triggerKind": 2} if server.method == "inline" else {"triggerKind": 1}
    row, col = at
    version, times, cpu = 1, [], []
    before = counts(ports["port"]).get(server.counter or "", 0)
    empty = 0
    for i in range(WARMUP + keys):
        if i == WARMUP:
            before = counts(ports["port"]).get(server.counter or "", 0)
        ch = typed[i]
        version += 1
        here = {"line": row, "character": col}
        c0 = client.cpu_ms()
        t0 = time.perf_counter()
        client.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"range": {"start": here, "end": here}, "text": ch}]})
        row, col = (row + 1, 0) if ch == "\n" else (row, col + 1)
        result = await asyncio.wait_for(client.request(method, {
            "textDocument": {"uri": uri}, "position": {"line": row, "character": col},
            "context": trigger}), 120)
        elapsed = (time.perf_counter() - t0) * 1000
        used = client.cpu_ms() - c0
        items = result.get("items", []) if isinstance(result, dict) else (result or [])
        if i >= WARMUP:
            times.append(elapsed)
            cpu.append(used)
            empty += not items
            if on_key is not None:
                on_key(i - WARMUP, elapsed)
    calls = counts(ports["port"]).get(server.counter or "", 0) - before
    res = Result(times, calls, client.peak_rss_mb(), cpu=cpu)
    if server.counter is not None and empty:
        res.error = f"{empty} of {keys} keys got no completion"
    return res


def fmt_cell(r: Result | None) -> str:
    if r is None:
        return "skipped"
    if not r.times:
        return f"failed ({r.error})"
    rss = f"{r.rss_mb:.0f} MB" if r.rss_mb is not None else "? MB"
    return f"{r.median:.2f} ({rss})"


async def run(args: argparse.Namespace) -> None:
    skip: dict[str, str] = {}
    for name, pkg, entry in (("tabby-agent", TABBY_PKG, TABBY_JS), ("Copilot LS", COPILOT_PKG, COPILOT_BIN)):
        why = install(args.peers_dir, pkg, entry, not args.no_install)
        if name.lower().split()[0] in args.skip or name.lower().split("-")[0] in args.skip:
            skip[name] = "--skip"
        elif why is not None:
            skip[name] = why
    backend = await asyncio.create_subprocess_exec(
        sys.executable, str(BENCH / "peer_backends.py"), stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE)
    assert backend.stdout is not None and backend.stdin is not None
    ports = json.loads(await backend.stdout.readline())
    try:
        with tempfile.TemporaryDirectory(prefix="bench-peers-") as d:
            await _report(args, Path(d), ports, skip)
    finally:
        backend.stdin.close()
        await backend.wait()


async def _report(args: argparse.Namespace, tmp: Path, ports: dict[str, int], skip: dict[str, str]) -> None:
    load = os.getloadavg()
    print(f"bench_peers: {args.keys} keys per run, {args.runs} run(s), {os.cpu_count()} CPUs, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    for name, why in skip.items():
        print(f"  {name}: skipped ({why})")
    set_copilot_delay(ports["port"], 0)
    table: dict[tuple[str, int], list[Result]] = {}
    names: list[str] = []
    for run_no in range(args.runs):
        for lines in args.lines:
            for server in servers(tmp, ports, args.peers_dir, skip):
                names = names if server.name in names else [*names, server.name]
                root = tmp / f"r{run_no}-{lines}-{server.name.split()[0]}"
                res = await measure(server, root, lines, args.keys, ports)
                table.setdefault((server.name, lines), []).append(res)
    _print_table(args, table, names)
    if args.stock_keys:
        await _stock(args, tmp, ports, skip)
    if args.drift:
        await _drift(args, tmp, ports)


def _pick(results: list[Result]) -> Result:
    """The run with the median median (several runs)."""
    ok = [r for r in results if r.times] or results
    return sorted(ok, key=lambda r: r.median if r.times else 0.0)[len(ok) // 2]


def _print_table(args: argparse.Namespace, table: dict[tuple[str, int], list[Result]],
                 names: list[str]) -> None:
    print("\nPer keystroke (didChange + completion request), a model call on every key, debounce 0: "
          "median ms (peak RSS)")
    print("| lines | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for lines in args.lines:
        cells = [fmt_cell(_pick(table[(n, lines)]) if (n, lines) in table else None) for n in names]
        print(f"| {lines} | " + " | ".join(cells) + " |")
    print("\nRatios to codeswitch (median / codeswitch's median; > 1: codeswitch is faster), p99, "
          "model calls per key:")
    for lines in args.lines:
        cs = _pick(table[("codeswitch", lines)])
        parts = []
        for n in names:
            r = _pick(table[(n, lines)]) if (n, lines) in table else None
            if r is None or not r.times or not cs.times:
                continue
            calls = f", {r.calls / len(r.times):.2f} calls/key" if r.calls or n in ("codeswitch",) else ""
            note = f", {r.error}" if r.error else ""
            parts.append(f"{n} {r.median / cs.median:.2f}x (p99 {r.p99():.2f}, server CPU "
                         f"{r.cpu_mean:.2f} ms/key{calls}{note})")
        print(f"  {lines} lines: " + "; ".join(parts))
    floor = table.get(("echo", min(args.lines)))
    bare = table.get(("codeswitch (no model call)", max(args.lines)))
    if floor and bare and _pick(floor).times and _pick(bare).times:
        print(f"\nWithout a model call: codeswitch at {max(args.lines)} lines {_pick(bare).median:.2f} ms = "
              f"{_pick(bare).median / _pick(floor).median:.2f}x the echo floor at {min(args.lines)} lines "
              f"({_pick(floor).median:.2f} ms)")
    if args.runs > 1:
        print("\nEach run's median (ms):")
        for (n, lines), rs in table.items():
            print(f"  {n} @ {lines}: " + ", ".join(f"{r.median:.2f}" if r.times else "-" for r in rs))


async def _stock(args: argparse.Namespace, tmp: Path, ports: dict[str, int], skip: dict[str, str]) -> None:
    set_copilot_delay(ports["port"], None)
    lines = min(args.lines)
    print(f"\nPeers with their stock debounce ({args.stock_keys} keys, {lines} lines, median ms):")
    for server in servers(tmp, ports, args.peers_dir, skip, stock=True):
        res = await measure(server, tmp / f"stock-{server.name.split()[0]}", lines, args.stock_keys, ports)
        calls = f", {res.calls / len(res.times):.2f} calls/key" if res.times else ""
        print(f"  {server.name}: {fmt_cell(res)}{calls}")
    set_copilot_delay(ports["port"], 0)


async def _drift(args: argparse.Namespace, tmp: Path, ports: dict[str, int]) -> None:
    """``--drift-sessions`` sessions of ``--drift`` keys (one session's figure swings by +-10 % on
    a shared machine; their median does not); each line compares a session's last 100 keys with
    its first 100, and with a fresh server typing the same last 100 keys into the same text
    (what the file's growth alone costs: the session typed ~25 lines into it)."""
    lines = min(args.lines)
    cs = next(s for s in servers(tmp, ports, args.peers_dir, {"tabby-agent": "", "Copilot LS": ""})
              if s.name == "codeswitch")
    print(f"\nDrift over {args.drift} keys (codeswitch, {lines} lines, a model call per key), "
          f"{args.drift_sessions} session(s):")
    changes: list[float] = []
    for run in range(args.drift_sessions):
        res = await measure(cs, tmp / f"drift-{run}", lines, args.drift, ports)
        if not res.times:
            print(f"  failed ({res.error})")
            return
        fresh = await measure(cs, tmp / f"drift-fresh-{run}", lines, 100, ports,
                              typed_before=args.drift - 100)
        first, last = statistics.median(res.times[:100]), statistics.median(res.times[-100:])
        cpu_first, cpu_last = statistics.mean(res.cpu[:100]), statistics.mean(res.cpu[-100:])
        changes.append(last / first - 1)
        versus = (f"; a fresh server on the text typed so far {fresh.median:.2f} ms "
                  f"(the session {(last / fresh.median - 1) * 100:+.1f} % from it)") if fresh.times else ""
        print(f"  first-100 median {first:.2f} ms, last-100 {last:.2f} ms ({changes[-1] * 100:+.1f} %), "
              f"server CPU per key {cpu_first:.2f} -> {cpu_last:.2f} ms, peak RSS {res.rss_mb or 0:.0f} MB, "
              f"{res.calls / len(res.times):.2f} model calls/key{versus}"
              + (f", {res.error}" if res.error else ""))
    if len(changes) > 1:
        print(f"  median change over the sessions: {statistics.median(changes) * 100:+.1f} %")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keys", type=int, default=200)
    ap.add_argument("--lines", type=int, nargs="+", default=[100, 10_000, 50_000])
    ap.add_argument("--runs", type=int, default=1,
                    help="repeat the table; the run with the median median is shown")
    ap.add_argument("--drift", type=int, default=1000, help="keys for the drift measurement (0: skip)")
    ap.add_argument("--drift-sessions", type=int, default=3, help="sessions for the drift measurement")
    ap.add_argument("--stock-keys", type=int, default=20, help="keys per peer with stock debounce (0: skip)")
    ap.add_argument("--peers-dir", type=Path, default=Path.home() / ".cache" / "codeswitch-bench" / "peers")
    ap.add_argument("--no-install", action="store_true", help="only use peers already in --peers-dir")
    ap.add_argument("--skip", nargs="*", default=[], choices=["tabby-agent", "copilot"],
                    help="leave a peer out")
    ap.add_argument("--only-codeswitch", action="store_true", help="echo and codeswitch only (profiling)")
    ap.add_argument("--settle", type=float, default=3.0, help="seconds between opening the file and typing")
    ap.add_argument("--profile", type=Path, help="run codeswitch under cProfile, writing DIR/*.prof")
    args = ap.parse_args()
    SETTLE_S[0] = args.settle
    if args.only_codeswitch:
        args.skip = ["tabby-agent", "copilot"]
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
        PROFILE_DIR.append(args.profile.resolve())
    asyncio.run(run(args))


if __name__ == "__main__":
    main()

