"""Time to first ghost text with a local model: a real llama.cpp server behind ``codeswitch serve``.

    make bench-local              (installs the server and the model first)
    .venv/bin/python bench/bench_local.py [--n 40]

The server is llama-cpp-python's OpenAI-compatible server running Gemma 3 270M (Q4_K_M) on this
machine's CPU; codeswitch reaches it as a named provider of kind ``llamacpp`` over
``/v1/completions``. Each sample is one inline request at a fresh position in a real source file
(tests/fixtures), the document cut in the middle of a line as if the user were typing there, so
every request is a cache miss and a model call:
the time from sending ``textDocument/inlineCompletion`` to receiving the ghost text. The same
prompts are sent straight to the llama server too (streamed: first token and whole answer), in
alternating order so both sides get the server's prompt cache equally, with the shape, stop
sequences and token cap codeswitch picks; the difference of the medians is what codeswitch adds.
One untimed request warms the model up first. Printed figures only; nothing is asserted. Without the server
package or the model package it says so and exits 0.
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

import httpx
from lsprotocol import types
from pygls.lsp.client import LanguageClient

from codeswitch.cli.pipeline import Case, Pipeline
from codeswitch.features.prompts_inline import max_tokens_for, prefix_only_stops
from codeswitch.testing.llama_server import MODEL_ALIAS, LlamaServer, missing, model_path

ROOT = Path(__file__).resolve().parents[1]
FILES = [("python", "tests/fixtures/python/inventory.py"),
         ("typescript", "tests/fixtures/typescript/users.ts"),
         ("go", "tests/fixtures/go/queue.go"), ("rust", "tests/fixtures/rust/stack.rs")]
LOCAL = "gemma-local"
MAX_OUTPUT = 64


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))] if s else float("nan")


def fmt(xs: list[float]) -> str:
    return f"median {statistics.median(xs):7.1f} ms   p99 {pct(xs, 0.99):7.1f} ms   (n={len(xs)})"


def positions(n: int) -> list[tuple[str, str, int, int]]:
    """(language, relative path, line, character): the middle of each line with code, round-robin."""
    per_file = []
    for language, rel in FILES:
        lines = (ROOT / rel).read_text(encoding="utf-8").split("\n")
        per_file.append([(language, rel, i, len(row) // 2)
                         for i, row in enumerate(lines) if len(row.strip()) > 8])
    out: list[tuple[str, str, int, int]] = []
    while len(out) < n and any(per_file):
        for cands in per_file:
            if cands and len(out) < n:
                out.append(cands.pop(len(cands) // 2))
    return out


def write_config(home: Path, llama: LlamaServer) -> None:
    (home / "codeswitch").mkdir(parents=True, exist_ok=True)
    (home / "codeswitch" / "config.toml").write_text(
        f'[providers.gemma]\nkind = "llamacpp"\nbase_url = "{llama.base_url}"\n\n'
        f'[models.{LOCAL}]\nprovider = "gemma"\nmodel_id = "{MODEL_ALIAS}"\napi = "openai_completions"\n'
        f"context_window = 8192\nmax_output = {MAX_OUTPUT}\nprice_in = 0.0\nprice_out = 0.0\n\n"
        f'[tiers.inline]\nchain = ["{LOCAL}"]\nlatency_budget_ms = 60000\n', encoding="utf-8")


async def direct(client: httpx.AsyncClient, llama: LlamaServer, prompt: str,
                 shape: str | None) -> tuple[float, float]:
    """(first token, whole answer) in ms for the request codeswitch would send, sent to the server."""
    body = {"model": MODEL_ALIAS, "prompt": prompt, "max_tokens": min(max_tokens_for(shape, 256), MAX_OUTPUT),
            "temperature": 0.0, "stop": list(prefix_only_stops(shape)), "stream": True}
    t0 = time.perf_counter()
    first = None
    async with client.stream("POST", llama.base_url + "/completions", json=body) as reply:
        async for line in reply.aiter_lines():
            if first is None and line.startswith("data: {"):
                first = time.perf_counter()
    end = time.perf_counter()
    return ((first or end) - t0) * 1000, (end - t0) * 1000


@dataclass
class Figures:
    ghost: list[float] = field(default_factory=list)
    first_token: list[float] = field(default_factory=list)
    whole: list[float] = field(default_factory=list)
    empty: int = 0


async def one_file(llama: LlamaServer, env: dict[str, str], tmp: Path, language: str, rel: str,
                   samples: list[tuple[int, int]], figures: Figures, http: httpx.AsyncClient) -> None:
    """One server on a workspace holding only this file (so no other file's definitions join the
    prompt): per sample, the document becomes the file cut at the cursor (a user typing there)."""
    root = tmp / f"ws-{language}"
    full = (ROOT / rel).read_text(encoding="utf-8")
    path = root / Path(rel).name
    root.mkdir()
    path.write_text(full, encoding="utf-8")
    lc = LanguageClient("bench", "0")
    lc.feature("codeswitch/status")(lambda _params: None)
    await lc.start_io(sys.executable, "-m", "codeswitch", "serve", env=env)
    caps = types.ClientCapabilities(text_document=types.TextDocumentClientCapabilities(
        inline_completion=types.InlineCompletionClientCapabilities()))
    await lc.initialize_async(types.InitializeParams(capabilities=caps, root_uri=root.as_uri()))
    lc.initialized(types.InitializedParams())
    uri = path.as_uri()
    lc.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, language, 1, full)))
    pipeline = Pipeline(env=env)
    rows = full.split("\n")
    for k, (line, col) in enumerate(samples):
        cut = rows[line][:col]
        text = "\n".join([*rows[:line], cut, *rows[line + 1:]])
        path.write_text(text, encoding="utf-8")  # for the shape, as the server sees the document
        case = Case(str(root), path.name, (line, col), (line, col), kind="inline")
        shape = pipeline.run(case).scope.inline_shape
        lc.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=k + 2, uri=uri),
            [types.TextDocumentContentChangeWholeDocument(text)]))
        prompt = "\n".join([*rows[:line], cut])

        async def lsp(line: int = line, col: int = col) -> None:
            t0 = time.perf_counter()
            result = await lc.text_document_inline_completion_async(types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri), position=types.Position(line, col),
                context=types.InlineCompletionContext(types.InlineCompletionTriggerKind.Automatic)))
            figures.ghost.append((time.perf_counter() - t0) * 1000)
            items = result.items if isinstance(result, types.InlineCompletionList) else result
            figures.empty += not items

        async def raw(prompt: str = prompt, shape: str | None = shape) -> None:
            f, w = await direct(http, llama, prompt, shape)
            figures.first_token.append(f)
            figures.whole.append(w)

        for step in ((lsp, raw) if k % 2 == 0 else (raw, lsp)):
            await step()
    await lc.shutdown_async(None)
    lc.exit(None)
    await lc.stop()  # type: ignore[no-untyped-call]


async def run(n: int) -> None:
    llama = LlamaServer(model_path())
    figures = Figures()
    try:
        with tempfile.TemporaryDirectory() as tmp_dir:
            tmp = Path(tmp_dir)
            write_config(tmp / "config", llama)
            env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
            env.update(XDG_CONFIG_HOME=str(tmp / "config"), XDG_DATA_HOME=str(tmp / "data"))
            by_file: dict[tuple[str, str], list[tuple[int, int]]] = {}
            for language, rel, line, col in positions(n):
                by_file.setdefault((language, rel), []).append((line, col))
            async with httpx.AsyncClient(timeout=None, trust_env=False) as http:
                await direct(http, llama, "def main():\n", "block")  # the first call warms the model up
                for (language, rel), samples in by_file.items():
                    await one_file(llama, env, tmp, language, rel, samples, figures, http)
    finally:
        llama.stop()
    ghost, whole = figures.ghost, figures.whole
    print(f"local model: {MODEL_ALIAS} (Q4_K_M) on llama-cpp-python's server, CPU; {len(ghost)} inline "
          f"requests at fresh positions in {len(FILES)} files ({figures.empty} answered with no suggestion)")
    print(f"  time to first ghost text (codeswitch serve)   {fmt(ghost)}")
    print(f"  llama server alone, first token              {fmt(figures.first_token)}")
    print(f"  llama server alone, whole answer             {fmt(whole)}")
    added = statistics.median(ghost) - statistics.median(whole)
    print(f"  codeswitch adds (median ghost - median whole answer): {added:.1f} ms; "
          f"ratio {statistics.median(ghost) / statistics.median(whole):.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=40, help="inline requests to time")
    args = parser.parse_args()
    why = missing()
    if why is not None:
        print(f"bench_local: skipped: {why}")
        return
    asyncio.run(run(args.n))


if __name__ == "__main__":
    main()
