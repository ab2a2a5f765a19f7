"""Inline scopes read a local parse around the cursor while the whole tree waits.

On code that parses, the answer must be the one a whole-file parse gives, on every fixture
language, after typing and after undoing it; on code the typing broke, error recovery may differ,
but the answer still holds the cursor."""

from __future__ import annotations

import random
import statistics
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


def _span(tree: object) -> int:
    """How many bytes a local parse covered."""
    (rng,) = tree.tree.included_ranges  # type: ignore[attr-defined]
    return int(rng.end_byte - rng.start_byte)


@pytest.mark.parametrize("outline", [False, True], ids=["tree", "outline"])
def test_a_session_of_typing_keeps_the_local_parse_the_size_of_a_definition(
        outline: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """New definitions typed since the last whole parse are one grown node to the old tree (or
    outline): the local parse must learn them, not cover all that was typed."""
    if outline:
        monkeypatch.setattr("codeswitch.documents.LARGE_DOC_BYTES", 8 * 1024)
    store, uri, _ = _long_file()
    row, col = 5 * 1000 - 1, 0  # the blank line above f1000
    typed = "".join(f"total_{i} = value_{i} + compute({i}) * rate\n" for i in range(60))
    widths = []
    for version, ch in enumerate(typed, start=2):
        store.change(uri, version, [((row, col, row, col), ch)])
        row, col = (row + 1, 0) if ch == "\n" else (row, col + 1)
        local = store.snapshot(uri).syntax_near(row)
        assert local is not None
        widths.append(_span(local))
    # a key typed after 2,000 others parses as much as one of the first: the stretch around the
    # line being typed (one typed in a still-open parenthesis widens, as it would at any time)
    assert statistics.median(widths[-200:]) < 1.5 * statistics.median(widths[:200]) < len(typed) / 10
    snap = store.snapshot(uri)
    whole = Snapshot.from_text(snap.text, path=Path("long.py"))
    assert _inline(snap, row - 1, 5) == _inline(whole, row - 1, 5)
    assert not _parsed_whole(snap)


@pytest.mark.parametrize("outline", [False, True], ids=["tree", "outline"])
@pytest.mark.parametrize("seed", range(4))
def test_the_local_parse_stays_right_through_edits_around_and_away_from_the_cursor(
        seed: int, outline: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Typing at a cursor mixed with edits above and below it, deletions of the definitions
    around it and whole-text replacements: every answer is the whole-file one."""
    if outline:
        monkeypatch.setattr("codeswitch.documents.LARGE_DOC_BYTES", 1024)
    rng = random.Random(seed)
    text = "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(150))
    store, uri = DocumentStore(encoding="utf-32"), "file:///s.py"
    store.open(uri, "python", 1, text)
    assert store.snapshot(uri).syntax is not None
    row, col = 4 * 75 + 2, 0
    for version in range(2, 300):
        snap = store.snapshot(uri)
        lines = snap.text.split("\n")
        defs = [i for i, line in enumerate(lines) if line.startswith("def ")]
        kind = rng.random()
        if kind < 0.7:  # type at the cursor
            ch = rng.choice(["a", "b = 1\n", "\n", "\ndef g():\n    pass\n", "_"])
            store.change(uri, version, [((row, col, row, col), ch)])
            parts = ch.split("\n")
            row, col = row + len(parts) - 1, (col if len(parts) == 1 else 0) + len(parts[-1])
        elif kind < 0.85:  # above or below it: a line before a definition, or the definition gone
            at = rng.choice(defs)
            stop = at + 4 if lines[at + 1].startswith("    return") and rng.random() < 0.5 else at
            if at <= row <= stop:
                continue
            new = "x = 2\n" if stop == at else ""
            store.change(uri, version, [((at, 0, stop, 0), new)])
            if stop < row:
                row += new.count("\n") - (stop - at)
        elif kind < 0.97:  # the definitions around it gone, the cursor on a blank line between
            lo = max([d for d in defs if d <= row] or [0])
            hi = min([d for d in defs if d > row] or [len(lines) - 1])
            store.change(uri, version, [((lo, 0, hi, 0), "\n")])
            row, col = lo, 0
        else:  # the client sends the whole text
            store.change(uri, version, [(None, snap.text.replace("return x", "return -x", 1))])
        snap = store.snapshot(uri)
        col = min(col, len(snap.line(row)))
        assert snap.syntax_near(row) is not None
        assert _check(snap, Path("s.py"), (row, col)), snap.text


def test_definitions_deleted_one_after_another_still_parse_locally() -> None:
    """Deletions that leave several zero-width nodes at one place in the edited tree, where
    tree-sitter's sibling walk back loops on itself: the local parse answers, and rightly."""
    text = "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(150))
    store, uri = DocumentStore(encoding="utf-32"), "file:///s.py"
    store.open(uri, "python", 1, text)
    assert store.snapshot(uri).syntax is not None
    for version, rng in enumerate([(299, 0, 306, 0), (293, 0, 302, 0), (291, 0, 298, 0)], start=2):
        store.change(uri, version, [(rng, "")])
    snap = store.snapshot(uri)
    assert snap.syntax_near(291) is not None
    assert _check(snap, Path("s.py"), (291, 0))
