"""``codeswitch demo``: route realistic requests over the example workspace, then serve three of them.

First section: the offline part of the pipeline (read the file, estimate the scope with tree-sitter
and the workspace index, pick the model chain) for typical requests on ``examples/shop``, printed as
a table (routes are shown as if every provider had a key). Second section (:mod:`demo_live`): an
inline completion, a function edit and a workspace refactor sent through the headless harness to the
real server, with the providers played by the loopback emulator, so it needs no API key and no
network; it ends with a cost table from the ledger.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codeswitch.cli import summary
from codeswitch.cli.pipeline import Case, CaseError, Pipeline, Routed
from codeswitch.text import col_to_units

DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "examples" / "shop"


@dataclass(frozen=True, slots=True)
class DemoRequest:
    """A request placed by text, so the demo survives edits to the example files.

    The cursor goes at the end of ``marker`` (its first occurrence) in ``file``.
    """

    title: str
    file: str
    marker: str
    kind: str
    instruction: str | None = None


REQUESTS: tuple[DemoRequest, ...] = (
    DemoRequest("ghost text in a function body", "billing.py", "    net = order.total", "inline"),
    DemoRequest("ghost text in a TypeScript method", "web/cart.ts", "    let sum = 0;", "inline"),
    DemoRequest("add retries to this function", "billing.py", "    charge(order.customer", "edit",
                "add retries with exponential backoff to this function"),
    DemoRequest("fix this (Go)", "shipping/rates.go", "\tbase, ok := baseRate[zone]", "edit",
                "reject negative weights with an error"),
    DemoRequest("rename X everywhere", "inventory.py", "def reserve_stock", "edit",
                "rename reserve_stock to hold_stock everywhere"),
    DemoRequest("change a shared signature", "inventory.py", "def reserve_stock", "edit",
                "add a ttl_s parameter to reserve_stock and update all callers"),
)


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help="route and serve typical requests over the example workspace "
                       "(offline: a local provider emulator, no API keys)",
                       description=summary(__doc__))
    p.add_argument("--root", default=None, help="the example workspace (default: examples/shop)")
    p.add_argument("--json", action="store_true", help="print one JSON object per request")
    p.add_argument("--fast", action="store_true", help="no emulated model latency (for tests)")
    p.add_argument("--routes-only", action="store_true", help="only the routing table; serve nothing")
    p.set_defaults(func=run)


def locate(root: Path, request: DemoRequest) -> tuple[int, int]:
    """The LSP position (0-based line, UTF-16 character) right after the request's marker."""
    text = (root / request.file).read_text(encoding="utf-8")
    at = text.find(request.marker)
    if at < 0:
        raise CaseError("bad_case", f"{request.file}: marker {request.marker!r} not found")
    end = at + len(request.marker)
    line = text.count("\n", 0, end)
    column = text[text.rfind("\n", 0, end) + 1 : end]
    return line, col_to_units(column, len(column), "utf-16")


def run_demo(root: Path, pipeline: Pipeline) -> list[tuple[DemoRequest, Routed | CaseError]]:
    results: list[tuple[DemoRequest, Routed | CaseError]] = []
    for request in REQUESTS:
        try:
            pos = locate(root, request)
            case = Case(str(root), request.file, pos, pos, request.instruction, request.kind, request.title)
            results.append((request, pipeline.run(case)))
        except CaseError as exc:
            results.append((request, exc))
        except OSError as exc:
            results.append((request, CaseError("missing_file", f"{request.file}: {exc.strerror or exc}")))
    return results


def table(rows: list[tuple[DemoRequest, Routed | CaseError]]) -> str:
    header = ("request", "where", "scope", "tier", "model", "then")
    body: list[tuple[str, ...]] = []
    for request, outcome in rows:
        if isinstance(outcome, CaseError):
            body.append((request.title, request.file, "error", "-", outcome.message, ""))
            continue
        line, char = outcome.case.start
        chain = outcome.decision.chain
        body.append((request.title, f"{request.file}:{line + 1}:{char + 1}", outcome.scope.scope,
                     outcome.decision.tier, chain[0] if chain else "(none)", ", ".join(chain[1:3])))
    widths = [max(len(r[i]) for r in (header, *body)) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in (header, *body)]
    lines.insert(1, "  ".join("-" * w for w in widths))
    why = [f"- {req.title}: {out.scope.reasons[0] if out.scope.reasons else out.decision.cause}"
           for req, out in rows if not isinstance(out, CaseError)]
    return "\n".join([*lines, "", "why", *why])


def run(args: argparse.Namespace) -> int:
    root = Path(args.root) if args.root else DEFAULT_ROOT
    if not root.is_dir():
        print(f"codeswitch demo: {root} is not a directory; pass --root examples/shop", file=sys.stderr)
        return 2
    pipeline = Pipeline()
    rows = run_demo(root.resolve(), pipeline)
    if args.json:
        from codeswitch.cli.scope import error_json, result_json

        for request, outcome in rows:
            out = (error_json(request.title, outcome.kind, outcome.message) if isinstance(outcome, CaseError)
                   else result_json(outcome))
            print(json.dumps(out, ensure_ascii=False))
    else:
        assumed = any(not isinstance(o, CaseError) and o.keys_assumed for _, o in rows)
        print(f"codeswitch demo: {len(rows)} requests over {root}")
        if assumed:
            print("(no provider API key found: routes shown as if every provider had one)")
        print()
        print(table(rows))
    status = 1 if any(isinstance(o, CaseError) for _, o in rows) else 0
    if args.routes_only:
        return status
    from codeswitch.cli.demo_live import DemoError, run_live

    try:
        live = run_live(root.resolve(), fast=args.fast, as_json=args.json, stdout=sys.stdout,
                        stderr=sys.stderr)
    except DemoError as exc:
        print(f"codeswitch demo: {exc}", file=sys.stderr)
        return 1
    return max(status, live)
