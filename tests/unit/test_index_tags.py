"""Tag queries per language: the definitions and references the index sees in each fixture."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeswitch.documents import Pos, Snapshot, Span
from codeswitch.scope import ScopeRequest, estimate_scope
from codeswitch.scope.syntax import GRAMMARS, language_for
from codeswitch.scope.tags import extract_tags, tag_query

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

# language: (fixture, definitions (name, kind) expected, references (name, kind) expected)
CASES = {
    "python": ("python/inventory.py",
               {("Inventory", "class"), ("Item", "class"), ("add", "method"), ("load", "function"),
                ("__init__", "method"), ("todo", "function")},
               {("Inventory", "call"), ("add", "call"), ("dataclass", "import"), ("str", "type")}),
    "javascript": ("javascript/cart.js",
                   {("Cart", "class"), ("add", "method"), ("summary", "function"), ("discount", "function")},
                   {("formatPrice", "import"), ("formatPrice", "call"), ("total", "call")}),
    "typescript": ("typescript/users.ts",
                   {("User", "interface"), ("Registry", "class"), ("register", "method"),
                    ("greet", "function"), ("countNames", "function")},
                   {("User", "type"), ("Map", "class"), ("has", "call")}),
    "go": ("go/queue.go",
           {("Queue", "type"), ("New", "function"), ("Push", "method"), ("Len", "method")},
           {("Queue", "type"), ("append", "call"), ("New", "call")}),
    "rust": ("rust/stack.rs",
             {("Stack", "class"), ("new", "method"), ("push", "method"), ("fmt", "method"),
              ("sum", "function")},
             {("Stack", "implementation"), ("write", "call"), ("fmt", "import")}),
    "java": ("java/Account.java",
             {("Account", "class"), ("deposit", "method"), ("balance", "method")},
             {("ArrayList", "import"), ("IllegalArgumentException", "class"), ("add", "call")}),
    "c": ("c/buffer.c",
          {("buffer", "class"), ("grow", "function"), ("buffer_append", "function")},
          {("grow", "call"), ("memcpy", "call")}),
    "cpp": ("cpp/matrix.cpp",
            {("Matrix", "class"), ("at", "method"), ("fill", "method"), ("trace", "function"),
             ("geo", "module")},
            {("at", "call"), ("fill", "declaration")}),
    "lua": ("lua/stats.lua",
            {("mean", "function"), ("square", "function"), ("variance", "function")},
            {("square", "call"), ("mean", "call")}),
    "ruby": ("ruby/library.rb",
             {("Catalog", "module"), ("Book", "class"), ("Shelf", "class"), ("initialize", "method"),
              ("shelve_all", "function")},
             {("add", "call"), ("each", "call")}),
}


@pytest.mark.parametrize("language", sorted(CASES))
def test_tags_per_language(language: str) -> None:
    rel, defs, refs = CASES[language]
    path = FIXTURES / rel
    assert language_for(None, path) == language
    found_defs, found_refs = extract_tags(language, path.read_bytes(), rel)
    assert defs <= {(s.name, s.kind) for s in found_defs}
    assert refs <= {(s.name, s.kind) for s in found_refs}
    assert all(s.path == rel for s in found_defs + found_refs)
    # a definition's own name is never also reported as a reference at the same place
    def_spots = {(s.span.start.line, s.span.start.col) for s in found_defs}
    assert not def_spots & {(s.span.start.line, s.span.start.col) for s in found_refs}
    lines = path.read_text(encoding="utf-8").split("\n")
    for s in found_defs:  # spans point at the name in the source
        assert lines[s.span.start.line][s.span.start.col:s.span.end.col] == s.name


@pytest.mark.parametrize("name", [g.name for g in GRAMMARS])
def test_every_grammar_has_a_compiling_query(name: str) -> None:
    assert tag_query(name) is not None


def test_unknown_language_has_no_tags() -> None:
    assert tag_query("cobol") is None
    assert extract_tags("cobol", b"IDENTIFICATION DIVISION.", "x.cbl") == ([], [])


def test_tsx_components() -> None:
    src = b"export function App(): JSX.Element {\n  return <Button onClick={() => go()} />;\n}\n"
    defs, refs = extract_tags("tsx", src, "app.tsx")
    assert ("App", "function") in {(s.name, s.kind) for s in defs}
    assert ("go", "call") in {(s.name, s.kind) for s in refs}


@pytest.mark.parametrize(("language", "src"), [
    ("typescript", b"class A {\n  h = () => 1;\n  private g = function () { return 2; };\n}\n"),
    ("javascript", b"class A {\n  h = () => 1;\n  g = function () { return 2; };\n}\n"),
])
def test_class_fields_holding_functions_are_methods(language: str, src: bytes) -> None:
    defs, _ = extract_tags(language, src, "a")
    assert {("h", "method"), ("g", "method"), ("A", "class")} <= {(s.name, s.kind) for s in defs}
    snap = Snapshot.from_text(src.decode(), path=Path(f"/w/a.{'ts' if language == 'typescript' else 'js'}"))
    pos = Pos(2, 30)
    scope = estimate_scope(snap, ScopeRequest("inline", Span(pos, pos)), None)
    assert (scope.anchor_kind, scope.anchor_name) == ("method", "g")
