"""Open documents: text and an incremental tree-sitter tree per file, frozen snapshots, encodings.

Every keystroke goes through :meth:`DocumentStore.change`, so its cost must follow the edit, not
the file. The text is a :class:`codeswitch.text.Text`, immutable chunks of lines (copy on
write): an edit rebuilds one or two chunks and a few prefix sums over chunks, a :class:`Snapshot`
just keeps references, and tree-sitter reparses through a read callback that answers from the
chunk holding the requested byte, so the whole text is never joined, copied or encoded per change.

A change only *edits* the tree (``Tree.edit``, cheap); the incremental reparse waits until someone
reads ``Snapshot.syntax`` (:class:`_PendingTree`). Typing a burst of characters that no request looks
at costs no parse at all, a request pays one reparse for all the edits since the last one, and an
inline request (``Snapshot.syntax_near``) parses only the definitions around the cursor, also while
the text does not parse (an unclosed parenthesis): their bounds then come from the last tree
without errors, and a large document is never reparsed whole on that path.

Positions cross the LSP edge in the negotiated encoding (utf-16 by default, utf-8 or utf-32)
and are :class:`Pos` (code points) inside. Lines split on ``\\n``, ``\\r\\n`` and ``\\r``.
"""

from __future__ import annotations

import threading
from array import array
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

from codeswitch.limits import MAX_FILE_BYTES
from codeswitch.scope.syntax import Region, SyntaxTree, language_for, parse_region, parse_sections
from codeswitch.text import Pos, Span, Text, advance, col_to_units, extent, split_lines, units_to_col

__all__ = ["DocumentStore", "Pos", "PositionError", "Snapshot", "Span", "UnknownDocument", "path_from_uri",
           "split_lines"]

ENCODINGS = ("utf-16", "utf-8", "utf-32")
#: documents above this many UTF-8 bytes are kept as plain text (no tree)
MAX_TREE_BYTES = MAX_FILE_BYTES
#: documents above this many UTF-8 bytes keep no whole tree (one costs ~50x the text) but an
#: :class:`_Outline` of where their top-level nodes start, which bounds the local parses
LARGE_DOC_BYTES = 512 * 1024

_SP = "surrogatepass"  # JSON may carry lone surrogates; never crash on them


class PositionError(ValueError):
    """A request position outside the document (handlers answer InvalidParams)."""


class UnknownDocument(LookupError):
    """A request for a URI that is not open."""


def path_from_uri(uri: str) -> Path | None:
    """The local path of a ``file:`` URI, None for other schemes."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(url2pathname(unquote(parsed.path)))


#: tree-sitter parsers are not thread-safe and a document's trees share one
_PARSE_LOCK = threading.Lock()

#: a local parse widens (more top-level nodes on each side) up to this many bytes, then settles
LOCAL_PARSE_BYTES = 32 * 1024
#: documents up to this size are reparsed whole when the local parse does not settle (cheap there)
SMALL_TREE_BYTES = 16 * 1024
#: how many whole nodes on each side of the cursor's each widening takes
_REACHES = (1, 4, 16, 64)


class _PendingTree:
    """A tree edited for one or more changes, reparsed against its text the first time it is read.

    ``outline`` is the last tree that parsed without errors, edited for every change since, when
    the base itself has errors: its top-level nodes still bound the definitions around a cursor
    while the text is broken (an unclosed parenthesis) and the base's error recovery says little.
    ``hint`` is the last local parse (:meth:`near`) without errors, edited since: it knows the
    nodes typed after the base was parsed, which the base sees as one node grown by every edit.
    """

    __slots__ = ("_base", "_hint", "_local", "_outline", "_text", "_tree")

    def __init__(self, base: SyntaxTree, text: Text, outline: SyntaxTree | None = None,
                 hint: SyntaxTree | None = None) -> None:
        self._base = base  # edited, not reparsed; never edited again once here
        self._outline = outline  # the same, the last tree without errors (None: the base is it)
        self._hint = hint  # the same, a local parse
        self._text = text
        self._tree: SyntaxTree | None = None
        self._local: tuple[int, SyntaxTree] | None = None

    def resolve(self) -> SyntaxTree:
        tree = self._tree
        if tree is None:
            with _PARSE_LOCK:
                tree = self._tree
                if tree is None:
                    tree = self._tree = self._base.reparse(self._text.read)
        return tree

    def near(self, row: int) -> SyntaxTree:
        """The parsed tree when there is one, else a parse of the top-level nodes around ``row``
        (:func:`_parse_near`), their bounds taken from the hint where it reaches, else from the
        last tree without errors. Never a whole parse of a large document: one is reparsed whole
        only when the region would cover half of it, or to settle one of at most
        ``SMALL_TREE_BYTES``, for the exact answer."""
        tree = self._tree
        if tree is not None:
            return tree
        local = self._local
        if local is not None and local[0] == row:
            return local[1]
        size = self._text.nbytes
        bounds = self._outline or self._base
        hint = self._hint

        def region_at(reach: int) -> Region | None:
            inside = hint.region_inside(row, reach, size) if hint is not None else None
            region = inside or bounds.region_around(row, reach)
            if region is not None and 2 * (region.end_byte - region.start_byte) > size:
                raise _Whole
            return region

        try:
            parsed = _parse_near(self._base.language, self._text, row, region_at,
                                 settle_whole=size <= SMALL_TREE_BYTES)
        except _Whole:
            return self.resolve()
        self._local = (row, parsed)
        return parsed

    def editable(self) -> tuple[SyntaxTree, SyntaxTree | None, SyntaxTree | None]:
        """Copies to edit for the next change: the base (the reparsed tree when there is one, else
        this base), the outline (None when the new base has no errors itself) and the hint (the
        latest local parse; None once the whole tree is parsed)."""
        tree = self._tree
        if tree is not None and not tree.has_error:
            return _copy_tree(tree), None, None
        outline = self._outline or (self._base if not self._base.has_error else None)
        hint = _latest_hint(self._local, self._hint) if tree is None else None
        return (_copy_tree(tree or self._base), _copy_tree(outline) if outline is not None else None,
                hint)


class _Whole(Exception):
    """A whole parse is the better answer than a local one (raised out of :func:`_parse_near`)."""


def _parse_near(language: str, text: Text, row: int, region_at: Callable[[int], Region | None], *,
                settle_whole: bool) -> SyntaxTree:
    """A parse of the top-level nodes around ``row``: ``region_at(reach)`` holds ``reach`` whole
    nodes on each side of it.

    The region is widened while the node holding ``row`` reaches one of its edges (the edit may
    have joined it to what lies beyond), up to ``LOCAL_PARSE_BYTES``; a node that still does,
    or holds a syntax error after one widening, is an unclosed construct that a wider parse
    would only grow, and the last parse is the answer. Raises :class:`_Whole` when there is no
    region, or when it does not settle and ``settle_whole``."""
    size = text.nbytes
    parsed: SyntaxTree | None = None
    for reach in _REACHES:
        region = region_at(reach)
        if region is None:
            break
        if parsed is not None and region.end_byte - region.start_byte > LOCAL_PARSE_BYTES:
            break
        parsed, joined = parse_region(language, text.read, region, row, size)
        if not joined or (reach > 1 and parsed.holds_error_at(row)):
            break
    else:
        if settle_whole:
            raise _Whole
    if parsed is None:
        raise _Whole  # an empty tree: nothing to go by
    return parsed


def _latest_hint(local: tuple[int, SyntaxTree] | None, hint: SyntaxTree | None) -> SyntaxTree | None:
    """A copy to edit of the latest local parse of a version that has no syntax errors (their
    bounds tell little), else of the hint it was given, else of its broken local parse."""
    latest = local[1] if local is not None else None
    if latest is None or (latest.has_error and hint is not None):
        latest = hint
    return _copy_tree(latest) if latest is not None else None


class _Outline:
    """A large document's stand-in for a tree: the rows where its top-level nodes begin a line.

    Built once by a parse a section at a time (never a whole tree), then kept across edits
    without parsing: an edit drops the rows it spans and shifts the ones below. The keystroke
    path (:meth:`near`) parses the sections around the cursor, widening like
    :meth:`_PendingTree.near`; a reader of the whole tree (:meth:`resolve`) pays a whole parse,
    held only as long as this version is the latest. ``hint`` is as in :class:`_PendingTree`.
    """

    __slots__ = ("_local", "_tree", "hint", "language", "rows", "text")

    def __init__(self, language: str, rows: array[int], text: Text, hint: SyntaxTree | None = None) -> None:
        self.language = language
        self.rows = rows  # ascending, starting at 0; shared between versions, never mutated
        self.text = text
        self.hint = hint
        self._tree: SyntaxTree | None = None
        self._local: tuple[int, SyntaxTree] | None = None

    @classmethod
    def build(cls, language: str, text: Text) -> _Outline:
        rows = array("l")  # a machine word a row: a large document has tens of thousands
        for section in parse_sections(language, text.encoded()):
            rows.extend(section.rows)
        return cls(language, rows or array("l", [0]), text)

    @staticmethod
    def edit_rows(rows: array[int], first: int, last: int, added: int) -> array[int]:
        """The rows after lines ``first``..``last`` are replaced by text holding ``added`` line breaks."""
        delta = added - (last - first)
        if delta == 0 and first == last:
            return rows
        i, j = bisect_right(rows, first), bisect_right(rows, last)
        return rows[:i] + array("l", [r + delta for r in rows[j:]])

    def editable_hint(self) -> SyntaxTree | None:
        """A copy to edit for the next change of the latest local parse (None: there is none)."""
        return _latest_hint(self._local, self.hint)

    def resolve(self) -> SyntaxTree:
        tree = self._tree
        if tree is None:
            with _PARSE_LOCK:
                tree = self._tree
                if tree is None:
                    parsed = SyntaxTree.parse(self.language, self.text.read)
                    assert parsed is not None  # the grammar parsed this document before
                    tree = self._tree = parsed
        return tree

    def _region(self, row: int, reach: int) -> Region:
        rows, text = self.rows, self.text
        k = bisect_right(rows, row) - 1
        lo = rows[max(0, k - reach)]
        hi = rows[k + reach + 1] if k + reach + 1 < len(rows) else None
        start = Pos(lo, 0)
        end = Pos(hi, 0) if hi is not None and hi < text.line_count else \
            Pos(text.line_count - 1, len(text.line(text.line_count - 1)))
        return Region(text.byte_offset(start), text.byte_offset(end), text.ts_point(start),
                      text.ts_point(end))

    def near(self, row: int) -> SyntaxTree:
        """A parse of the top-level nodes around ``row`` (:func:`_parse_near`), bounded by the
        hint where it reaches, else by the sections around ``row``; never a whole parse."""
        tree = self._tree
        if tree is not None:
            return tree
        local = self._local
        if local is not None and local[0] == row:
            return local[1]
        size, hint = self.text.nbytes, self.hint

        def region_at(reach: int) -> Region:
            inside = hint.region_inside(row, reach, size) if hint is not None else None
            return inside or self._region(row, reach)

        parsed = _parse_near(self.language, self.text, row, region_at, settle_whole=False)
        self._local = (row, parsed)
        return parsed


def _copy_tree(syntax: SyntaxTree) -> SyntaxTree:
    """A copy whose edits leave ``syntax`` (held by older snapshots) as it is."""
    return SyntaxTree(syntax.language, syntax.parser, syntax.tree.copy())


_Syntax = SyntaxTree | _PendingTree | _Outline | None


class Snapshot:
    """One version of one document, frozen: safe to read from any thread while typing goes on."""

    __slots__ = ("_joined", "_syntax", "_text", "encoding", "language", "path", "plain_reason", "uri",
                 "version")

    def __init__(self, text: Text, *, uri: str, path: Path | None, language: str | None, version: int,
                 encoding: str, syntax: _Syntax, plain_reason: str | None = None) -> None:
        self._text = text
        self._joined: str | None = None
        self.uri = uri
        self.path = path
        self.language = language
        self.version = version
        self.encoding = encoding
        self._syntax = syntax
        #: why there is no tree: "binary", "too large", "no grammar" (None when there is one)
        self.plain_reason = plain_reason

    @classmethod
    def from_text(cls, text: str, *, uri: str | None = None, path: Path | None = None,
                  language_id: str | None = None, encoding: str = "utf-16") -> Snapshot:
        """A snapshot of text read from disk (not open in the editor)."""
        if path is None and uri is not None:
            path = path_from_uri(uri)
        if uri is None:
            uri = path.resolve().as_uri() if path is not None else "untitled:"
        body = Text.from_string(text)
        language = language_for(language_id, path)
        syntax, reason, language = _parse(body, language, binary="\x00" in text)
        return cls(body, uri=uri, path=path, language=language, version=0, encoding=encoding,
                   syntax=syntax, plain_reason=reason)

    @property
    def syntax(self) -> SyntaxTree | None:
        """The tree for exactly this version (reparsed here on first use after changes)."""
        syntax = self._syntax
        return syntax.resolve() if isinstance(syntax, _PendingTree | _Outline) else syntax

    @property
    def kept_syntax(self) -> SyntaxTree | None:
        """:attr:`syntax` when this document keeps a whole tree (cheap to bring up to date), None
        for a large one, which keeps only an outline (readers then parse what they need)."""
        return None if isinstance(self._syntax, _Outline) else self.syntax

    def syntax_near(self, line: int) -> SyntaxTree | None:
        """A tree that is right around ``line``, for the keystroke path (inline requests).

        The whole tree when it is parsed already; otherwise a parse of just the top-level
        definitions around the line, found in the previous tree as edited since: a keystroke in a
        50k-line file then costs a parse of the definition being typed in, not of the file.
        Anything that reads beyond the cursor's definition uses :attr:`syntax`.
        """
        syntax = self._syntax
        return syntax.near(line) if isinstance(syntax, _PendingTree | _Outline) else syntax

    @property
    def line_count(self) -> int:
        return self._text.line_count

    @property
    def text(self) -> str:
        if self._joined is None:
            self._joined = self._text.join()
        return self._joined

    @property
    def byte_length(self) -> int:
        return self._text.nbytes

    def line(self, i: int) -> str:
        """Line i without its terminator; IndexError outside the document."""
        return self._text.line(i)

    def text_in(self, span: Span) -> str:
        return self._text.slice(self.clamp(span.start), self.clamp(span.end))

    def clamp(self, pos: Pos) -> Pos:
        """The nearest position inside the document."""
        if pos.line < 0:
            return Pos(0, 0)
        if pos.line >= self.line_count:
            last = self.line_count - 1
            return Pos(last, len(self.line(last)))
        return Pos(pos.line, min(max(pos.col, 0), len(self.line(pos.line))))

    def offset_of(self, pos: Pos) -> int:
        return self._text.offset_of(self.clamp(pos))

    def pos_at(self, offset: int) -> Pos:
        return self._text.pos_at(offset)

    def byte_offset_of(self, pos: Pos) -> int:
        """UTF-8 byte offset of pos (what tree-sitter nodes count in)."""
        return self._text.byte_offset(self.clamp(pos))

    def to_pos(self, line: int, character: int) -> Pos:
        """An LSP position of a request -> Pos; a column past the line end means the line end."""
        if line < 0 or character < 0 or line >= self.line_count:
            raise PositionError(f"position {line}:{character} is outside the document "
                                f"({self.line_count} lines)")
        return Pos(line, units_to_col(self.line(line), character, self.encoding))

    def to_lsp(self, pos: Pos) -> tuple[int, int]:
        pos = self.clamp(pos)
        return pos.line, col_to_units(self.line(pos.line), pos.col, self.encoding)


def _parse(text: Text, language: str | None, *, binary: bool) -> tuple[SyntaxTree | _Outline | None,
                                                                         str | None, str | None]:
    """(tree, why there is none, language) for a fresh parse of text."""
    if binary:
        return None, "binary", None
    if language is None:
        return None, "no grammar", None
    if text.nbytes > MAX_TREE_BYTES:
        return None, "too large", language
    if text.nbytes > LARGE_DOC_BYTES:
        return _Outline.build(language, text), None, language
    tree = SyntaxTree.parse(language, text.read)
    return tree, None if tree is not None else "no grammar", language


@dataclass(slots=True)
class _Doc:
    uri: str
    path: Path | None
    language: str | None  # detected from languageId / extension, kept even while plain
    version: int
    text: Text
    syntax: _Syntax
    plain_reason: str | None
    binary: bool
    snap: Snapshot | None = None


Change = tuple[tuple[int, int, int, int] | None, str]


def _edit_trees(trees: Sequence[SyntaxTree], text: Text, start: Pos, end: Pos, new: str) -> None:
    """Tell ``trees`` (of ``text``) that ``start``..``end`` is replaced by ``new``."""
    start_byte, old_end_byte = text.byte_offset(start), text.byte_offset(end)
    start_point = text.ts_point(start)
    if text.lone_cr:
        old_end_point = advance(start_point, extent(text.slice(start, end).encode("utf-8", _SP)))
    else:
        old_end_point = text.ts_point(end)
    data = new.encode("utf-8", _SP)
    new_end_point = advance(start_point, extent(data))
    for tree in trees:
        tree.edit(start_byte, old_end_byte, start_byte + len(data), start_point, old_end_point,
                  new_end_point)


class DocumentStore:
    """The open documents. Mutated on the server's event loop only; snapshots go anywhere."""

    def __init__(self, encoding: str = "utf-16") -> None:
        self.encoding = encoding
        self._docs: dict[str, _Doc] = {}
        self._language_ids: dict[str, str] = {}  # what the client called each document's language
        self._subscribers: list[Callable[[str, int], None]] = []

    @property
    def encoding(self) -> str:
        """The negotiated LSP position encoding: "utf-16", "utf-8" or "utf-32"."""
        return self._encoding

    @encoding.setter
    def encoding(self, value: str) -> None:
        value = getattr(value, "value", value)  # accept lsprotocol's PositionEncodingKind too
        if value not in ENCODINGS:
            raise ValueError(f"unknown position encoding {value!r}")
        self._encoding = value

    def __contains__(self, uri: object) -> bool:
        return uri in self._docs

    def open(self, uri: str, language_id: str | None, version: int, text: str) -> None:
        path = path_from_uri(uri)
        body = Text.from_string(text)
        language = language_for(language_id, path)
        binary = "\x00" in text
        syntax, reason, _ = _parse(body, language, binary=binary)
        self._docs[uri] = _Doc(uri, path, language, version, body, syntax, reason, binary)
        if language_id:
            self._language_ids[uri] = language_id
        else:
            self._language_ids.pop(uri, None)
        self._notify(uri, version)

    def change(self, uri: str, version: int, changes: Sequence[Change]) -> None:
        """Apply LSP content changes in order: ranges in the negotiated encoding, None = full text.

        Ranges outside the document are clamped to it (LSP rule for line ends, and the lenient
        reading for lines past the end). The tree is edited per change; the reparse waits for the
        first reader of a snapshot's ``syntax``.
        """
        doc = self._docs.get(uri)
        if doc is None:
            raise UnknownDocument(uri)
        text = doc.text
        edited: SyntaxTree | None = None
        outline: SyntaxTree | None = None
        rows, hint = (doc.syntax.rows, doc.syntax.editable_hint()) if isinstance(doc.syntax, _Outline) \
            else (None, None)
        fresh = False
        for rng, new in changes:
            if "\x00" in new:
                doc.binary = True
            if rng is None:
                text, fresh, edited, doc.binary = Text.from_string(new), True, None, "\x00" in new
                outline = hint = None
                continue
            start, end = self._clamp(text, rng[0], rng[1]), self._clamp(text, rng[2], rng[3])
            if (end.line, end.col) < (start.line, start.col):
                start, end = end, start
            if fresh or doc.binary or doc.syntax is None:
                pass
            elif rows is not None:
                rows = _Outline.edit_rows(rows, start.line, end.line, len(split_lines(new)) - 1)
            elif edited is None:  # older snapshots keep their own, unedited trees
                if isinstance(doc.syntax, _PendingTree):
                    edited, outline, hint = doc.syntax.editable()
                elif isinstance(doc.syntax, SyntaxTree):
                    edited = _copy_tree(doc.syntax)
            trees = [t for t in (edited, outline, hint) if t is not None]
            if trees:
                _edit_trees(trees, text, start, end, new)
            text = text.replace(start, end, new)
        doc.text, doc.version, doc.snap = text, version, None
        if rows is not None and not fresh and isinstance(doc.syntax, _Outline) and not doc.binary \
                and text.nbytes <= MAX_TREE_BYTES:
            doc.syntax = _Outline(doc.syntax.language, rows, text, hint)
        elif edited is not None and text.nbytes <= MAX_TREE_BYTES and not doc.binary:
            doc.syntax = _PendingTree(edited, text, outline, hint)
        elif fresh or doc.syntax is None or doc.binary or text.nbytes > MAX_TREE_BYTES or rows is not None:
            doc.syntax, doc.plain_reason, _ = _parse(text, doc.language, binary=doc.binary)
        self._notify(uri, version)

    def _clamp(self, text: Text, line: int, character: int) -> Pos:
        if line < 0:
            return Pos(0, 0)
        if line >= text.line_count:
            last = text.line_count - 1
            return Pos(last, len(text.line(last)))
        return Pos(line, units_to_col(text.line(line), max(character, 0), self.encoding))

    def close(self, uri: str) -> None:
        self._docs.pop(uri, None)
        self._language_ids.pop(uri, None)

    def language_id(self, uri: str) -> str | None:
        """The languageId the client opened the document with (``markdown``, ``python``, ...)."""
        return self._language_ids.get(uri)

    def snapshot(self, uri: str) -> Snapshot:
        doc = self._docs.get(uri)
        if doc is None:
            raise UnknownDocument(uri)
        if doc.snap is None or doc.snap.encoding != self.encoding:
            language = None if doc.binary else doc.language
            doc.snap = Snapshot(doc.text, uri=uri, path=doc.path, language=language, version=doc.version,
                                encoding=self.encoding, syntax=doc.syntax, plain_reason=doc.plain_reason)
        return doc.snap

    def version(self, uri: str) -> int | None:
        doc = self._docs.get(uri)
        return doc.version if doc is not None else None

    def subscribe(self, fn: Callable[[str, int], None]) -> None:
        """fn(uri, version) runs after each open and change (on the event loop: keep it cheap)."""
        self._subscribers.append(fn)

    def _notify(self, uri: str, version: int) -> None:
        for fn in self._subscribers:
            fn(uri, version)
