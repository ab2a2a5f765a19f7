"""The live part of ``codeswitch demo``: three requests through the harness, three models, one cost table.

It starts the loopback provider emulator (``codeswitch.testing``) with the scripted answers and
latency profiles of ``demo_script.json``, copies the example workspace to a temporary folder, and
sends an inline completion, a function edit and a workspace refactor through the headless harness,
that is the real ``codeswitch serve`` over LSP, configured by environment (placeholder keys, base
URLs on 127.0.0.1, config and ledger in the temporary folder). Nothing leaves the machine. At the
end it prints each request's model and cost and the ledger's report: spend per tier and model, and
what the same requests would have cost on the premium model alone.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from codeswitch.catalog import load_catalog
from codeswitch.cli import harness
from codeswitch.cli.harness_view import describe, render_complete, render_edit, wants_color
from codeswitch.cli.stats import render
from codeswitch.config import Config
from codeswitch.handlers.protocol import EDIT_METHOD, REFACTOR_METHOD
from codeswitch.ledger import LEDGER_FILE, Ledger
from codeswitch.routing import premium_model
from codeswitch.testing import Conversations, Emulator, Reply, ToolCall
from codeswitch.testing.conversation import rename_edits
from codeswitch.testing.script import reply_from_json

SCRIPT = Path(__file__).with_name("demo_script.json")
#: placeholder keys: chains need a key per provider; the emulator ignores them
DEMO_KEYS = {"OPENAI_API_KEY": "sk-demo-placeholder", "ANTHROPIC_API_KEY": "sk-ant-demo-placeholder"}


class DemoError(Exception):
    """The demo script or workspace cannot be used."""


@dataclass(frozen=True, slots=True)
class StepResult:
    kind: str
    title: str
    command: str
    out: dict[str, Any]
    text: str


def load_script(path: Path = SCRIPT) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DemoError(f"{path}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
        raise DemoError(f"{path}: expected an object with 'emulator' and 'steps'")
    return data


def demo_env(home: Path, emulator: Emulator) -> dict[str, str]:
    """The server's environment: no real keys or endpoints, config and ledger under ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env.update(DEMO_KEYS)
    env.update(XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"),
               OPENAI_BASE_URL=emulator.base_url("openai_responses"),
               ANTHROPIC_BASE_URL=emulator.base_url("anthropic"))
    return env


def conversations(spec: Sequence[Mapping[str, Any]], root: Path) -> Conversations:
    """The team's scripted conversations; ``rename_edits`` turns read the files as they are now."""
    conv = Conversations()
    for c in spec:
        turns: list[Reply] = []
        for turn in c["turns"]:
            if "rename_edits" in turn:
                r = turn["rename_edits"]
                calls: list[ToolCall] = []
                for name in r["files"]:
                    calls += rename_edits(name, (root / name).read_text(encoding="utf-8"), r["old"], r["new"])
                turns.append(Reply(tool_calls=calls))
            else:
                turns.append(reply_from_json(turn))
        conv.add(str(c["marker"]), *turns)
    return conv


def _line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and character column of an offset."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


#: prints a step's command line before it runs (so its progress lines follow it)
Announce = Callable[[str], None]


def _complete(step: Mapping[str, Any], ws: Path, opts: harness.Options, announce: Announce) -> StepResult:
    path = ws / step["file"]
    text = path.read_text(encoding="utf-8")
    typed = str(step.get("type", ""))
    if typed:  # the user types before asking: write it to the workspace copy
        text = text.rstrip("\n") + typed
        path.write_text(text, encoding="utf-8")
    line, col = _line_col(text, len(text))
    loc = harness.locate(path, line, col, ws, "codeswitch demo")
    command = f"codeswitch complete {step['file']}:{line}:{col}"
    announce(command)
    out = asyncio.run(harness.complete(loc, opts, accept=True))
    if out["items"]:  # the user presses Tab: the suggestion becomes text (and the server counts it)
        path.write_text(text + str(out["items"][0]["insertText"]) + "\n", encoding="utf-8")
    text = render_complete(out, loc.line_text, loc.character)
    return StepResult("complete", step["title"], command, out, text)


def _edit(step: Mapping[str, Any], ws: Path, opts: harness.Options, announce: Announce) -> StepResult:
    path = ws / step["file"]
    text = path.read_text(encoding="utf-8")
    at = text.find(step["marker"])
    if at < 0:
        raise DemoError(f"{step['file']}: marker {step['marker']!r} not found")
    line, col = _line_col(text, at + len(step["marker"]))
    loc = harness.locate(path, line, col, ws, "codeswitch demo")
    params = harness.edit_params(loc, step["instruction"])
    command = f"codeswitch edit {step['file']}:{line} {json.dumps(step['instruction'])} --apply"
    announce(command)
    out = asyncio.run(harness.change_request(EDIT_METHOD, params, opts, opened=loc))
    text = render_edit(out, apply=True, color=wants_color(opts.stdout))
    return StepResult("edit", step["title"], command, out, text)


def _refactor(step: Mapping[str, Any], ws: Path, opts: harness.Options, emulator: Emulator,
              announce: Announce) -> StepResult:
    emulator.respond(str(step["model"]), conversations(step.get("conversations") or [], ws))
    params = {"instruction": step["instruction"]}
    command = f"codeswitch refactor {json.dumps(step['instruction'])} --apply"
    announce(command)
    out = asyncio.run(harness.change_request(REFACTOR_METHOD, params, opts))
    text = render_edit(out, apply=True, color=wants_color(opts.stdout))
    return StepResult("refactor", step["title"], command, out, text)


def _cost_line(out: Mapping[str, Any]) -> str:
    usage = out.get("usage") or {}
    cost = usage.get("cost_usd")
    return f"${cost:.4f}" if isinstance(cost, int | float) else "unknown price"


def _tokens(out: Mapping[str, Any]) -> str:
    usage = out.get("usage") or {}
    return f"{usage.get('input_tokens', 0)}/{usage.get('output_tokens', 0)}"


def summary(results: Sequence[StepResult]) -> str:
    """One row per request: where it went and what it cost."""
    header = ("request", "scope", "tier", "model", "tokens in/out", "cost")
    body = [(r.kind, str(r.out.get("scope") or "-"), str(r.out.get("tier") or "-"),
             str(r.out.get("model") or "(failed)"), _tokens(r.out), _cost_line(r.out)) for r in results]
    widths = [max(len(row[i]) for row in (header, *body)) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in (header, *body)]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def run_live(root: Path, *, fast: bool, as_json: bool, stdout: TextIO, stderr: TextIO,
             script_path: Path = SCRIPT) -> int:
    """Run the three requests; 0 when each was served, 1 otherwise."""
    script = load_script(script_path)
    with tempfile.TemporaryDirectory(prefix="codeswitch-demo-") as tmp:
        home = Path(tmp)
        ws = home / "workspace"
        shutil.copytree(root, ws)
        emulator = Emulator(time_scale=0.0 if fast else 1.0)
        emulator.load_script(script.get("emulator") or {})
        with emulator:
            opts = harness.Options(root=ws.resolve(), env=demo_env(home, emulator), as_json=as_json,
                                   apply=True, stdout=stdout, stderr=stderr, progress=not as_json)
            if not as_json:
                latency = "no latency" if fast else "realistic latency"
                print(f"\n== Live: three requests through the real server (codeswitch serve over LSP)\n"
                      f"   models played by the loopback emulator at {emulator.url} ({latency})\n"
                      f"   workspace: a copy of {root.name} in {ws}", file=stdout)
            results: list[StepResult] = []

            def announce(command: str) -> None:
                if not as_json:
                    print(f"$ {command}", file=stdout, flush=True)

            for n, step in enumerate(script["steps"], 1):
                kind = step.get("kind")
                if not as_json:
                    print(f"\n-- {n}. {step.get('title', kind)}", file=stdout, flush=True)
                if kind == "complete":
                    result = _complete(step, ws, opts, announce)
                elif kind == "edit":
                    result = _edit(step, ws, opts, announce)
                elif kind == "refactor":
                    result = _refactor(step, ws, opts, emulator, announce)
                else:
                    raise DemoError(f"unknown step kind {kind!r}")
                results.append(result)
                if as_json:
                    print(json.dumps({"step": result.kind, **result.out}, ensure_ascii=False), file=stdout)
                else:
                    print(result.text, file=stdout, flush=True)
        with Ledger(home / "data" / "codeswitch" / LEDGER_FILE) as ledger:
            stats = ledger.stats(load_catalog(), premium_model(Config()))
    if as_json:
        print(json.dumps({"stats": stats.to_json()}), file=stdout)
    else:
        print("\n== Cost\n" + summary(results) + "\n", file=stdout)
        print(render(stats, "the demo's ledger (a temporary file)"), file=stdout)
        for r in results:
            if r.out.get("error"):
                message = r.out["error"].get("message")
                print(f"codeswitch demo: {r.kind} failed: {describe(r.out)}: {message}", file=stderr)
    return 1 if any(r.out.get("error") for r in results) else 0
