"""Immutable text in chunks of lines, with positions: what open documents are made of.

An edit rebuilds one or two chunks and a few prefix sums over chunks; everything else is shared
with the previous version, so a change costs what the edit costs, not what the file does.
Positions are :class:`Pos` (0-based line, column in code points); LSP columns in the negotiated
encoding are converted by :func:`units_to_col` and :func:`col_to_units`. Lines split on ``\n``,
``\r\n`` and ``\r`` (the LSP rule).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate, chain, pairwise

#: target lines per chunk; chunks are split above 2x and merged below 1/4 of it
CHUNK_LINES = 128

_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)")
_SP = "surrogatepass"  # JSON may carry lone surrogates; never crash on them


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


def units_to_col(line: str, character: int, encoding: str) -> int:
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


def exact_col(line: str, character: int, encoding: str) -> int:
    """LSP character -> code point column, refusing what :func:`units_to_col` forgives: a character
    past the end of the line or inside one character (ValueError). For applying edits, where a
    position that does not name a place in the text must never be guessed."""
    col = units_to_col(line, character, encoding)
    if character < 0 or col_to_units(line, col, encoding) != character:
        where = "past the end of the line" if col == len(line) else "inside a character"
        raise ValueError(f"character {character} is {where}")
    return col


def _utf8_width(o: int) -> int:
    return 1 if o < 0x80 else 2 if o < 0x800 else 3 if o < 0x10000 else 4


def col_to_units(line: str, col: int, encoding: str) -> int:
    if encoding == "utf-32" or line.isascii():
        return col
    if encoding == "utf-16":
        return len(line[:col].encode("utf-16-le", _SP)) // 2
    return len(line[:col].encode("utf-8", _SP))


class _Chunk:
    """Up to a few hundred lines (with terminators), their UTF-8 bytes in one blob and lazy
    prefix sums (in an ASCII chunk, the byte offsets are the code point offsets)."""

    __slots__ = ("_byte_starts", "_char_starts", "blob", "lines", "lone_cr", "nchars")

    def __init__(self, lines: tuple[str, ...]) -> None:
        self.lines = lines
        self.blob = "".join(lines).encode("utf-8", _SP)
        self.nchars = sum(map(len, lines))
        self.lone_cr = self.blob.count(b"\r") - self.blob.count(b"\r\n")
        self._byte_starts: tuple[int, ...] | None = None
        self._char_starts: tuple[int, ...] | None = None

    def byte_starts(self) -> tuple[int, ...]:
        if self._byte_starts is None:
            if len(self.blob) == self.nchars:
                self._byte_starts = self.char_starts()
            else:
                widths = (len(s.encode("utf-8", _SP)) for s in self.lines)
                self._byte_starts = tuple(accumulate(widths, initial=0))
        return self._byte_starts

    def char_starts(self) -> tuple[int, ...]:
        if self._char_starts is None:
            self._char_starts = tuple(accumulate(map(len, self.lines), initial=0))
        return self._char_starts


def _make_chunks(lines: list[str]) -> list[_Chunk]:
    n = len(lines)
    if n <= 2 * CHUNK_LINES:
        return [_Chunk(tuple(lines))]
    parts = -(-n // CHUNK_LINES)
    bounds = [n * k // parts for k in range(parts + 1)]
    return [_Chunk(tuple(lines[a:b])) for a, b in pairwise(bounds)]


class Text:
    """An immutable text: chunks plus prefix sums of lines, bytes and code points over chunks."""

    __slots__ = ("byte_starts", "char_starts", "chunks", "line_starts", "lone_cr")

    def __init__(self, chunks: Sequence[_Chunk]) -> None:
        self.chunks = tuple(chunks)
        self.line_starts = tuple(accumulate((len(c.lines) for c in self.chunks), initial=0))
        self.byte_starts = tuple(accumulate((len(c.blob) for c in self.chunks), initial=0))
        self.char_starts = tuple(accumulate((c.nchars for c in self.chunks), initial=0))
        self.lone_cr = sum(c.lone_cr for c in self.chunks)

    @classmethod
    def from_string(cls, text: str) -> Text:
        return cls(_make_chunks(split_lines(text)))

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
        return extent(self.encoded()[: self.byte_offset(pos)])

    def replace(self, start: Pos, end: Pos, new: str) -> Text:
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
        if len(lines) < CHUNK_LINES // 4 and len(self.chunks) > 1:
            if cb + 1 < len(self.chunks):
                cb += 1
                lines += self.chunks[cb].lines
            else:
                ca -= 1
                lines[:0] = self.chunks[ca].lines
        if not lines:  # only possible for an empty document
            lines = [""]
        return Text([*self.chunks[:ca], *_make_chunks(lines), *self.chunks[cb + 1 :]])

    def encoded(self) -> bytes:
        """The whole text in UTF-8 (as tree-sitter reads it)."""
        return b"".join(c.blob for c in self.chunks)

    def join(self) -> str:
        return "".join(chain.from_iterable(c.lines for c in self.chunks))


def extent(data: bytes) -> tuple[int, int]:
    rows = data.count(b"\n")
    return (rows, len(data) - data.rfind(b"\n") - 1) if rows else (0, len(data))


def advance(point: tuple[int, int], ext: tuple[int, int]) -> tuple[int, int]:
    return (point[0] + ext[0], ext[1]) if ext[0] else (point[0], point[1] + ext[1])
