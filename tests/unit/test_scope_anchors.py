"""Table tests per language: anchors and inline shapes on the fixtures in tests/fixtures/."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeswitch.documents import Pos, Snapshot, Span
from codeswitch.scope import ScopeRequest, estimate_scope
from codeswitch.scope.estimate import enclosing_definition

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FILES = {
    "python": "python/inventory.py", "javascript": "javascript/cart.js", "typescript": "typescript/users.ts",
    "go": "go/queue.go", "rust": "rust/stack.rs", "java": "java/Account.java", "c": "c/buffer.c",
    "cpp": "cpp/matrix.cpp", "lua": "lua/stats.lua", "ruby": "ruby/library.rb",
}


def snapshot(language: str) -> Snapshot:
    path = FIXTURES / FILES[language]
    return Snapshot.from_text(path.read_text(encoding="utf-8"), path=path, uri=path.as_uri())


def find(snap: Snapshot, needle: str, *, at_end: bool = True) -> Pos:
    """The position right after (or at the start of) the first line containing ``needle``."""
    for i in range(snap.line_count):
        line = snap.line(i)
        col = line.find(needle)
        if col >= 0:
            return Pos(i, col + len(needle) if at_end else col)
    raise AssertionError(f"{needle!r} not in fixture")


def inline(snap: Snapshot, pos: Pos):  # type: ignore[no-untyped-def]
    return estimate_scope(snap, ScopeRequest("inline", Span(pos, pos)), None)


# (language, text at the cursor (cursor goes after it), anchor kind, anchor name)
ANCHORS = [
    ("python", "item.quantity += quantity", "method", "add"),
    ("python", "raise ValueError(sku)", "method", "remove"),
    ("python", "inv.add(sku, qty)", "function", "load"),
    ("python", "sku: str", "class", "Item"),
    ("javascript", "this.owner = owner;", "method", "constructor"),
    ("javascript", "const total = cart.total();", "function", "summary"),
    ("javascript", "return cart.total() * (1 - pct / 100);", "function", "discount"),
    ("typescript", "this.users.set(user.id, user);", "method", "register"),
    ("typescript", "name: string;", "class", "User"),
    ("typescript", "return new Set(users.map((u) => u.name)).size;", "function", "countNames"),
    ("go", "return ErrFull", "method", "Push"),
    ("go", "return &Queue{limit: limit}", "function", "New"),
    ("go", "limit int", "class", "Queue"),
    ("rust", "self.items.push(v);", "method", "push"),
    ("rust", "write!(f, \"{:?}\", self.items)", "method", "fmt"),
    ("rust", "s.items.iter().sum()", "function", "sum"),
    ("java", "entries.add(cents);", "method", "deposit"),
    ("java", "total += e;", "method", "balance"),
    ("java", "private final String owner;", "class", "Account"),
    ("c", "return -1;", "function", "grow"),
    ("c", "memcpy(b->data + b->len, s, n);", "function", "buffer_append"),
    ("c", "size_t cap;", "class", "buffer"),
    ("cpp", "return data_[r * cols_ + c];", "method", "at"),
    ("cpp", "x = v;", "method", "Matrix::fill"),
    ("cpp", "t += m.at(i, i);", "function", "trace"),
    ("lua", "sum = sum + x", "function", "M.mean"),
    ("lua", "return x * x", "function", "square"),
    ("lua", "acc = acc + square(x - m)", "function", "M.variance"),
    ("ruby", "@isbn = isbn", "method", "initialize"),
    ("ruby", "@books << book", "method", "add"),
    ("ruby", "shelf.add(b)", "function", "shelve_all"),
    ("ruby", "attr_reader :title, :isbn", "class", "Book"),
]


@pytest.mark.parametrize(("language", "needle", "kind", "name"), ANCHORS)
def test_inline_anchor_is_the_innermost_definition(language: str, needle: str, kind: str, name: str) -> None:
    snap = snapshot(language)
    scope = inline(snap, find(snap, needle))
    assert scope.scope == "inline"
    assert (scope.anchor_kind, scope.anchor_name) == (kind, name)
    assert scope.anchor is not None
    assert scope.anchor.start.line <= find(snap, needle).line <= scope.anchor.end.line
    assert scope.files == (Path(FILES[language]).name,) or scope.files[0].endswith(Path(FILES[language]).name)


@pytest.mark.parametrize("language", sorted(FILES))
def test_top_level_lines_have_no_anchor(language: str) -> None:
    snap = snapshot(language)
    scope = inline(snap, Pos(0, len(snap.line(0))))  # the first line: a comment, package or docstring
    assert scope.anchor is None
    assert scope.anchor_kind is None
    assert "top level" in " ".join(scope.reasons)


# (language, text before the cursor on its line, expected shape)
SHAPES = [
    ("python", "def add(self, sku, quantity):", "block"),
    ("python", "if item.quantity < quantity:", "block"),
    ("python", "item = self.items.setdefault(sku, ", "expression"),
    ("python", "item = self.items[sku]", "rest_of_line"),
    ("javascript", "add(sku, price, qty = 1) {", "block"),
    ("javascript", "return this.lines.reduce(", "expression"),
    ("javascript", "this.owner = owner;", "rest_of_line"),
    ("typescript", "register(user: User): void {", "block"),
    ("go", "func (q *Queue) Len() int {", "block"),
    ("go", "q.items = append(q.items, ", "expression"),
    ("rust", "pub fn pop(&mut self) -> Option<i64> {", "block"),
    ("java", "public long balance() {", "block"),
    ("java", "throw new IllegalArgumentException(", "expression"),
    ("c", "if (!p) {", "block"),
    ("c", "memcpy(b->data + b->len, ", "expression"),
    ("cpp", "for (auto &x : data_) {", "block"),
    ("lua", "for _, x in ipairs(xs) do", "block"),
    ("lua", "function M.mean(xs)", "block"),
    ("lua", "M.variance = function(xs)", "block"),
    ("lua", "local sum = 0", "rest_of_line"),
    ("ruby", "books.each do |b|", "block"),
    ("ruby", "def find(isbn)", "block"),
    ("ruby", "@title = title", "rest_of_line"),
]


@pytest.mark.parametrize(("language", "before", "shape"), SHAPES)
def test_inline_shape(language: str, before: str, shape: str) -> None:
    snap = snapshot(language)
    scope = inline(snap, find(snap, before))
    assert scope.inline_shape == shape, scope.reasons


def test_python_empty_body_is_a_block() -> None:
    snap = snapshot("python")
    pos = find(snap, "pass", at_end=False)
    assert inline(snap, pos).inline_shape == "block"


def test_python_blank_line_follows_indentation() -> None:
    text = "class A:\n    def f(self):\n        x = 1\n\n        \n    \n\nz = 2\n"
    snap = Snapshot.from_text(text, path=Path("/w/a.py"))
    inside = inline(snap, Pos(4, 8))  # indented as the method body
    assert (inside.anchor_kind, inside.anchor_name) == ("method", "f")
    in_class = inline(snap, Pos(5, 4))  # indented as the class body
    assert (in_class.anchor_kind, in_class.anchor_name) == ("class", "A")
    outside = inline(snap, Pos(6, 0))
    assert outside.anchor is None


def test_cursor_after_closing_brace_is_outside_the_function() -> None:
    snap = snapshot("c")
    end = find(snap, "b->cap = need * 2;")  # inside grow, two lines before its end
    assert inline(snap, end).anchor_name == "grow"
    closing = Pos(end.line + 2, 1)  # right after the "}" that closes grow
    assert snap.line(closing.line).startswith("}")
    assert inline(snap, closing).anchor is None


def test_decorator_line_belongs_to_the_decorated_definition() -> None:
    text = "import functools\n\n@functools.cache\ndef f(x):\n    return x\n"
    snap = Snapshot.from_text(text, path=Path("/w/d.py"))
    d = enclosing_definition(snap, Pos(2, 0))
    assert d is not None and (d.kind, d.name) == ("function", "f")
    assert d.span.start == Pos(2, 0)  # the anchor includes the decorator


def test_nested_function_anchor_for_edits_is_the_outer_method() -> None:
    text = ("class A:\n    def run(self):\n        def helper(y):\n            return y + 1\n"
            "        return helper(2)\n")
    snap = Snapshot.from_text(text, path=Path("/w/n.py"))
    inner = enclosing_definition(snap, Pos(3, 12))
    outer = enclosing_definition(snap, Pos(3, 12), innermost=False)
    assert inner is not None and inner.name == "helper"
    assert outer is not None and (outer.kind, outer.name) == ("method", "run")


def test_non_ascii_columns_map_to_code_points() -> None:
    text = 'def f():\n    s = "héllo wörld 😀"\n    return s\n'
    snap = Snapshot.from_text(text, path=Path("/w/u.py"))
    scope = inline(snap, Pos(1, len(snap.line(1))))
    assert scope.anchor_name == "f"
    assert scope.anchor == Span(Pos(0, 0), Pos(2, 12))


def test_unknown_language_uses_indentation() -> None:
    text = "proc main {\n    set x 1\n    puts $x\n}\n\nputs done\n"
    snap = Snapshot.from_text(text, path=Path("/w/script.tcl"))
    assert snap.syntax is None
    scope = inline(snap, Pos(2, len(snap.line(2))))
    assert scope.scope == "inline"
    assert scope.anchor_name == "main"
    assert scope.anchor == Span(Pos(0, 0), Pos(3, 1))
    assert scope.confidence < 0.9
    assert any("indentation" in r for r in scope.reasons)


@pytest.mark.parametrize(("language", "needle", "kind", "name"), ANCHORS)
def test_local_edit_is_function_scope_on_the_same_anchor(language: str, needle: str, kind: str,
                                                         name: str) -> None:
    snap = snapshot(language)
    pos = find(snap, needle)
    scope = estimate_scope(snap, ScopeRequest("edit", Span(pos, pos), "handle the error case here"), None)
    assert scope.scope == "function"
    assert (scope.anchor_kind, scope.anchor_name) == (kind, name)
    assert scope.inline_shape is None


# (language, a line in one top-level definition, a line in a later one)
TWO_DEFINITIONS = [
    ("python", "item.quantity += quantity", "inv.add(sku, qty)"),
    ("javascript", "this.owner = owner;", "const total = cart.total();"),
    ("typescript", "this.users.set(user.id, user);", "return `hello ${user.name}`;"),
    ("go", "return &Queue{limit: limit}", "return len(q.items)"),
    ("rust", "self.items.push(v);", "s.items.iter().sum()"),
    ("c", "return -1;", "b->len += n;"),
    ("cpp", "return data_[r * cols_ + c];", "t += m.at(i, i);"),
    ("lua", "sum = sum + x", "return x * x"),
    ("ruby", "@isbn = isbn", "shelf.add(b)"),
]


@pytest.mark.parametrize(("language", "first", "second"), TWO_DEFINITIONS)
def test_selection_over_two_top_level_definitions_is_workspace(language: str, first: str,
                                                              second: str) -> None:
    snap = snapshot(language)
    span = Span(find(snap, first, at_end=False), find(snap, second))
    scope = estimate_scope(snap, ScopeRequest("edit", span, "tidy up"), None)
    assert scope.scope == "workspace", scope.reasons
    assert any("top-level definitions" in r for r in scope.reasons)


def test_selection_over_two_methods_of_one_class_anchors_to_the_class() -> None:
    snap = snapshot("java")
    span = Span(find(snap, "entries.add(cents);", at_end=False), find(snap, "total += e;"))
    scope = estimate_scope(snap, ScopeRequest("edit", span, "tidy up"), None)
    assert (scope.scope, scope.anchor_kind, scope.anchor_name) == ("function", "class", "Account")


@pytest.mark.parametrize(("text", "line", "shape"), [
    ("def f():\n    # TODO: later\n", 1, "rest_of_line"),  # a colon in a comment opens nothing
    ("def f():\n    x = 1  # note:\n    \n", 2, "rest_of_line"),
    ("def f():  # the entry point\n    \n", 1, "block"),  # the header still opens the body
    ("def f():\n    s = 'a:'\n", 1, "rest_of_line"),
])
def test_comments_and_strings_do_not_open_blocks(text: str, line: int, shape: str) -> None:
    snap = Snapshot.from_text(text, path=Path("/w/c.py"))
    pos = Pos(line, len(snap.line(line)))
    assert inline(snap, pos).inline_shape == shape


def test_typescript_type_aliases_and_bound_arrows() -> None:
    text = ("export type Options = {\n  retries: number;\n};\n\n"
            "export const isOk = (x: unknown): boolean => x === 1;\n"
            "const run = async () => {\n  await go();\n};\n")
    snap = Snapshot.from_text(text, path=Path("/w/t.ts"))
    alias = inline(snap, Pos(1, len(snap.line(1))))
    assert (alias.anchor_kind, alias.anchor_name) == ("type", "Options")
    arrow = inline(snap, Pos(4, len(snap.line(4))))  # after the ';' that ends the declaration
    assert (arrow.anchor_kind, arrow.anchor_name) == ("function", "isOk")
    assert arrow.anchor == Span(Pos(4, 0), Pos(4, len(snap.line(4))))  # export and ';' included
    on_export = enclosing_definition(snap, Pos(5, 0))
    assert on_export is not None and on_export.name == "run"
