"""Inline completions under realistic typing, against the loopback emulator.

    .venv/bin/python bench/bench_inline.py [--chars 120] [--n 150]

Two phases, one run, printed figures only (nothing asserted):

1. Server-added latency. A zero-latency emulator ("instant" profile) answers every model call;
   each sample is one keystroke (didChange) plus one inlineCompletion round trip at a fresh
   position (a cache miss, so a real model call), then one more keystroke that types the
   suggestion's first character plus its request (a type-through cache hit). The same workload
   runs against the bare pygls echo server of bench/echo_server.py (pygls's own incremental sync,
   inline requests answered at once with an empty list). Reported per file size (100 and 50k lines): median /
   p99 of each, the difference of the medians, and the time around the model call.
2. Typing sessions. Real source files from tests/fixtures are typed character by character
   (60 ms between keys, a pause at word and line ends); like Neovim, a request goes out 200 ms
   after the last key of a pause, and the didChange batch is flushed right before it. The
   emulator runs at Spark speed ("spark" profile: 50 ms to first token, 1000 tok/s) and answers
   with the file's real continuation, so typing on after a pause goes through the suggestion as
   a user who accepts it by typing would. Reported: requests, upstream model calls per 100
   keystrokes, cache hit rate (requests answered without a model call), requests cancelled by
   supersession, and output tokens streamed for requests that were then cancelled (wasted).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import echo_server  # bench/echo_server.py (scripts run with bench/ on sys.path)
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.client import LanguageClient

from codeswitch import trust
from codeswitch.testing import Emulator, LatencyProfile, RecordedRequest, Reply

ROOT = Path(__file__).resolve().parents[1]
SPARK = "gpt-5.3-codex-spark"
FILES = [("python", "tests/fixtures/python/inventory.py"),
         ("typescript", "tests/fixtures/typescript/users.ts"),
         ("go", "tests/fixtures/go/queue.go"), ("rust", "tests/fixtures/rust/stack.rs")]
KEY_GAP_S = 0.06
DEBOUNCE_S = 0.2
def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))] if s else float("nan")


def fmt(xs: list[float]) -> str:
    return f"median {statistics.median(xs):7.2f} ms   p99 {pct(xs, 0.99):7.2f} ms   (n={len(xs)})"


def _strings(obj: object) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in _strings(v)]
    if isinstance(obj, list):
        return [s for v in obj for s in _strings(v)]
    return []


def continuation(full: str) -> Callable[[RecordedRequest], Reply]:
    """An emulator responder answering with the file's real text after the prompt's prefix."""

    def respond(req: RecordedRequest) -> Reply:
        for text in _strings(req.body):
            start, end = text.find("<|prefix|>"), text.find("<FILL><|suffix|>")
            if start < 0 or end < 0:
                continue
            tail = text[start + len("<|prefix|>"):end][-60:]
            at = full.find(tail)
            if at >= 0:
                line = full[at + len(tail):].split("\n", 1)[0]
                return Reply(f"<FILL>{line[:60]}</FILL>")
        return Reply("<FILL></FILL>")

    return respond


@dataclass
class Client:
    lc: LanguageClient
    version: int = 1
    uri: str = ""

    @classmethod
    async def start(cls, cmd: list[str], env: dict[str, str], root: Path, options: object) -> Client:
        trust.add(root, env)  # the client's settings point the provider at the emulator
        lc = LanguageClient("bench", "0")
        lc.feature("codeswitch/status")(lambda _params: None)
        await lc.start_io(cmd[0], *cmd[1:], env=env)
        caps = types.ClientCapabilities(text_document=types.TextDocumentClientCapabilities(
            inline_completion=types.InlineCompletionClientCapabilities()))
        await lc.initialize_async(types.InitializeParams(capabilities=caps, root_uri=root.as_uri(),
                                                         initialization_options=options))
        lc.initialized(types.InitializedParams())
        return cls(lc)

    def open(self, uri: str, language: str, text: str) -> None:
        self.uri, self.version = uri, 1
        self.lc.text_document_did_open(types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)))

    def change(self, edits: list[tuple[int, int, str]]) -> None:
        self.version += 1
        changes: list[types.TextDocumentContentChangeEvent] = [
            types.TextDocumentContentChangePartial(
                range=types.Range(types.Position(r, c), types.Position(r, c)), text=t)
            for r, c, t in edits]
        self.lc.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version), changes))

    async def inline(self, line: int, character: int) -> object:
        return await self.lc.text_document_inline_completion_async(types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(self.uri), position=types.Position(line, character),
            context=types.InlineCompletionContext(types.InlineCompletionTriggerKind.Automatic)))

    async def stop(self) -> None:
        await self.lc.shutdown_async(None)
        self.lc.exit(None)
        await self.lc.stop()  # type: ignore[no-untyped-call]


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env.update(OPENAI_API_KEY="sk-bench-not-a-key", XDG_CONFIG_HOME=str(tmp / "c"),
               XDG_DATA_HOME=str(tmp / "d"))
    return env


async def latency(emu: Emulator, tmp: Path, n: int, lines: int) -> None:
    doc = "\n".join(f"value_{i} = compute({i})" for i in range(lines)) + "\n"
    emu.default_reply = Reply("<FILL> + 1</FILL>")
    options = {"providers": {"openai": {"base_url": emu.base_url("openai_responses")}}}
    results: dict[str, list[float]] = {}
    servers = (("echo", echo_server.command()), ("codeswitch", [sys.executable, "-m", "codeswitch", "serve"]))
    for name, cmd in servers:
        root = tmp / f"{name}-{lines}"
        root.mkdir()
        client = await Client.start(cmd, _env(tmp), root, options)
        client.open((root / "a.py").as_uri(), "python", doc)
        misses: list[float] = []
        hits: list[float] = []
        around: list[float] = []
        appended: dict[int, int] = {}
        for i in range(n + 10):
            row = (i * 7919) % lines if lines > 100 else i % 100
            col = len(f"value_{row} = compute({row})") + appended.get(row, 0)
            appended[row] = appended.get(row, 0) + 2
            before = len(emu.requests)
            t0 = time.monotonic()  # the emulator stamps requests with the same clock
            client.change([(row, col, " ")])
            await client.inline(row, col + 1)  # a miss: the suggestion " + 1" comes from the model
            t1 = time.monotonic()
            client.change([(row, col + 1, " ")])  # the user types the suggestion's first character
            await client.inline(row, col + 2)  # type-through: "+ 1" from the cache
            t2 = time.monotonic()
            if i < 10:  # warm-up
                continue
            misses.append((t1 - t0) * 1000)
            hits.append((t2 - t1) * 1000)
            if len(emu.requests) == before + 1:
                rec = emu.requests[-1]
                if rec.finished_at is not None:
                    # request in -> provider request out, plus last token in -> response out
                    around.append(((rec.received_at - t0) + (t1 - rec.finished_at)) * 1000)
        results[name] = misses
        if name == "codeswitch":
            results["codeswitch type-through hit"] = hits
            results["codeswitch around the model call"] = around
        await client.stop()
    print(f"Server-added latency, zero-latency provider, {lines}-line file, keystroke + inline round trip:")
    for name, xs in results.items():
        print(f"  {name:34s} {fmt(xs)}")
    added = statistics.median(results["codeswitch"]) - statistics.median(results["echo"])
    print(f"  server-added (median difference, includes the loopback model call): {added:.2f} ms")
    print("  ('around the model call' = client send -> provider request in, plus provider done -> "
          "client receive;\n   it includes the keystroke's didChange and the client's own send/receive, "
          "like the echo figure)")


@dataclass
class SessionStats:
    keystrokes: int = 0
    requests: int = 0
    cancelled: int = 0
    answered: int = 0
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


async def _request(client: Client, line: int, col: int, stats: SessionStats) -> None:
    stats.requests += 1
    try:
        await client.inline(line, col)
        stats.answered += 1
    except JsonRpcException as exc:
        if exc.code == -32800:
            stats.cancelled += 1
        else:
            raise


async def typing(emu: Emulator, tmp: Path, chars: int, seed: int, label: str) -> None:
    rng = random.Random(seed)
    options = {"providers": {"openai": {"base_url": emu.base_url("openai_responses")}}}
    root = tmp / f"typing-{label.split()[0]}"
    root.mkdir()
    client = await Client.start([sys.executable, "-m", "codeswitch", "serve"], _env(tmp), root, options)
    stats = SessionStats()
    for language, rel in FILES:
        full = (ROOT / rel).read_text(encoding="utf-8")
        emu.respond(SPARK, continuation(full))
        # type a stretch from the middle of the file: the text before it is already there
        start = full.find("\n", len(full) // 3) + 1
        typed = full[start:start + chars]
        before, after = full[:start], full[start + chars:]
        client.open((root / Path(rel).name).as_uri(), language, before + after)
        line, col = before.count("\n"), 0
        pending: list[tuple[int, int, str]] = []
        for i, ch in enumerate(typed):
            pending.append((line, col, ch))
            stats.keystrokes += 1
            if ch == "\n":
                line, col = line + 1, 0
            else:
                col += 1
            pause = ch in " \n(.:," and rng.random() < 0.6
            gap = rng.uniform(0.25, 0.6) if pause else KEY_GAP_S * rng.uniform(0.6, 1.4)
            if gap > DEBOUNCE_S or i == len(typed) - 1:
                await asyncio.sleep(DEBOUNCE_S)
                client.change(pending)  # Neovim flushes its batched didChange right before the request
                pending = []
                stats.tasks.append(asyncio.create_task(_request(client, line, col, stats)))
                await asyncio.sleep(gap - DEBOUNCE_S)
            else:
                await asyncio.sleep(gap)
        if pending:
            client.change(pending)
        await asyncio.gather(*stats.tasks)
        stats.tasks.clear()
    await client.stop()
    upstream = [r for r in emu.requests if r.model == SPARK]
    wasted = sum(r.tokens_sent for r in upstream if r.disconnected_at is not None)
    served_tokens = sum(r.tokens_sent for r in upstream if r.disconnected_at is None)
    hits = stats.requests - len(upstream)
    print(f"Typing sessions ({len(FILES)} files x {chars} characters, {label} emulator, "
          "200 ms debounce):")
    print(f"  keystrokes {stats.keystrokes}, inline requests {stats.requests}, "
          f"upstream model calls {len(upstream)}")
    print(f"  upstream requests per 100 keystrokes: {100 * len(upstream) / max(stats.keystrokes, 1):.1f}")
    print(f"  cache hit rate (answered without a model call): {hits / max(stats.requests, 1):.0%}")
    print(f"  superseded requests answered -32800: {stats.cancelled}; upstream streams closed early: "
          f"{sum(r.disconnected_at is not None for r in upstream)}")
    print(f"  output tokens wasted on superseded requests: {wasted} (vs {served_tokens} streamed for "
          f"served ones)")


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=150, help="latency samples per server")
    ap.add_argument("--chars", type=int, default=120, help="characters typed per file")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--lines", type=int, nargs="+", default=[100, 50_000], help="file sizes for phase 1")
    ap.add_argument("--slow", action="store_true", help="also replay against a slow model (supersession)")
    args = ap.parse_args()
    loop_errors: list[str] = []
    # count (not print) errors the emulator's connection handlers raise, and report them once
    asyncio.get_running_loop().set_exception_handler(
        lambda _loop, ctx: loop_errors.append(str(ctx.get("exception"))))
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        async with Emulator() as emu:
            for lines in args.lines:
                await latency(emu, tmp, args.n, lines)
        profiles = [("Spark-speed", LatencyProfile(0.05, 1000.0))]
        if args.slow:
            profiles.append(("slow-model (600 ms to first token, 150 tok/s)", LatencyProfile(0.6, 150.0)))
        for label, profile in profiles:
            async with Emulator(profile=profile) as emu:
                await typing(emu, tmp, args.chars, args.seed, label)
    if loop_errors:
        print(f"  (emulator connection handler errors during the run: {len(loop_errors)}, "
              f"e.g. {loop_errors[0]})")


if __name__ == "__main__":
    asyncio.run(main())
