"""``codeswitch scope``: the scope estimate and routing decision for one case or a batch, as JSON.

The contract is DESIGN.md "codeswitch scope (JSON)": LSP positions (0-based line, UTF-16
character), one JSON object per case, and for ``--batch`` one output line per input line in the
same order. A bad case prints ``{"id", "error": {"kind", "message"}}`` and the batch goes on;
only unusable arguments (no case given, unreadable batch file) exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from codeswitch.cli import summary, usage_json
from codeswitch.cli.pipeline import Case, CaseError, Pipeline, Routed
from codeswitch.cli.problems import print_problems
from codeswitch.scope_report import KINDS, scope_json


def register(sub: Any) -> None:
    p = sub.add_parser("scope", help="estimate a request's scope and route it (JSON)",
                       description=summary(__doc__))
    add_case_arguments(p)
    p.add_argument("--json", action="store_true", help="print JSON (the default output of this command)")
    p.add_argument("--batch", metavar="CASES.jsonl", help="evaluate one case per line ('-' for stdin)")
    p.set_defaults(func=run)


def add_case_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--root", default=".", help="workspace root (default: the current directory)")
    p.add_argument("--file", help="file path, relative to --root")
    p.add_argument("--line", type=int, help="0-based line")
    p.add_argument("--character", type=int, help="0-based UTF-16 character")
    p.add_argument("--end-line", type=int, help="selection end line (default: --line)")
    p.add_argument("--end-character", type=int, help="selection end character (default: --character)")
    p.add_argument("--instruction", help="what to do, for edit requests")
    p.add_argument("--kind", choices=KINDS, default="auto",
                   help="inline completion, instructed edit, or auto")


def case_from_args(args: argparse.Namespace) -> Case | None:
    """The single case the flags describe, or None when they are incomplete."""
    if args.file is None or args.line is None or args.character is None:
        return None
    end_line = args.line if args.end_line is None else args.end_line
    end_char = args.character if args.end_character is None else args.end_character
    return Case(args.root, args.file, (args.line, args.character), (end_line, end_char),
                args.instruction, args.kind)


def result_json(routed: Routed) -> dict[str, object]:
    """The DESIGN.md object for one evaluated case (plus the full chain and the routing cause)."""
    body = scope_json(routed.snapshot, routed.scope, routed.decision, routed.case.root,
                      keys_assumed=routed.keys_assumed)
    return {"id": routed.case.id, **body}


def error_json(case_id: object, kind: str, message: str) -> dict[str, object]:
    return {"id": case_id, "error": {"kind": kind, "message": message}}


def evaluate(pipeline: Pipeline, case: Case) -> dict[str, object]:
    """One case to its JSON object; never raises (an unexpected failure is an error object too)."""
    try:
        return result_json(pipeline.run(case))
    except CaseError as exc:
        return error_json(case.id, exc.kind, exc.message)
    except RecursionError:
        return error_json(case.id, "internal", "input nested too deeply")
    except Exception as exc:
        return error_json(case.id, "internal", f"{type(exc).__name__}: {exc}")


def _batch_line(pipeline: Pipeline, line: str, number: int) -> dict[str, object]:
    from codeswitch.cli.pipeline import parse_case

    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return error_json(None, "bad_json", f"line {number}: {exc.msg}")
    case_id = obj.get("id") if isinstance(obj, dict) else None
    try:
        case = parse_case(obj)
    except CaseError as exc:
        return error_json(case_id, exc.kind, f"line {number}: {exc.message}")
    return evaluate(pipeline, case)


def run_batch(path: str, pipeline: Pipeline) -> int:
    try:
        stream = sys.stdin if path == "-" else open(path, encoding="utf-8", errors="replace")  # noqa: SIM115
    except OSError as exc:
        print(f"codeswitch scope: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    with stream:
        for number, line in enumerate(stream, 1):
            if not line.strip():
                continue
            print(json.dumps(_batch_line(pipeline, line, number), ensure_ascii=False), flush=True)
    return 0


def run(args: argparse.Namespace) -> int:
    pipeline = Pipeline(on_problems=lambda problems: print_problems(problems, "codeswitch scope"))
    if args.batch is not None:
        return run_batch(args.batch, pipeline)
    case = case_from_args(args)
    if case is None:
        message = "codeswitch scope: give --file, --line and --character, or --batch CASES.jsonl"
        if args.json:
            print(usage_json(message))
        print(message, file=sys.stderr)
        return 2
    result = evaluate(pipeline, case)
    print(json.dumps(result, ensure_ascii=False, indent=None if args.json else 2))
    return 0
