"""Inline shape, block exit and syntax-error helpers: small pure functions over text and trees.

The inline feature asks three questions here: what kind of completion fits at the cursor
(:func:`inline_shape`), where a model's completion walks out of the block the cursor is in
(:func:`block_exit`, to truncate it), and whether a candidate makes the code parse worse
(:func:`error_count`, :func:`adds_syntax_errors`).
"""

from __future__ import annotations

import re

import tree_sitter as ts

from codeswitch.text import Pos, Span

from .model import InlineShape
from .nodes import LineSource, point_of, pos_of
from .syntax import SyntaxTree

#: node types that hold an expression list still being typed
_OPEN_EXPRESSIONS = frozenset({
    "argument_list", "arguments", "parenthesized_expression", "list", "tuple", "dictionary", "set",
    "array", "object", "subscript", "subscript_expression", "index_expression", "table_constructor",
    "generator_expression", "list_comprehension", "array_expression", "tuple_expression",
    "initializer_list", "composite_literal", "literal_value", "hash", "formal_parameters", "parameters",
    "parameter_list", "method_parameters",
})
_STOP = ("block", "statement_block", "compound_statement", "body_statement", "module", "program",
         "source_file", "translation_unit", "chunk", "class_body", "declaration_list")
_OPENER_WORDS = ("do", "then", "else", "begin", "repeat")
_OPENER_LINE = re.compile(r"^\s*(def|class|module|function|local\s+function|if|unless|while|until|for|"
                          r"elif|elsif|case|when)\b.*[)\w]\s*$")
_TRAILING_OPERATOR = re.compile(r"(?:[-+*/%&|^(\[]|[=!<>]=|(?<![-=!<>])=|&&|\|\||"
                                r"\b(?:and|or|not|in|return|await|yield))\s*$")
_EMPTY_BODY = frozenset({"pass_statement", "comment", "ellipsis"})
_INDENT_LANGS = frozenset({"python"})
_WORD = re.compile(r"[A-Za-z_]\w*")
_KEYWORDS: dict[str, tuple[frozenset[str], frozenset[str], frozenset[str]]] = {
    # language: (always-opening words, opening only when they start a statement, closers)
    "lua": (frozenset({"function", "do", "repeat"}), frozenset({"if"}), frozenset({"end", "until"})),
    "ruby": (frozenset({"def", "class", "module", "do", "begin", "case"}),
             frozenset({"if", "unless", "while", "until"}), frozenset({"end"})),
}
_LINE_COMMENT = {"python": "#", "ruby": "#", "lua": "--"}


def opens_block(line: str) -> bool:
    """Whether a line ends by opening a block (``:``, ``{``, ``do``, ``then``, a def header...)."""
    text = line.rstrip()
    if not text:
        return False
    if text.endswith((":", "{", "=> {", "->")):
        return True
    last = text.rsplit(None, 1)[-1]
    if last in _OPENER_WORDS or re.search(r"\bdo\s*\|[^|]*\|$", text):
        return True
    if re.search(r"\bfunction\s*[\w.:]*\s*\([^()]*\)$", text):
        return True
    return bool(_OPENER_LINE.match(text)) and not text.endswith(("end", "}", ";"))


def _open_brackets(text: str) -> int:
    depth = 0
    quote = ""
    for ch in text:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'`":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
    return depth


def _in_open_expression(root: ts.Node, point: tuple[int, int]) -> bool:
    node: ts.Node | None = root.descendant_for_point_range(point, point)
    for _ in range(16):
        if node is None or node.type in _STOP or node.type.endswith(("_definition", "_declaration")):
            return False
        if node.type in _OPEN_EXPRESSIONS and node.start_point < point:
            last = node.child(node.child_count - 1) if node.child_count else None
            if point < node.end_point or (last is not None and last.is_missing):
                return True
        node = node.parent
    return False


def _in_comment(root: ts.Node, point: tuple[int, int]) -> bool:
    node = root.descendant_for_point_range(point, point)
    return node is not None and "comment" in node.type


def _empty_body(root: ts.Node, point: tuple[int, int]) -> bool:
    node: ts.Node | None = root.descendant_for_point_range(point, point)
    for _ in range(12):
        if node is None:
            return False
        body = node.child_by_field_name("body")
        if body is not None and node.type.endswith(("definition", "declaration", "item", "method")):
            return all(c.type in _EMPTY_BODY or (c.type == "expression_statement" and c.named_child_count
                                                 and c.named_children[0].type in ("string", "ellipsis"))
                       for c in body.named_children)
        node = node.parent
    return False


def inline_shape(lines: LineSource, pos: Pos, tree: SyntaxTree | None = None) -> InlineShape:
    """What a completion at ``pos`` should look like.

    ``block`` after a line that opens a block (or in an empty body), ``expression`` inside an
    unfinished expression or argument list, ``rest_of_line`` otherwise. Costs a few parent steps.
    """
    line = lines(pos.line)
    before, after = line[:pos.col], line[pos.col:]
    root = tree.root if tree is not None else None
    language = tree.language if tree is not None else None
    point = point_of(line, pos.line, pos.col)
    if before.strip():
        code = _strip_code(before, language, "_").rstrip()  # comments and strings say nothing here
        if not code or (root is not None and _in_comment(root, point)):
            return "rest_of_line"
        if opens_block(code) and after.strip() in ("", "}", "end", ")"):
            return "expression" if _open_brackets(code) and not code.endswith("{") else "block"
        if root is not None and _in_open_expression(root, point):
            return "expression"
        if _open_brackets(code) or _TRAILING_OPERATOR.search(code):
            return "expression"
        return "rest_of_line"
    # at the indentation of a (nearly) empty line: look at what came before
    for row in range(pos.line - 1, max(-1, pos.line - 50), -1):
        prev = _strip_code(lines(row), language)
        if prev.strip():
            if opens_block(prev):
                return "block"
            break
    if root is not None:
        if _in_open_expression(root, point):
            return "expression"
        if _empty_body(root, point):
            return "block"
    return "rest_of_line"


# --- block exit ---------------------------------------------------------------------------------

def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _strip_code(text: str, language: str | None, string_fill: str = " ") -> str:
    """Blank out strings and comments (same length) so bracket and keyword scans ignore them.

    Single-line strings become ``string_fill`` (``_`` keeps "there is a value here" visible).
    """
    out = list(text)
    i, n = 0, len(text)
    comment = _LINE_COMMENT.get(language or "", "//")
    while i < n:
        ch = text[i]
        if text.startswith(comment, i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out[i:j] = " " * (j - i)
            i = j
        elif comment == "//" and text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out[i:j] = [c if c == "\n" else " " for c in text[i:j]]
            i = j
        elif text.startswith(('"""', "'''"), i) and language == "python":
            j = text.find(text[i:i + 3], i + 3)
            j = n if j < 0 else j + 3
            out[i:j] = [c if c == "\n" else " " for c in text[i:j]]
            i = j
        elif ch in "\"'`" and not (ch == "'" and language == "rust" and not _rust_char(text, i)):
            j = i + 1
            while j < n and text[j] != ch and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out[i:j] = string_fill * (j - i)
            i = j
        else:
            i += 1
    return "".join(out)


def _rust_char(text: str, i: int) -> bool:
    """A Rust quote starts a char literal ('x', '\\n'), not a lifetime ('a)."""
    return text[i + 1:i + 2] == "\\" or text[i + 2:i + 3] == "'"


def _trim(completion: str, cut: int) -> int:
    """Move a cut back over the blank lines and spaces that precede it."""
    return len(completion[:cut].rstrip())


def block_exit(language: str | None, prefix: str, completion: str) -> int | None:
    """Offset in ``completion`` where it leaves the block the cursor is in, or None if it stays.

    ``prefix`` is the text before the cursor (its last line is enough for indentation languages).
    Brace languages: the first closer that has no opener in the completion. Lua and Ruby: the
    first ``end`` (or ``until``) without its opener. Python and unknown languages: the first
    later line indented less than the cursor's block. The offset excludes trailing blank lines,
    so ``completion[:offset]`` is what to keep.
    """
    clean = _strip_code(completion, language)
    if language in _KEYWORDS:
        return _keyword_exit(language, completion, clean)
    if language is not None and language not in _INDENT_LANGS:
        depth = 0
        for i, ch in enumerate(clean):
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth -= 1
                if depth < 0:
                    return _trim(completion, i) if ch == "}" else None
        return None
    last = prefix.rsplit("\n", 1)[-1]
    floor = _indent(last) + (1 if opens_block(last) else 0) if last.strip() else len(last)
    offset = completion.find("\n")
    while offset >= 0:
        start = offset + 1
        end = completion.find("\n", start)
        row = completion[start:] if end < 0 else completion[start:end]
        if row.strip() and _indent(row) < floor and clean[start:start + len(row)].strip() != "":
            return _trim(completion, start)
        offset = end
    return None


def _keyword_exit(language: str, completion: str, clean: str) -> int | None:
    always, leading, closers = _KEYWORDS[language]
    depth = 0
    line_start = True
    for m in _WORD.finditer(clean):
        word = m.group()
        before = clean[clean.rfind("\n", 0, m.start()) + 1:m.start()]
        line_start = not before.strip() or before.rstrip().endswith(("=", "(", "return"))
        if word in always or (word in leading and line_start):
            depth += 1
        elif word in closers:
            depth -= 1
            if depth < 0:
                return _trim(completion, m.start())
    return None


# --- syntax errors ------------------------------------------------------------------------------

def error_nodes(root: ts.Node, start_byte: int = 0, end_byte: int | None = None) -> list[ts.Node]:
    """ERROR and MISSING nodes overlapping a byte range; skips subtrees without errors."""
    out: list[ts.Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.end_byte < start_byte or (end_byte is not None and node.start_byte > end_byte):
            continue
        if node.is_error or node.is_missing:
            out.append(node)
            continue
        if node.has_error:
            stack.extend(node.children)
    return out


def error_count(tree: SyntaxTree, start_byte: int = 0, end_byte: int | None = None) -> int:
    """How many ERROR/MISSING nodes a tree has in a byte range (whole tree by default)."""
    return len(error_nodes(tree.root, start_byte, end_byte))


def syntax_errors(text: str, language: str) -> list[Span] | None:
    """Where ``text`` fails to parse, as spans; None when the language has no grammar."""
    tree = SyntaxTree.parse(language, text.encode("utf-8"))
    if tree is None:
        return None
    rows = text.split("\n")
    spans: list[Span] = []
    for node in error_nodes(tree.root):
        (sr, sc), (er, ec) = node.start_point, node.end_point
        line_s = rows[sr] if sr < len(rows) else ""
        line_e = rows[er] if er < len(rows) else ""
        spans.append(Span(pos_of(line_s, sr, sc), pos_of(line_e, er, ec)))
    spans.sort(key=lambda s: (s.start.line, s.start.col))
    return spans


def adds_syntax_errors(language: str, before: str, after: str) -> bool:
    """Whether ``after`` parses with more errors than ``before`` (False without a grammar).

    Pass a region (the enclosing definition with and without the completion), not the whole
    file: parsing costs in proportion to the text.
    """
    b, a = syntax_errors(before, language), syntax_errors(after, language)
    if a is None or b is None:
        return False
    return len(a) > len(b)
