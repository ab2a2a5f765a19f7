"""Where an open document sits: its path relative to the workspace, and whether it is secret.

A document is secret when ``codeswitch.secrets.is_secret`` says so or when it matches the
config's ``exclude`` patterns: either way its text never goes to a provider, for any request.
Judging a path resolves it on disk (a dozen system calls) and reads ``.codeswitchignore``; the
verdict is kept per URI until the root, that file or the excludes change, so a keystroke pays one
``stat``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from codeswitch.documents import Snapshot
from codeswitch.scope.ignore import IgnoreRules
from codeswitch.secrets import ignore_stamp, is_secret


@dataclass(frozen=True, slots=True)
class FileFacts:
    rel_path: str | None  # relative to the root; the file name outside it; None without a path
    secret: bool  # its text must never leave the machine (a secret, ignored or excluded file)


@dataclass(slots=True)
class FileFactsCache:
    """Per-server cache of :class:`FileFacts` by document URI."""

    _known: dict[str, tuple[tuple[object, ...], FileFacts]] = field(default_factory=dict)
    #: the config's exclude patterns (gitignore syntax, relative to the root); the server sets them
    exclude: tuple[str, ...] = ()

    def facts(self, snap: Snapshot, root: Path | None) -> FileFacts:
        path = snap.path
        if path is None:
            return FileFacts(None, False)
        key = (root, ignore_stamp(root if root is not None else path.parent), self.exclude)
        known = self._known.get(snap.uri)
        if known is None or known[0] != key:
            known = self._known[snap.uri] = (key, _judge(path, root, self.exclude))
        return known[1]


def _judge(path: Path, root: Path | None, exclude: tuple[str, ...]) -> FileFacts:
    """Both paths resolved: a link in the workspace is judged where it really points."""
    if root is not None:
        real, real_root = path.resolve(), root.resolve()
        if real.is_relative_to(real_root):
            rel = real.relative_to(real_root).as_posix()
            lexical = path.relative_to(root).as_posix() if path.is_relative_to(root) else rel
            return FileFacts(rel, is_secret(path, root) or _excluded(exclude, rel, lexical))
    return FileFacts(path.name, is_secret(path, path.parent))


def _excluded(exclude: tuple[str, ...], *rels: str) -> bool:
    if not exclude:
        return False
    rules = IgnoreRules()
    rules.add_lines(list(exclude))
    for rel in rels:
        parts = rel.split("/")
        if any(rules.matches("/".join(parts[:i]), True) for i in range(1, len(parts))) \
                or rules.matches(rel, False):
            return True
    return False
