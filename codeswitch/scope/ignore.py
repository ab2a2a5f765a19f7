"""Which workspace paths the index skips: fixed directories, virtualenvs and ``.gitignore`` rules.

Implements the common gitignore syntax (globs, ``**``, ``dir/`` suffix, ``!`` negation, anchored
``/`` patterns, nested ``.gitignore`` files, last match wins); enough for real projects without
shelling out to git.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

#: directories never worth indexing, whatever .gitignore says
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", "build",
                       "dist", "target", "out", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox",
                       ".nox", ".idea", ".eggs"})


@dataclass(frozen=True, slots=True)
class Rule:
    regex: re.Pattern[str]
    negated: bool
    dir_only: bool


def _translate(glob: str) -> str:
    out: list[str] = []
    i, n = 0, len(glob)
    while i < n:
        c = glob[i]
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("/**", i) and i + 3 == n:
            out.append("/.*")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            j = glob.find("]", i + 2)
            if j < 0:
                out.append(re.escape(c))
                i += 1
                continue
            body = glob[i + 1:j]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = j + 1
        elif c == "\\" and i + 1 < n:
            out.append(re.escape(glob[i + 1]))
            i += 2
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def parse_rule(line: str, base: str = "") -> Rule | None:
    """One .gitignore line -> a rule for paths relative to the workspace root (None: no rule)."""
    text = line.rstrip("\n").rstrip("\r")
    if not text.endswith("\\ "):
        text = text.rstrip(" ")
    if not text or text.startswith("#"):
        return None
    negated = text.startswith("!")
    if negated or text.startswith(("\\!", "\\#")):
        text = text[1:]
    dir_only = text.endswith("/")
    text = text.rstrip("/")
    if not text:
        return None
    anchored = "/" in text
    text = text.lstrip("/")
    prefix = re.escape(base + "/") if base else ""
    body = _translate(text)
    pattern = f"^{prefix}{body}$" if anchored else f"^{prefix}(?:.*/)?{body}$"
    return Rule(re.compile(pattern, re.DOTALL), negated, dir_only)


@dataclass(slots=True)
class IgnoreRules:
    """Ordered rules; the last one that matches a path decides."""

    rules: list[Rule] = field(default_factory=list)

    def add_lines(self, lines: list[str] | str, base: str = "") -> None:
        if isinstance(lines, str):
            lines = lines.splitlines()
        for line in lines:
            rule = parse_rule(line, base)
            if rule is not None:
                self.rules.append(rule)

    def add_file(self, path: Path, base: str = "") -> None:
        try:
            self.add_lines(path.read_text(encoding="utf-8", errors="replace"), base)
        except OSError:
            return

    def matches(self, rel: str, is_dir: bool) -> bool:
        """Whether ``rel`` (root-relative, "/" separated) is ignored by these rules alone."""
        ignored = False
        for rule in self.rules:
            if rule.dir_only and not is_dir:
                continue
            if rule.regex.match(rel):
                ignored = not rule.negated
        return ignored

    def ignores(self, rel: str, is_dir: bool = False) -> bool:
        """Whether ``rel`` or any directory above it is ignored (for single-file updates)."""
        parts = rel.split("/")
        for i in range(1, len(parts)):
            if parts[i - 1] in SKIP_DIRS or self.matches("/".join(parts[:i]), True):
                return True
        return self.matches(rel, is_dir)


def is_virtualenv(path: Path) -> bool:
    return (path / "pyvenv.cfg").is_file()
