"""``codeswitch complete | edit | refactor``: the headless harness, an LSP client of ``codeswitch serve``.

Each command starts the real server (``python -P -m codeswitch serve`` over stdio, or ``--server-cmd``),
initializes it like an editor, opens the file and sends the same request an editor would:
``textDocument/inlineCompletion``, ``codeswitch/edit`` or ``codeswitch/refactor``. The server's
``$/progress`` is drawn on stderr. ``--apply`` writes the returned edit (all files or none, each
atomically). ``FILE:LINE:COL`` is 1-based, columns count characters. Exit status: 0 served, 1 the
request failed (every model failed, the edit was refused), 2 unusable arguments; never a traceback.
The params it sends and the results it reads are those of docs/protocol.md (the method names come
from :mod:`codeswitch.handlers.protocol`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import sys
import time
import uuid
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codeswitch.cli import usage_json
from codeswitch.cli.apply import check_bases, plan_workspace_edit, write_atomically
from codeswitch.cli.harness_view import (
    ProgressView,
    empty_usage,
    inline_usage,
    is_tty,
    render_complete,
    render_edit,
    usage_of,
    wants_color,
)
from codeswitch.cli.problems import check_config
from codeswitch.config import data_dir
from codeswitch.edits import EditRejected, split_lines, workspace_diff
from codeswitch.handlers.protocol import EDIT_METHOD, LAST_ROUTE_METHOD, REFACTOR_METHOD, STATUS_NOTIFICATION
from codeswitch.ledger import LEDGER_FILE
from codeswitch.lsp_client import RequestFailed, ServerClient, ServerGone
from codeswitch.secrets import is_secret
from codeswitch.text import col_to_units

ROOT_MARKERS = (".git", ".codeswitch.toml")


class UsageError(Exception):
    """Arguments the harness cannot use (exit status 2)."""


@dataclass(frozen=True, slots=True)
class Location:
    path: Path
    line: int  # 0-based
    character: int  # 0-based, UTF-16 code units (what the harness negotiates)
    text: str  # the whole file

    @property
    def line_text(self) -> str:
        return split_lines(self.text)[self.line].rstrip("\r\n")


@dataclass(slots=True)
class Options:
    """What a harness command needs besides its own arguments."""

    root: Path
    server_cmd: list[str] | None = None
    env: Mapping[str, str] | None = None
    as_json: bool = False
    apply: bool = False
    stdout: Any = field(default_factory=lambda: sys.stdout)
    stderr: Any = field(default_factory=lambda: sys.stderr)
    progress: bool = True


def parse_location(spec: str, *, need_col: bool, prog: str) -> tuple[Path, int, int | None]:
    """``FILE:LINE:COL`` (or ``FILE:LINE`` when the column is optional) -> (path, line, col), 1-based."""
    parts = spec.split(":")
    nums: list[int] = []
    while len(parts) > 1 and len(nums) < 2 and parts[-1].isdigit():
        nums.insert(0, int(parts.pop()))
    file = ":".join(parts)
    if not file or not nums or (need_col and len(nums) < 2):
        want = "FILE:LINE:COL" if need_col else "FILE:LINE[:COL]"
        raise UsageError(f"{prog}: expected {want} (1-based), got {spec!r}")
    if any(n < 1 for n in nums):
        raise UsageError(f"{prog}: LINE and COL are 1-based, got {spec!r}")
    return Path(file), nums[0], nums[1] if len(nums) > 1 else None


def find_root(path: Path) -> Path:
    """The nearest folder above ``path`` holding .git or .codeswitch.toml; else the cwd or its folder."""
    for folder in path.resolve().parents:
        if any((folder / m).exists() for m in ROOT_MARKERS):
            return folder
    cwd = Path.cwd().resolve()
    return cwd if path.resolve().is_relative_to(cwd) else path.resolve().parent


def resolve_root(arg: str | None, path: Path | None, prog: str) -> Path:
    if arg is not None:
        root = Path(arg).resolve()
        if not root.is_dir():
            raise UsageError(f"{prog}: --root {arg}: not a directory")
        return root
    return find_root(path) if path is not None else Path.cwd().resolve()


def locate(path: Path, line: int, col: int | None, root: Path, prog: str) -> Location:
    """Read the file and turn 1-based LINE:COL (characters) into an LSP position (UTF-16)."""
    full = path.resolve()
    if full.is_dir():
        raise UsageError(f"{prog}: {path} is a directory, not a file")
    if not full.is_file():
        raise UsageError(f"{prog}: {path}: no such file")
    if not full.is_relative_to(root):
        raise UsageError(f"{prog}: {path} is outside the workspace root {root} (pass --root)")
    try:
        text = full.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{prog}: {path} is not UTF-8 text") from None
    except OSError as exc:
        raise UsageError(f"{prog}: {path}: {exc.strerror}") from None
    lines = split_lines(text)
    if line > len(lines):
        raise UsageError(f"{prog}: {path} has {len(lines)} lines; line {line} does not exist")
    row = lines[line - 1].rstrip("\r\n")
    if col is None:
        col = len(row) - len(row.lstrip()) + 1
    if col > len(row) + 1:
        raise UsageError(f"{prog}: line {line} of {path} has {len(row)} characters; "
                         f"column {col} is past its end")
    return Location(full, line - 1, col_to_units(row, col - 1, "utf-16"), text)


def edit_params(loc: Location, instruction: str, end: Location | None = None) -> dict[str, Any]:
    """``codeswitch/edit`` params for the range ``loc``..``end`` (a cursor when ``end`` is None)."""
    end = end or loc
    return {"textDocument": {"uri": loc.path.as_uri()}, "instruction": instruction,
            "range": {"start": {"line": loc.line, "character": loc.character},
                      "end": {"line": end.line, "character": end.character}}}


def server_env(opts: Options) -> dict[str, str]:
    return dict(opts.env) if opts.env is not None else dict(os.environ)


def _progress(opts: Options) -> ProgressView | None:
    if not opts.progress:
        return None
    return ProgressView(opts.stderr, tty=is_tty(opts.stderr))


def _collector(messages: list[str], status: list[Mapping[str, Any]]) -> Callable[[str, Any], None]:
    def on_notification(method: str, params: Any) -> None:
        if method == "window/showMessage" and isinstance(params, Mapping):
            messages.append(str(params.get("message", "")))
        elif method == STATUS_NOTIFICATION and isinstance(params, Mapping):
            status.append(params)

    return on_notification


def _client(opts: Options, view: ProgressView | None, messages: list[str],
            status: list[Mapping[str, Any]]) -> ServerClient:
    return ServerClient(opts.root, command=opts.server_cmd, env=server_env(opts), on_progress=view,
                        on_notification=_collector(messages, status))


async def complete(loc: Location, opts: Options, *, accept: bool = False,
                   several: bool = False) -> dict[str, Any]:
    """One inline completion at ``loc`` through the server; the harness's JSON object.

    ``accept`` runs the first item's command, as an editor does when the user takes the suggestion
    (the server records the acceptance in the ledger); the harness never writes the text itself.
    """
    messages: list[str] = []
    status: list[Mapping[str, Any]] = []
    since = time.time()
    async with _client(opts, None, messages, status) as client:
        uri = client.open(loc.path, loc.text)
        items = await client.inline(uri, loc.line, loc.character, several=several)
        route = await client.request(LAST_ROUTE_METHOD, {})
        command = items[0].get("command") if accept and items else None
        if isinstance(command, Mapping) and isinstance(command.get("command"), str):
            await client.execute_command(command["command"], command.get("arguments") or [])
    route = route if isinstance(route, Mapping) else None
    model = (route or {}).get("served_by") or (status[-1].get("model") if status else None)
    ledger = data_dir(server_env(opts)) / LEDGER_FILE
    spent = inline_usage(since, model if isinstance(model, str) else None, ledger)
    out: dict[str, Any] = {
        "scope": route.get("scope") if route else None,
        "tier": route.get("tier") if route else None,
        "model": model,
        "items": [{"insertText": i.get("insertText", ""), "range": i.get("range")} for i in items],
        "usage": spent.usage, "fallbacks": spent.fallbacks, "error": None,
    }
    if route is None and is_secret(loc.path, opts.root):
        rel = loc.path.relative_to(opts.root).as_posix()  # locate() keeps the file inside the root
        out["error"] = {"kind": "secret", "message": f"{rel} is a secret or ignored file: "
                        "its text is never sent to a model"}
    elif route is None:
        out["error"] = {"kind": "not_routed", "message": "the server sent this request to no model "
                        "(a position it cannot complete)"}
    elif not route.get("model_chain"):
        out["error"] = {"kind": "no_model", "message": str(route.get("cause") or "no model can serve it")}
    elif spent.failed or (not items and model is None):
        out["error"] = {"kind": "all_models_failed",
                        "message": "; ".join(messages) or "every model in the chain failed"}
    return out


async def change_request(method: str, params: dict[str, Any], opts: Options,
                         opened: Location | None = None) -> dict[str, Any]:
    """codeswitch/edit or codeswitch/refactor through the server; applies the edit with ``--apply``."""
    messages: list[str] = []
    view = _progress(opts)
    params = {**params, "apply": False, "workDoneToken": f"codeswitch-cli-{uuid.uuid4().hex[:12]}"}
    try:
        async with _client(opts, view, messages, []) as client:
            if opened is not None:
                client.open(opened.path, opened.text)
            result = await client.request(method, params)
    finally:
        if view is not None:
            view.close()
    if not isinstance(result, Mapping):
        result = {"error": {"kind": "bad_result", "message": f"{method} answered {result!r}"}}
    out: dict[str, Any] = {
        "scope": result.get("scope"), "tier": result.get("tier"), "model": result.get("model"),
        "reasons": list(result.get("reasons") or []),
        "edit": result.get("edit"), "diff": str(result.get("diff") or ""), "applied": False,
        "usage": usage_of(result.get("usage")), "fallbacks": list(result.get("fallbacks") or []),
        "error": result.get("error"),
    }
    if method == REFACTOR_METHOD:
        out["refused"] = list(result.get("refused") or [])
    if out["error"] is None and out["edit"]:
        try:
            changes = plan_workspace_edit(out["edit"], opts.root)
            if opened is not None and any(c.path == opened.path and c.old_text != opened.text
                                          for c in changes):
                raise EditRejected("stale", f"{opened.path.name} changed on disk while the model worked")
            bases = result.get("bases")
            if isinstance(bases, list):
                check_bases(changes, bases)
            out["diff"] = workspace_diff(changes)
            if opts.apply and changes:
                write_atomically(changes)
                out["applied"] = True
        except EditRejected as exc:
            out["error"] = {"kind": exc.kind, "message": exc.message}
        except OSError as exc:
            out["error"] = {"kind": "write_failed", "message": f"nothing was written: {exc}"}
    return out


def emit(out: Mapping[str, Any], opts: Options, text: str) -> int:
    """Print the result (JSON object or text) and the error line; the exit status."""
    if opts.as_json:
        print(json.dumps(out, ensure_ascii=False), file=opts.stdout)
    elif text:
        print(text, file=opts.stdout)
    error = out.get("error")
    if error:
        message = error.get("message") if isinstance(error, Mapping) else str(error)
        if not opts.as_json:
            print(f"codeswitch: {message}", file=opts.stderr)
        return 1
    return 0


def _usage(args: argparse.Namespace, exc: UsageError) -> int:
    """Unusable arguments: one line on stderr (and the JSON object with ``--json``); exit status 2."""
    if args.json:
        print(usage_json(str(exc)))
    print(exc, file=sys.stderr)
    return 2


def _options(args: argparse.Namespace, root: Path) -> Options:
    server_cmd = shlex.split(args.server_cmd) if args.server_cmd else None
    return Options(root=root, server_cmd=server_cmd, as_json=args.json, apply=getattr(args, "apply", False))


def _failure(opts: Options, kind: str, message: str, prog: str) -> int:
    if opts.as_json:
        out: dict[str, Any] = {"scope": None, "tier": None, "model": None, "usage": empty_usage(),
                               "fallbacks": [], "error": {"kind": kind, "message": message}}
        print(json.dumps(out, ensure_ascii=False), file=opts.stdout)
    print(f"{prog}: {message}", file=opts.stderr)
    return 1


def run_complete(args: argparse.Namespace) -> int:
    try:
        path, line, col = parse_location(args.location, need_col=True, prog="codeswitch complete")
        root = resolve_root(args.root, path, "codeswitch complete")
        loc = locate(path, line, col, root, "codeswitch complete")
    except UsageError as exc:
        return _usage(args, exc)
    opts = _options(args, root)
    check_config(root, "codeswitch complete", env=server_env(opts))
    return _serve("codeswitch complete", opts, complete(loc, opts, several=args.several),
                  lambda out: render_complete(out, loc.line_text, loc.character))


def run_edit(args: argparse.Namespace) -> int:
    prog = "codeswitch edit"
    try:
        if not args.instruction.strip():
            raise UsageError(f"{prog}: the instruction is empty")
        path, line, col = parse_location(args.location, need_col=False, prog=prog)
        root = resolve_root(args.root, path, prog)
        loc = locate(path, line, col, root, prog)
        end = None
        if args.end:
            _, end_line, end_col = parse_location(f"{path}:{args.end}", need_col=True, prog=f"{prog} --end")
            end = locate(path, end_line, end_col, root, f"{prog} --end")
    except UsageError as exc:
        return _usage(args, exc)
    params = edit_params(loc, args.instruction, end)
    return _change(prog, EDIT_METHOD, params, _options(args, root), loc)


def run_refactor(args: argparse.Namespace) -> int:
    prog = "codeswitch refactor"
    try:
        if not args.instruction.strip():
            raise UsageError(f"{prog}: the instruction is empty")
        root = resolve_root(args.root, None, prog)
    except UsageError as exc:
        return _usage(args, exc)
    opts = _options(args, root)
    return _change(prog, REFACTOR_METHOD, {"instruction": args.instruction}, opts)


def _change(prog: str, method: str, params: dict[str, Any], opts: Options,
            opened: Location | None = None) -> int:
    """Send an edit or refactor request, then print (and with --apply write) what came back."""
    check_config(opts.root, prog, env=server_env(opts))
    return _serve(prog, opts, change_request(method, params, opts, opened=opened),
                  lambda out: render_edit(out, apply=opts.apply, color=wants_color(opts.stdout)))


def _serve(prog: str, opts: Options, request: Coroutine[Any, Any, dict[str, Any]],
           render: Callable[[dict[str, Any]], str]) -> int:
    """Run one request through the server and print its result; a dead server or an error answer -> 1."""
    try:
        out = asyncio.run(request)
    except ServerGone as exc:
        return _failure(opts, "server", str(exc), prog)
    except RequestFailed as exc:
        return _failure(opts, "request_failed", str(exc), prog)
    return emit(out, opts, render(out))


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--root", default=None, help="the workspace folder (default: the nearest folder with "
                   ".git or .codeswitch.toml, else the current directory)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--server-cmd", default=None, metavar="CMD",
                   help="the server command line (default: python -P -m codeswitch serve)")


def register(sub: Any) -> None:
    p = sub.add_parser("complete", help="an inline completion at FILE:LINE:COL, through the server",
                       description="Ask the server for an inline completion at a 1-based FILE:LINE:COL.")
    p.add_argument("location", metavar="FILE:LINE:COL")
    p.add_argument("--several", action="store_true",
                   help="up to inline.max_items distinct suggestions, as an editor's next-suggestion command "
                        "asks (more model calls); default: one, as while typing")
    _common(p)
    p.set_defaults(func=run_complete)
    p = sub.add_parser("edit", help="edit the function at FILE:LINE[:COL] by an instruction",
                       description="Ask the server for a function edit at a 1-based FILE:LINE[:COL].")
    p.add_argument("location", metavar="FILE:LINE[:COL]")
    p.add_argument("instruction")
    p.add_argument("--end", default=None, metavar="LINE:COL", help="end of the selection (1-based)")
    p.add_argument("--apply", action="store_true", help="write the edit (atomically, all files or none)")
    _common(p)
    p.set_defaults(func=run_edit)
    p = sub.add_parser("refactor", help="a workspace refactor by an instruction (the agent team)",
                       description="Ask the server for a refactor across the workspace.")
    p.add_argument("instruction")
    p.add_argument("--apply", action="store_true", help="write the edit (atomically, all files or none)")
    _common(p)
    p.set_defaults(func=run_refactor)
