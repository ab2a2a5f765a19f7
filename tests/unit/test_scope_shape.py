"""Block exit, syntax-error helpers and block openers: the post-processing helpers features use."""

from __future__ import annotations

import pytest

from codeswitch.documents import Pos
from codeswitch.scope import (
    SyntaxTree,
    adds_syntax_errors,
    block_exit,
    error_count,
    opens_block,
    syntax_errors,
)


@pytest.mark.parametrize(("language", "prefix", "completion", "kept"), [
    # brace languages: the first closer without an opener in the completion
    ("javascript", "function f() {\n  ", "return 1;\n}\n\nfunction g() {}", "return 1;"),
    ("go", "func f() {\n\t", "if x {\n\t\ty()\n\t}\n\treturn\n}\nfunc g() {}",
     "if x {\n\t\ty()\n\t}\n\treturn"),
    ("c", "int f(void) {\n    ", "return g(\"}\"); /* } */\n}", "return g(\"}\"); /* } */"),
    ("rust", "fn f() {\n    ", "let v = vec![1, 2];", None),
    # lua / ruby: keyword blocks
    ("lua", "function f(xs)\n  ", "for _, x in ipairs(xs) do\n    print(x)\n  end\nend\nlocal y = 1",
     "for _, x in ipairs(xs) do\n    print(x)\n  end"),
    ("ruby", "def f(x)\n  ", "return 1 if x\n  2\nend\ndef g; end", "return 1 if x\n  2"),
    ("ruby", "def f(xs)\n  ", "xs.each do |x|\n    puts x\n  end", None),
    # indentation: the first later line indented less than the block
    ("python", "def f(x):", "\n    return x + 1\n\n\ndef g():\n    pass", "\n    return x + 1"),
    ("python", "    y = 1", "\n    z = 2\nw = 3", "\n    z = 2"),
    ("python", "    ", "total = 0\n    for x in xs:\n        total += x\n    return total", None),
    ("python", "def f():", '\n    s = """\nnot code\n"""\n    return s\nx = 1',
     '\n    s = """\nnot code\n"""\n    return s'),
    (None, "  step one", "\n  step two\ndone", "\n  step two"),
])
def test_block_exit(language: str | None, prefix: str, completion: str, kept: str | None) -> None:
    cut = block_exit(language, prefix, completion)
    if kept is None:
        assert cut is None
    else:
        assert cut is not None
        assert completion[:cut] == kept


def test_block_exit_ignores_a_single_line_completion() -> None:
    assert block_exit("python", "x = ", "compute(1, 2)") is None
    assert block_exit("javascript", "const x = ", "{ a: 1 }") is None


@pytest.mark.parametrize(("line", "opens"), [
    ("def f(x):", True), ("if (x) {", True), ("for _, x in ipairs(t) do", True), ("if x then", True),
    ("xs.each do |x|", True), ("def name", True), ("local function f(a, b)", True),
    ("x = f(1)", False), ("return x", False), ("}", False), ("", False), ("end", False),
])
def test_opens_block(line: str, opens: bool) -> None:
    assert opens_block(line) is opens


def test_syntax_errors_and_counts() -> None:
    good = "def f(x):\n    return x\n"
    bad = "def f(x:\n    return x\n"
    assert syntax_errors(good, "python") == []
    spans = syntax_errors(bad, "python")
    assert spans
    assert all(isinstance(s.start, Pos) for s in spans)
    assert syntax_errors(good, "no-such-language") is None
    assert adds_syntax_errors("python", good, bad)
    assert not adds_syntax_errors("python", bad, good)
    assert not adds_syntax_errors("no-such-language", good, bad)
    tree = SyntaxTree.parse("python", bad.encode())
    assert tree is not None
    assert error_count(tree) == len(spans)
    clean = SyntaxTree.parse("python", good.encode())
    assert clean is not None and error_count(clean) == 0


def test_error_count_in_a_region_only() -> None:
    text = "function a() { return 1; }\nfunction b() { return (; }\n"
    tree = SyntaxTree.parse("javascript", text.encode())
    assert tree is not None
    first_end = text.index("\n")
    assert error_count(tree, 0, first_end - 1) == 0
    assert error_count(tree, first_end + 1, len(text)) >= 1


def test_missing_nodes_count_as_errors() -> None:
    spans = syntax_errors("int main() { return 0 }\n", "c")  # the parser inserts a MISSING ';'
    assert spans is not None and len(spans) >= 1


def test_rust_lifetimes_are_not_strings() -> None:
    completion = "let n = s.len();\n    n\n}\nfn other<'b>() {}"
    cut = block_exit("rust", "fn f<'a>(s: &'a str) -> usize {\n    ", completion)
    assert cut is not None and completion[:cut] == "let n = s.len();\n    n"
    assert block_exit("rust", "", "let c = '}';\n") is None
