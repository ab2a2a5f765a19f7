"""Property tests: random incremental edits keep text and tree equal to a reference and a fresh parse."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codeswitch import documents
from codeswitch import text as chunked_text
from codeswitch.documents import DocumentStore, Pos, Snapshot, split_lines
from codeswitch.scope.syntax import SyntaxTree

URI = "file:///work/example.py"

# pieces of code plus the characters that break naive position arithmetic
PIECES = ["def f(x):\n", "    return x\n", "class A:\n", "  pass", "(", ")", ":", " ", "\n", "\r\n", "\r",
          "é", "日本", "😀", "𝄞x", "# c\n", "if x:\n    y = 1\n", "'", '"', "\t", "x", "1"]
text_st = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)


@contextmanager
def chunk_lines(n: int) -> Iterator[None]:
    old = chunked_text.CHUNK_LINES
    chunked_text.CHUNK_LINES = n
    try:
        yield
    finally:
        chunked_text.CHUNK_LINES = old


def _units(s: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(s.encode("utf-8", "surrogatepass"))
    if encoding == "utf-16":
        return len(s.encode("utf-16-le", "surrogatepass")) // 2
    return len(s)


def lsp_position(text: str, offset: int, encoding: str) -> tuple[int, int]:
    """Reference conversion, independent of the store: code point offset -> LSP position."""
    lines = split_lines(text)
    start = 0
    for i, raw in enumerate(lines):
        content = raw.rstrip("\r\n")
        if offset <= start + len(raw) and (offset <= start + len(content) or i == len(lines) - 1):
            return i, _units(content[: offset - start], encoding)
        if offset < start + len(raw):  # inside a terminator: the line end
            return i, _units(content, encoding)
        start += len(raw)
    raise AssertionError("offset past the end")


def valid_offset(text: str, offset: int) -> int:
    """Step back out of the middle of a CRLF pair (not addressable by an LSP position)."""
    if 0 < offset < len(text) and text[offset - 1] == "\r" and text[offset] == "\n":
        return offset - 1
    return offset


edit_st = st.tuples(st.floats(0, 1), st.floats(0, 1), text_st)


def fresh_sexp(text: str) -> str:
    tree = SyntaxTree.parse("python", text.encode("utf-8", "surrogatepass"))
    assert tree is not None
    return tree.sexp()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(initial=text_st, edits=st.lists(st.lists(edit_st, min_size=1, max_size=3), max_size=8),
       encoding=st.sampled_from(["utf-16", "utf-8", "utf-32"]), chunk=st.sampled_from([2, 4, 128]))
def test_incremental_edits_match_reference(initial: str, edits: list[list[tuple[float, float, str]]],
                                           encoding: str, chunk: int) -> None:
    with chunk_lines(chunk):
        store = DocumentStore(encoding)
        store.open(URI, "python", 1, initial)
        ref = initial
        for version, batch in enumerate(edits, start=2):
            changes: list[tuple[tuple[int, int, int, int] | None, str]] = []
            for fa, fb, new in batch:
                a = valid_offset(ref, int(fa * len(ref)))
                b = valid_offset(ref, int(fb * len(ref)))
                a, b = min(a, b), max(a, b)
                (sl, sc), (el, ec) = lsp_position(ref, a, encoding), lsp_position(ref, b, encoding)
                changes.append(((sl, sc, el, ec), new))
                ref = ref[:a] + new + ref[b:]
            store.change(URI, version, changes)
            snap = store.snapshot(URI)
            assert snap.text == ref
            assert snap.version == version
            ref_lines = split_lines(ref)
            assert snap.line_count == len(ref_lines)
            assert [snap.line(i) for i in range(snap.line_count)] == [s.rstrip("\r\n") for s in ref_lines]
            assert snap.syntax is not None
            assert snap.syntax.sexp() == fresh_sexp(ref)


@settings(max_examples=60, deadline=None)
@given(text=text_st, frac=st.floats(0, 1), encoding=st.sampled_from(["utf-16", "utf-8", "utf-32"]))
def test_position_round_trip(text: str, frac: float, encoding: str) -> None:
    snap = Snapshot.from_text(text, language_id="python", encoding=encoding)
    offset = valid_offset(text, int(frac * len(text)))
    line, character = lsp_position(text, offset, encoding)
    pos = snap.to_pos(line, character)
    assert snap.to_lsp(pos) == (line, character)
    assert snap.pos_at(snap.offset_of(pos)) == pos
    assert snap.text[: snap.offset_of(pos)].rstrip("\r\n") == text[:offset].rstrip("\r\n")
    assert snap.byte_offset_of(pos) == len(snap.text[: snap.offset_of(pos)].encode("utf-8", "surrogatepass"))


@settings(max_examples=40, deadline=None)
@given(text=text_st, a=st.floats(0, 1), b=st.floats(0, 1))
def test_text_in_matches_slice(text: str, a: float, b: float) -> None:
    snap = Snapshot.from_text(text, encoding="utf-32")
    lo, hi = sorted((valid_offset(text, int(a * len(text))), valid_offset(text, int(b * len(text)))))
    start, end = snap.pos_at(lo), snap.pos_at(hi)
    assert snap.text_in(documents.Span(start, end)) == text[snap.offset_of(start) : snap.offset_of(end)]
    assert isinstance(start, Pos)
