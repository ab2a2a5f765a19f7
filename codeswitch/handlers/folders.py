"""Every workspace folder of a session, each with its own index.

A client may open several folders (VS Code multi-root workspaces, Neovim's ``workspace_folders``).
Each folder is indexed, and a request on a document is answered with the index of the folder that
holds it (the deepest one, when folders nest): its scope, its definitions and its paths are that
folder's. The first folder stays the session's root for the configuration and the ledger.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from codeswitch.documents import path_from_uri
from codeswitch.scope.index import WorkspaceIndex


class WorkspaceFolders:
    """The folders of a session, in the client's order, and their indexes."""

    def __init__(self) -> None:
        self._indexes: dict[Path, WorkspaceIndex] = {}

    def set_roots(self, roots: Sequence[Path]) -> None:
        """Index these directories (duplicates and non-directories are dropped)."""
        indexes: dict[Path, WorkspaceIndex] = {}
        for root in roots:
            if root.is_dir():
                indexes.setdefault(root, WorkspaceIndex(root))
        self._indexes = indexes

    def __iter__(self) -> Iterator[tuple[Path, WorkspaceIndex]]:
        return iter(list(self._indexes.items()))

    def __len__(self) -> int:
        return len(self._indexes)

    def roots(self) -> list[Path]:
        return list(self._indexes)

    def index(self, root: Path) -> WorkspaceIndex | None:
        return self._indexes.get(root)

    def folder_of(self, path: Path | None) -> tuple[Path, WorkspaceIndex] | None:
        """The deepest folder holding ``path`` (compared as the client names them: no file system
        call on the per-keystroke path), with its index; None outside every folder."""
        if path is None:
            return None
        best: tuple[Path, WorkspaceIndex] | None = None
        for root, index in self._indexes.items():
            if path.is_relative_to(root) and (best is None or len(root.parts) > len(best[0].parts)):
                best = (root, index)
        return best

    def for_uri(self, uri: str) -> tuple[Path, WorkspaceIndex] | None:
        return self.folder_of(path_from_uri(uri))
