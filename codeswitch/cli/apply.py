"""Apply an LSP WorkspaceEdit (as JSON) to files on disk, for ``edit``/``refactor --apply``.

Every edit is checked before anything is written (:func:`plan_workspace_edit`): each file must be
inside the workspace root, outside ``.git/``, not a secret file and not a protected file
(``edits.check_target``, ``codeswitch.protected``), and a regular file (a named pipe is never
opened); ranges must lie within the current text (UTF-16 positions, as the harness negotiates) and
must not overlap; with the server's ``bases`` (:func:`check_bases`) each file must still hold the
text the edit was computed from. Only then are files written (:func:`write_atomically`), after one
more check that each file is unchanged and not read-only: each through a temporary sibling,
fsync'd, then ``os.replace``d, so no file is ever half-written (a file with other hard links is
overwritten in place instead, so its links stay one file); if writing a later file fails, the
files already written get their old text back, so a run changes every file or none.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import stat
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codeswitch.diskio import NotRegularFile, is_regular, read_regular
from codeswitch.documents import path_from_uri
from codeswitch.edits import EditRejected, FileChange, check_target, file_change, split_lines, text_digest
from codeswitch.text import exact_col


def uri_to_path(uri: str) -> Path:
    path = path_from_uri(uri)
    if path is None:
        raise EditRejected("outside_workspace", f"not a file URI: {uri}")
    return path


def _offset(lines: list[str], starts: list[int], line: int, character: int) -> int:
    """Code-point offset of a UTF-16 LSP position (``lines`` keep their terminators); a position
    past a line's end or inside a character is refused, never clamped."""
    if line < 0 or character < 0 or line >= len(lines):
        raise EditRejected("out_of_bounds", f"position {line}:{character} is outside the document")
    try:
        return starts[line] + exact_col(lines[line].rstrip("\r\n"), character, "utf-16")
    except ValueError as exc:
        raise EditRejected("out_of_bounds", f"position {line}:{character}: {exc}") from None


def apply_text_edits(text: str, edits: Sequence[Mapping[str, Any]]) -> str:
    """Apply LSP TextEdits (JSON) to a text; refuses out-of-bounds and overlapping edits.

    Edits that insert at the same position are applied in the order given (LSP rule).
    """
    lines = split_lines(text)
    starts, total = [], 0
    for row in lines:
        starts.append(total)
        total += len(row)
    spans: list[tuple[int, int, int, str]] = []
    for n, edit in enumerate(edits):
        try:
            rng = edit["range"]
            start = _offset(lines, starts, int(rng["start"]["line"]), int(rng["start"]["character"]))
            end = _offset(lines, starts, int(rng["end"]["line"]), int(rng["end"]["character"]))
            new = str(edit["newText"])
        except (KeyError, TypeError, ValueError):
            raise EditRejected("malformed", f"malformed text edit: {edit!r}") from None
        if end < start:
            raise EditRejected("out_of_bounds", "an edit's range ends before it starts")
        spans.append((start, end, n, new))
    spans.sort(key=lambda s: (s[0], s[1], s[2]))
    for (_, end_a, _, _), (start_b, _, _, _) in itertools.pairwise(spans):
        if start_b < end_a:
            raise EditRejected("overlap", "two edits overlap")
    out, last = [], 0
    for start, end, _, new in spans:
        out.append(text[last:start])
        out.append(new)
        last = end
    out.append(text[last:])
    return "".join(out)


def plan_workspace_edit(edit: Mapping[str, Any], root: Path) -> list[FileChange]:
    """Compute every file's new text without writing; raises EditRejected on anything unsafe.

    Supports ``changes`` (ignored when ``documentChanges`` is present, as LSP says),
    ``documentChanges`` with TextDocumentEdits and ``create`` operations
    (a new file, which must not exist yet unless ``overwrite``/``ignoreIfExists`` say otherwise).
    Rename and delete operations are refused: the harness does not move files.
    """
    root = root.resolve()
    order: list[Path] = []
    edits: dict[Path, list[Mapping[str, Any]]] = {}
    created: set[Path] = set()  # start from an empty text (a new file, or one ``overwrite`` replaces)
    rels: dict[Path, str] = {}

    def target(uri: object) -> Path:
        if not isinstance(uri, str):
            raise EditRejected("malformed", f"malformed URI: {uri!r}")
        path, rel = check_target(uri_to_path(uri), [root])
        if path not in rels:
            rels[path] = rel
            order.append(path)
            edits[path] = []
        return path

    for change in edit.get("documentChanges") or []:
        kind = change.get("kind") if isinstance(change, Mapping) else None
        if kind == "create":
            path = target(change.get("uri"))
            options = change.get("options") or {}
            if path.exists() and not options.get("overwrite"):
                if options.get("ignoreIfExists"):
                    continue
                raise EditRejected("exists", f"{rels[path]} already exists")
            created.add(path)
        elif kind is not None:
            raise EditRejected("resource_op", f"resource operation {kind!r} is not supported by the harness")
        else:
            try:
                uri, text_edits = change["textDocument"]["uri"], change["edits"]
            except (KeyError, TypeError):
                raise EditRejected("malformed", f"malformed document change: {change!r}") from None
            edits[target(uri)].extend(text_edits)
    if not edit.get("documentChanges"):  # LSP: documentChanges, when present, win over changes
        for uri, text_edits in (edit.get("changes") or {}).items():
            edits[target(uri)].extend(text_edits)
    changes: list[FileChange] = []
    for path in order:
        before: str | None = None  # None: the file does not exist yet
        if path.exists() and not is_regular(path):  # never opened: a named pipe would block the read
            raise EditRejected("not_regular", f"{rels[path]} is not a regular file (a named pipe, socket, "
                               "device or folder)")
        if path not in created or path.exists():
            try:
                before = read_regular(path).decode("utf-8")
            except FileNotFoundError:
                raise EditRejected("missing_file", f"{rels[path]} does not exist") from None
            except UnicodeDecodeError:
                raise EditRejected("binary", f"{rels[path]} is not UTF-8 text") from None
            except NotRegularFile as exc:
                raise EditRejected("not_regular", f"{rels[path]} is {exc.what}, not a regular file") from None
            except OSError as exc:
                raise EditRejected("unreadable", f"cannot read {rels[path]}: {exc.strerror}") from None
        # a created file starts empty, even when ``overwrite`` replaces an existing one
        after = apply_text_edits("" if path in created else before or "", edits[path])
        if after != before:
            changes.append(file_change(path, rels[path], before, after))
    return changes


def check_bases(changes: Sequence[FileChange], bases: Sequence[object]) -> None:
    """Refuse (``stale``) when a file's text on disk is not the text the server computed the edit
    from: ``bases`` lists ``{uri, sha256}`` per file (sha256 None: the file is new). Positions
    computed against one text and applied to another corrupt the file."""
    by_path: dict[Path, object] = {}
    for base in bases:
        if not isinstance(base, Mapping) or not isinstance(base.get("uri"), str):
            raise EditRejected("malformed", f"malformed base: {base!r}")
        with contextlib.suppress(OSError, ValueError):
            by_path[uri_to_path(base["uri"]).resolve()] = base.get("sha256")
    for change in changes:
        if change.path not in by_path:
            continue
        want = by_path[change.path]
        have = None if change.old_text is None else text_digest(change.old_text)
        if want != have:
            raise EditRejected("stale", f"{change.rel} changed on disk after the server read it; nothing was "
                              "written (run the request again)")


def _new_file_mode() -> int:
    """What ``open()`` would give a new file: 0o666 less the umask (mkstemp makes 0o600)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def _write_one(path: Path, text: str, mode: int | None) -> None:
    """temp sibling + fsync + os.replace: readers see the old file or the new one, never a mix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode if mode is not None else _new_file_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _write_in_place(path: Path, text: str) -> None:
    """Overwrite a hard-linked file's contents through its existing inode (every link sees the new
    text); a rename would give this name a new inode and silently split it from its other links."""
    data = text.encode("utf-8")
    fd = os.open(path, os.O_WRONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        os.ftruncate(fd, 0)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True, slots=True)
class _OnDisk:
    mode: int | None  # None: the file does not exist yet
    links: int


def _write(change: FileChange, text: str, disk: _OnDisk) -> None:
    if disk.links > 1:
        _write_in_place(change.path, text)
    else:
        _write_one(change.path, text, disk.mode)


def _check_on_disk(change: FileChange) -> _OnDisk:
    """The file as it is now: it must hold the text the plan was made from, be a writable
    regular file (a read-only file is refused, as editors do), and its links are counted."""
    try:
        st = os.stat(change.path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise EditRejected("unreadable", f"cannot read {change.rel}: {exc.strerror}") from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise EditRejected("not_regular", f"{change.rel} is not a regular file")
    try:
        current: str | None = read_regular(change.path).decode("utf-8") if st is not None else None
    except FileNotFoundError:
        current = None
    except (OSError, UnicodeDecodeError) as exc:
        raise EditRejected("unreadable", f"cannot read {change.rel}: {exc}") from None
    if current != change.old_text:
        raise EditRejected("stale", f"{change.rel} changed on disk since the edit was made")
    if st is None:
        return _OnDisk(None, 0)
    # the mode bits, not access(2): root may write anything, but a file marked read-only is not
    # for an automated edit either
    if not st.st_mode & 0o222 or not os.access(change.path, os.W_OK):
        raise EditRejected("read_only", f"{change.rel} is read-only; nothing was written")
    return _OnDisk(st.st_mode & 0o7777, st.st_nlink)


def write_atomically(changes: Sequence[FileChange]) -> None:
    """Write every change, or none: each file atomically; a failure restores the files written so far.

    Before writing, each file must still hold the text the plan was made from (else EditRejected,
    kind ``stale``), must not be read-only (``read_only``) and must be a regular file; then nothing
    is written unless every file passes. A file with other hard links is written in place (after
    the checks) so the links stay one file; every other file through a temporary sibling and
    ``os.replace``.
    """
    disks = [_check_on_disk(change) for change in changes]
    done: list[tuple[FileChange, _OnDisk]] = []
    try:
        for change, disk in zip(changes, disks, strict=True):
            _write(change, change.new_text, disk)
            done.append((change, disk))
    except BaseException:
        for change, disk in done:
            with contextlib.suppress(OSError):
                if change.old_text is None:
                    change.path.unlink(missing_ok=True)
                else:
                    _write(change, change.old_text, disk)
        raise
