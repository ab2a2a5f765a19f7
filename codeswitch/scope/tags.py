"""Run the per-language tag queries (``queries/<language>.scm``) over one file.

Captures follow the tree-sitter tags convention: ``@name`` plus ``@definition.<kind>`` or
``@reference.<kind>`` on the enclosing node. Results are plain :class:`Symbol` values.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import resources

import tree_sitter as ts

from codeswitch.text import Pos, Span

from .model import Symbol
from .nodes import NODES, pos_of
from .syntax import SyntaxTree, grammar


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


def extract_tags(language: str, source: bytes, path: str,
                 tree: SyntaxTree | None = None) -> tuple[list[Symbol], list[Symbol]]:
    """(definitions, references) of one file; empty lists for languages without a query."""
    query = tag_query(language)
    if query is None:
        return [], []
    if tree is None:
        tree = SyntaxTree.parse(language, source)
        if tree is None:
            return [], []
    ascii_only = source.isascii()
    rows: list[str] = [] if ascii_only else source.decode("utf-8", errors="replace").split("\n")

    def pos(point: tuple[int, int]) -> Pos:
        row, col = point
        if ascii_only:
            return Pos(row, col)
        return pos_of(rows[row] if row < len(rows) else "", row, col)

    defs: list[Symbol] = []
    refs: list[Symbol] = []
    def_names: set[int] = set()
    seen_refs: set[int] = set()
    pending: list[tuple[ts.Node, ts.Node, str]] = []
    for _, captures in ts.QueryCursor(query).matches(tree.root):
        names = captures.get("name")
        if not names:
            continue
        name = names[0]
        for cap, nodes in captures.items():
            if cap == "name" or not nodes:
                continue
            role, _, kind = cap.partition(".")
            node = nodes[0]
            if role == "definition":
                if kind == "function" and _has_class_ancestor(node, language):
                    kind = "method"
                elif kind == "method" and language == "ruby" and not _has_class_ancestor(node, language):
                    kind = "function"
                def_names.add(name.start_byte)
                defs.append(_symbol(source, name, kind, path, pos))
            elif role == "reference":
                pending.append((name, node, kind))
    for name, _node, kind in pending:
        if name.start_byte in def_names or name.start_byte in seen_refs:
            continue
        seen_refs.add(name.start_byte)
        refs.append(_symbol(source, name, kind, path, pos))
    return defs, refs


def _symbol(source: bytes, name: ts.Node, kind: str, path: str,
            pos: Callable[[tuple[int, int]], Pos]) -> Symbol:
    text = source[name.start_byte:name.end_byte].decode("utf-8", errors="replace")
    return Symbol(text, kind, path, Span(pos(name.start_point), pos(name.end_point)))
