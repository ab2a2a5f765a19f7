"""Where an open document sits: its path relative to the workspace, and whether it is secret.

Judging a path resolves it on disk (a dozen system calls) and reads ``.codeswitchignore``; the
verdict is kept per URI until the root or that file changes, so a keystroke pays one ``stat``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from codeswitch.documents import Snapshot
from codeswitch.secrets import ignore_stamp, is_secret


@dataclass(frozen=True, slots=True)
class FileFacts:
    rel_path: str | None  # relative to the root; the file name outside it; None without a path
    secret: bool  # its text must never leave the machine


@dataclass(slots=True)
class FileJudge:
    """Per-server memory of :class:`FileFacts` by document URI."""

    _known: dict[str, tuple[tuple[Path | None, int | None], FileFacts]] = field(default_factory=dict)

    def facts(self, snap: Snapshot, root: Path | None) -> FileFacts:
        path = snap.path
        if path is None:
            return FileFacts(None, False)
        key = (root, ignore_stamp(root if root is not None else path.parent))
        known = self._known.get(snap.uri)
        if known is None or known[0] != key:
            known = self._known[snap.uri] = (key, _judge(path, root))
        return known[1]


def _judge(path: Path, root: Path | None) -> FileFacts:
    """Both paths resolved: a link in the workspace is judged where it really points."""
    if root is not None:
        real, real_root = path.resolve(), root.resolve()
        if real.is_relative_to(real_root):
            return FileFacts(real.relative_to(real_root).as_posix(), is_secret(path, root))
    return FileFacts(path.name, is_secret(path, path.parent))
