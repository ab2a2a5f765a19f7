"""Grammars and the incrementally maintained syntax tree.

This package is the only importer of ``tree_sitter``. Everything outside ``scope/`` sees a
:class:`SyntaxTree` as an opaque handle that can be edited and reparsed, plus plain data.

Grammars come from the per-language wheels (``tree-sitter-python`` and friends), which ship
compiled parsers and need no network at run time.
"""

from __future__ import annotations

import ctypes
import importlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import PurePath

import tree_sitter as ts

#: Reads source for the parser: (byte offset, (row, byte column)) -> UTF-8 bytes from there.
ReadCallback = Callable[[int, tuple[int, int]], bytes]


@dataclass(frozen=True, slots=True)
class Grammar:
    name: str  # canonical language name, e.g. "python", "tsx"
    module: str  # the grammar wheel's module
    entry: str  # function in that module returning the language pointer
    extensions: tuple[str, ...]
    language_ids: tuple[str, ...]  # LSP languageId values


GRAMMARS: tuple[Grammar, ...] = (
    Grammar("python", "tree_sitter_python", "language", (".py", ".pyi"), ("python",)),
    Grammar("javascript", "tree_sitter_javascript", "language", (".js", ".mjs", ".cjs", ".jsx"),
            ("javascript", "javascriptreact")),
    Grammar("typescript", "tree_sitter_typescript", "language_typescript", (".ts", ".mts", ".cts"),
            ("typescript",)),
    Grammar("tsx", "tree_sitter_typescript", "language_tsx", (".tsx",), ("typescriptreact",)),
    Grammar("go", "tree_sitter_go", "language", (".go",), ("go",)),
    Grammar("rust", "tree_sitter_rust", "language", (".rs",), ("rust",)),
    Grammar("java", "tree_sitter_java", "language", (".java",), ("java",)),
    Grammar("c", "tree_sitter_c", "language", (".c", ".h"), ("c",)),
    Grammar("cpp", "tree_sitter_cpp", "language", (".cc", ".cpp", ".cxx", ".hpp", ".hh", ".hxx"), ("cpp",)),
    Grammar("lua", "tree_sitter_lua", "language", (".lua",), ("lua",)),
    Grammar("ruby", "tree_sitter_ruby", "language", (".rb",), ("ruby",)),
)

_BY_NAME = {g.name: g for g in GRAMMARS}
_BY_ID = {lid: g.name for g in GRAMMARS for lid in g.language_ids}
_BY_EXT = {ext: g.name for g in GRAMMARS for ext in g.extensions}


def language_for(language_id: str | None, path: str | PurePath | None) -> str | None:
    """Canonical language name from an LSP languageId, falling back to the file extension."""
    if language_id and language_id in _BY_ID:
        return _BY_ID[language_id]
    if language_id and language_id in _BY_NAME:
        return language_id
    if path is not None:
        return _BY_EXT.get(PurePath(path).suffix.lower())
    return None


@cache
def grammar(name: str) -> ts.Language | None:
    """The tree-sitter language for a canonical name, or None when no grammar is installed."""
    spec = _BY_NAME.get(name)
    if spec is None:
        return None
    try:
        module = importlib.import_module(spec.module)
    except ImportError:
        return None
    return ts.Language(getattr(module, spec.entry)())


def loaded_grammars() -> dict[str, str]:
    """Canonical name -> 'ok' or the reason it cannot be loaded (for `codeswitch doctor`)."""
    out: dict[str, str] = {}
    for g in GRAMMARS:
        try:
            out[g.name] = "ok" if grammar(g.name) is not None else "not installed"
        except Exception as exc:  # a broken wheel must not take doctor down
            out[g.name] = f"error: {exc}"
    return out


@cache
def _leaked_per_read() -> int:
    """How many references this ``tree_sitter`` build keeps to each object a read callback
    returns, never to be released (0.26.1 keeps one: every parse through a callback leaked all
    the text it read). Measured once on a probe, so a build that fixes it is left alone."""
    lang = grammar("python")
    if lang is None:
        return 0
    probe = bytes(bytearray(b"x = 1\n"))  # an object of its own, not a shared constant
    returned = 0

    def read(offset: int, _point: tuple[int, int]) -> bytes:
        nonlocal returned
        if offset:
            return b""
        returned += 1
        return probe

    before = sys.getrefcount(probe)
    ts.Parser(lang).parse(read, encoding="utf8")
    leaked = sys.getrefcount(probe) - before
    return leaked // returned if returned and leaked > 0 and leaked % returned == 0 else 0


def _parse_with(parser: ts.Parser, read: ReadCallback, old_tree: ts.Tree | None) -> ts.Tree | None:
    if old_tree is None:
        return parser.parse(read, encoding="utf8")
    return parser.parse(read, old_tree=old_tree, encoding="utf8")


def _parse_read(parser: ts.Parser, read: ReadCallback, old_tree: ts.Tree | None = None) -> ts.Tree | None:
    """``parser.parse`` through a read callback, releasing the references the binding keeps."""
    leaked = _leaked_per_read()
    if not leaked:
        return _parse_with(parser, read, old_tree)
    returned: list[bytes] = []

    def recorded(offset: int, point: tuple[int, int]) -> bytes:
        data = read(offset, point)
        returned.append(data)
        return data

    try:
        return _parse_with(parser, recorded, old_tree)
    finally:
        release = ctypes.pythonapi.Py_DecRef
        for data in returned:
            for _ in range(leaked):
                release(ctypes.py_object(data))
        returned.clear()  # the tree keeps its read callback (for Node.text), so this list too


@dataclass(frozen=True, slots=True)
class Region:
    """A stretch of the text: UTF-8 bytes [start_byte, end_byte), tree-sitter points."""

    start_byte: int
    end_byte: int
    start_point: tuple[int, int]
    end_point: tuple[int, int]


class SyntaxTree:
    """A tree-sitter tree for one document version; edit() then reparse() for the next version.

    Points are (row, UTF-8 byte column); offsets are UTF-8 byte offsets into the document.
    """

    __slots__ = ("language", "parser", "tree")

    def __init__(self, language: str, parser: ts.Parser, tree: ts.Tree) -> None:
        self.language = language
        self.parser = parser
        self.tree = tree

    @classmethod
    def parse(cls, language: str, read: ReadCallback | bytes) -> SyntaxTree | None:
        lang = grammar(language)
        if lang is None:
            return None
        parser = ts.Parser(lang)
        tree = _parse_read(parser, read) if callable(read) else parser.parse(read)
        if tree is None:
            return None
        return cls(language, parser, tree)

    def edit(self, start_byte: int, old_end_byte: int, new_end_byte: int,
             start_point: tuple[int, int], old_end_point: tuple[int, int],
             new_end_point: tuple[int, int]) -> None:
        """Tell the old tree about an edit (call before :meth:`reparse`)."""
        self.tree.edit(start_byte=start_byte, old_end_byte=old_end_byte, new_end_byte=new_end_byte,
                       start_point=start_point, old_end_point=old_end_point, new_end_point=new_end_point)

    def reparse(self, read: ReadCallback | bytes) -> SyntaxTree:
        """Parse the new text reusing the edited old tree; returns the new tree (self is unchanged)."""
        if callable(read):
            tree = _parse_read(self.parser, read, self.tree)
        else:
            tree = self.parser.parse(read, old_tree=self.tree)
        assert tree is not None
        return SyntaxTree(self.language, self.parser, tree)

    def region_around(self, row: int, reach: int = 1) -> Region | None:
        """The top-level nodes around ``row``: from the ``reach``-th whole node that ends above it to
        the ``reach``-th that starts below it (the file's edge when there are fewer), as a byte and
        point range. None for an empty tree.

        On a tree with syntax errors only nodes without errors bound the region: error recovery may
        have drawn any boundary of an ERROR or of a node holding one, so those tell nothing."""
        bounds = self._bounds(row, reach)
        if bounds is None:
            return None
        root = self.tree.root_node
        return _between(*bounds, root.end_byte, root.end_point)

    def region_inside(self, row: int, reach: int, size: int) -> Region | None:
        """:meth:`region_around` in a tree of one stretch of a text of ``size`` bytes (a local
        parse, edited since): None unless the stretch holds ``row`` and ``reach`` whole nodes on
        each side of it, fewer only where the stretch meets an edge of the file."""
        ranges = self.tree.included_ranges
        if len(ranges) != 1:
            return None
        span = ranges[0]
        if not span.start_point.row <= row <= span.end_point.row:
            return None
        bounds = self._bounds(row, reach)
        if bounds is None:
            return None
        before, after = bounds
        if (before is None and span.start_byte > 0) or (after is None and span.end_byte < size):
            return None
        return _between(before, after, span.end_byte, span.end_point)

    def _bounds(self, row: int, reach: int) -> tuple[ts.Node | None, ts.Node | None] | None:
        """The ``reach``-th whole top-level node ending above ``row`` and the one starting below it
        (None where there are fewer); None for an empty tree."""
        root = self.tree.root_node
        count = root.child_count
        if count == 0:
            return None
        broken = root.has_error
        # siblings by index, never Node.prev_sibling nor a cursor's goto_previous_sibling: on an
        # edited tree, where an edit left zero-width nodes at one place, the first returns the
        # node itself again (a loop) and the second crashes
        index = root.walk().goto_first_child_for_point((row, 0))  # found in C, not walked here
        at = index if index is not None else count - 1
        before: ts.Node | None = None  # whole nodes on both sides: ones that end above row ...
        need = reach
        for i in range(at - 1, -1, -1):
            node = root.child(i)
            assert node is not None
            if node.end_point.row < row and not (broken and _unsure(node)):
                need -= 1
                if need == 0:
                    before = node
                    break
        after: ts.Node | None = None  # ... and ones that start below it
        need = reach
        for i in range(at, count):
            node = root.child(i)
            assert node is not None
            if node.start_point.row > row and not (broken and _unsure(node)):
                need -= 1
                if need == 0:
                    after = node
                    break
        return before, after

    def holds_error_at(self, row: int) -> bool:
        """Whether a top-level node holding ``row`` has a syntax error."""
        return any(n.has_error for n in self.tree.root_node.children
                   if n.start_point.row <= row <= n.end_point.row)

    @property
    def root(self) -> ts.Node:
        return self.tree.root_node

    @property
    def has_error(self) -> bool:
        return self.root.has_error

    def sexp(self) -> str:
        """The tree as an S-expression (for tests comparing incremental and fresh parses)."""
        return str(self.root)


def parse_region(language: str, read: ReadCallback, region: Region, row: int,
                 size: int) -> tuple[SyntaxTree, bool]:
    """A fresh parse of just ``region`` of the text (``size`` bytes in all; positions stay those
    of the whole text), and whether it is *joined*: the top-level node holding ``row`` reaches
    an edge of the region that is not an edge of the file, so the text may have joined it to
    what lies beyond."""
    lang = grammar(language)
    assert lang is not None
    parser = ts.Parser(lang)
    parser.included_ranges = [ts.Range(region.start_point, region.end_point, region.start_byte,
                                       region.end_byte)]
    tree = _parse_read(parser, read)
    assert tree is not None
    joined = False
    for node in tree.root_node.children:
        holds_row = node.start_point.row <= row <= node.end_point.row
        if holds_row and ((node.start_byte <= region.start_byte and region.start_byte > 0)
                          or (node.end_byte >= region.end_byte and region.end_byte < size)):
            joined = True
    return SyntaxTree(language, parser, tree), joined


#: a file above this many bytes is parsed a few top-level nodes at a time where a whole tree is not
#: needed (the index, the outline of a large open document): memory follows the stretch, not the file
SECTION_BYTES = 64 * 1024
#: a section widens (doubling) while its parse has errors, up to this many bytes
_WIDEST = 8 * SECTION_BYTES


@dataclass(frozen=True, slots=True)
class Section:
    """Whole top-level nodes of a file, parsed on their own: bytes [start_byte, end_byte), which
    begin and end at line starts. ``rows`` are the rows where a top-level node begins a line of its
    own (the first is the section's start), the places a later local parse may start from."""

    tree: SyntaxTree
    start_byte: int
    end_byte: int
    rows: tuple[int, ...]


def parse_sections(language: str, data: bytes, span: int = SECTION_BYTES) -> Iterator[Section]:
    """The file as consecutive sections of about ``span`` bytes, parsed one at a time.

    A section ends before its last top-level node, which the cut may have left unfinished: the
    next section starts there, so every top-level node is parsed whole, once, and each section's
    tree matches a whole parse. A section whose parse has an error, or whose only node is cut,
    widens (a cut inside a construct can break the parse anywhere back to its start); text that
    is broken itself stops widening at ``_WIDEST`` bytes and is cut before its first error. Each
    section's tree is valid until the next is read (they share one parser)."""
    lang = grammar(language)
    if lang is None:
        return
    parser = ts.Parser(lang)
    size = len(data)
    start, row, reach = 0, 0, span
    while start < size or start == 0:
        cut = data.find(b"\n", start + reach - 1) + 1 if size - start > reach else 0
        end = cut if cut > 0 else size
        end_row = row + data.count(b"\n", start, end)
        end_col = 0 if end < size else end - (data.rfind(b"\n", 0, end) + 1)
        parser.included_ranges = [ts.Range((row, 0), (end_row, end_col), start, end)]
        tree = parser.parse(data)
        assert tree is not None
        kids = tree.root_node.children
        done = len(kids)
        if end < size:  # the last node may continue past the cut
            if tree.root_node.has_error and reach < _WIDEST:
                reach *= 2  # a cut inside a construct breaks the parse anywhere back to its start
                continue
            done -= 1
            if tree.root_node.has_error:  # broken code: a best effort, up to the first error
                done = min(done, next((i for i, k in enumerate(kids) if k.has_error or k.is_missing), done))
            while done > 0 and kids[done - 1].end_point.row >= kids[done].start_point.row:
                done -= 1
            if done == 0:
                if reach < _WIDEST:
                    reach *= 2
                    continue
                done = len(kids)  # no clean place to stop: all of it, up to the cut
        rows = [row] + [b.start_point.row for a, b in pairwise(kids[:done])
                        if a.end_point.row < b.start_point.row]
        if done < len(kids):
            after = kids[done]
            end, end_row = after.start_byte - after.start_point.column, after.start_point.row
        yield Section(SyntaxTree(language, parser, tree), start, end, tuple(rows))
        if end >= size:
            return
        start, row, reach = end, end_row, span


def _between(before: ts.Node | None, after: ts.Node | None, end_byte: int,
             end_point: tuple[int, int] | ts.Point) -> Region:
    """From the start of ``before`` (the file's start without one) to the end of ``after``
    (``end_byte`` / ``end_point`` without one)."""
    start = (before.start_byte, before.start_point) if before is not None else (0, (0, 0))
    end = (after.end_byte, after.end_point) if after is not None else (end_byte, end_point)
    return Region(start[0], end[0], _point(start[1]), _point(end[1]))


def _point(p: tuple[int, int] | ts.Point) -> tuple[int, int]:
    return (p[0], p[1])


def _unsure(node: ts.Node) -> bool:
    """A node whose extent error recovery may have drawn (an ERROR, or one holding an error)."""
    return node.has_error or node.is_missing

