#!/usr/bin/env python3
"""Evaluate the scope estimator on the public cases in ../shared/eval/ (real commits of click).

Usage: eval_scope.py [--git PATH] [--cases CASES.jsonl] [--cache DIR] [--direct] [--show-errors]
The click repository comes from --git, $CLICK_GIT (a git dir or bundle) or the mirror
$CODESWITCH_MIRRORS/pallets+click/repo; without one the script
prints "skipped: ..." and exits 0. Cases are materialized with the shared materialize_cases.py
into a cache dir, run through ``codeswitch scope --batch`` (or in-process with --direct, or when
the CLI has no scope command), and scored by the shared score_scope.py.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

SHARED = Path(os.environ.get("CODESWITCH_EVAL_DIR", Path(__file__).resolve().parents[2] / "shared" / "eval"))
if not SHARED.is_dir():
    SHARED = Path("/work/shared/eval")


def _cli_has_scope() -> bool:
    try:
        from codeswitch.cli import build_parser
        with contextlib.redirect_stderr(io.StringIO()):
            build_parser().parse_args(["scope", "--batch", "x"])
    except (SystemExit, Exception):
        return False
    return True


def run_direct(cases_path: Path, out_path: Path) -> None:
    """Run estimate_scope in-process with the same JSON shape as ``codeswitch scope --batch``."""
    from codeswitch.documents import Pos, Snapshot, Span
    from codeswitch.scope import ScopeRequest, WorkspaceIndex, estimate_scope

    indexes: dict[str, WorkspaceIndex] = {}
    with open(cases_path) as src, open(out_path, "w") as out:
        for line in src:
            case = json.loads(line)
            result: dict[str, Any]
            try:
                root = case["root"]
                if root not in indexes:
                    indexes.clear()  # trees are visited in order; keep memory flat
                    indexes[root] = WorkspaceIndex()
                    indexes[root].build(root)
                path = Path(root) / case["file"]
                snap = Snapshot.from_text(path.read_text(encoding="utf-8", errors="replace"), path=path,
                                          uri=path.as_uri())
                sel = case["selection"]
                start = snap.to_pos(sel["start"]["line"], sel["start"]["character"])
                end = snap.to_pos(sel["end"]["line"], sel["end"]["character"])
                scope = estimate_scope(snap, ScopeRequest(case.get("kind", "edit"), Span(start, end),
                                                          case.get("instruction")), indexes[root])
                anchor = None
                if scope.anchor is not None:
                    a, b = snap.to_lsp(scope.anchor.start), snap.to_lsp(scope.anchor.end)
                    anchor = {"start": {"line": a[0], "character": a[1]},
                              "end": {"line": b[0], "character": b[1]}}
                result = {"id": case["id"], "scope": scope.scope, "tier": scope.scope, "model": None,
                          "anchor": anchor, "files": list(scope.files), "reasons": list(scope.reasons),
                          "confidence": scope.confidence}
            except Exception as exc:  # one bad case never stops the batch
                result = {"id": case.get("id"), "error": {"kind": type(exc).__name__, "message": str(exc)}}
            out.write(json.dumps(result) + "\n")
    _ = Pos  # imported for symmetry with the CLI's conversions


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--git", default=os.environ.get("CLICK_GIT"))
    ap.add_argument("--cases", default=str(SHARED / "click-scope-cases.jsonl"))
    ap.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "codeswitch-eval-click"))
    ap.add_argument("--direct", action="store_true", help="call estimate_scope in-process")
    ap.add_argument("--show-errors", action="store_true", help="print each wrong case with its reasons")
    args = ap.parse_args(argv)
    mirror = Path(os.environ.get("CODESWITCH_MIRRORS", "/nonexistent")) / "pallets+click" / "repo"
    if not args.git and mirror.is_dir():
        args.git = str(mirror)
    if not args.git or not Path(args.git).exists():
        print("skipped: no click repository (pass --git PATH or set CLICK_GIT)")
        return 0
    if not Path(args.cases).is_file():
        print(f"skipped: no cases at {args.cases}")
        return 0
    if not (SHARED / "materialize_cases.py").is_file() or not (SHARED / "score_scope.py").is_file():
        print(f"skipped: no evaluation scripts in {SHARED} (set CODESWITCH_EVAL_DIR)")
        return 0
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    cases = cache / "cases.jsonl"
    results = cache / "results.jsonl"
    subprocess.run([sys.executable, str(SHARED / "materialize_cases.py"), args.git, args.cases, str(cache),
                    str(cases)], check=True)
    if args.direct or not _cli_has_scope():
        print("running estimate_scope in-process")
        run_direct(cases, results)
    else:
        exe = Path(sys.executable).with_name("codeswitch")
        cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "codeswitch"]
        with open(results, "w") as out:
            subprocess.run([*cmd, "scope", "--batch", str(cases)], stdout=out, check=False)
    subprocess.run([sys.executable, str(SHARED / "score_scope.py"), str(cases), str(results)], check=True)
    if args.show_errors:
        truth = {c["id"]: c for c in map(json.loads, cases.read_text().splitlines())}
        for line in results.read_text().splitlines():
            r = json.loads(line)
            c = truth.get(r.get("id"))
            if c and r.get("scope") != c["label"]:
                print(f"{c['label']:>9} <- {r.get('scope')!s:9} {c['file']}:{c['selection']['start']['line']}"
                      f" {c['instruction'].splitlines()[0][:60]!r} {r.get('reasons') or r.get('error')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
