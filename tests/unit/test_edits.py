"""edits.py: applying model output inside an anchor, syntax checks, minimal edits, rebase, targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeswitch.documents import Pos, Span
from codeswitch.edits import (
    EditRejected,
    TextEdit,
    apply_anchored,
    apply_edits,
    apply_search_replace,
    check_syntax,
    check_target,
    file_change,
    minimal_edits,
    offset_of,
    pos_at,
    rebase,
    unified_diff,
)
from codeswitch.formats import AnchoredReplacement, SearchReplace

SRC = "import os\n\n\ndef f(a):\n    x = a\n    return x\n\n\ndef g(b):\n    x = b\n    return x\n"
F = (offset_of(SRC, Pos(3, 0)), offset_of(SRC, Pos(6, 0)))  # def f ... return x\n
G = (offset_of(SRC, Pos(8, 0)), len(SRC))


def test_search_replace_applies_inside_the_region_only() -> None:
    # `return x` occurs in f and g; inside f's region it is unique
    out = apply_search_replace(SRC, [SearchReplace("    return x\n", "    return x + 1\n")], F)
    assert out == SRC.replace("    return x\n\n\ndef g", "    return x + 1\n\n\ndef g")
    assert out.endswith("def g(b):\n    x = b\n    return x\n")


def test_blocks_compose_in_order() -> None:
    blocks = [SearchReplace("    x = a\n", "    y = a\n"), SearchReplace("    return x\n", "    return y\n")]
    out = apply_search_replace(SRC, blocks, F)
    assert "def f(a):\n    y = a\n    return y\n" in out and out.count("return x") == 1


def test_search_text_outside_the_anchor_is_refused() -> None:
    with pytest.raises(EditRejected) as err:
        apply_search_replace(SRC, [SearchReplace("import os\n", "import sys\n")], F)
    assert err.value.kind == "outside_anchor"


def test_ambiguous_and_missing_search_text() -> None:
    text = "def f():\n    x = 1\n    x = 1\n"
    with pytest.raises(EditRejected) as err:
        apply_search_replace(text, [SearchReplace("    x = 1\n", "    x = 2\n")], (0, len(text)))
    assert err.value.kind == "ambiguous"
    with pytest.raises(EditRejected) as err:
        apply_search_replace(text, [SearchReplace("    y = 1\n", "    y = 2\n")], (0, len(text)))
    assert err.value.kind == "not_found"


def test_fuzzy_match_tolerates_indentation_shift_and_trailing_spaces() -> None:
    # the model quoted the method body without the class indentation and with a trailing space
    text = "class A:\n    def m(self):\n        return 1\n"
    out = apply_search_replace(text, [SearchReplace("def m(self): \n    return 1\n",
                                                    "def m(self):\n    return 2\n")], (9, len(text)))
    assert out == "class A:\n    def m(self):\n        return 2\n"


def test_region_without_final_newline() -> None:
    text = "def f():\n    return 1"
    out = apply_search_replace(text, [SearchReplace("    return 1\n", "    return 2\n")], (0, len(text)))
    assert out == "def f():\n    return 2"


def test_empty_search_is_refused_on_a_non_empty_anchor() -> None:
    with pytest.raises(EditRejected) as err:
        apply_search_replace(SRC, [SearchReplace("", "x\n")], F)
    assert err.value.kind == "format"


def test_anchored_replacement_keeps_the_method_indentation() -> None:
    text = "class A:\n    def m(self):\n        return 1\n\nz = 1\n"
    start = offset_of(text, Pos(1, 4))
    end = offset_of(text, Pos(2, 16))
    new = apply_anchored(text, AnchoredReplacement("    def m(self):\n        return 2\n"), (start, end))
    assert new == "class A:\n    def m(self):\n        return 2\n\nz = 1\n"


def test_check_syntax_refuses_new_errors_only() -> None:
    check_syntax("python", "def f():\n    return 1\n", "def f():\n    return 2\n")
    check_syntax(None, "x", "def (")  # no grammar: nothing to check
    check_syntax("python", "def f(:\n    pass\n", "def f(:\n    pass\n")  # already broken, no worse
    with pytest.raises(EditRejected) as err:
        check_syntax("python", "def f():\n    return 1\n", "def f():\n    return (1\n")
    assert err.value.kind == "syntax"
    with pytest.raises(EditRejected):
        check_syntax("typescript", "function f() { return 1; }\n", "function f() { return 1;\n")


def test_minimal_edits_touch_only_changed_characters() -> None:
    old = "def f(a):\n    x = a\n    return x\n"
    new = "def f(a):\n    x = a * 2\n    return x\n"
    assert minimal_edits(old, new) == [TextEdit(Span(Pos(1, 9), Pos(1, 9)), " * 2")]
    assert minimal_edits(old, old) == []
    inserted = minimal_edits(old, old.replace("def f(a):\n", "def f(a):\n    \"\"\"Doc.\"\"\"\n"))
    assert inserted == [TextEdit(Span(Pos(1, 0), Pos(1, 0)), "    \"\"\"Doc.\"\"\"\n")]


def test_offsets_and_positions_round_trip() -> None:
    text = "a\r\nbé\rc\n😀d"
    for off in range(len(text) + 1):
        if text[off - 1:off + 1] == "\r\n":
            continue  # between \r and \n is not a position
        assert offset_of(text, pos_at(text, off)) == off


def test_rebase_shifts_edits_below_lines_typed_above() -> None:
    base = SRC
    edits = minimal_edits(base, base.replace("    return x\n\n\ndef g", "    return x + 1\n\n\ndef g"))
    current = "# header\n" + base
    moved = rebase(edits, base, current, region=Span(Pos(3, 0), Pos(6, 0)))
    assert apply_edits(current, moved) == "# header\n" + base.replace(
        "    return x\n\n\ndef g", "    return x + 1\n\n\ndef g")


def test_rebase_refuses_when_the_region_was_edited() -> None:
    base = SRC
    edits = minimal_edits(base, base.replace("    x = a\n", "    x = a * 2\n"))
    current = base.replace("    return x\n\n\ndef g", "    return -x\n\n\ndef g")
    with pytest.raises(EditRejected) as err:
        rebase(edits, base, current, region=Span(Pos(3, 0), Pos(6, 0)))
    assert err.value.kind == "stale"


def test_unified_diff_names_the_file() -> None:
    diff = unified_diff("pkg/m.py", "a\nb\n", "a\nc\n")
    assert diff.startswith("--- a/pkg/m.py\n+++ b/pkg/m.py\n")
    assert "-b\n+c\n" in diff
    assert unified_diff("n.py", None, "x\n").startswith("--- /dev/null\n+++ b/n.py\n")
    # a last line without a newline stays a line of its own
    diff = unified_diff("m.py", "a\nb", "a\nc")
    assert "-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n" in diff


def test_check_target(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "m.py").write_text("x = 1\n")
    full, rel = check_target("pkg/m.py", [root])
    assert full == (root / "pkg" / "m.py").resolve() and rel == "pkg/m.py"
    cases: list[tuple[str | Path, str]] = [
             ("../outside.py", "outside_workspace"), (tmp_path / "other.py", "outside_workspace"),
             (".git/config", "git_dir"), ("pkg/../.git/hooks/pre-commit", "git_dir"), (".env", "secret"),
             ("build/out.py", "excluded")]
    for path, kind in cases:
        with pytest.raises(EditRejected) as err:
            check_target(path, [root], exclude=["build/"])
        assert err.value.kind == kind, path
    (root / "link").symlink_to(tmp_path)
    with pytest.raises(EditRejected) as err:
        check_target("link/escape.py", [root])
    assert err.value.kind == "outside_workspace"


def test_file_change_holds_minimal_edits(tmp_path: Path) -> None:
    change = file_change(tmp_path / "m.py", "m.py", "a = 1\nb = 2\n", "a = 1\nb = 3\n", version=4)
    assert change.edits == (TextEdit(Span(Pos(1, 4), Pos(1, 5)), "3"),)
    assert change.version == 4
    created = file_change(tmp_path / "n.py", "n.py", None, "x = 1\n")
    assert created.edits == (TextEdit(Span(Pos(0, 0), Pos(0, 0)), "x = 1\n"),)


def test_anchored_replacement_of_whole_lines_is_reindented_into_the_class() -> None:
    text = "class A:\n    def m(self):\n        return 1\n\nz = 1\n"
    start, end = offset_of(text, Pos(1, 0)), offset_of(text, Pos(2, 16))
    new = apply_anchored(text, AnchoredReplacement("def m(self):\n    return 2\n"), (start, end))
    assert new == "class A:\n    def m(self):\n        return 2\n\nz = 1\n"
