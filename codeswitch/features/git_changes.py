"""The working tree's changes against ``HEAD``, read with git without letting the repository run commands.

``git diff HEAD`` can run commands named in the repository's own ``.git/config`` (clean filters,
an fsmonitor hook, external diff and textconv drivers). Those are switched off on the command line
(``-c core.fsmonitor=false --no-ext-diff --no-textconv``); clean filters cannot be, so in a
workspace the user has not trusted a repository that defines one is refused (the user's own git
config is theirs to trust). Untracked files (not ignored) are listed separately and read as new
files. Cancelling the awaiting task kills git.
"""

from __future__ import annotations

import asyncio
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

#: longest diff read (bytes); a bigger one is cut (and the review says so)
MAX_DIFF_BYTES = 16_000_000
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
_SAFE = ("-c", "core.fsmonitor=false", "-c", "core.quotepath=off", "-c", "core.untrackedCache=false",
         "-c", "diff.noprefix=false", "-c", "color.ui=false")


class GitError(Exception):
    """git is missing, this is not a repository, or it refused (the message says which)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(slots=True)
class FileDiff:
    """One file's part of the diff: its path (the new one), the text, and the changed new-side lines
    (0-based); ``deleted`` when the file is gone, ``untracked`` when git does not know it yet."""

    path: str
    text: str
    changed: list[tuple[int, int]] = field(default_factory=list)
    deleted: bool = False
    untracked: bool = False


async def _git(root: Path, *args: str, limit: int = MAX_DIFF_BYTES) -> tuple[int, bytes, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_PAGER="cat", GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0", LC_ALL="C")
    try:
        proc = await asyncio.create_subprocess_exec(
            "git", *_SAFE, *args, cwd=root, env=env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    except FileNotFoundError:
        raise GitError("no_git", "git is not installed (or not on PATH)") from None
    try:
        assert proc.stdout is not None and proc.stderr is not None
        out = await proc.stdout.read(limit + 1)
        if len(out) > limit:
            proc.kill()
        _, err = await proc.communicate()
    except BaseException:  # cancelled: git must not outlive the request
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        raise
    return proc.returncode or 0, out, err.decode("utf-8", "replace").strip()


async def _filters(root: Path) -> list[str]:
    code, out, _ = await _git(root, "config", "--local", "--includes", "--name-only", "--get-regexp",
                              r"^filter\.")
    if code != 0:
        return []
    return [line for line in out.decode("utf-8", "replace").splitlines() if line.strip()]


def _mark(f: FileDiff, row: int) -> None:
    if f.changed and f.changed[-1][0] <= row <= f.changed[-1][1] + 1:
        f.changed[-1] = (f.changed[-1][0], max(f.changed[-1][1], row))
    else:
        f.changed.append((row, row))


def parse_diff(text: str) -> list[FileDiff]:
    """``git diff`` output split per file, with the new-side lines (0-based) that were added, or
    next to which lines were removed (context lines do not count)."""
    files: list[FileDiff] = []
    current: FileDiff | None = None
    row = 0  # the new-side line the next hunk line is at
    in_hunk = False
    for line in text.splitlines(keepends=True):
        if line.startswith("diff --git "):
            current = FileDiff(_b_path(line), line)
            files.append(current)
            in_hunk = False
            continue
        if current is None:
            continue
        current.text += line
        if not in_hunk and line.startswith("+++ "):
            target = line[4:].rstrip("\n")
            if target == "/dev/null":
                current.deleted = True
            elif target.startswith("b/"):
                current.path = target[2:]
        elif (m := _HUNK.match(line)) is not None:
            in_hunk, row = True, int(m.group(1)) - (1 if int(m.group(2) or "1") else 0)
        elif in_hunk and line.startswith("+"):
            _mark(current, row)
            row += 1
        elif in_hunk and line.startswith("-"):
            _mark(current, max(row, 0))
        elif in_hunk and line.startswith(" "):
            row += 1
    return files


def _b_path(header: str) -> str:
    rest = header[len("diff --git "):].rstrip("\n")
    half = rest.rfind(" b/")
    return rest[half + 3:] if half >= 0 else rest


async def working_tree_changes(root: Path, *, trusted: bool) -> list[FileDiff]:
    """The diff of the working tree (staged and not) against ``HEAD``, plus untracked files."""
    code, _, err = await _git(root, "rev-parse", "--show-toplevel")
    if code != 0:
        why = err or "git rev-parse failed"
        raise GitError("not_a_repository", f"{root} is not in a git repository ({why})")
    if not trusted and (names := await _filters(root)):
        raise GitError("untrusted", "this repository's git config defines filter commands "
                       f"({', '.join(sorted(names)[:3])}); codeswitch runs git here only in a trusted "
                       "workspace (`codeswitch trust`)")
    code, out, err = await _git(root, "diff", "HEAD", "--no-ext-diff", "--no-textconv", "--no-color",
                                "--relative", "-U3", "--", ".")
    if code != 0:
        if "unknown revision" in err or "bad revision" in err or "ambiguous argument 'HEAD'" in err:
            raise GitError("no_commits", "the repository has no commit yet: nothing to compare with")
        raise GitError("git_failed", f"git diff failed: {err or code}")
    files = parse_diff(out.decode("utf-8", "replace"))
    code, out, _ = await _git(root, "ls-files", "--others", "--exclude-standard", "-z", "--", ".")
    if code == 0:
        for rel in out.decode("utf-8", "replace").split("\0"):
            if rel:
                files.append(FileDiff(rel, "", [], untracked=True))
    return files
