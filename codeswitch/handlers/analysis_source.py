"""The workspace as explain and review may read it: open documents first, then the disk, never a
secret, ignored or excluded file, nor one outside the root. Files are parsed once per request, to
find where a definition the index names ends."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from codeswitch.diskio import read_regular
from codeswitch.documents import Snapshot, UnknownDocument
from codeswitch.scope import Symbol, enclosing_definition
from codeswitch.scope.ignore import IgnoreRules
from codeswitch.secrets import is_secret

if TYPE_CHECKING:
    from .state import State

MAX_READ_BYTES = 4_000_000


class WorkspaceSource:
    """A ``features.analysis_context.Reader`` over the server state, for one request in the
    workspace folder ``root`` (safe to use from a worker thread: snapshots are immutable)."""

    def __init__(self, state: State, root: Path | None) -> None:
        self.state = state
        self.root = root
        self.excluded = IgnoreRules()
        self.excluded.add_lines(list(state.config.exclude))
        self._snaps: dict[str, Snapshot | None] = {}

    def may_send(self, rel: str) -> bool:
        root = self.root
        if root is None or is_secret(root / rel, root):
            return False
        parts = rel.split("/")
        if any(self.excluded.matches("/".join(parts[:i]), True) for i in range(1, len(parts))):
            return False
        return not self.excluded.matches(rel, False) and (root / rel).resolve().is_relative_to(root.resolve())

    def snapshot(self, rel: str) -> Snapshot | None:
        if rel in self._snaps:
            return self._snaps[rel]
        snap: Snapshot | None = None
        if self.root is not None and self.may_send(rel):
            full = self.root / rel
            try:
                snap = self.state.documents.snapshot(full.as_uri())
            except UnknownDocument:
                try:
                    text = read_regular(full, MAX_READ_BYTES).decode("utf-8")
                except (OSError, UnicodeDecodeError):
                    text = None
                if text is not None:
                    snap = Snapshot.from_text(text, uri=full.as_uri(), path=full)
        self._snaps[rel] = snap
        return snap

    def __call__(self, path: str) -> str | None:
        snap = self.snapshot(path)
        return snap.text if snap is not None else None

    def extent(self, sym: Symbol) -> tuple[int, int]:
        line = sym.span.start.line
        snap = self.snapshot(sym.path)
        if snap is None:
            return line, line
        found = enclosing_definition(snap, sym.span.start)
        if found is None or not found.span.start.line <= line <= found.span.end.line:
            return line, line
        return found.span.start.line, found.span.end.line
