"""DocumentStore and Snapshot: encodings, clamping, bad input, plain-text documents, sharing."""

from __future__ import annotations

import pytest

from codeswitch import documents
from codeswitch.documents import DocumentStore, Pos, PositionError, Snapshot, Span, UnknownDocument

URI = "file:///w/a.py"


def store_with(text: str, encoding: str = "utf-16", language: str = "python") -> DocumentStore:
    store = DocumentStore(encoding)
    store.open(URI, language, 1, text)
    return store


@pytest.mark.parametrize(("encoding", "character"), [("utf-16", 3), ("utf-8", 5), ("utf-32", 2)])
def test_astral_character_positions(encoding: str, character: int) -> None:
    # "a😀b": the emoji is 2 UTF-16 units, 4 UTF-8 bytes, 1 code point
    snap = Snapshot.from_text("a😀b\n", encoding=encoding)
    assert snap.to_pos(0, character) == Pos(0, 2)
    assert snap.to_lsp(Pos(0, 2)) == (0, character)


def test_middle_of_surrogate_pair_rounds_down() -> None:
    snap = Snapshot.from_text("a😀b", encoding="utf-16")
    assert snap.to_pos(0, 2) == Pos(0, 1)


def test_change_in_each_encoding_after_multibyte_text() -> None:
    for encoding, col in (("utf-16", 3), ("utf-8", 6), ("utf-32", 3)):
        store = store_with("é日x = 1\n", encoding)
        # replace "x" (code point 2) -- its LSP start differs per encoding
        start = {"utf-16": 2, "utf-8": 5, "utf-32": 2}[encoding]
        store.change(URI, 2, [((0, start, 0, start + 1), "yy")])
        snap = store.snapshot(URI)
        assert snap.text == "é日yy = 1\n"
        assert snap.to_lsp(Pos(0, 3)) == (0, col)


def test_request_position_past_eof_raises_and_past_eol_clamps() -> None:
    snap = store_with("ab\ncd").snapshot(URI)
    with pytest.raises(PositionError):
        snap.to_pos(2, 0)
    with pytest.raises(PositionError):
        snap.to_pos(-1, 0)
    assert snap.to_pos(0, 99) == Pos(0, 2)


def test_change_ranges_past_end_are_clamped() -> None:
    store = store_with("ab\ncd")
    store.change(URI, 2, [((0, 99, 7, 0), "!")])
    assert store.snapshot(URI).text == "ab!"


def test_reversed_range_is_normalised() -> None:
    store = store_with("abcdef")
    store.change(URI, 2, [((0, 4, 0, 1), "")])
    assert store.snapshot(URI).text == "aef"


def test_full_text_change_and_batched_changes() -> None:
    store = store_with("x = 1\n")
    store.change(URI, 2, [(None, "def f():\n    pass\n"), ((1, 4, 1, 8), "return 2")])
    snap = store.snapshot(URI)
    assert snap.text == "def f():\n    return 2\n"
    assert snap.syntax is not None and not snap.syntax.has_error


def test_unknown_uri() -> None:
    store = DocumentStore()
    with pytest.raises(UnknownDocument):
        store.snapshot("file:///nope.py")
    with pytest.raises(UnknownDocument):
        store.change("file:///nope.py", 1, [(None, "x")])
    assert store.version("file:///nope.py") is None
    store.close("file:///nope.py")  # closing an unknown document is harmless


def test_old_snapshot_is_frozen() -> None:
    store = store_with("def f():\n    return 1\n")
    old = store.snapshot(URI)
    old_sexp = old.syntax.sexp() if old.syntax else ""
    old_root_end = old.syntax.root.end_byte if old.syntax else 0
    store.change(URI, 2, [((0, 0, 0, 0), "# header line\n")])
    assert old.text == "def f():\n    return 1\n"
    assert old.version == 1
    assert old.syntax is not None and old.syntax.sexp() == old_sexp
    assert old.syntax.root.end_byte == old_root_end
    assert store.snapshot(URI).version == 2


def test_edit_shares_untouched_chunks() -> None:
    text = "".join(f"x{i} = {i}\n" for i in range(2000))
    store = store_with(text)
    before = store.snapshot(URI)
    store.change(URI, 2, [((1000, 0, 1000, 0), "y")])
    after = store.snapshot(URI)
    old_chunks, new_chunks = before._text.chunks, after._text.chunks
    shared = sum(1 for a, b in zip(old_chunks, new_chunks, strict=True) if a is b)
    assert shared == len(old_chunks) - 1
    assert after.line(1000) == "yx1000 = 1000"


def test_lone_cr_followed_by_new_lf_joins_terminator() -> None:
    store = store_with("a\rb\nc")
    store.change(URI, 2, [((1, 0, 1, 1), "")])  # delete "b": "a\r\n" + "c"
    snap = store.snapshot(URI)
    assert snap.text == "a\r\nc"
    assert snap.line_count == 2
    assert snap.line(1) == "c"


def test_line_splitting_follows_lsp() -> None:
    snap = Snapshot.from_text("a\r\nb\rc\nd\u2028e")
    assert [snap.line(i) for i in range(snap.line_count)] == ["a", "b", "c", "d\u2028e"]
    with pytest.raises(IndexError):
        snap.line(4)


def test_binary_document_is_plain_text() -> None:
    store = store_with("x = 1\x00\x00")
    snap = store.snapshot(URI)
    assert snap.syntax is None and snap.language is None and snap.plain_reason == "binary"
    store.change(URI, 2, [(None, "x = 2\n")])
    assert store.snapshot(URI).syntax is not None


def test_huge_document_has_no_tree_until_it_shrinks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(documents, "MAX_TREE_BYTES", 100)
    store = store_with("x = 1\n" * 10)
    assert store.snapshot(URI).syntax is not None
    store.change(URI, 2, [((10, 0, 10, 0), "y = 2\n" * 20)])
    snap = store.snapshot(URI)
    assert snap.syntax is None and snap.plain_reason == "too large" and snap.language == "python"
    store.change(URI, 3, [((10, 0, 30, 0), "")])
    assert store.snapshot(URI).syntax is not None


def test_unknown_language_still_syncs() -> None:
    store = DocumentStore()
    store.open("file:///w/notes.txt", "plaintext", 1, "hello")
    store.change("file:///w/notes.txt", 2, [((0, 5, 0, 5), " world")])
    snap = store.snapshot("file:///w/notes.txt")
    assert snap.text == "hello world" and snap.syntax is None and snap.plain_reason == "no grammar"


def test_language_from_extension_and_path() -> None:
    store = DocumentStore()
    store.open("file:///w/dir%20x/m.go", "", 1, "package m\n")
    snap = store.snapshot("file:///w/dir%20x/m.go")
    assert snap.language == "go"
    assert snap.path is not None and snap.path.name == "m.go" and snap.path.parent.name == "dir x"


def test_subscribers_see_open_and_change() -> None:
    store = DocumentStore()
    seen: list[tuple[str, int]] = []
    store.subscribe(lambda uri, version: seen.append((uri, version)))
    store.open(URI, "python", 1, "")
    store.change(URI, 5, [((0, 0, 0, 0), "x")])
    assert seen == [(URI, 1), (URI, 5)]


def test_encoding_change_gives_new_snapshots() -> None:
    store = store_with("😀x")
    assert store.snapshot(URI).to_lsp(Pos(0, 1)) == (0, 2)
    store.encoding = "utf-8"
    assert store.snapshot(URI).to_lsp(Pos(0, 1)) == (0, 4)


def test_offsets_and_spans() -> None:
    snap = Snapshot.from_text("ab\r\ncd\n")
    assert snap.offset_of(Pos(1, 1)) == 5
    assert snap.pos_at(5) == Pos(1, 1)
    assert snap.pos_at(3) == Pos(0, 2)  # inside CRLF -> line end
    assert snap.pos_at(999) == Pos(2, 0)
    assert snap.text_in(Span(Pos(0, 1), Pos(1, 1))) == "b\r\nc"
    assert snap.byte_length == 7


def test_unknown_encoding_rejected() -> None:
    with pytest.raises(ValueError, match="encoding"):
        DocumentStore("latin-1")


def test_empty_document_and_deleting_everything() -> None:
    store = store_with("")
    assert store.snapshot(URI).line_count == 1
    store.change(URI, 2, [((0, 0, 0, 0), "a\nb\nc")])
    store.change(URI, 3, [((0, 0, 2, 1), "")])
    snap = store.snapshot(URI)
    assert snap.text == "" and snap.line_count == 1 and snap.line(0) == ""


def test_unread_snapshots_between_changes_still_get_their_own_tree() -> None:
    """Changes only edit the tree; each snapshot, read late or never, parses to its own version."""
    store = DocumentStore()
    store.open("file:///t.py", "python", 1, "def f():\n    return 1\n")
    snaps = []
    for version, (line, col, text) in enumerate(
            [(1, 12, "0"), (2, 0, "def g(x):\n    return x\n"), (0, 4, "ff")], start=2):
        store.change("file:///t.py", version, [((line, col, line, col), text)])
        snaps.append(store.snapshot("file:///t.py"))
    for snap in reversed(snaps):  # read newest first: older pending trees must not be disturbed
        fresh = Snapshot.from_text(snap.text, language_id="python")
        assert snap.syntax is not None and fresh.syntax is not None
        assert snap.syntax.sexp() == fresh.syntax.sexp()
        assert not snap.syntax.has_error
    assert "ff" in snaps[-1].text and "return 10" in snaps[-1].text


def test_exact_col_refuses_what_units_to_col_clamps() -> None:
    from codeswitch.text import exact_col, units_to_col

    line = "a😀b"  # the emoji is two UTF-16 units, four UTF-8 bytes
    assert exact_col(line, 3, "utf-16") == 2 and exact_col(line, 4, "utf-16") == 3
    assert exact_col(line, 5, "utf-8") == 2
    for character, encoding in ((2, "utf-16"), (5, "utf-16"), (3, "utf-8"), (9, "utf-8")):
        with pytest.raises(ValueError):
            exact_col(line, character, encoding)
        assert 0 <= units_to_col(line, character, encoding) <= len(line)  # the lenient one guesses
