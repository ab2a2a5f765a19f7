"""One request of a headless command to ``codeswitch serve``: the session, the answer, the exit status.

The harness (``complete``, ``edit``, ``refactor``) and the analysis commands (``explain``, ``review``)
talk to the server the same way: start it through :class:`~codeswitch.lsp_client.ServerClient`, draw
its ``$/progress`` on stderr, print the result as text or one ``--json`` object and map the outcome
to an exit status (0 served, 1 the request failed or the server died, 2 unusable arguments). That
way lives here once, so the commands differ only in what they send and how they show the answer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import sys
import uuid
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codeswitch.cli import usage_json
from codeswitch.cli.harness_view import ProgressView, empty_usage, is_tty
from codeswitch.edits import split_lines
from codeswitch.handlers.protocol import STATUS_NOTIFICATION
from codeswitch.lsp_client import RequestFailed, ServerClient, ServerGone


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


def open_client(opts: Options, view: ProgressView | None, messages: list[str],
                status: list[Mapping[str, Any]]) -> ServerClient:
    """The server session: ``window/showMessage`` texts land in ``messages``, status in ``status``."""
    return ServerClient(opts.root, command=opts.server_cmd, env=server_env(opts), on_progress=view,
                        on_notification=_collector(messages, status))


async def request(method: str, params: Mapping[str, Any], opts: Options,
                  opened: Location | None = None) -> Mapping[str, Any]:
    """One request with a work-done token, its progress drawn on stderr, ``opened`` open first.

    An answer that is not an object becomes a ``bad_result`` error, so callers read one shape.
    """
    view = _progress(opts)
    params = {**params, "workDoneToken": f"codeswitch-cli-{uuid.uuid4().hex[:12]}"}
    try:
        async with open_client(opts, view, [], []) as client:
            if opened is not None:
                client.open(opened.path, opened.text)
            result = await client.request(method, params)
    finally:
        if view is not None:
            view.close()
    if not isinstance(result, Mapping):
        return {"error": {"kind": "bad_result", "message": f"{method} answered {result!r}"}}
    return result


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


def usage(args: argparse.Namespace, exc: UsageError) -> int:
    """Unusable arguments: one line on stderr (and the JSON object with ``--json``); exit status 2."""
    if args.json:
        print(usage_json(str(exc)))
    print(exc, file=sys.stderr)
    return 2


def options(args: argparse.Namespace, root: Path) -> Options:
    """The :class:`Options` of the arguments :func:`add_common` added (and ``--apply`` where there is one)."""
    server_cmd = shlex.split(args.server_cmd) if args.server_cmd else None
    return Options(root=root, server_cmd=server_cmd, as_json=args.json, apply=getattr(args, "apply", False))


def _failure(opts: Options, kind: str, message: str, prog: str) -> int:
    if opts.as_json:
        out: dict[str, Any] = {"scope": None, "tier": None, "model": None, "usage": empty_usage(),
                               "fallbacks": [], "error": {"kind": kind, "message": message}}
        print(json.dumps(out, ensure_ascii=False), file=opts.stdout)
    print(f"{prog}: {message}", file=opts.stderr)
    return 1


def serve(prog: str, opts: Options, job: Coroutine[Any, Any, dict[str, Any]],
          render: Callable[[dict[str, Any]], str]) -> int:
    """Run one request through the server and print its result; a dead server or an error answer -> 1."""
    try:
        out = asyncio.run(job)
    except ServerGone as exc:
        return _failure(opts, "server", str(exc), prog)
    except RequestFailed as exc:
        return _failure(opts, "request_failed", str(exc), prog)
    return emit(out, opts, render(out))


def add_common(p: argparse.ArgumentParser) -> None:
    """``--root``, ``--json`` and ``--server-cmd``, which every command through the server takes."""
    p.add_argument("--root", default=None, help="the workspace folder (default: the nearest folder with "
                   ".git or .codeswitch.toml, else the current directory)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--server-cmd", default=None, metavar="CMD",
                   help="the server command line (default: python -P -m codeswitch serve)")
