"""Open documents: text and an incremental tree-sitter tree per file, frozen snapshots, encodings.

Every keystroke goes through :meth:`DocumentStore.change`, so its cost must follow the edit, not
the file. The text is kept as a tuple of immutable chunks of lines (copy on write): an edit
rebuilds one or two chunks and a few prefix sums over chunks, a :class:`Snapshot` just keeps
references, and tree-sitter reparses through a read callback that answers from the chunk holding
the requested byte, so the whole text is never joined, copied or encoded per change.

A change only *edits* the tree (``Tree.edit``, cheap); the incremental reparse waits until someone
reads ``Snapshot.syntax`` (:class:`_PendingTree`). Typing a burst of characters that no request looks
at costs no parse at all, a request pays one reparse for all the edits since the last one, and an
inline request (``Snapshot.syntax_near``) parses only the definitions around the cursor.

Positions cross the LSP edge in the negotiated encoding (utf-16 by default, utf-8 or utf-32)
and are :class:`Pos` (code points) inside. Lines split on ``\\n``, ``\\r\\n`` and ``\\r``.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate, chain, pairwise
from pathlib import Path
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

from codeswitch.scope.syntax import Region, SyntaxTree, language_for

ENCODINGS = ("utf-16", "utf-8", "utf-32")
#: target lines per chunk; chunks are split above 2x and merged below 1/4 of it
CHUNK_LINES = 128
#: documents above this many UTF-8 bytes are kept as plain text (no tree)
MAX_TREE_BYTES = 2 * 1024 * 1024

_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)")
_SP = "surrogatepass"  # JSON may carry lone surrogates; never crash on them


class PositionError(ValueError):
    """A request position outside the document (handlers answer InvalidParams)."""


class UnknownDocument(LookupError):
    """A request for a URI that is not open."""


@dataclass(frozen=True, slots=True)
class Pos:
    line: int
    col: int  # code points into the line


@dataclass(frozen=True, slots=True)
class Span:
    start: Pos
    end: Pos  # exclusive


def split_lines(text: str) -> list[str]:
    """Lines with their terminators; the last element is the unterminated rest (maybe "")."""
    out: list[str] = []
    end = 0
    for m in _LINE_RE.finditer(text):
        out.append(m.group())
        end = m.end()
    out.append(text[end:])
    return out


def _content_len(line: str) -> int:
    if line.endswith("\n"):
        return len(line) - (2 if line.endswith("\r\n") else 1)
    return len(line) - 1 if line.endswith("\r") else len(line)


def _units_to_col(line: str, character: int, encoding: str) -> int:
    """LSP character (encoding units) -> code point column; past the end clamps, mid-character rounds down."""
    if encoding == "utf-32" or line.isascii():
        return min(character, len(line))
    units = 0
    wide = encoding == "utf-16"
    for i, ch in enumerate(line):
        o = ord(ch)
        w = (2 if o > 0xFFFF else 1) if wide else _utf8_width(o)
        if units + w > character:
            return i
        units += w
    return len(line)


def _utf8_width(o: int) -> int:
    return 1 if o < 0x80 else 2 if o < 0x800 else 3 if o < 0x10000 else 4


def _col_to_units(line: str, col: int, encoding: str) -> int:
    if encoding == "utf-32" or line.isascii():
        return col
    if encoding == "utf-16":
        return len(line[:col].encode("utf-16-le", _SP)) // 2
    return len(line[:col].encode("utf-8", _SP))


def path_from_uri(uri: str) -> Path | None:
    """The local path of a ``file:`` URI, None for other schemes."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(url2pathname(unquote(parsed.path)))


class _Chunk:
    """Up to a few hundred lines (with terminators), their UTF-8 encodings and lazy prefix sums."""

    __slots__ = ("_byte_starts", "_char_starts", "blob", "enc", "lines", "lone_cr", "nchars")

    def __init__(self, lines: tuple[str, ...], enc: tuple[bytes, ...]) -> None:
        self.lines = lines
        self.enc = enc
        self.blob = b"".join(enc)
        self.nchars = sum(map(len, lines))
        self.lone_cr = self.blob.count(b"\r") - self.blob.count(b"\r\n")
        self._byte_starts: tuple[int, ...] | None = None
        self._char_starts: tuple[int, ...] | None = None

    def byte_starts(self) -> tuple[int, ...]:
        if self._byte_starts is None:
            self._byte_starts = tuple(accumulate(map(len, self.enc), initial=0))
        return self._byte_starts

    def char_starts(self) -> tuple[int, ...]:
        if self._char_starts is None:
            self._char_starts = tuple(accumulate(map(len, self.lines), initial=0))
        return self._char_starts


def _make_chunks(lines: list[str], enc: list[bytes]) -> list[_Chunk]:
    n = len(lines)
    if n <= 2 * CHUNK_LINES:
        return [_Chunk(tuple(lines), tuple(enc))]
    parts = -(-n // CHUNK_LINES)
    bounds = [n * k // parts for k in range(parts + 1)]
    return [_Chunk(tuple(lines[a:b]), tuple(enc[a:b])) for a, b in pairwise(bounds)]


class _Text:
    """An immutable text: chunks plus prefix sums of lines, bytes and code points over chunks."""

    __slots__ = ("byte_starts", "char_starts", "chunks", "line_starts", "lone_cr")

    def __init__(self, chunks: Sequence[_Chunk]) -> None:
        self.chunks = tuple(chunks)
        self.line_starts = tuple(accumulate((len(c.lines) for c in self.chunks), initial=0))
        self.byte_starts = tuple(accumulate((len(c.blob) for c in self.chunks), initial=0))
        self.char_starts = tuple(accumulate((c.nchars for c in self.chunks), initial=0))
        self.lone_cr = sum(c.lone_cr for c in self.chunks)

    @classmethod
    def from_string(cls, text: str) -> _Text:
        lines = split_lines(text)
        return cls(_make_chunks(lines, [s.encode("utf-8", _SP) for s in lines]))

    @property
    def line_count(self) -> int:
        return self.line_starts[-1]

    @property
    def nbytes(self) -> int:
        return self.byte_starts[-1]

    def locate(self, line: int) -> tuple[int, int]:
        """(chunk index, line index in chunk) of a valid line number."""
        ci = bisect_right(self.line_starts, line) - 1
        return ci, line - self.line_starts[ci]

    def raw_line(self, line: int) -> str:
        if not 0 <= line < self.line_count:
            raise IndexError(f"line {line} outside 0..{self.line_count - 1}")
        ci, li = self.locate(line)
        return self.chunks[ci].lines[li]

    def line(self, line: int) -> str:
        raw = self.raw_line(line)
        return raw[: _content_len(raw)]

    def byte_offset(self, pos: Pos) -> int:
        ci, li = self.locate(pos.line)
        chunk = self.chunks[ci]
        prefix = chunk.lines[li][: pos.col]
        return self.byte_starts[ci] + chunk.byte_starts()[li] + len(prefix.encode("utf-8", _SP))

    def offset_of(self, pos: Pos) -> int:
        ci, li = self.locate(pos.line)
        return self.char_starts[ci] + self.chunks[ci].char_starts()[li] + pos.col

    def pos_at(self, offset: int) -> Pos:
        offset = min(max(offset, 0), self.char_starts[-1])
        ci = min(bisect_right(self.char_starts, offset) - 1, len(self.chunks) - 1)
        chunk = self.chunks[ci]
        inner = offset - self.char_starts[ci]
        starts = chunk.char_starts()
        li = min(bisect_right(starts, inner) - 1, len(chunk.lines) - 1)
        return Pos(self.line_starts[ci] + li, min(inner - starts[li], _content_len(chunk.lines[li])))

    def slice(self, start: Pos, end: Pos) -> str:
        if start.line == end.line:
            return self.raw_line(start.line)[start.col : end.col]
        parts = [self.raw_line(start.line)[start.col :]]
        parts.extend(self.raw_line(i) for i in range(start.line + 1, end.line))
        parts.append(self.raw_line(end.line)[: end.col])
        return "".join(parts)

    def read(self, byte_offset: int, _point: tuple[int, int]) -> bytes:
        """tree-sitter's read callback: the rest of the chunk holding byte_offset."""
        if byte_offset >= self.nbytes:
            return b""
        ci = bisect_right(self.byte_starts, byte_offset) - 1
        return self.chunks[ci].blob[byte_offset - self.byte_starts[ci] :]

    def ts_point(self, pos: Pos) -> tuple[int, int]:
        """tree-sitter's (row, byte column) for pos: rows only count ``\\n`` bytes."""
        if self.lone_cr == 0:
            ci, li = self.locate(pos.line)
            prefix = self.chunks[ci].lines[li][: pos.col]
            return pos.line, len(prefix.encode("utf-8", _SP))
        return _extent(b"".join(c.blob for c in self.chunks)[: self.byte_offset(pos)])

    def replace(self, start: Pos, end: Pos, new: str) -> _Text:
        """A new text with [start, end) replaced; only the chunks around the edit are rebuilt."""
        first = start.line
        if first > 0 and self.raw_line(first - 1).endswith("\r"):
            first -= 1  # a "\n" arriving after a lone "\r" joins it into one terminator
        ca, la = self.locate(first)
        cb, lb = self.locate(end.line)
        last_line = end.line == self.line_count - 1
        head = self.raw_line(start.line)[: start.col]
        mid_text = "".join(
            [*(self.raw_line(i) for i in range(first, start.line)), head, new,
             self.raw_line(end.line)[end.col :]])
        mid = split_lines(mid_text)
        if not last_line:
            mid.pop()  # the region ended with a terminator: the remainder is ""
        lines = [*self.chunks[ca].lines[:la], *mid, *self.chunks[cb].lines[lb + 1 :]]
        enc = [*self.chunks[ca].enc[:la], *(s.encode("utf-8", _SP) for s in mid),
               *self.chunks[cb].enc[lb + 1 :]]
        if len(lines) < CHUNK_LINES // 4 and len(self.chunks) > 1:
            if cb + 1 < len(self.chunks):
                cb += 1
                lines += self.chunks[cb].lines
                enc += self.chunks[cb].enc
            else:
                ca -= 1
                lines[:0] = self.chunks[ca].lines
                enc[:0] = self.chunks[ca].enc
        if not lines:  # only possible for an empty document
            lines, enc = [""], [b""]
        return _Text([*self.chunks[:ca], *_make_chunks(lines, enc), *self.chunks[cb + 1 :]])

    def join(self) -> str:
        return "".join(chain.from_iterable(c.lines for c in self.chunks))


def _extent(data: bytes) -> tuple[int, int]:
    rows = data.count(b"\n")
    return (rows, len(data) - data.rfind(b"\n") - 1) if rows else (0, len(data))


def _advance(point: tuple[int, int], ext: tuple[int, int]) -> tuple[int, int]:
    return (point[0] + ext[0], ext[1]) if ext[0] else (point[0], point[1] + ext[1])


#: tree-sitter parsers are not thread-safe and a document's trees share one
_PARSE_LOCK = threading.Lock()


class _PendingTree:
    """A tree edited for one or more changes, reparsed against its text the first time it is read."""

    __slots__ = ("_base", "_local", "_text", "_tree")

    def __init__(self, base: SyntaxTree, text: _Text) -> None:
        self._base = base  # edited, not reparsed; never edited again once here
        self._text = text
        self._tree: SyntaxTree | None = None
        self._local: tuple[Region, SyntaxTree] | None = None

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
        (the whole tree when the last tree had errors, the region is most of the file, or the
        node at ``row`` now runs past it)."""
        tree = self._tree
        if tree is not None:
            return tree
        region = self._base.region_around(row)
        if region is None or 2 * (region.end_byte - region.start_byte) > self._text.nbytes:
            return self.resolve()
        with _PARSE_LOCK:
            local = self._local
            if local is None or local[0] != region:
                parsed = self._base.parse_region(self._text.read, region, row, self._text.nbytes)
                if parsed is None:
                    local = None
                else:
                    local = self._local = (region, parsed)
        return local[1] if local is not None else self.resolve()

    def editable(self) -> SyntaxTree:
        """A copy to edit for the next change: the reparsed tree when there is one, else the base."""
        return _copy_tree(self._tree or self._base)


def _copy_tree(syntax: SyntaxTree) -> SyntaxTree:
    """A copy whose edits leave ``syntax`` (held by older snapshots) as it is."""
    return SyntaxTree(syntax.language, syntax.parser, syntax.tree.copy())


_Syntax = SyntaxTree | _PendingTree | None


class Snapshot:
    """One version of one document, frozen: safe to read from any thread while typing goes on."""

    __slots__ = ("_joined", "_syntax", "_text", "encoding", "language", "path", "plain_reason", "uri",
                 "version")

    def __init__(self, text: _Text, *, uri: str, path: Path | None, language: str | None, version: int,
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
        body = _Text.from_string(text)
        language = language_for(language_id, path)
        syntax, reason, language = _parse(body, language, binary="\x00" in text)
        return cls(body, uri=uri, path=path, language=language, version=0, encoding=encoding,
                   syntax=syntax, plain_reason=reason)

    @property
    def syntax(self) -> SyntaxTree | None:
        """The tree for exactly this version (reparsed here on first use after changes)."""
        syntax = self._syntax
        return syntax.resolve() if isinstance(syntax, _PendingTree) else syntax

    def syntax_near(self, line: int) -> SyntaxTree | None:
        """A tree that is right around ``line``, for the keystroke path (inline requests).

        The whole tree when it is parsed already; otherwise a parse of just the top-level
        definitions around the line, found in the previous tree as edited since: a keystroke in a
        50k-line file then costs a parse of the definition being typed in, not of the file.
        Anything that reads beyond the cursor's definition uses :attr:`syntax`.
        """
        syntax = self._syntax
        return syntax.near(line) if isinstance(syntax, _PendingTree) else syntax

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
        return Pos(line, _units_to_col(self.line(line), character, self.encoding))

    def to_lsp(self, pos: Pos) -> tuple[int, int]:
        pos = self.clamp(pos)
        return pos.line, _col_to_units(self.line(pos.line), pos.col, self.encoding)


def _parse(text: _Text, language: str | None, *, binary: bool) -> tuple[SyntaxTree | None, str | None,
                                                                         str | None]:
    """(tree, why there is none, language) for a fresh parse of text."""
    if binary:
        return None, "binary", None
    if language is None:
        return None, "no grammar", None
    if text.nbytes > MAX_TREE_BYTES:
        return None, "too large", language
    tree = SyntaxTree.parse(language, text.read)
    return tree, None if tree is not None else "no grammar", language


@dataclass(slots=True)
class _Doc:
    uri: str
    path: Path | None
    language: str | None  # detected from languageId / extension, kept even while plain
    version: int
    text: _Text
    syntax: _Syntax
    plain_reason: str | None
    binary: bool
    snap: Snapshot | None = None


Change = tuple[tuple[int, int, int, int] | None, str]


class DocumentStore:
    """The open documents. Mutated on the server's event loop only; snapshots go anywhere."""

    def __init__(self, encoding: str = "utf-16") -> None:
        self.encoding = encoding
        self._docs: dict[str, _Doc] = {}
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

    def uris(self) -> Iterable[str]:
        return tuple(self._docs)

    def open(self, uri: str, language_id: str | None, version: int, text: str) -> None:
        path = path_from_uri(uri)
        body = _Text.from_string(text)
        language = language_for(language_id, path)
        binary = "\x00" in text
        syntax, reason, _ = _parse(body, language, binary=binary)
        self._docs[uri] = _Doc(uri, path, language, version, body, syntax, reason, binary)
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
        fresh = False
        for rng, new in changes:
            if "\x00" in new:
                doc.binary = True
            if rng is None:
                text, fresh, edited, doc.binary = _Text.from_string(new), True, None, "\x00" in new
                continue
            start, end = self._clamp(text, rng[0], rng[1]), self._clamp(text, rng[2], rng[3])
            if (end.line, end.col) < (start.line, start.col):
                start, end = end, start
            if doc.syntax is not None and not fresh and not doc.binary:
                if edited is None:  # older snapshots keep their own, unedited tree
                    edited = (doc.syntax.editable() if isinstance(doc.syntax, _PendingTree)
                              else _copy_tree(doc.syntax))
                start_byte, old_end_byte = text.byte_offset(start), text.byte_offset(end)
                start_point = text.ts_point(start)
                if text.lone_cr:
                    old_end_point = _advance(start_point, _extent(
                        text.slice(start, end).encode("utf-8", _SP)))
                else:
                    old_end_point = text.ts_point(end)
                data = new.encode("utf-8", _SP)
                edited.edit(start_byte, old_end_byte, start_byte + len(data), start_point, old_end_point,
                            _advance(start_point, _extent(data)))
            text = text.replace(start, end, new)
        doc.text, doc.version, doc.snap = text, version, None
        if edited is not None and text.nbytes <= MAX_TREE_BYTES and not doc.binary:
            doc.syntax = _PendingTree(edited, text)
        elif fresh or doc.syntax is None or doc.binary or text.nbytes > MAX_TREE_BYTES:
            doc.syntax, doc.plain_reason, _ = _parse(text, doc.language, binary=doc.binary)
        self._notify(uri, version)

    def _clamp(self, text: _Text, line: int, character: int) -> Pos:
        if line < 0:
            return Pos(0, 0)
        if line >= text.line_count:
            last = text.line_count - 1
            return Pos(last, len(text.line(last)))
        return Pos(line, _units_to_col(text.line(line), max(character, 0), self.encoding))

    def close(self, uri: str) -> None:
        self._docs.pop(uri, None)

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
