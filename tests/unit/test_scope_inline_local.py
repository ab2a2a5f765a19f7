"""Inline scopes read a local parse around the cursor while the whole tree waits.

On code that parses, the answer must be the one a whole-file parse gives, on every fixture
language, after typing and after undoing it; on code the typing broke, error recovery may differ,
but the answer still holds the cursor."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from codeswitch.documents import DocumentStore, Pos, Snapshot, Span
from codeswitch.scope import ScopeRequest, estimate_scope

FIXTURES = sorted(p for p in (Path(__file__).parents[1] / "fixtures").glob("*/*") if p.is_file())


def _inline(snap: Snapshot, line: int, col: int) -> tuple[object, ...]:
    pos = Pos(line, col)
    s = estimate_scope(snap, ScopeRequest("inline", Span(pos, pos)), None)
    return s.scope, s.anchor, s.anchor_kind, s.anchor_name, s.inline_shape, s.reasons


def _check(live: Snapshot, path: Path, at: tuple[int, int]) -> bool:
    """True when the strong check applied (the text parses)."""
    whole = Snapshot.from_text(live.text, path=path)
    assert whole.syntax is not None
    local, full = _inline(live, *at), _inline(whole, *at)
    if not whole.syntax.has_error:
        assert local == full, at
        return True
    anchor = local[1]
    assert local[0] == full[0] == "inline"
    assert anchor is None or (isinstance(anchor, Span) and anchor.start.line <= at[0] <= anchor.end.line)
    return False


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.parent.name)
def test_local_parse_gives_the_whole_file_answer(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    uri = path.resolve().as_uri()
    rng = random.Random(path.name)
    for _ in range(40):
        store = DocumentStore(encoding="utf-32")
        store.open(uri, None, 1, text)
        assert store.snapshot(uri).syntax is not None  # the whole tree exists before typing starts
        row = rng.randrange(len(lines))
        col = rng.randint(0, len(lines[row]))
        typed = rng.choice(["x", "_1", " ", "(", "\n", "if x"])
        store.change(uri, 2, [((row, col, row, col), typed)])
        end = (row + typed.count("\n"), len(typed) if "\n" not in typed else 0)
        end = (end[0], col + end[1]) if "\n" not in typed else end
        _check(store.snapshot(uri), path, end)
        store.change(uri, 3, [((row, col, *end), "")])  # undo: two edits wait on one tree
        assert store.snapshot(uri).text == text
        assert _check(store.snapshot(uri), path, (row, col))


def test_a_keystroke_in_a_long_file_parses_only_the_definitions_around_it() -> None:
    text = "".join(f"def f{i}(x):\n    y = x + {i}\n    return y\n\n\n" for i in range(400))
    store = DocumentStore()
    store.open("file:///long.py", "python", 1, text)
    assert store.snapshot("file:///long.py").syntax is not None
    row = 5 * 200 + 1  # inside f200
    store.change("file:///long.py", 2, [((row, 13, row, 13), "0")])
    snap = store.snapshot("file:///long.py")
    local = snap.syntax_near(row)
    assert local is not None and not local.has_error
    assert local.root.start_byte > 0 and local.root.end_byte - local.root.start_byte < snap.byte_length / 10
    assert _inline(snap, row, 14)[3] == "f200"
    assert snap.syntax is not None and snap.syntax.root.end_byte == snap.byte_length  # whole, on demand


def _long_file() -> tuple[DocumentStore, str, str]:
    text = "".join(f"def f{i}(x):\n    y = x + {i}\n    return y\n\n\n" for i in range(2000))
    store, uri = DocumentStore(), "file:///long.py"
    store.open(uri, "python", 1, text)
    return store, uri, text


def _parsed_whole(snap: Snapshot) -> bool:
    return snap._syntax._tree is not None  # type: ignore[union-attr]


def test_an_unclosed_parenthesis_in_a_long_file_is_still_parsed_locally() -> None:
    store, uri, _ = _long_file()
    row = 5 * 1000 + 1  # inside f1000
    store.change(uri, 2, [((row, 13, row, 13), " + g(x, 1")])
    snap = store.snapshot(uri)
    local = snap.syntax_near(row)
    assert local is not None and local.has_error
    assert local.root.end_byte - local.root.start_byte < snap.byte_length / 100
    assert not _parsed_whole(snap)
    scope = _inline(snap, row, 22)
    anchor = scope[1]
    assert scope[0] == "inline" and isinstance(anchor, Span) and anchor.start.line <= row <= anchor.end.line
    # someone reads the whole (broken) tree; the next keystrokes still parse only around the cursor
    assert snap.syntax is not None and snap.syntax.has_error
    store.change(uri, 3, [((row, 22, row, 22), "0")])
    snap = store.snapshot(uri)
    local = snap.syntax_near(row)
    assert local is not None and local.root.end_byte - local.root.start_byte < snap.byte_length / 100
    assert not _parsed_whole(snap)
    store.change(uri, 4, [((row, 23, row, 23), ")")])  # closed again: the whole-file answer
    snap = store.snapshot(uri)
    assert _inline(snap, row, 24) == _inline(Snapshot.from_text(snap.text, path=Path("long.py")), row, 24)
    assert not _parsed_whole(snap)


def test_a_line_that_joins_the_next_definition_widens_the_local_parse() -> None:
    store, uri, _ = _long_file()
    row = 5 * 1000 - 1  # the blank line just above f1000
    store.change(uri, 2, [((row, 0, row, 0), "@cached")])  # now decorates f1000
    snap = store.snapshot(uri)
    whole = Snapshot.from_text(snap.text, path=Path("long.py"))
    assert whole.syntax is not None and not whole.syntax.has_error
    assert _inline(snap, row, 7) == _inline(whole, row, 7)
    assert not _parsed_whole(snap)
