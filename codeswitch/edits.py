"""Model output -> validated, minimal edits, as plain data.

The pipeline for one file: parse the answer (``codeswitch.formats``), apply it to the snapshot text
inside the anchor (:func:`apply_search_replace` / :func:`apply_anchored`), check the result parses
no worse (:func:`check_syntax`), then diff old and new text into the smallest ``TextEdit`` list
(:func:`minimal_edits`: lines first, then characters inside changed lines). When the document moved
on while the model worked, :func:`rebase` shifts the edits onto the new text if their region is
untouched. Every refusal is an :class:`EditRejected` whose ``kind`` and message say why.

Positions are ``documents.Pos`` (0-based line, code-point column); handlers convert to LSP.
Where edits may go (:func:`check_target`) and the shape of a whole request's result
(:class:`FileChange`, :class:`WorkspaceChange`) are plain data here too; handlers build lsprotocol.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from codeswitch.documents import Pos, Span
from codeswitch.edit_errors import EditRejected, RejectKind
from codeswitch.edit_targets import Purpose, check_target
from codeswitch.formats import AnchoredReplacement, SearchReplace
from codeswitch.textdiff import keep_line_endings, line_ending, line_opcodes, split_lines, unified_diff

__all__ = [
    "EditRejected",
    "FileChange",
    "Purpose",
    "RejectKind",
    "TextEdit",
    "WorkspaceChange",
    "apply_anchored",
    "apply_edits",
    "apply_search_replace",
    "check_syntax",
    "check_target",
    "file_change",
    "keep_line_endings",
    "line_ending",
    "minimal_edits",
    "offset_of",
    "pos_at",
    "rebase",
    "split_lines",
    "text_digest",
    "unified_diff",
    "workspace_diff",
]

_EOL = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class TextEdit:
    """Replace ``span`` (half-open, in the base text) with ``new_text``."""

    span: Span
    new_text: str


# --- lines and offsets -----------------------------------------------------------------------------

def offset_of(text: str, pos: Pos) -> int:
    """Code-point offset of a position in ``text`` (column clamped to the line)."""
    start, line = 0, 0
    if pos.line > 0:
        for m in _EOL.finditer(text):
            start, line = m.end(), line + 1
            if line == pos.line:
                break
        else:
            return len(text)
    eol = _EOL.search(text, start)
    stop = eol.start() if eol is not None else len(text)
    return start + min(pos.col, stop - start)


def pos_at(text: str, offset: int) -> Pos:
    """The position of a code-point offset in ``text``."""
    start = 0
    line = 0
    for m in _EOL.finditer(text, 0, offset):
        if m.end() > offset:
            break
        start = m.end()
        line += 1
    return Pos(line, offset - start)


def apply_edits(text: str, edits: Sequence[TextEdit]) -> str:
    """Apply non-overlapping edits (positions in ``text``) and return the new text."""
    spans = sorted(((offset_of(text, e.span.start), offset_of(text, e.span.end), e.new_text) for e in edits),
                   reverse=True)
    last = len(text) + 1
    for start, end, new in spans:
        if end > last:
            raise ValueError("overlapping edits")
        text = text[:start] + new + text[end:]
        last = start
    return text


# --- applying model output -------------------------------------------------------------------------

def _indent_of(line: str) -> str:
    return line[:len(line) - len(line.lstrip(" \t"))]


def _fuzzy_find(hay: list[str], needle: list[str]) -> list[tuple[int, str, str]]:
    """Line matches tolerant of trailing spaces and a uniform indentation shift.

    Returns (start line, indentation to add to the replacement, indentation to remove from it).
    """
    n = len(needle)
    found: list[tuple[int, str, str]] = []
    want = [x.rstrip() for x in needle]
    bare_want = [w.lstrip() for w in want]
    trimmed = [x.rstrip() for x in hay]
    bare = [x.lstrip() for x in trimmed]
    for i in range(len(hay) - n + 1):
        if bare[i:i + n] != bare_want:
            continue
        got = trimmed[i:i + n]
        add, remove = None, None
        ok = True
        for g, w in zip(got, want, strict=True):
            if not g:
                continue
            gi, wi = _indent_of(g), _indent_of(w)
            if gi.endswith(wi) and (add is None or add == gi[:len(gi) - len(wi)]):
                add = gi[:len(gi) - len(wi)]
            elif wi.endswith(gi) and (remove is None or remove == wi[:len(wi) - len(gi)]):
                remove = wi[:len(wi) - len(gi)]
            else:
                ok = False
                break
        if ok and not (add and remove):
            found.append((i, add or "", remove or ""))
    return found


def _reindent(text: str, add: str, remove: str) -> str:
    out = []
    for line in split_lines(text):
        if line.strip():
            if remove and line.startswith(remove):
                line = line[len(remove):]
            line = add + line
        out.append(line)
    return "".join(out)


def _replace_one(text: str, block: SearchReplace, start: int, end: int) -> tuple[str, int]:
    """Apply one block inside text[start:end]; returns (new text, new region end)."""
    region = text[start:end]
    search = block.search
    if not search.strip():
        if region.strip():
            raise EditRejected("format", "a search/replace block with an empty SEARCH part would rewrite "
                               "the whole anchor; quote the lines to change")
        return text[:start] + block.replace + text[end:], start + len(block.replace)
    hits = [m.start() for m in re.finditer(re.escape(search), region)]
    if not hits and search.endswith("\n") and region.endswith(search[:-1]):
        hits = [len(region) - len(search) + 1]  # the anchor's last line has no terminator
        search = search[:-1]
    if len(hits) == 1:
        a = start + hits[0]
        replace = block.replace if search.endswith("\n") or not block.replace.endswith("\n") \
            else block.replace[:-1]
        return text[:a] + replace + text[a + len(search):], end + len(replace) - len(search)
    if len(hits) > 1:
        raise EditRejected("ambiguous", f"the search text occurs {len(hits)} times in the anchor: "
                           f"{_first_line(search)!r}")
    lines = split_lines(region)
    needle = split_lines(search.rstrip("\n"))
    fuzzy = _fuzzy_find(lines, needle)
    if len(fuzzy) > 1:
        raise EditRejected("ambiguous", f"the search text occurs {len(fuzzy)} times in the anchor: "
                           f"{_first_line(search)!r}")
    if fuzzy:
        i, add, remove = fuzzy[0]
        a = start + sum(len(x) for x in lines[:i])
        old = "".join(lines[i:i + len(needle)])
        replace = _reindent(block.replace, add, remove)
        if not old.endswith(("\n", "\r")) and replace.endswith("\n"):
            replace = replace[:-1]
        return text[:a] + replace + text[a + len(old):], end + len(replace) - len(old)
    if search in text or _fuzzy_find(split_lines(text), needle):
        raise EditRejected("outside_anchor", f"the edit changes code outside the anchor: "
                           f"{_first_line(search)!r}")
    raise EditRejected("not_found", f"the search text was not found: {_first_line(search)!r}")


def _first_line(text: str) -> str:
    return next((x.strip() for x in text.splitlines() if x.strip()), "")[:80]


def apply_search_replace(text: str, blocks: Sequence[SearchReplace], region: tuple[int, int]) -> str:
    """Apply blocks in order, each to one unique occurrence inside ``region`` (code-point offsets).

    Added and changed lines get the file's line-ending style (:func:`keep_line_endings`).
    """
    start, end = region
    old = text
    for block in blocks:
        text, end = _replace_one(text, block, start, end)
    return keep_line_endings(old, text)


def apply_anchored(text: str, repl: AnchoredReplacement, region: tuple[int, int]) -> str:
    """Replace exactly the anchor region with the model's new anchor text."""
    start, end = region
    new = repl.text
    if not text[start:end].endswith(("\n", "\r")) and new.endswith("\n"):
        new = new[:-1]
    # keep the anchor's first-line indentation when the model dropped it (region starts mid-line)
    head = text[text.rfind("\n", 0, start) + 1:start]
    if head and not head.strip() and new.startswith(head):
        new = new[len(head):]
    elif not head:
        # a method quoted without its class's indentation: shift the whole replacement back in
        have = _indent_of(text[start:end].lstrip("\r\n"))
        first = next((x for x in split_lines(new) if x.strip()), "")
        got = _indent_of(first)
        if have != got and have.endswith(got):
            new = _reindent(new, have[:len(have) - len(got)], "")
    return keep_line_endings(text, text[:start] + new + text[end:])


def check_syntax(language: str | None, old: str, new: str, *, before_count: int | None = None) -> None:
    """Refuse a result that parses with more syntax errors than the original (no-op without grammar).

    ``before_count``: the original's error count when a tree of it is at hand (saves one parse).
    """
    if language is None:
        return
    from codeswitch.scope import syntax_errors

    after = syntax_errors(new, language)
    if after is None:
        return
    before = syntax_errors(old, language) if before_count is None else None
    limit = len(before) if before is not None else before_count
    if limit is None or len(after) <= limit:
        return
    first = next((s for s in after if s not in before), after[0]) if before is not None else after[0]
    raise EditRejected("syntax", f"the edit introduces a syntax error at line {first.start.line + 1}")


# --- minimal edits ---------------------------------------------------------------------------------

def _trimmed(old: str, new: str, start: Pos) -> TextEdit | None:
    """One edit for old->new with their common prefix and suffix left alone."""
    p = 0
    limit = min(len(old), len(new))
    while p < limit and old[p] == new[p]:
        p += 1
    if p == len(old) and p == len(new):
        return None
    # never cut between the \r and \n of one line break: a position there does not exist
    if p > 0 and old[p - 1] == "\r" and (old[p:p + 1] == "\n" or new[p:p + 1] == "\n"):
        p -= 1
    s = 0
    while s < limit - p and old[len(old) - 1 - s] == new[len(new) - 1 - s]:
        s += 1
    while s > 0 and ((old[len(old) - s] == "\n" and old[len(old) - s - 1:len(old) - s] == "\r")
                     or (new[len(new) - s] == "\n" and new[len(new) - s - 1:len(new) - s] == "\r")):
        s -= 1
    return TextEdit(Span(_advance(start, old[:p]), _advance(start, old[:len(old) - s])), new[p:len(new) - s])


def _advance(pos: Pos, text: str) -> Pos:
    lines = split_lines(text)
    if len(lines) == 1:
        return Pos(pos.line, pos.col + len(text))
    return Pos(pos.line + len(lines) - 1, len(lines[-1]))


def minimal_edits(old: str, new: str) -> list[TextEdit]:
    """The smallest edits turning ``old`` into ``new``: difflib on lines, then characters.

    Unchanged lines are never touched; a changed line keeps its common prefix and suffix; a block
    of changed lines with the same count is edited line by line.
    """
    a, b = split_lines(old), split_lines(new)
    out: list[TextEdit] = []
    for tag, i1, i2, j1, j2 in line_opcodes(a, b):
        if tag == "equal":
            continue
        if tag == "replace" and i2 - i1 == j2 - j1:
            for k in range(i2 - i1):
                e = _trimmed(a[i1 + k], b[j1 + k], Pos(i1 + k, 0))
                if e is not None:
                    out.append(e)
            continue
        e = _trimmed("".join(a[i1:i2]), "".join(b[j1:j2]), Pos(i1, 0))
        if e is not None:
            out.append(e)
    return out


# --- rebase onto a newer version -------------------------------------------------------------------

def rebase(edits: Sequence[TextEdit], base: str, current: str, region: Span | None = None) -> list[TextEdit]:
    """Move edits computed against ``base`` onto ``current``.

    Works when every line the edits (and ``region``, e.g. the anchor) touch is unchanged in
    ``current``: the edits shift by the number of lines inserted or deleted above them. Raises
    EditRejected("stale") when the user typed inside the region.
    """
    if base == current or not edits:
        return list(edits)
    spans = [e.span for e in edits] + ([region] if region is not None else [])
    first = min(s.start.line for s in spans)
    last = max(s.end.line if s.end.col > 0 or s.end.line == s.start.line else s.end.line - 1 for s in spans)
    # one unchanged run of lines (the common head, tail, or a run in between) must hold them all
    for tag, i1, i2, j1, _ in line_opcodes(split_lines(base), split_lines(current)):
        if tag == "equal" and i1 <= first and last < i2:
            delta = j1 - i1
            return [TextEdit(Span(Pos(e.span.start.line + delta, e.span.start.col),
                                  Pos(e.span.end.line + delta, e.span.end.col)), e.new_text) for e in edits]
    raise EditRejected("stale", "the code this edit changes was modified while the model worked "
                       f"(lines {first + 1}-{last + 1}); run the edit again")


# --- the result as plain data ---------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class FileChange:
    """The edits for one file; ``old_text`` None means the file is created (a resource operation)."""

    path: Path
    rel: str
    old_text: str | None
    new_text: str
    edits: tuple[TextEdit, ...]
    version: int | None = None  # the open document's version the edits apply to
    rename_from: Path | None = None


@dataclass(frozen=True, slots=True)
class WorkspaceChange:
    """Everything one request changes, to become a single LSP WorkspaceEdit."""

    files: tuple[FileChange, ...]
    label: str
    description: str = ""
    needs_confirmation: bool = True
    reasons: tuple[str, ...] = field(default=())

    @property
    def diff(self) -> str:
        return workspace_diff(self.files)


def workspace_diff(changes: Sequence[FileChange], root: Path | None = None) -> str:
    """Every file's change as one unified diff with a/ and b/ prefixes (git's format); a renamed
    file gets git's rename header (its old path relative to ``root`` when inside it)."""
    parts = []
    for c in changes:
        body = unified_diff(c.rel, c.old_text, c.new_text) if c.old_text != c.new_text else ""
        if c.rename_from is not None:
            old = c.rename_from.relative_to(root).as_posix() \
                if root is not None and c.rename_from.is_relative_to(root) else str(c.rename_from)
            body = f"diff --git a/{old} b/{c.rel}\nrename from {old}\nrename to {c.rel}\n" + body
        parts.append(body)
    return "".join(parts)


def text_digest(text: str) -> str:
    """SHA-256 (hex) of a text as UTF-8: how a plan names the exact text it was computed from."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def file_change(path: Path, rel: str, old: str | None, new: str, version: int | None = None) -> FileChange:
    """A FileChange with minimal edits computed (creation: one insert of the whole text)."""
    if old is None:
        return FileChange(path, rel, None, new, (TextEdit(Span(Pos(0, 0), Pos(0, 0)), new),), version)
    return FileChange(path, rel, old, new, tuple(minimal_edits(old, new)), version)
