"""Which definition encloses a position: tree walks that stay cheap on big files.

Lookups start from ``named_descendant_for_point_range`` and walk parents, so their cost follows
the nesting depth, not the file size. Positions cross this module as ``Pos`` (code points); the
tree speaks (row, UTF-8 byte column), converted one line at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import tree_sitter as ts

from codeswitch.text import Pos, Span

#: line number -> the line's text without terminator (``Snapshot.line`` fits)
LineSource = Callable[[int], str]


@dataclass(frozen=True, slots=True)
class LanguageNodes:
    """Node types that make definitions in one grammar."""

    functions: frozenset[str]
    classes: frozenset[str]
    #: namespaces: never anchors, and what they contain still counts as top level
    modules: frozenset[str] = frozenset()
    #: function nodes that only count when bound to a name (lambdas assigned to a variable)
    anonymous: frozenset[str] = frozenset()
    #: parents that make an anonymous function a named one
    binders: frozenset[str] = frozenset()
    #: parents that belong to the definition's span (decorators, export, declarations)
    wrappers: frozenset[str] = field(default_factory=frozenset)


def _f(*names: str) -> frozenset[str]:
    return frozenset(names)


_JS_FUNCS = _f("function_declaration", "generator_function_declaration", "method_definition",
               "function_expression", "arrow_function", "generator_function", "function")
_JS_ANON = _f("function_expression", "arrow_function", "generator_function", "function")
_JS_BINDERS = _f("variable_declarator", "pair", "assignment_expression", "public_field_definition",
                 "field_definition")
_JS_WRAPPERS = _f("export_statement", "variable_declarator", "lexical_declaration", "variable_declaration",
                  "expression_statement", "assignment_expression")
_TS_CLASSES = _f("class_declaration", "abstract_class_declaration", "interface_declaration",
                 "enum_declaration", "class", "type_alias_declaration")
_C_CLASSES = _f("struct_specifier", "union_specifier", "enum_specifier")

NODES: dict[str, LanguageNodes] = {
    "python": LanguageNodes(_f("function_definition"), _f("class_definition"),
                            wrappers=_f("decorated_definition")),
    "javascript": LanguageNodes(_JS_FUNCS, _f("class_declaration", "class"), anonymous=_JS_ANON,
                                binders=_JS_BINDERS, wrappers=_JS_WRAPPERS),
    "typescript": LanguageNodes(_JS_FUNCS, _TS_CLASSES, _f("internal_module", "module"), _JS_ANON,
                                _JS_BINDERS, _JS_WRAPPERS),
    "tsx": LanguageNodes(_JS_FUNCS, _TS_CLASSES, _f("internal_module", "module"), _JS_ANON,
                         _JS_BINDERS, _JS_WRAPPERS),
    "go": LanguageNodes(_f("function_declaration", "method_declaration", "func_literal"),
                        _f("type_declaration"), anonymous=_f("func_literal"),
                        binders=_f("expression_list"), wrappers=_f("expression_list", "var_spec",
                                                                     "var_declaration",
                                                                     "short_var_declaration",
                                                                     "assignment_statement")),
    "rust": LanguageNodes(_f("function_item", "closure_expression"),
                          _f("impl_item", "trait_item", "struct_item", "enum_item", "union_item"),
                          _f("mod_item"), _f("closure_expression"), _f("let_declaration"),
                          _f("let_declaration")),
    "java": LanguageNodes(_f("method_declaration", "constructor_declaration",
                             "compact_constructor_declaration"),
                          _f("class_declaration", "interface_declaration", "enum_declaration",
                             "record_declaration", "annotation_type_declaration")),
    "c": LanguageNodes(_f("function_definition"), _C_CLASSES,
                       wrappers=_f("type_definition", "declaration")),
    "cpp": LanguageNodes(_f("function_definition", "lambda_expression"),
                         _C_CLASSES | _f("class_specifier"),
                         _f("namespace_definition", "linkage_specification"),
                         _f("lambda_expression"), _f("init_declarator"),
                         _f("template_declaration", "type_definition", "declaration", "init_declarator")),
    "lua": LanguageNodes(_f("function_declaration", "function_definition"), frozenset(),
                         anonymous=_f("function_definition"), binders=_f("expression_list", "field"),
                         wrappers=_f("expression_list", "assignment_statement", "variable_declaration")),
    "ruby": LanguageNodes(_f("method", "singleton_method"), _f("class", "module", "singleton_class")),
}

_NAME_NODES = _f("identifier", "field_identifier", "property_identifier", "type_identifier", "constant",
                 "qualified_identifier", "destructor_name", "operator_name", "scope_resolution",
                 "dot_index_expression", "method_index_expression", "private_property_identifier")


@dataclass(frozen=True, slots=True)
class Definition:
    """A function, method or class around a position, in code-point coordinates."""

    kind: str  # "function" | "method" | "class" | "type"
    name: str | None
    span: Span
    start_byte: int
    end_byte: int
    top_level: bool


def point_of(line: str, row: int, col: int) -> tuple[int, int]:
    """``Pos`` -> tree-sitter point on one line (code points -> UTF-8 bytes)."""
    if line.isascii():
        return (row, min(col, len(line)))
    return (row, len(line[:col].encode("utf-8")))


def pos_of(line: str, row: int, byte_col: int) -> Pos:
    """tree-sitter point -> ``Pos`` (UTF-8 bytes -> code points), clamped to the line."""
    if line.isascii():
        return Pos(row, min(byte_col, len(line)))
    return Pos(row, len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore")))


def node_span(node: ts.Node, lines: LineSource) -> Span:
    (sr, sc), (er, ec) = node.start_point, node.end_point
    return Span(pos_of(lines(sr), sr, sc), pos_of(lines(er), er, ec))


def node_text(node: ts.Node, lines: LineSource) -> str:
    """Text of a single-line node (names), read from the lines rather than the tree's buffer."""
    (sr, sc), (er, ec) = node.start_point, node.end_point
    raw = lines(sr).encode("utf-8")
    return raw[sc:ec if er == sr else len(raw)].decode("utf-8", errors="replace")


def _name_node(node: ts.Node) -> ts.Node | None:
    """The identifier that names a definition node, following C declarator chains."""
    for fname in ("name", "type"):
        child = node.child_by_field_name(fname)
        if child is not None and child.type in _NAME_NODES:
            return child
    decl = node.child_by_field_name("declarator")
    for _ in range(8):
        if decl is None:
            break
        if decl.type in _NAME_NODES:
            return decl
        decl = decl.child_by_field_name("declarator") or (
            decl.named_child(0) if decl.named_child_count else None)
    if node.type == "type_declaration":  # Go: type X struct {...}
        for child in node.named_children:
            found = _name_node(child)
            if found is not None:
                return found
    return None


def _binder_name(binder: ts.Node) -> ts.Node | None:
    for fname in ("name", "key", "left", "pattern", "declarator", "property"):
        child = binder.child_by_field_name(fname)
        if child is not None and child.type in _NAME_NODES:
            return child
    if binder.type in ("expression_list",) and binder.parent is not None:  # lua / go: a, b = ...
        for child in binder.parent.named_children:
            if child.type in ("variable_list", "expression_list") and child != binder \
                    and child.named_child_count:
                first = child.named_child(0)
                if first is not None and first.type in _NAME_NODES:
                    return first
    return None


_BODYLESS_CLASSES = frozenset({"type_declaration", "class", "module", "singleton_class",
                               "type_alias_declaration"})
_TYPE_NODES = frozenset({"type_alias_declaration"})


def _definition_kind(node: ts.Node, spec: LanguageNodes) -> str | None:
    """"function", "class" or "type" when ``node`` makes a definition, else None."""
    t = node.type
    if t in spec.functions:
        if t in spec.anonymous:
            parent = node.parent
            return "function" if parent is not None and parent.type in spec.binders else None
        return "function"
    if t in spec.classes and (t in _BODYLESS_CLASSES or node.child_by_field_name("body") is not None):
        return "type" if t in _TYPE_NODES else "class"
    return None


def _definition_name(node: ts.Node, spec: LanguageNodes) -> ts.Node | None:
    if node.type in spec.anonymous and node.parent is not None:
        return _binder_name(node.parent)
    return _name_node(node)


def _wrapped(node: ts.Node, spec: LanguageNodes) -> ts.Node | None:
    """The definition a wrapper statement holds (decorated, exported, bound to a name)."""
    frontier = [node]
    for _ in range(4):
        nxt: list[ts.Node] = []
        for n in frontier:
            for child in n.named_children:
                if _definition_kind(child, spec) is not None:
                    return child
                if child.type in spec.wrappers:
                    nxt.append(child)
        frontier = nxt
    return None


def _chain(node: ts.Node | None, spec: LanguageNodes) -> Iterator[tuple[ts.Node, str, ts.Node | None]]:
    """Definitions from ``node`` outwards: (definition node, kind, name node).

    A position on a wrapper but outside the definition it wraps (a decorator, ``export``,
    ``const f =``, the ``;`` after an arrow function) belongs to that definition.
    """
    seen: set[int] = set()
    while node is not None:
        kind = _definition_kind(node, spec)
        if kind is None and node.type in spec.wrappers:
            inner = _wrapped(node, spec)
            if inner is not None and inner.id not in seen:
                inner_kind = _definition_kind(inner, spec)
                assert inner_kind is not None
                seen.add(inner.id)
                yield inner, inner_kind, _definition_name(inner, spec)
        elif kind is not None and node.id not in seen:
            seen.add(node.id)
            yield node, kind, _definition_name(node, spec)
        node = node.parent


def _outer(node: ts.Node, spec: LanguageNodes) -> ts.Node:
    """Grow a definition node over its wrappers (decorators, export, declaration statements)."""
    while node.parent is not None and node.parent.type in spec.wrappers:
        node = node.parent
    return node


def definitions_at(tree_root: ts.Node, language: str, lines: LineSource, start: Pos,
                   end: Pos | None = None, line_count: int | None = None) -> list[Definition]:
    """The definitions containing ``start..end``, innermost first (empty at module level).

    ``line_count`` bounds the look-ahead on blank lines (default: the tree's last row + 1).
    """
    spec = NODES.get(language)
    if spec is None:
        return []
    min_col = -1
    if end is None or end == start:
        count = line_count if line_count is not None else tree_root.end_point[0] + 1
        start, min_col = _lookup_point(language, lines, start, count)
        end = start
    sp = point_of(lines(start.line), start.line, start.col)
    ep = point_of(lines(end.line), end.line, end.col)
    leaf = tree_root.named_descendant_for_point_range(sp, ep)
    found = [(n, k, nm) for n, k, nm in _chain(leaf, spec)]
    if min_col >= 0:  # a blank line in an indentation language: only blocks indented less than it
        found = [f for f in found if _outer(f[0], spec).start_point[1] < min_col]
    out: list[Definition] = []
    for i, (node, kind, name_node) in enumerate(found):
        outer_kind = found[i + 1][1] if i + 1 < len(found) else None
        if kind == "function" and (outer_kind == "class" or node.type == "method_declaration"
                                   or (name_node is not None and name_node.type == "qualified_identifier")):
            kind = "method"
        if kind == "function" and language == "ruby" and outer_kind is None:
            kind = "function"
        grown = _outer(node, spec)
        out.append(Definition(kind, node_text(name_node, lines) if name_node is not None else None,
                              node_span(grown, lines), grown.start_byte, grown.end_byte,
                              top_level=i == len(found) - 1))
    return out


def _lookup_point(language: str, lines: LineSource, pos: Pos, line_count: int) -> tuple[Pos, int]:
    """Where to look a cursor up, and the indentation filter for blank lines.

    A cursor right after the last character of a definition is still in it for the user (the
    node's end is exclusive), unless that character closes the block. On a blank line of an
    indentation language the block is decided by the previous line and the cursor's column.
    """
    line = lines(pos.line)
    before = line[:pos.col]
    if not before.strip() and line.strip():  # at the indentation of a line: look at its first token
        return Pos(pos.line, len(line) - len(line.lstrip())), -1
    if language == "python" and not line.strip():
        prev_row, prev_indent = -1, 0
        for row in range(pos.line - 1, max(-1, pos.line - 200), -1):
            prev = lines(row).rstrip()
            if prev.strip():
                prev_row, prev_indent = row, len(prev) - len(prev.lstrip())
                break
        if prev_row < 0:
            return pos, 0
        level = pos.col
        if level == 0:  # no indentation typed: the blank line belongs to the lesser of its neighbours
            level = prev_indent + 1
            for row in range(pos.line + 1, min(pos.line + 200, line_count)):
                nxt = lines(row)
                if nxt.strip():
                    level = min(level, len(nxt) - len(nxt.lstrip()))
                    break
        prev = lines(prev_row).rstrip()
        return Pos(prev_row, max(0, len(prev) - 1)), level
    stripped = before.rstrip()
    if stripped and len(stripped) == len(before) and stripped[-1] not in "})]" \
            and not stripped.endswith(("end", "end;", "}}")):
        return Pos(pos.line, pos.col - 1), -1
    return pos, -1


def top_level_definitions(tree_root: ts.Node, language: str, lines: LineSource, start: Pos,
                          end: Pos) -> list[Definition]:
    """Top-level definitions overlapping ``start..end`` (namespaces looked through)."""
    spec = NODES.get(language)
    if spec is None:
        return []
    sp = point_of(lines(start.line), start.line, start.col)
    ep = point_of(lines(end.line), end.line, end.col)
    out: list[Definition] = []
    stack = [tree_root]
    while stack:
        parent = stack.pop()
        for child in parent.named_children:
            if child.end_point <= sp or child.start_point >= ep:
                continue
            if child.type in spec.modules:
                body = child.child_by_field_name("body")
                stack.append(body if body is not None else child)
                continue
            inner = _first_definition(child, spec)
            if inner is None:
                continue
            _, kind, name_node = inner
            out.append(Definition(kind, node_text(name_node, lines) if name_node is not None else None,
                                  node_span(child, lines), child.start_byte, child.end_byte, True))
    out.sort(key=lambda d: d.start_byte)
    return out


def _first_definition(node: ts.Node, spec: LanguageNodes) -> tuple[ts.Node, str, ts.Node | None] | None:
    """The definition a top-level statement makes, looking through wrappers."""
    kind = _definition_kind(node, spec)
    inner: ts.Node | None = node
    if kind is None:
        inner = _wrapped(node, spec) if node.type in spec.wrappers else None
        kind = _definition_kind(inner, spec) if inner is not None else None
    if inner is None or kind is None:
        return None
    return inner, kind, _definition_name(inner, spec)


#: top-level statements that bring names in from elsewhere
IMPORT_NODES = frozenset({"import_statement", "import_from_statement", "future_import_statement",
                          "import_declaration", "use_declaration", "preproc_include",
                          "extern_crate_declaration", "using_declaration"})


def top_statement(tree_root: ts.Node, language: str, lines: LineSource, pos: Pos) -> ts.Node | None:
    """The top-level statement at a position (namespaces looked through), or None between them."""
    spec = NODES.get(language)
    modules = spec.modules if spec is not None else frozenset()
    point = point_of(lines(pos.line), pos.line, pos.col)
    node: ts.Node | None = tree_root.named_descendant_for_point_range(point, point)
    while node is not None and node.parent is not None:
        parent = node.parent
        if parent == tree_root or parent.type in modules or (
                parent.parent is not None and parent.parent.type in modules):
            return node if node.type not in modules else None
        node = parent
    return None
