#!/usr/bin/env python3
"""Extract the parent trees of corpus cases and write the cases with ``root`` filled in.

Usage:
    materialize.py WORKDIR OUT.jsonl [--project owner/name ...] [--no-body] [--sources-only]

Reads ``cases/<owner>__<name>.jsonl`` of every repos.toml entry (or only the --project ones), extracts each
case's parent tree once into ``WORKDIR/<owner>__<name>/<parent>/`` (kept as a cache, as the shared
materialize_cases.py does) from the mirror (``$CORPUS_MIRRORS/owner+name/repo``), and writes all cases,
each with ``root`` and ``project`` (owner/name, for leave-one-project-out splits), to OUT.jsonl, ready
for ``codeswitch scope --batch``. ``--no-body`` leaves out the ``#body`` variants. ``--sources-only``
extracts only source files of the languages the estimator parses (3.2 GB for the message cases; full
trees take several times that). Files the snapshot lacks (4 MiB and more) are left out.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import label as lab

HERE = Path(__file__).resolve().parent
SOURCE_EXTENSIONS = tuple((
    ".py", ".pyi", ".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx", ".go", ".rs", ".java",
    ".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".hh", ".hxx", ".lua", ".rb"))


def present_files(gitdir: str, rev: str) -> list[str]:
    """Paths of the files of ``rev`` whose blobs the snapshot has (snapshots lack files of 4 MiB and more)."""
    entries = []
    for item in lab.git(gitdir, "ls-tree", "-r", "-z", rev).split("\0"):
        meta, _, path = item.partition("\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == "blob":
            entries.append((parts[2], path))
    check = subprocess.run(["git", "--git-dir", gitdir, "cat-file", "--batch-check"], check=True,
                           input="".join(sha + "\n" for sha, _ in entries), capture_output=True, text=True)
    answers = check.stdout.splitlines()
    return [path for (_, path), answer in zip(entries, answers, strict=True)
            if not answer.endswith(" missing")]


def extract(gitdir: str, parent: str, dest: Path, sources_only: bool) -> None:
    if dest.is_dir():
        return
    tmp = dest.with_name(dest.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    paths = present_files(gitdir, parent)
    if sources_only:
        paths = [p for p in paths if p.endswith(SOURCE_EXTENSIONS)]
    cmd = ["git", "--git-dir", gitdir, "archive", parent, "--", *(":(literal)" + p for p in paths)]
    # git archive still warns about the missing blobs it was told to leave out: its exit status decides
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as arc:
        subprocess.run(["tar", "-x", "-C", str(tmp)], stdin=arc.stdout, check=True)
    if arc.returncode != 0:
        raise RuntimeError(f"git archive {parent} failed in {gitdir}")
    os.rename(tmp, dest)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("workdir")
    ap.add_argument("out")
    ap.add_argument("--repos", default=str(HERE / "repos.toml"))
    ap.add_argument("--project", action="append", help="owner/name (repeatable); default: every entry")
    ap.add_argument("--no-body", action="store_true")
    ap.add_argument("--sources-only", action="store_true")
    args = ap.parse_args()
    with open(args.repos, "rb") as fh:
        names = [e["name"] for e in tomllib.load(fh)["repo"]]
    if args.project:
        names = [n for n in names if n in args.project]
    work = Path(args.workdir).resolve()
    written = 0
    with open(args.out, "w") as out:
        for name in names:
            gitdir = lab.mirror_of(name, None)
            with open(HERE / "cases" / (name.replace("/", "__") + ".jsonl")) as fh:
                cases = [json.loads(line) for line in fh]
            for case in cases:
                if args.no_body and case.get("variant") == "body":
                    continue
                tree = work / name.replace("/", "__") / case["parent"]
                extract(gitdir, case["parent"], tree, args.sources_only)
                out.write(json.dumps({**case, "project": name, "root": str(tree)}) + "\n")
                written += 1
            print(f"{name}: {len(cases)} cases", file=sys.stderr)
    print(f"{written} cases written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
