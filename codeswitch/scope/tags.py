"""Run the per-language tag queries (``queries/<language>.scm``) over one file.

Captures follow the tree-sitter tags convention: ``@name`` plus ``@definition.<kind>`` or
``@reference.<kind>`` on the enclosing node. Results are plain :class:`Symbol` values.
"""

from __future__ import annotations

import sys
from functools import cache
from importlib import resources

import tree_sitter as ts

from codeswitch.text import Pos, Span

from .model import Symbol
from .nodes import NODES, pos_of
from .syntax import SECTION_BYTES, SyntaxTree, grammar, parse_sections


@cache
def tag_query(language: str) -> ts.Query | None:
    """The compiled tag query for a language, or None without a grammar or query file."""
    lang = grammar(language)
    if lang is None:
        return None
    try:
        source = resources.files("codeswitch.scope").joinpath("queries", f"{language}.scm").read_text("utf-8")
    except OSError:
        return None
    return ts.Query(lang, source)


def _has_class_ancestor(node: ts.Node, language: str) -> bool:
    spec = NODES.get(language)
    if spec is None:
        return False
    parent = node.parent
    while parent is not None:
        if parent.type in spec.classes:
            return True
        if parent.type in spec.functions:
            return False
        parent = parent.parent
    return False


#: the tag query runs over this many bytes of top-level nodes at a time, so that its matches (which
#: tree-sitter returns as a list) stay few whatever the size of the file
_BATCH_BYTES = 16 * 1024


def extract_tags(language: str, source: bytes, path: str,
                 tree: SyntaxTree | None = None) -> tuple[list[Symbol], list[Symbol]]:
    """(definitions, references) of one file; empty lists for languages without a query.

    Without a tree, a large file is parsed a section at a time (:func:`parse_sections`): the
    index of a 50k-line file never holds its whole tree."""
    query = tag_query(language)
    if query is None:
        return [], []
    collect = _Collector(language, query, source, path)
    if tree is not None:
        collect.tree(tree, 0, len(source))
    elif len(source) > SECTION_BYTES:
        for section in parse_sections(language, source):
            collect.tree(section.tree, section.start_byte, section.end_byte)
    else:
        whole = SyntaxTree.parse(language, source)
        if whole is None:
            return [], []
        collect.tree(whole, 0, len(source))
    return collect.result()


class _Collector:
    """Definitions and references of one file, gathered a stretch of top-level nodes at a time."""

    __slots__ = ("_ascii", "_defs", "_language", "_path", "_query", "_refs", "_rows", "_source")

    def __init__(self, language: str, query: ts.Query, source: bytes, path: str) -> None:
        self._language, self._query, self._source, self._path = language, query, source, path
        self._ascii = source.isascii()
        self._rows: list[str] | None = None
        self._defs: list[Symbol] = []  # in source order: batches come in the order of their bytes
        self._refs: list[Symbol] = []

    def tree(self, tree: SyntaxTree, lo: int, hi: int) -> None:
        """Tag the names that start in bytes [lo, hi) of ``tree``, a batch of top-level nodes at a time."""
        cursor = ts.QueryCursor(self._query)
        start = lo
        for node in tree.root.children:
            if node.end_byte <= lo:
                continue
            if node.start_byte >= hi:
                break
            if node.end_byte - start >= _BATCH_BYTES:
                self._batch(cursor, tree, start, min(node.end_byte, hi))
                start = min(node.end_byte, hi)
        if start < hi:
            self._batch(cursor, tree, start, hi)

    def _batch(self, cursor: ts.QueryCursor, tree: SyntaxTree, lo: int, hi: int) -> None:
        cursor.set_byte_range(lo, hi)
        language = self._language
        defs: dict[int, Symbol] = {}  # by the name's start byte: one name may match several patterns
        refs: dict[int, Symbol] = {}
        for _, captures in cursor.matches(tree.root):
            names = captures.get("name")
            if not names:
                continue
            name = names[0]
            at = name.start_byte
            if not lo <= at < hi or at in defs:
                continue
            for cap, nodes in captures.items():
                if cap == "name" or not nodes:
                    continue
                role, _, kind = cap.partition(".")
                if role == "definition":
                    node = nodes[0]
                    if kind == "function" and _has_class_ancestor(node, language):
                        kind = "method"
                    elif kind == "method" and language == "ruby" and not _has_class_ancestor(node, language):
                        kind = "function"
                    defs[at] = self._symbol(name, kind)
                    refs.pop(at, None)  # a name that a definition binds is not a reference
                    break
                if role == "reference" and at not in refs:
                    refs[at] = self._symbol(name, kind)
        self._defs.extend(defs[k] for k in sorted(defs))
        self._refs.extend(refs[k] for k in sorted(refs))

    def _symbol(self, name: ts.Node, kind: str) -> Symbol:
        text = sys.intern(self._source[name.start_byte:name.end_byte].decode("utf-8", errors="replace"))
        span = Span(self._pos(name.start_point), self._pos(name.end_point))
        return Symbol(text, sys.intern(kind), self._path, span)

    def _pos(self, point: tuple[int, int]) -> Pos:
        row, col = point
        if self._ascii:
            return Pos(row, col)
        if self._rows is None:
            self._rows = self._source.decode("utf-8", errors="replace").split("\n")
        rows = self._rows
        return pos_of(rows[row] if row < len(rows) else "", row, col)

    def result(self) -> tuple[list[Symbol], list[Symbol]]:
        """(definitions, references), each in source order."""
        return self._defs, self._refs
