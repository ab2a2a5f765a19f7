"""A large file parsed a section at a time: the same top-level nodes and tags as a whole parse."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from codeswitch.scope.model import Symbol
from codeswitch.scope.syntax import SyntaxTree, language_for, parse_sections
from codeswitch.scope.tags import extract_tags
from codeswitch.text import Pos, Span

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SAMPLES = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and language_for(None, p))


def _tops(tree: SyntaxTree, lo: int, hi: int) -> list[tuple[int, int, str]]:
    return [(n.start_byte, n.end_byte, n.type) for n in tree.root.children if lo <= n.start_byte < hi]


def _repeated(path: Path) -> bytes:
    """A fixture several times over, so that small sections cut it in many places."""
    return b"\n".join([path.read_bytes()] * 4)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
@pytest.mark.parametrize("span", [64, 300, 2048])
def test_sections_hold_the_top_level_nodes_of_a_whole_parse(path: Path, span: int) -> None:
    language = language_for(None, path)
    assert language is not None
    data = _repeated(path)
    whole = SyntaxTree.parse(language, data)
    assert whole is not None
    pieces: list[tuple[int, int, str]] = []
    end = 0
    for section in parse_sections(language, data, span):
        assert section.start_byte == end  # consecutive, nothing left out or parsed twice
        assert section.start_byte == 0 or data[section.start_byte - 1:section.start_byte] == b"\n"
        pieces += _tops(section.tree, section.start_byte, section.end_byte)
        end = section.end_byte
    assert end == len(data)
    assert pieces == _tops(whole, 0, len(data))


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_tags_of_a_large_file_are_those_of_a_whole_tree(path: Path) -> None:
    language = language_for(None, path)
    assert language is not None
    one = path.read_bytes()
    data = b"\n".join([one] * (70 * 1024 // len(one) + 1))  # above the size parsed in sections
    tree = SyntaxTree.parse(language, data)
    assert len(data) > 64 * 1024 and tree is not None
    assert extract_tags(language, data, "f", None) == extract_tags(language, data, "f", tree)


def test_a_section_rows_are_where_top_level_nodes_begin_a_line() -> None:
    data = b"".join(b"def f%d():\n    return %d\n\n" % (i, i) for i in range(50))
    rows = [r for s in parse_sections("python", data, 256) for r in s.rows]
    assert rows[0] == 0 and rows == sorted(set(rows))
    assert set(rows) <= set(range(0, 150, 3))
    assert len(rows) >= 5


def test_broken_text_still_ends_its_sections_and_covers_the_file() -> None:
    data = b"x = (\n" + b"".join(b"y%d = %d\n" % (i, i) for i in range(20000))
    sections = list(parse_sections("python", data, 1024))
    assert sections[0].start_byte == 0 and sections[-1].end_byte == len(data)
    assert all(a.end_byte == b.start_byte for a, b in pairwise(sections))


def test_a_symbol_keeps_its_span_packed_and_compares_by_value() -> None:
    plain = Symbol("name", "function", "a.py", Span(Pos(70000, 12), Pos(70000, 16)))
    odd = Symbol("name", "function", "a.py", Span(Pos(3, 1), Pos(4, 2)))
    assert plain.span == Span(Pos(70000, 12), Pos(70000, 16))
    assert odd.span == Span(Pos(3, 1), Pos(4, 2))
    assert plain == Symbol("name", "function", "a.py", Span(Pos(70000, 12), Pos(70000, 16)))
    assert plain != odd and len({plain, odd, plain}) == 2
    with pytest.raises(AttributeError):
        plain.name = "other"  # type: ignore[misc]


def test_a_large_open_document_keeps_an_outline_and_parses_around_the_cursor() -> None:
    from codeswitch.documents import LARGE_DOC_BYTES, DocumentStore

    lines = [f"def f{i}(x):\n    return x + {i}\n" for i in range(LARGE_DOC_BYTES // 20)]
    store = DocumentStore()
    store.open("file:///big.py", "python", 1, "".join(lines))
    row = 2 * (len(lines) // 2) + 1  # the body of a function in the middle
    store.change("file:///big.py", 2, [((row, 16, row, 16), " * 2\n    y = (")])
    snap = store.snapshot("file:///big.py")
    assert snap.kept_syntax is None
    near = snap.syntax_near(row)
    assert near is not None
    holding = [n for n in near.root.children if n.start_point.row <= row <= n.end_point.row]
    assert holding and holding[0].type == "function_definition"
    assert near.root.end_byte - near.root.start_byte < 64 * 1024  # a local parse, not the file
    assert snap.syntax is not None and snap.syntax.root.end_point.row == len(lines) * 2 + 1  # on demand
    below = snap.syntax_near(row + 10)  # the rows below the edit moved down one line
    assert below is not None
