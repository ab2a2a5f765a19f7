"""``codeswitch explain | review``: an explanation or a review in Markdown, through the server.

``explain FILE:LINE[:COL]`` explains the definition at that place (``--end LINE:COL`` for a
selection); ``review`` reviews the working tree's changes against ``HEAD``. Like the other headless
commands, each starts ``codeswitch serve``, sends the request an editor sends (``codeswitch/explain``,
``codeswitch/review``), draws ``$/progress`` on stderr and prints the Markdown document (or, with
``--json``, the server's result object). Exit status: 0 served, 1 the request failed, 2 unusable
arguments.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from codeswitch.cli.client import (
    Location,
    Options,
    UsageError,
    add_common,
    options,
    request,
    serve,
    server_env,
    usage,
)
from codeswitch.cli.harness import locate_selection, resolve_root
from codeswitch.cli.harness_view import usage_line, usage_of
from codeswitch.cli.problems import check_config

#: the keys of the --json object (the server's result, always all of them)
KEYS = ("task", "title", "markdown", "answer", "model", "scope", "tier", "context_tokens", "files",
        "left_out", "reasons", "usage", "fallbacks", "error")


async def analysis_request(method: str, params: dict[str, Any], opts: Options,
                           opened: Location | None = None) -> dict[str, Any]:
    """codeswitch/explain or codeswitch/review through the server; the result in the JSON shape."""
    result = await request(method, params, opts, opened)
    out: dict[str, Any] = {key: result.get(key) for key in KEYS}
    out["usage"] = usage_of(result.get("usage"))
    for key in ("files", "left_out", "reasons", "fallbacks"):
        out[key] = list(out[key] or [])
    out["markdown"] = str(out["markdown"] or "")
    return out


def render(out: Mapping[str, Any]) -> str:
    """The Markdown document, then one line of what it cost (nothing when it failed)."""
    if out.get("error") or not out.get("markdown"):
        return ""
    return f"{str(out['markdown']).rstrip()}\n\n{usage_line(out['usage'])}"


def _question(args: argparse.Namespace) -> dict[str, Any]:
    return {"question": args.question} if args.question else {}


def run_explain(args: argparse.Namespace) -> int:
    prog = "codeswitch explain"
    try:
        root, loc, selected_end = locate_selection(args, prog)
    except UsageError as exc:
        return usage(args, exc)
    end = selected_end or loc
    opts = options(args, root)
    check_config(root, prog, env=server_env(opts))
    params = {"textDocument": {"uri": loc.path.as_uri()}, **_question(args),
              "range": {"start": {"line": loc.line, "character": loc.character},
                        "end": {"line": end.line, "character": end.character}}}
    return serve(prog, opts, analysis_request("codeswitch/explain", params, opts, loc), render)


def run_review(args: argparse.Namespace) -> int:
    prog = "codeswitch review"
    try:
        root = resolve_root(args.root, None, prog)
    except UsageError as exc:
        return usage(args, exc)
    opts = options(args, root)
    check_config(root, prog, env=server_env(opts))
    return serve(prog, opts, analysis_request("codeswitch/review", _question(args), opts), render)


def register(sub: Any) -> None:
    p = sub.add_parser("explain", help="explain the code at FILE:LINE[:COL] (Markdown), through the server",
                       description="Explain the definition at a 1-based FILE:LINE[:COL], or a selection "
                       "with --end; the model is chosen by how much context the explanation needs.")
    p.add_argument("location", metavar="FILE:LINE[:COL]")
    p.add_argument("--end", default=None, metavar="LINE:COL", help="end of the selection (1-based)")
    p.add_argument("--question", default=None, help="what you want to know (optional)")
    add_common(p)
    p.set_defaults(func=run_explain)
    p = sub.add_parser("review", help="review the working tree's changes against HEAD (Markdown)",
                       description="Review the working tree's changes against HEAD with the definitions "
                       "they touch; the model is chosen by how much context the review needs.")
    p.add_argument("--question", default=None, help="what to look at especially (optional)")
    add_common(p)
    p.set_defaults(func=run_review)
