#!/usr/bin/env python3
"""Check the committed corpus cases against their mirrors and print the per-project table.

Usage: verify_cases.py [--repos bench/corpus/repos.toml] [--markdown]

For every case of ``cases/<owner>__<name>.jsonl``: the id is unique, the fields are those of the public
click cases, the labels are valid, the parent commit exists in the mirror, ``file`` exists at the parent,
and the selection is a valid LSP position in that file (line inside the file, UTF-16 character inside the
line). Prints one row per project (cases, body variants, label counts) and the totals; exits 1 on any
problem. ``--markdown`` prints the table as Markdown (as in README.md).
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import label as lab

HERE = Path(__file__).resolve().parent
FIELDS = {"id", "repo", "parent", "file", "selection", "instruction", "kind", "label", "label_strict",
          "n_code_files"}
LABELS = ("inline", "function", "workspace")


def check_project(name: str, problems: list[str]) -> collections.Counter[str]:
    path = HERE / "cases" / (name.replace("/", "__") + ".jsonl")
    gitdir = lab.mirror_of(name, None)
    counts: collections.Counter[str] = collections.Counter()
    seen: set[str] = set()
    texts: dict[tuple[str, str], list[str] | None] = {}
    with open(path) as fh:
        cases = [json.loads(line) for line in fh]
    for c in cases:
        cid = c["id"]
        if cid in seen:
            problems.append(f"{cid}: duplicate id")
        seen.add(cid)
        missing = FIELDS - c.keys()
        if missing:
            problems.append(f"{cid}: missing {sorted(missing)}")
            continue
        if c["label"] not in LABELS or c["label_strict"] not in LABELS or c["kind"] != "edit":
            problems.append(f"{cid}: bad label/kind")
        if c.get("variant") == "body":
            counts["body"] += 1
            if not cid.endswith("#body"):
                problems.append(f"{cid}: body variant without #body")
        else:
            counts["cases"] += 1
            counts[c["label"]] += 1
            counts["strict_" + c["label_strict"]] += 1
        key = (c["parent"], c["file"])
        if key not in texts:
            data = lab.git_bytes(gitdir, "cat-file", "blob", f"{c['parent']}:{c['file']}")
            texts[key] = data.decode("utf-8", errors="replace").split("\n") if data is not None else None
        lines = texts[key]
        if lines is None:
            problems.append(f"{cid}: {c['file']} not in parent {c['parent'][:12]}")
            continue
        start, end = c["selection"]["start"], c["selection"]["end"]
        for pos in (start, end):
            if not 0 <= pos["line"] < len(lines):
                problems.append(f"{cid}: line {pos['line']} outside {c['file']} ({len(lines)} lines)")
            elif not 0 <= pos["character"] <= lab.utf16_len(lines[pos["line"]]):
                problems.append(f"{cid}: character {pos['character']} outside line {pos['line']}")
    return counts


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repos", default=str(HERE / "repos.toml"))
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    with open(args.repos, "rb") as fh:
        entries = tomllib.load(fh)["repo"]
    problems: list[str] = []
    total: collections.Counter[str] = collections.Counter()
    rows = []
    for e in entries:
        counts = check_project(e["name"], problems)
        total.update(counts)
        rows.append((e["name"], e["language"], counts))
    cols = ("cases", "body", *LABELS, *("strict_" + x for x in LABELS))
    if args.markdown:
        print("| project | language | " + " | ".join(cols) + " |")
        print("|---|---|" + "---:|" * len(cols))
        for name, language, counts in rows:
            print(f"| {name} | {language} | " + " | ".join(str(counts[c]) for c in cols) + " |")
        print(f"| **total ({len(rows)} projects)** | | " + " | ".join(f"**{total[c]}**" for c in cols) + " |")
    else:
        print(f"{'project':34s} {'language':10s} " + " ".join(f"{c:>16s}" for c in cols))
        for name, language, counts in rows:
            print(f"{name:34s} {language:10s} " + " ".join(f"{counts[c]:>16d}" for c in cols))
        print(f"{'total':34s} {'':10s} " + " ".join(f"{total[c]:>16d}" for c in cols))
    n = max(1, total["cases"])
    print("\nlabel share: " + ", ".join(f"{x} {100 * total[x] / n:.1f} %" for x in LABELS))
    for p in problems[:50]:
        print("PROBLEM", p, file=sys.stderr)
    print(f"{len(problems)} problems", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
