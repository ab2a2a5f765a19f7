"""``codeswitch complete | edit | refactor``: the headless harness, an LSP client of ``codeswitch serve``.

Each command starts the real server (``python -P -m codeswitch serve`` over stdio, or ``--server-cmd``),
initializes it like an editor, opens the file and sends the same request an editor would:
``textDocument/inlineCompletion``, ``codeswitch/edit`` or ``codeswitch/refactor``. The server's
``$/progress`` is drawn on stderr. ``--apply`` writes the returned edit (all files or none, each
atomically). ``FILE:LINE:COL`` is 1-based, columns count characters. Exit status: 0 served, 1 the
request failed (every model failed, the edit was refused), 2 unusable arguments; never a traceback.
The params it sends and the results it reads are those of docs/protocol.md (the method names come
from :mod:`codeswitch.handlers.protocol`). The session and the exit status are
:mod:`codeswitch.cli.client`'s, shared with ``explain`` and ``review``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from codeswitch.cli.apply import check_bases, plan_workspace_edit, write_atomically
from codeswitch.cli.client import Location as Location
from codeswitch.cli.client import Options as Options
from codeswitch.cli.client import UsageError as UsageError
from codeswitch.cli.client import add_common, open_client, options, request, serve, server_env, usage
from codeswitch.cli.harness_view import inline_usage, render_complete, render_edit, usage_of, wants_color
from codeswitch.cli.problems import check_config
from codeswitch.config import data_dir
from codeswitch.edits import EditRejected, split_lines, workspace_diff
from codeswitch.handlers.protocol import EDIT_METHOD, LAST_ROUTE_METHOD, REFACTOR_METHOD
from codeswitch.ledger import LEDGER_FILE
from codeswitch.secrets import is_secret
from codeswitch.text import col_to_units

ROOT_MARKERS = (".git", ".codeswitch.toml")


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


def locate_selection(args: argparse.Namespace, prog: str) -> tuple[Path, Location, Location | None]:
    """``FILE:LINE[:COL]`` and ``--end LINE:COL`` in the workspace root: (root, start, end or None)."""
    path, line, col = parse_location(args.location, need_col=False, prog=prog)
    root = resolve_root(args.root, path, prog)
    loc = locate(path, line, col, root, prog)
    end = None
    if args.end:
        _, end_line, end_col = parse_location(f"{path}:{args.end}", need_col=True, prog=f"{prog} --end")
        end = locate(path, end_line, end_col, root, f"{prog} --end")
    return root, loc, end


def edit_params(loc: Location, instruction: str, end: Location | None = None) -> dict[str, Any]:
    """``codeswitch/edit`` params for the range ``loc``..``end`` (a cursor when ``end`` is None)."""
    end = end or loc
    return {"textDocument": {"uri": loc.path.as_uri()}, "instruction": instruction,
            "range": {"start": {"line": loc.line, "character": loc.character},
                      "end": {"line": end.line, "character": end.character}}}


async def complete(loc: Location, opts: Options, *, accept: bool = False,
                   several: bool = False) -> dict[str, Any]:
    """One inline completion at ``loc`` through the server; the harness's JSON object.

    ``accept`` runs the first item's command, as an editor does when the user takes the suggestion
    (the server records the acceptance in the ledger); the harness never writes the text itself.
    """
    messages: list[str] = []
    status: list[Mapping[str, Any]] = []
    since = time.time()
    async with open_client(opts, None, messages, status) as client:
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
    result = await request(method, {**params, "apply": False}, opts, opened)
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


def run_complete(args: argparse.Namespace) -> int:
    try:
        path, line, col = parse_location(args.location, need_col=True, prog="codeswitch complete")
        root = resolve_root(args.root, path, "codeswitch complete")
        loc = locate(path, line, col, root, "codeswitch complete")
    except UsageError as exc:
        return usage(args, exc)
    opts = options(args, root)
    check_config(root, "codeswitch complete", env=server_env(opts))
    return serve("codeswitch complete", opts, complete(loc, opts, several=args.several),
                 lambda out: render_complete(out, loc.line_text, loc.character))


def run_edit(args: argparse.Namespace) -> int:
    prog = "codeswitch edit"
    try:
        if not args.instruction.strip():
            raise UsageError(f"{prog}: the instruction is empty")
        root, loc, end = locate_selection(args, prog)
    except UsageError as exc:
        return usage(args, exc)
    params = edit_params(loc, args.instruction, end)
    return _change(prog, EDIT_METHOD, params, options(args, root), loc)


def run_refactor(args: argparse.Namespace) -> int:
    prog = "codeswitch refactor"
    try:
        if not args.instruction.strip():
            raise UsageError(f"{prog}: the instruction is empty")
        root = resolve_root(args.root, None, prog)
    except UsageError as exc:
        return usage(args, exc)
    opts = options(args, root)
    return _change(prog, REFACTOR_METHOD, {"instruction": args.instruction}, opts)


def _change(prog: str, method: str, params: dict[str, Any], opts: Options,
            opened: Location | None = None) -> int:
    """Send an edit or refactor request, then print (and with --apply write) what came back."""
    check_config(opts.root, prog, env=server_env(opts))
    return serve(prog, opts, change_request(method, params, opts, opened=opened),
                 lambda out: render_edit(out, apply=opts.apply, color=wants_color(opts.stdout)))


def register(sub: Any) -> None:
    p = sub.add_parser("complete", help="an inline completion at FILE:LINE:COL, through the server",
                       description="Ask the server for an inline completion at a 1-based FILE:LINE:COL.")
    p.add_argument("location", metavar="FILE:LINE:COL")
    p.add_argument("--several", action="store_true",
                   help="up to inline.max_items distinct suggestions, as an editor's next-suggestion command "
                        "asks (more model calls); default: one, as while typing")
    add_common(p)
    p.set_defaults(func=run_complete)
    p = sub.add_parser("edit", help="edit the function at FILE:LINE[:COL] by an instruction",
                       description="Ask the server for a function edit at a 1-based FILE:LINE[:COL].")
    p.add_argument("location", metavar="FILE:LINE[:COL]")
    p.add_argument("instruction")
    p.add_argument("--end", default=None, metavar="LINE:COL", help="end of the selection (1-based)")
    p.add_argument("--apply", action="store_true", help="write the edit (atomically, all files or none)")
    add_common(p)
    p.set_defaults(func=run_edit)
    p = sub.add_parser("refactor", help="a workspace refactor by an instruction (the agent team)",
                       description="Ask the server for a refactor across the workspace.")
    p.add_argument("instruction")
    p.add_argument("--apply", action="store_true", help="write the edit (atomically, all files or none)")
    add_common(p)
    p.set_defaults(func=run_refactor)
