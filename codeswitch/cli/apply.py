"""Apply an LSP WorkspaceEdit (as JSON) to files on disk, for ``edit``/``refactor --apply``.

Every edit is checked before anything is written (:func:`plan_workspace_edit`): each file must be
inside the workspace root, outside ``.git/`` and not a secret file (``edits.check_target``); ranges
must lie within the current text (UTF-16 positions, as the harness negotiates) and must not
overlap. Only then are files written (:func:`write_atomically`): each through a temporary sibling,
fsync'd, then ``os.replace``d, so no file is ever half-written; if writing a later file fails, the
files already replaced get their old text back, so a run changes every file or none.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from codeswitch.edits import EditRejected, check_target, split_lines
from codeswitch.edits import unified_diff as file_diff


class EditRefused(Exception):
    """The workspace edit cannot be applied safely; nothing was written."""

    def __init__(self, message: str, kind: str = "refused") -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True, slots=True)
class FileChange:
    """One file's text before (None: the edit creates it) and after."""

    path: Path
    rel: str
    before: str | None
    after: str


def uri_to_path(uri: str) -> Path:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        raise EditRefused(f"not a file URI: {uri}", "outside_workspace")
    return Path(unquote(parsed.path))


def _offset(lines: list[str], starts: list[int], line: int, character: int) -> int:
    """Code-point offset of a UTF-16 LSP position (``lines`` keep their terminators)."""
    if line < 0 or character < 0 or line >= len(lines):
        raise EditRefused(f"position {line}:{character} is outside the document", "out_of_bounds")
    text = lines[line].rstrip("\r\n")
    units = 0
    for col, ch in enumerate(text):
        if units == character:
            return starts[line] + col
        if units > character:
            raise EditRefused(f"position {line}:{character} splits a character", "out_of_bounds")
        units += 2 if ord(ch) > 0xFFFF else 1
    if character == units:
        return starts[line] + len(text)
    raise EditRefused(f"position {line}:{character} is past the end of line {line}", "out_of_bounds")


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
            raise EditRefused(f"malformed text edit: {edit!r}", "malformed") from None
        if end < start:
            raise EditRefused("an edit's range ends before it starts", "out_of_bounds")
        spans.append((start, end, n, new))
    spans.sort(key=lambda s: (s[0], s[1], s[2]))
    for (_, end_a, _, _), (start_b, _, _, _) in itertools.pairwise(spans):
        if start_b < end_a:
            raise EditRefused("two edits overlap", "overlap")
    out, last = [], 0
    for start, end, _, new in spans:
        out.append(text[last:start])
        out.append(new)
        last = end
    out.append(text[last:])
    return "".join(out)


def _target(path: Path, root: Path) -> tuple[Path, str]:
    try:
        return check_target(path, [root])
    except EditRejected as exc:
        raise EditRefused(exc.message, exc.kind) from None


def plan_workspace_edit(edit: Mapping[str, Any], root: Path) -> list[FileChange]:
    """Compute every file's new text without writing; raises EditRefused on anything unsafe.

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
            raise EditRefused(f"malformed URI: {uri!r}", "malformed")
        path, rel = _target(uri_to_path(uri), root)
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
                raise EditRefused(f"{rels[path]} already exists", "exists")
            created.add(path)
        elif kind is not None:
            raise EditRefused(f"resource operation {kind!r} is not supported by the harness", "resource_op")
        else:
            try:
                uri, text_edits = change["textDocument"]["uri"], change["edits"]
            except (KeyError, TypeError):
                raise EditRefused(f"malformed document change: {change!r}", "malformed") from None
            edits[target(uri)].extend(text_edits)
    if not edit.get("documentChanges"):  # LSP: documentChanges, when present, win over changes
        for uri, text_edits in (edit.get("changes") or {}).items():
            edits[target(uri)].extend(text_edits)
    changes: list[FileChange] = []
    for path in order:
        before: str | None = None  # None: the file does not exist yet
        if path not in created or path.exists():
            try:
                before = path.read_bytes().decode("utf-8")
            except FileNotFoundError:
                raise EditRefused(f"{rels[path]} does not exist", "missing_file") from None
            except UnicodeDecodeError:
                raise EditRefused(f"{rels[path]} is not UTF-8 text", "binary") from None
            except OSError as exc:
                raise EditRefused(f"cannot read {rels[path]}: {exc.strerror}", "unreadable") from None
        # a created file starts empty, even when ``overwrite`` replaces an existing one
        after = apply_text_edits("" if path in created else before or "", edits[path])
        if after != before:
            changes.append(FileChange(path, rels[path], before, after))
    return changes


def unified_diff(changes: Sequence[FileChange]) -> str:
    """The changes as one unified diff with a/ and b/ prefixes (git's format)."""
    parts = [file_diff(c.rel, c.before, c.after) for c in changes]
    return "".join(p if p.endswith("\n") or not p else p + "\n" for p in parts)


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


def write_atomically(changes: Sequence[FileChange]) -> None:
    """Write every change, or none: each file atomically; a failure restores the files written so far.

    Before writing, each file must still hold the text the plan was made from (else EditRefused,
    kind ``stale``, and nothing is written).
    """
    modes: list[int | None] = []
    for change in changes:
        try:
            current: str | None = change.path.read_bytes().decode("utf-8")
            mode: int | None = change.path.stat().st_mode & 0o7777
        except FileNotFoundError:
            current, mode = None, None
        except (OSError, UnicodeDecodeError) as exc:
            raise EditRefused(f"cannot read {change.rel}: {exc}", "unreadable") from None
        if current != change.before:
            raise EditRefused(f"{change.rel} changed on disk since the edit was made", "stale")
        modes.append(mode)
    done: list[FileChange] = []
    try:
        for change, mode in zip(changes, modes, strict=True):
            _write_one(change.path, change.after, mode)
            done.append(change)
    except BaseException:
        for change, mode in zip(done, modes, strict=False):
            with contextlib.suppress(OSError):
                if change.before is None:
                    change.path.unlink(missing_ok=True)
                else:
                    _write_one(change.path, change.before, mode)
        raise
