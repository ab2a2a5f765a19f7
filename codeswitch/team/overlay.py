"""The team's view of the workspace: files read from the editor or the disk, edited in memory.

Nothing here writes to disk. The first read of a file takes its text from the open document
(the live snapshot, with its version) or from the disk; edits go to an in-memory copy. Every path
goes through ``edits.check_target`` first, so reads and edits outside the workspace folders, under
``.git/``, in excluded or secret files are refused (a secret file's text never reaches a prompt).
Each file being edited has one owner (a teammate); an edit by anyone else is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from codeswitch.diskio import NotRegularFile, TooLarge, read_regular
from codeswitch.edits import (
    EditRejected,
    FileChange,
    Purpose,
    apply_search_replace,
    check_syntax,
    check_target,
    file_change,
    line_ending,
)
from codeswitch.formats import SearchReplace
from codeswitch.limits import MAX_FILE_BYTES  # files larger are not read into a prompt

#: (text, version) of an open document at this absolute path, or None when it is not open
LiveReader = Callable[[Path], "tuple[str, int] | None"]


@dataclass(slots=True)
class OverlayFile:
    path: Path
    rel: str
    base: str | None  # None: created by the team
    text: str
    version: int | None  # the open document's version the base text is, None for a closed file
    language: str | None
    renamed_from: Path | None = None  # a RenameFile resource operation moves it here first


def _language(path: Path) -> str | None:
    from codeswitch.scope.syntax import language_for

    return language_for(None, path)


class Overlay:
    """In-memory edits over the workspace folders."""

    def __init__(self, roots: Sequence[Path], exclude: Sequence[str] = (), live: LiveReader | None = None,
                 *, can_create: bool = False, can_rename: bool = False) -> None:
        if not roots:
            raise ValueError("an overlay needs at least one workspace folder")
        self.roots = tuple(roots)
        self.exclude = tuple(exclude)
        self.can_create = can_create
        self.can_rename = can_rename
        self._live = live
        self._files: dict[str, OverlayFile] = {}
        self._moved: dict[str, str] = {}  # old rel -> new rel
        self.owners: dict[str, str] = {}
        #: refused edits, in order: (agent, kind, message)
        self.refusals: list[tuple[str, str, str]] = []

    def target(self, path: str, purpose: Purpose = "edit") -> tuple[Path, str]:
        """(absolute path, workspace-relative path) or EditRejected; ``purpose="edit"`` also refuses
        protected files (``codeswitch.protected``)."""
        return check_target(path, self.roots, self.exclude, purpose)

    def _load(self, path: str) -> OverlayFile:
        return self._loaded(*self.target(path, "read"))

    def _loaded(self, full: Path, rel: str) -> OverlayFile:
        """The file at a checked target, read on first use."""
        if rel in self._files:
            return self._files[rel]
        if rel in self._moved:
            raise EditRejected("not_found", f"{rel} was renamed to {self._moved[rel]}")
        live = self._live(full) if self._live is not None else None
        if live is not None:
            text, version = live
        else:
            try:  # never a named pipe, socket or device (reading one can block forever)
                data = read_regular(full, MAX_FILE_BYTES)
            except FileNotFoundError:
                raise EditRejected("not_found", f"{rel}: no such file") from None
            except NotRegularFile as exc:
                raise EditRejected("unreadable", f"cannot read {rel}: it is {exc.what}, not a regular "
                                   "file") from None
            except TooLarge:
                raise EditRejected("unreadable", f"cannot read {rel}: the file is too large") from None
            except OSError as exc:
                raise EditRejected("unreadable", f"cannot read {rel}: {exc.strerror or exc}") from None
            text, version = data.decode("utf-8", errors="replace"), None
        f = self._files[rel] = OverlayFile(full, rel, text, text, version, _language(full))
        return f

    def read(self, path: str) -> str:
        """The file as the team sees it now (its edits included)."""
        return self._load(path).text

    def exists(self, path: str) -> bool:
        full, rel = self.target(path, "read")
        return rel in self._files or full.is_file()

    def own(self, path: str, owner: str) -> str:
        """Give `owner` the right to edit `path`; returns the relative path."""
        _full, rel = self.target(path)
        holder = self.owners.get(rel)
        if holder is not None and holder != owner:
            raise EditRejected("not_owned", f"{rel} is already owned by {holder}")
        self.owners[rel] = owner
        return rel

    def _check_owner(self, rel: str, agent: str) -> None:
        if rel in self._moved:
            raise EditRejected("not_found", f"{rel} was renamed to {self._moved[rel]}")
        holder = self.owners.get(rel)
        if holder != agent:
            who = f"it belongs to {holder}" if holder else "no teammate owns it"
            raise EditRejected("not_owned", f"{agent} may not edit {rel}: {who}")

    def refuse(self, agent: str, err: EditRejected) -> EditRejected:
        self.refusals.append((agent, err.kind, err.message))
        return err

    def replace(self, agent: str, path: str, search: str, replace: str) -> str:
        """Replace the one occurrence of `search` in `path` (owned by `agent`); returns the rel path."""
        try:
            full, rel = self.target(path)
            self._check_owner(rel, agent)
            f = self._loaded(full, rel)
            f.text = apply_search_replace(f.text, [SearchReplace(search, replace)], (0, len(f.text)))
        except EditRejected as err:
            raise self.refuse(agent, err) from None
        return rel

    def create(self, agent: str, path: str, text: str) -> str:
        """A new file (a CreateFile resource operation in the result), owned by `agent`."""
        try:
            if path.endswith(("/", "\\")):
                raise EditRejected("bad_path", f"cannot create {path!r}: a file path cannot end with a "
                                   "folder separator")
            full, rel = self.target(path)
            if not self.can_create:
                raise EditRejected("resource_op", f"cannot create {rel}: the editor does not accept "
                                   "file creation in workspace edits")
            if rel in self._files or full.exists() or full.is_symlink():
                raise EditRejected("resource_op", f"cannot create {rel}: it already exists")
            self._check_owner(rel, agent)
        except EditRejected as err:
            raise self.refuse(agent, err) from None
        eol = self._usual_line_ending()
        if eol != "\n":  # a new file in a CRLF (or CR) workspace is written the same way
            text = re.sub(r"\r\n|\r|\n", eol, text)
        self._files[rel] = OverlayFile(full, rel, None, text, None, _language(full))
        return rel

    def _usual_line_ending(self) -> str:
        """The line-ending style most of the files the team has read use ("\n" when none)."""
        votes: dict[str, int] = {}
        for f in self._files.values():
            if f.base and ("\n" in f.base or "\r" in f.base):
                style = line_ending(f.base)
                votes[style] = votes.get(style, 0) + 1
        return max(votes, key=lambda k: votes[k]) if votes else "\n"

    def rename(self, agent: str, path: str, new_path: str) -> str:
        """Move a file `agent` owns (a RenameFile resource operation in the result); returns the new rel."""
        try:
            full, rel = self.target(path)
            new_full, new_rel = self.target(new_path)
            if not self.can_rename:
                raise EditRejected("resource_op", f"cannot rename {rel}: the editor does not accept "
                                   "file renames in workspace edits")
            self._check_owner(rel, agent)
            if new_rel in self._files or new_full.exists():
                raise EditRejected("resource_op", f"cannot rename {rel} to {new_rel}: it already exists")
            holder = self.owners.get(new_rel)
            if holder is not None and holder != agent:
                raise EditRejected("not_owned", f"{agent} may not create {new_rel}: it belongs to {holder}")
            f = self._loaded(full, rel)
            if f.base is None:
                raise EditRejected("resource_op", f"cannot rename {rel}: it is a new file; create it at "
                                   f"{new_rel} instead")
        except EditRejected as err:
            raise self.refuse(agent, err) from None
        del self._files[rel]
        self._moved[rel] = new_rel
        self.owners.pop(rel, None)
        self.owners[new_rel] = agent
        self._files[new_rel] = OverlayFile(new_full, new_rel, f.base, f.text, f.version, _language(new_full),
                                           f.renamed_from or f.path)
        return new_rel

    def changed(self) -> list[OverlayFile]:
        return [f for f in self._files.values() if f.base != f.text or f.renamed_from is not None]

    def syntax_problems(self) -> list[str]:
        """One message per changed file whose new text parses with more errors than before."""
        out = []
        for f in self.changed():
            try:
                check_syntax(f.language, f.base or "", f.text)
            except EditRejected as err:
                out.append(f"{f.rel}: {err.message}")
        return out

    def changes(self) -> list[FileChange]:
        """The changed files as minimal edits against their base text, sorted by path."""
        return [replace(file_change(f.path, f.rel, f.base, f.text, f.version), rename_from=f.renamed_from)
                for f in sorted(self.changed(), key=lambda f: f.rel)]
