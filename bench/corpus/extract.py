#!/usr/bin/env python3
"""Materialize labelled cases and extract the scope estimator's features for each.

Usage: extract.py CASES.jsonl [CASES.jsonl ...] --mirrors DIR --out FEATURES.jsonl [--work DIR]

For each project the cases are visited in history order on one working tree: the first case's
parent is checked out with ``git archive``, later ones by writing only the files that differ
(``git diff --name-status``), and the workspace index is updated file by file, as the server's
watcher would. Each case then goes through ``codeswitch.scope.edit_features`` — the very code
the estimator runs — and one line is written: ``{"id", "project", "label", "features"}``.

A mirror is a bare git dir: DIR/<owner>+<name>/repo (what the fetch tool lays out) or DIR/<name>.git.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from codeswitch.documents import Snapshot, Span
from codeswitch.scope import ScopeRequest, WorkspaceIndex
from codeswitch.scope.estimate import edit_features
from codeswitch.scope.history import read_history


def find_mirror(mirrors: Path, repo: str) -> Path | None:
    owner, _, name = repo.partition("/")
    cands = [mirrors / f"{owner}+{name}" / "repo", mirrors / f"{name}.git", mirrors / name,
             *sorted(mirrors.glob(f"*+{name}/repo"))]
    for cand in cands:
        if (cand / "HEAD").exists() or (cand / ".git").exists():
            return cand
    return None


def git(gitdir: Path, *args: str) -> bytes:
    return subprocess.run(["git", "--git-dir", str(gitdir), *args], check=True, capture_output=True).stdout


class Tree:
    """One working tree that follows a project's history, with its index kept in step."""

    def __init__(self, gitdir: Path, where: Path) -> None:
        self.gitdir, self.where = gitdir, where
        self.commit: str | None = None
        self.index = WorkspaceIndex()

    def goto(self, commit: str) -> None:
        if self.commit == commit:
            return
        if self.commit is None:
            if self.where.exists():
                shutil.rmtree(self.where)
            self.where.mkdir(parents=True)
            arc = subprocess.Popen(["git", "--git-dir", str(self.gitdir), "archive", commit],
                                   stdout=subprocess.PIPE)
            subprocess.run(["tar", "-x", "-C", str(self.where)], stdin=arc.stdout, check=True)
            arc.wait()
            self.index.build(self.where)
        else:
            out = git(self.gitdir, "diff", "--no-renames", "--name-status", "-z", self.commit, commit)
            parts = out.decode("utf-8", "surrogateescape").split("\0")
            for status, rel in zip(parts[0::2], parts[1::2], strict=False):
                target = self.where / rel
                if target.is_dir() and not target.is_symlink():
                    continue  # a submodule: git archive leaves an empty folder, never a file
                if status.startswith("D"):
                    target.unlink(missing_ok=True)
                    self.index.remove(rel)
                    continue
                try:
                    blob = git(self.gitdir, "show", f"{commit}:{rel}")
                    target.parent.mkdir(parents=True, exist_ok=True)
                    if target.is_symlink():
                        target.unlink()
                    target.write_bytes(blob)
                except (subprocess.CalledProcessError, OSError):
                    continue  # a submodule or a path git cannot show as a file
                self.index.update_file(rel)
        self.commit = commit
        # what the server reads from the repository's own log, as of this commit
        self.index.history = read_history(self.where, revision=commit, git_dir=self.gitdir)


def history_order(gitdir: Path, parents: set[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in parents:
        try:
            out[p] = int(git(gitdir, "show", "-s", "--format=%ct", p).strip() or 0)
        except subprocess.CalledProcessError:
            out[p] = -1
    return out


def case_key(case: dict[str, Any]) -> str:
    """What a case's features depend on (not its label): same key, same features."""
    fields = [case["parent"], case["file"], case["selection"], case.get("instruction"), case.get("kind")]
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]


def features_for(tree: Tree, case: dict[str, Any]) -> tuple[dict[str, float], str | None]:
    path = tree.where / case["file"]
    text = path.read_bytes().decode("utf-8", errors="replace")
    snap = Snapshot.from_text(text, path=path, uri=path.as_uri())
    sel = case["selection"]
    start = snap.to_pos(sel["start"]["line"], sel["start"]["character"])
    end = snap.to_pos(sel["end"]["line"], sel["end"]["character"])
    request = ScopeRequest(case.get("kind", "edit"), Span(start, end), case.get("instruction"))
    return edit_features(snap, request, tree.index)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cases", nargs="+")
    ap.add_argument("--mirrors", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--work", type=Path, default=Path("/tmp/codeswitch-corpus-trees"))
    ap.add_argument("--repo", help="owner/name of every case (when the cases name the project alone)")
    args = ap.parse_args(argv)
    by_repo: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for name in args.cases:
        for line in Path(name).read_text().splitlines():
            if line.strip():
                case = json.loads(line)
                by_repo[args.repo or case["repo"]].append(case)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w") as out:
        for repo, cases in sorted(by_repo.items()):
            mirror = find_mirror(args.mirrors, repo if "/" in repo else f"_/{repo}")
            if mirror is None:
                print(f"skipped {repo}: no mirror under {args.mirrors}", file=sys.stderr)
                continue
            order = history_order(mirror, {c["parent"] for c in cases})
            cases.sort(key=lambda c: (order.get(c["parent"], -1), c["parent"], c["id"]))
            tree = Tree(mirror, args.work / repo.replace("/", "+"))
            t0, failed = time.perf_counter(), 0
            for case in cases:
                row: dict[str, Any] = {"id": case["id"], "key": case_key(case), "project": repo,
                                       "label": case["label"], "variant": case.get("variant", "subject")}
                try:
                    tree.goto(case["parent"])
                    row["features"], row["explicit"] = features_for(tree, case)
                except Exception as exc:  # one bad case never stops the run
                    failed += 1
                    row["error"] = f"{type(exc).__name__}: {exc}"
                out.write(json.dumps(row) + "\n")
            print(f"{repo}: {len(cases)} cases, {failed} failed, {time.perf_counter() - t0:.0f} s",
                  file=sys.stderr)
            shutil.rmtree(tree.where, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
