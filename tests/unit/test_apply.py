"""The harness's WorkspaceEdit application: planned edits equal LSP's reverse-order application, unsafe
edits are refused before anything is written, and writes are all-or-nothing."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codeswitch.cli.apply import apply_text_edits, plan_workspace_edit, write_atomically
from codeswitch.edits import EditRejected, file_change, workspace_diff

ALPHABET = st.sampled_from([*"ab \t\n", "\r\n", "é", "😀", "x"])
TEXT = st.lists(ALPHABET, max_size=40).map("".join)


def utf16_position(text: str, offset: int) -> dict[str, int]:
    """The LSP position (UTF-16) of a code-point offset; lines end at \\n, \\r\\n or \\r."""
    line, start, i = 0, 0, 0
    while i < offset:
        ch = text[i]
        if ch == "\r" and i + 1 < len(text) and text[i + 1] == "\n":
            if i + 1 >= offset:
                break
            i += 2
            line, start = line + 1, i
            continue
        if ch in "\r\n":
            i += 1
            line, start = line + 1, i
            continue
        i += 1
    return {"line": line, "character": len(text[start:offset].encode("utf-16-le")) // 2}


def boundaries(text: str) -> list[int]:
    """Offsets that are valid positions: not inside a \\r\\n pair."""
    return [i for i in range(len(text) + 1)
            if not (0 < i < len(text) and text[i - 1] == "\r" and text[i] == "\n")]


@st.composite
def text_and_edits(draw: st.DrawFn) -> tuple[str, list[tuple[int, int, str]]]:
    text = draw(TEXT)
    cuts = sorted(draw(st.lists(st.sampled_from(boundaries(text)), max_size=8)))
    spans = []
    for a, b in zip(cuts[::2], cuts[1::2], strict=False):
        spans.append((a, b, draw(st.text(alphabet="xyz\n😀", max_size=4))))
    return text, spans


def reverse_apply(text: str, spans: list[tuple[int, int, str]]) -> str:
    """The reference: apply non-overlapping edits from the last to the first (offsets stay valid)."""
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def lsp_edits(text: str, spans: list[tuple[int, int, str]]) -> list[dict[str, Any]]:
    return [{"range": {"start": utf16_position(text, a), "end": utf16_position(text, b)}, "newText": new}
            for a, b, new in spans]


@settings(max_examples=300, deadline=None)
@given(text_and_edits(), st.randoms())
def test_applying_planned_edits_equals_reverse_order_application(case: Any, rnd: Any) -> None:
    text, spans = case
    # one insert per position: LSP orders same-position inserts by their order in the list
    inserts = [a for a, b, _ in spans if a == b]
    spans = [s for s in spans if s[0] != s[1] or inserts.count(s[0]) == 1]
    edits = lsp_edits(text, spans)
    rnd.shuffle(edits)
    assert apply_text_edits(text, edits) == reverse_apply(text, spans)


@settings(max_examples=200, deadline=None)
@given(TEXT, st.data())
def test_overlapping_edits_are_refused(text: str, data: st.DataObject) -> None:
    points = boundaries(text)
    a = data.draw(st.sampled_from(points))
    later = [p for p in points if p > a]
    if len(later) < 1:
        return
    b = data.draw(st.sampled_from(later))
    inside = [p for p in points if a <= p < b]
    c = data.draw(st.sampled_from(inside))
    d = data.draw(st.sampled_from([p for p in points if p > c]))
    edits = lsp_edits(text, [(a, b, "1"), (c, d, "2")])
    with pytest.raises(EditRejected) as info:
        apply_text_edits(text, edits)
    assert info.value.kind == "overlap"


@pytest.mark.parametrize("position", [
    {"line": 5, "character": 0},       # no such line
    {"line": 0, "character": 99},      # past the end of the line
    {"line": 1, "character": 1},       # inside the surrogate pair of 😀
    {"line": -1, "character": 0},
])
def test_out_of_bounds_positions_are_refused(position: dict[str, int]) -> None:
    text = "abc\n😀x\n"
    edit = {"range": {"start": position, "end": position}, "newText": "!"}
    with pytest.raises(EditRejected) as info:
        apply_text_edits(text, [edit])
    assert info.value.kind == "out_of_bounds"


def test_a_range_that_ends_before_it_starts_is_refused() -> None:
    rng = {"start": {"line": 0, "character": 2}, "end": {"line": 0, "character": 1}}
    edit = {"range": rng, "newText": ""}
    with pytest.raises(EditRejected):
        apply_text_edits("abc", [edit])


def test_inserts_at_one_position_keep_their_order() -> None:
    at = {"line": 0, "character": 1}
    edits = [{"range": {"start": at, "end": at}, "newText": "1"},
             {"range": {"start": at, "end": at}, "newText": "2"}]
    assert apply_text_edits("ab", edits) == "a12b"


def _edit(path: Path, line: int, start: int, end: int, new: str) -> dict[str, Any]:
    return {"textDocument": {"uri": path.as_uri(), "version": 1},
            "edits": [{"range": {"start": {"line": line, "character": start},
                                 "end": {"line": line, "character": end}}, "newText": new}]}


def test_plan_covers_document_changes_and_creates_then_writes(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "b.py").write_text("y = 2\r\n")
    new = tmp_path / "pkg" / "c.py"
    edit = {"documentChanges": [_edit(tmp_path / "a.py", 0, 4, 5, "10"),
                                {"kind": "create", "uri": new.as_uri()},
                                _edit(new, 0, 0, 0, "z = 3\n"),
                                _edit(tmp_path / "b.py", 0, 4, 5, "20")]}
    changes = plan_workspace_edit(edit, tmp_path)
    assert [(c.rel, c.old_text, c.new_text) for c in changes] == [
        ("a.py", "x = 1\n", "x = 10\n"), ("pkg/c.py", None, "z = 3\n"), ("b.py", "y = 2\r\n", "y = 20\r\n")]
    diff = workspace_diff(changes)
    assert "--- a/a.py\n+++ b/a.py\n" in diff and "--- /dev/null\n+++ b/pkg/c.py\n" in diff
    assert "+y = 20" in diff
    write_atomically(changes)
    assert (tmp_path / "a.py").read_text() == "x = 10\n" and new.read_text() == "z = 3\n"
    assert (tmp_path / "b.py").read_bytes() == b"y = 20\r\n"  # line endings kept byte for byte
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py", "b.py", "pkg"]  # no temp files left
    umask = os.umask(0o022)
    os.umask(umask)
    assert new.stat().st_mode & 0o777 == 0o666 & ~umask  # a created file gets the usual mode


@pytest.mark.parametrize(("where", "kind"), [("../outside.py", "outside_workspace"),
                                            (".git/config", "git_dir"), (".env", "secret")])
def test_plan_refuses_targets_outside_the_workspace_git_or_secrets(tmp_path: Path, where: str,
                                                                   kind: str) -> None:
    root = tmp_path / "ws"
    (root / ".git").mkdir(parents=True)
    target = (root / where).resolve()
    target.write_text("A=1\n")
    with pytest.raises(EditRejected) as info:
        plan_workspace_edit({"changes": {target.as_uri(): [
            {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
             "newText": "#"}]}}, root)
    assert info.value.kind == kind
    assert target.read_text() == "A=1\n"


def test_plan_refuses_renames_and_existing_creates(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("")
    with pytest.raises(EditRejected) as info:
        rename = {"kind": "rename", "oldUri": (tmp_path / "a.py").as_uri(),
                  "newUri": (tmp_path / "b.py").as_uri()}
        plan_workspace_edit({"documentChanges": [rename]}, tmp_path)
    assert info.value.kind == "resource_op"
    with pytest.raises(EditRejected) as info:
        create = {"kind": "create", "uri": (tmp_path / "a.py").as_uri()}
        plan_workspace_edit({"documentChanges": [create]}, tmp_path)
    assert info.value.kind == "exists"


def test_one_bad_file_refuses_the_whole_edit_before_writing(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("abc\n")
    (tmp_path / "b.py").write_text("abc\n")
    edit = {"documentChanges": [_edit(tmp_path / "a.py", 0, 0, 1, "A"),
                                _edit(tmp_path / "b.py", 3, 0, 1, "B")]}
    with pytest.raises(EditRejected):
        plan_workspace_edit(edit, tmp_path)
    assert (tmp_path / "a.py").read_text() == "abc\n"


def test_write_refuses_files_changed_since_the_plan(tmp_path: Path) -> None:
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("1\n")
    b.write_text("2\n")
    changes = [file_change(a, "a.py", "1\n", "one\n"), file_change(b, "b.py", "2\n", "two\n")]
    b.write_text("changed\n")
    with pytest.raises(EditRejected) as info:
        write_atomically(changes)
    assert info.value.kind == "stale"
    assert a.read_text() == "1\n" and b.read_text() == "changed\n"


def test_a_failed_write_restores_the_files_already_written(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("1\n")
    os.chmod(a, 0o640)
    b.write_text("2\n")
    real_replace = os.replace

    def failing_replace(src: str, dst: str | Path) -> None:
        if Path(dst).name == "b.py":
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr("codeswitch.cli.apply.os.replace", failing_replace)
    changes = [file_change(a, "a.py", "1\n", "one\n"), file_change(b, "b.py", "2\n", "two\n")]
    with pytest.raises(OSError):
        write_atomically(changes)
    assert a.read_text() == "1\n" and b.read_text() == "2\n"
    assert a.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py", "b.py"]  # temp files removed


def test_plan_reads_changes_keyed_by_uri(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "b.py").write_text("y = 2\n")
    edit = {"changes": {(tmp_path / "a.py").as_uri(): _edit(tmp_path / "a.py", 0, 4, 5, "10")["edits"],
                        (tmp_path / "b.py").as_uri(): _edit(tmp_path / "b.py", 0, 0, 0, "# ")["edits"]}}
    assert [(c.rel, c.new_text) for c in plan_workspace_edit(edit, tmp_path)] == [("a.py", "x = 10\n"),
                                                                               ("b.py", "# y = 2\n")]


def test_document_changes_win_over_changes(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    uri = (tmp_path / "a.py").as_uri()
    rng = {"start": {"line": 0, "character": 4}, "end": {"line": 0, "character": 5}}
    doc = {"textDocument": {"uri": uri, "version": 1}, "edits": [{"range": rng, "newText": "2"}]}
    edit = {"documentChanges": [doc], "changes": {uri: [{"range": rng, "newText": "3"}]}}
    (change,) = plan_workspace_edit(edit, tmp_path)
    assert change.new_text == "x = 2\n"


def test_create_with_overwrite_replaces_an_existing_file(tmp_path: Path) -> None:
    old = tmp_path / "a.py"
    old.write_text("old\n")
    edit = {"documentChanges": [{"kind": "create", "uri": old.as_uri(), "options": {"overwrite": True}},
                                _edit(old, 0, 0, 0, "new\n")]}
    (change,) = plan_workspace_edit(edit, tmp_path)
    assert (change.old_text, change.new_text) == ("old\n", "new\n")
    write_atomically([change])
    assert old.read_text() == "new\n"
