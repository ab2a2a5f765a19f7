#!/usr/bin/env python3
"""Check the labeller against the public click cases: label each of their commits and compare.

Usage: check_labeller.py [--git CLICK_GIT_DIR] [--cases CASES.jsonl] [--show N]

The click repository defaults to ``$CLICK_GIT`` or ``$CORPUS_MIRRORS/pallets+click/repo``. Each public
case names its commit by its parent and the id's hash prefix; the labeller's rules (``label.py``) are
applied to that commit with no sampling and no filters, and the script prints the agreement on
``label``, ``label_strict``, ``file``, ``selection``, ``n_code_files`` and ``instruction``, the label
confusion matrix, and the first N disagreements.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import label as lab

SHARED = Path(os.environ.get("CODESWITCH_EVAL_DIR", "/work/shared/eval"))
FIELDS = ("label", "label_strict", "file", "selection", "n_code_files", "instruction")


def commit_of(gitdir: str, parent: str, prefix: str) -> str | None:
    out = lab.git(gitdir, "log", "--all", "--format=%H %P")
    for line in out.splitlines():
        shas = line.split()
        if shas[0].startswith(prefix) and parent in shas[1:]:
            return shas[0]
    return None


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--git", default=os.environ.get("CLICK_GIT") or lab.mirror_of("pallets/click", None))
    ap.add_argument("--cases", default=str(SHARED / "click-scope-cases.jsonl"))
    ap.add_argument("--show", type=int, default=20)
    args = ap.parse_args()
    with open(args.cases) as fh:
        cases = [json.loads(line) for line in fh]
    log = lab.git(args.git, "log", "--all", "--format=%H %P")
    by_parent: dict[str, list[str]] = collections.defaultdict(list)
    for line in log.splitlines():
        shas = line.split()
        for p in shas[1:]:
            by_parent[p].append(shas[0])
    agree: collections.Counter[str] = collections.Counter()
    confusion: collections.Counter[tuple[str, str]] = collections.Counter()
    shown = 0
    n = 0
    for case in cases:
        prefix = case["id"].split("@", 1)[1]
        shas = [s for s in by_parent.get(case["parent"], []) if s.startswith(prefix)]
        if len(shas) != 1:
            print(f"{case['id']}: commit not found", file=sys.stderr)
            continue
        sha = shas[0]
        parents = lab.git(args.git, "log", "-1", "--format=%P", sha).split()
        commit = lab.Commit(sha, [case["parent"]] + [p for p in parents if p != case["parent"]], "")
        out = lab.label_commit(args.git, "pallets/click", lab.PY, commit)
        n += 1
        mine = out.case or {}
        confusion[(case["label"], mine.get("label", "skip:" + out.reason))] += 1
        diffs = [f for f in FIELDS if mine.get(f) != case[f]]
        for f in FIELDS:
            agree[f] += f not in diffs
        if diffs and shown < args.show and any(f != "instruction" for f in diffs):
            shown += 1
            print(f"--- {case['id']} {sha[:12]}")
            for f in diffs:
                if f != "instruction":
                    print(f"    {f}: public={case[f]!r} labeller={mine.get(f, out.reason)!r}")
    print(f"\n{n} click cases")
    for f in FIELDS:
        print(f"  {f:13s} agreement {agree[f]}/{n} = {100 * agree[f] / max(1, n):.1f} %")
    labels = ("inline", "function", "workspace")
    print("  label confusion (rows public, columns labeller):")
    cols = [x for x in labels if any(m == x for _, m in confusion)]
    cols += sorted({m for _, m in confusion} - set(labels))
    print("    " + " ".join(f"{c:>10s}" for c in ["", *cols]))
    for t in labels:
        print("    " + f"{t:>10s} " + " ".join(f"{confusion[(t, c)]:>10d}" for c in cols))
    return 0


if __name__ == "__main__":
    sys.exit(main())
