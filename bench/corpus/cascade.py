#!/usr/bin/env python3
"""Would the edit-time escalation catch a request routed below its true scope? Measured on real commits.

Usage: cascade.py [--mirrors DIR] [--cases DIR] --out ESCALATION.jsonl [--quiet]

A function-tier edit is escalated to the workspace tier, before anything is applied, when it
changes the signature of the definition it edits and other files use that definition
(``features.edit``). Here the real commit stands in for the model's edit: for each case, the
definition an edit at the case's cursor anchors to is taken from the parent tree, and its header
(the server's own ``_signature``) is looked up in the file as the commit left it. A header that is
gone means the commit changed that signature (or renamed, moved or removed the definition).

A second, candidate trigger is measured beside it, for Python files: the edited definition uses a
name the file did not have before (``new_names``: not a word of the old file, not a builtin, not
bound inside the definition), i.e. the commit leans on a helper, constant or import it added
elsewhere. The server does not run this check; the figures say whether it would be worth it.

One line per commit: ``{"id", "project", "label", "anchor", "signature_changed", "new_names"}``. Whether other
files use the definition is the index's answer at the parent, which the estimator's features
already carry (``refs.other_files_log``); ``train.py --escalation`` joins the two and reports how
many under-routed requests the trigger would catch and how many would end below their true scope.

The model's own closing sentence ("callers must change too"), the cascade's other trigger, cannot
be simulated without a model, so the figures are a floor for what escalation catches.
"""

from __future__ import annotations

import argparse
import builtins
import json
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from extract import find_mirror, git  # noqa: E402
from tree_sitter import Node  # noqa: E402

from codeswitch.documents import Pos, Snapshot  # noqa: E402
from codeswitch.features.edit import _signature  # noqa: E402  (the very check the server runs)
from codeswitch.scope import Definition, enclosing_definition  # noqa: E402

_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[A-Za-z_]\w*")
_KNOWN = frozenset(dir(builtins)) | {"self", "cls", "__class__"}
#: where a Python identifier is bound rather than used (the parent's node type)
_BINDS = frozenset({
    "parameters", "default_parameter", "typed_parameter", "typed_default_parameter", "lambda_parameters",
    "list_splat_pattern", "dictionary_splat_pattern", "as_pattern_target", "pattern_list", "tuple_pattern",
    "list_pattern", "global_statement", "nonlocal_statement", "aliased_import", "dotted_name",
    "import_statement", "import_from_statement",
})
#: where a Python identifier is bound by its place in its parent: (parent's node type, field)
_TARGET_FIELD = {"assignment": "left", "augmented_assignment": "left", "for_statement": "left",
                 "for_in_clause": "left", "function_definition": "name", "class_definition": "name",
                 "named_expression": "name"}
#: an identifier that names no variable: ``x.name``, ``f(name=...)``
_NOT_A_VARIABLE = {"attribute": "attribute", "keyword_argument": "name"}


def commit_of(case_id: str) -> str:
    """``flask@3d67736e090f#body`` -> ``3d67736e090f``."""
    return case_id.split("@", 1)[1].split("#", 1)[0]


def show(gitdir: Path, rev: str, path: str) -> str | None:
    try:
        return git(gitdir, "show", f"{rev}:{path}").decode("utf-8", "replace")
    except subprocess.CalledProcessError:
        return None  # not in that commit (the commit removed or moved the file)


def _in_field(node: Node, parent: Node, fields: dict[str, str]) -> bool:
    """Whether ``node`` lies in the field ``fields`` names for its parent's type."""
    field = fields.get(parent.type)
    target = parent.child_by_field_name(field) if field else None
    return target is not None and target.start_byte <= node.start_byte < target.end_byte


def _identifiers(snap: Snapshot, d: Definition) -> tuple[set[str], set[str]]:
    """(used, bound) Python identifiers inside ``d``, strings and comments left out; an attribute
    name (``x.name``) and a keyword argument's name are neither."""
    used: set[str] = set()
    bound: set[str] = set()
    assert snap.syntax is not None
    stack = [snap.syntax.root]
    while stack:
        node = stack.pop()
        outside = node.end_byte <= d.start_byte or node.start_byte >= d.end_byte
        if outside or node.type in ("string", "comment"):
            continue
        if node.type != "identifier":
            stack.extend(node.children)
            continue
        parent, name = node.parent, node.text.decode("utf-8", "replace") if node.text else ""
        if parent is None or not name or _in_field(node, parent, _NOT_A_VARIABLE):
            continue
        (bound if parent.type in _BINDS or _in_field(node, parent, _TARGET_FIELD) else used).add(name)
    return used, bound


def new_names(old: str, new: str, path: str, anchor: Definition) -> list[str]:
    """Names the definition uses after the commit that its file did not have before (Python only)."""
    lines = new.split("\n")
    header = re.compile(rf"^\s*(async\s+)?(def|class)\s+{re.escape(anchor.name or '')}\b")
    rows = [i for i, row in enumerate(lines) if header.match(row)]
    if not rows:
        return []  # removed or renamed: the signature check already says so
    row = min(rows, key=lambda i: abs(i - anchor.span.start.line))
    snap = Snapshot.from_text(new, path=Path(path), uri=f"file:///w/{path}")
    indent = len(lines[row]) - len(lines[row].lstrip())
    after = enclosing_definition(snap, Pos(row, indent + 1), innermost=False)
    if after is None or snap.syntax is None:
        return []
    used, bound = _identifiers(snap, after)
    return sorted(used - bound - _KNOWN - set(_WORD.findall(old)))


def judge(gitdir: Path, case: dict[str, object]) -> dict[str, object]:
    """Whether the commit changed the header of the definition an edit at the cursor anchors to."""
    path = str(case["file"])
    row: dict[str, object] = {"id": case["id"], "label": case["label"], "anchor": False,
                              "signature_changed": False, "new_names": []}
    old = show(gitdir, str(case["parent"]), path)
    if old is None:
        return row
    snap = Snapshot.from_text(old, path=Path(path), uri=f"file:///w/{path}")
    sel = case["selection"]
    assert isinstance(sel, dict)
    pos = snap.to_pos(sel["start"]["line"], sel["start"]["character"])
    anchor = enclosing_definition(snap, pos, innermost=False)
    if anchor is None or anchor.kind not in ("function", "method", "class") or not anchor.name:
        return row  # no definition to edit: the server's check does not apply either
    row["anchor"] = True
    header = _signature(old.encode()[anchor.start_byte:anchor.end_byte].decode("utf-8", "replace"))
    new = show(gitdir, commit_of(str(case["id"])), path)
    row["signature_changed"] = new is None or header not in _SPACE.sub("", new)
    if new is not None and snap.language == "python":
        row["new_names"] = new_names(old, new, path, anchor)
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mirrors", type=Path, default=os.environ.get("CODESWITCH_MIRRORS"))
    ap.add_argument("--cases", type=Path, default=HERE / "cases")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--quiet", action="store_true", help="no line per project")
    args = ap.parse_args(argv)
    if args.mirrors is None or not Path(args.mirrors).is_dir():
        print("skipped: no mirrors (pass --mirrors DIR or set CODESWITCH_MIRRORS)")
        return 0
    with open(args.out, "w") as out:
        for source in sorted(args.cases.glob("*.jsonl")):
            repo = source.stem.replace("__", "/", 1)
            gitdir = find_mirror(Path(args.mirrors), repo)
            if gitdir is None:
                print(f"{repo}: no mirror (skipped)", file=sys.stderr)
                continue
            cases = [json.loads(line) for line in source.read_text().splitlines() if line.strip()]
            rows = [dict(judge(gitdir, c), project=repo) for c in cases if c.get("variant") != "body"]
            for row in rows:
                out.write(json.dumps(row) + "\n")
            ws = [r for r in rows if r["label"] == "workspace"]
            changed = sum(bool(r["signature_changed"]) for r in ws)
            if not args.quiet:
                print(f"{repo}: {len(ws)} of {len(rows)} commits reach the workspace; {changed} of those "
                      "change the anchor's signature", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
