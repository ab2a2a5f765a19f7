"""The refusal every edit check raises: :class:`EditRejected` with a machine-readable kind.

Kept apart so that ``codeswitch.edits`` and ``codeswitch.edit_targets`` share it without importing
each other; ``codeswitch.edits`` re-exports both names.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["EditRejected", "RejectKind"]

RejectKind = Literal["format", "not_found", "ambiguous", "outside_anchor", "syntax", "no_change",
                     "outside_workspace", "git_dir", "excluded", "secret", "stale", "resource_op",
                     "not_owned", "protected", "bad_path", "unreadable", "read_only",
                     # applying a WorkspaceEdit to files on disk (cli.apply)
                     "malformed", "out_of_bounds", "overlap", "exists", "missing_file", "binary",
                     "not_regular"]

class EditRejected(Exception):
    """An edit that must not be applied; ``kind`` is machine-readable, the message is for users."""

    def __init__(self, kind: RejectKind, message: str) -> None:
        super().__init__(message)
        self.kind: RejectKind = kind
        self.message = message
