"""How changes have spread in this repository: co-change figures from its recent git history.

A file whose past commits usually touched other source files too is likely to be changed together
with others again; a project whose commits are mostly one-file changes is likely to keep doing
that. The index reads the last ``LIMIT`` non-merge commits once (``git log --name-only``, a few
hundred ms at most, in the index's background build); the estimator reads the figures as features.
Test files are left out, as the scope labels leave them out.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .syntax import language_for

LIMIT = 500
_TEST_PATH = re.compile(r"(^|/)(tests?|__tests__|spec|testing)/|(^|/)test_[^/]*$|_test\.\w+$|"
                        r"\.(test|spec)\.\w+$|(^|/)conftest\.py$")
_MARK = "@@commit"


def is_test_path(path: str) -> bool:
    return bool(_TEST_PATH.search(path))


def _is_code(path: str) -> bool:
    return language_for(None, path) is not None and not is_test_path(path)


@dataclass(frozen=True, slots=True)
class CoChange:
    """Per-file and whole-repository figures over the recent commits that changed source files."""

    commits: int = 0
    multi: int = 0  # commits that changed two or more source files
    #: root-relative path -> (commits that changed it, of which changed other source files too)
    files: Mapping[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def multi_rate(self) -> float:
        return self.multi / self.commits if self.commits else 0.0

    def file_rate(self, path: str) -> tuple[int, float | None]:
        """How often ``path`` changed, and the share of those changes that reached other files."""
        seen, multi = self.files.get(path, (0, 0))
        return seen, (multi / seen if seen else None)

    @classmethod
    def from_log(cls, text: str) -> CoChange:
        """Parse ``git log --name-only --format=format:@@commit`` output."""
        commits = multi = 0
        files: dict[str, list[int]] = {}
        for chunk in text.split(_MARK)[1:]:
            changed = {line.strip() for line in chunk.splitlines() if line.strip()}
            code = [p for p in changed if _is_code(p)]
            if not code:
                continue
            commits += 1
            wide = len(code) >= 2
            multi += wide
            for p in code:
                row = files.setdefault(p, [0, 0])
                row[0] += 1
                row[1] += wide
        return cls(commits, multi, {p: (a, b) for p, (a, b) in files.items()})


def read_history(root: Path, revision: str = "HEAD", limit: int = LIMIT, git_dir: Path | None = None,
                 timeout_s: float = 5.0) -> CoChange | None:
    """Co-change figures of the repository at ``root`` (None outside a git repository or on error)."""
    # --relative: paths relative to the workspace root when it is a folder inside the repository
    base = ["git", f"--git-dir={git_dir}"] if git_dir is not None else ["git", "-C", str(root)]
    rel = [] if git_dir is not None else ["--relative"]
    try:
        out = subprocess.run([*base, "log", *rel, "--no-merges", "-n", str(limit), "--name-only",
                              f"--format=format:{_MARK}", revision, "--"],
                             capture_output=True, timeout=timeout_s, check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return CoChange.from_log(out.stdout.decode("utf-8", errors="replace"))
