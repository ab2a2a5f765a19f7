"""The harness's argument handling and progress view: 1-based FILE:LINE:COL to LSP positions, unusable
locations refused with a message, progress drawn as a bar on a terminal and as lines in a log."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from codeswitch.cli.harness import UsageError, find_root, locate, parse_location
from codeswitch.cli.harness_view import ProgressView, describe, inline_usage, render_edit


@pytest.mark.parametrize(("spec", "need_col", "expected"), [
    ("src/app.py:12:9", True, (Path("src/app.py"), 12, 9)),
    ("src/app.py:40", False, (Path("src/app.py"), 40, None)),
    ("src/app.py:40:1", False, (Path("src/app.py"), 40, 1)),
    ("C:/x/app.py:3:4", True, (Path("C:/x/app.py"), 3, 4)),
])
def test_parse_location(spec: str, need_col: bool, expected: tuple[Path, int, int | None]) -> None:
    assert parse_location(spec, need_col=need_col, prog="t") == expected


@pytest.mark.parametrize("spec", ["app.py", "app.py:12", "app.py:0:1", "app.py:1:0", ":1:1", "app.py:a:b"])
def test_parse_location_refuses(spec: str) -> None:
    with pytest.raises(UsageError):
        parse_location(spec, need_col=True, prog="t")


def test_locate_converts_characters_to_utf16(tmp_path: Path) -> None:
    f = tmp_path / "a.py"
    f.write_text("x = 1\r\ns = '😀' + y\n", encoding="utf-8")
    loc = locate(f, 2, 12, tmp_path, "t")  # after "y": 11 characters, 12 UTF-16 units
    assert (loc.line, loc.character, loc.line_text) == (1, 12, "s = '😀' + y")
    assert locate(f, 3, 1, tmp_path, "t").line == 2  # the empty line after the final newline
    assert locate(f, 2, None, tmp_path, "t").character == 0  # no column: first non-blank


@pytest.mark.parametrize(("line", "col", "says"), [(4, 1, "does not exist"), (1, 7, "past its end")])
def test_locate_refuses_positions_outside_the_file(tmp_path: Path, line: int, col: int, says: str) -> None:
    f = tmp_path / "a.py"
    f.write_text("x = 1\n\n")
    with pytest.raises(UsageError, match=says):
        locate(f, line, col, tmp_path, "t")


def test_locate_refuses_missing_binary_and_outside_files(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "b.bin").write_bytes(b"\xff\xfe\x00")
    (tmp_path / "out.py").write_text("")
    with pytest.raises(UsageError, match="no such file"):
        locate(tmp_path / "ws" / "nope.py", 1, 1, tmp_path / "ws", "t")
    with pytest.raises(UsageError, match="not UTF-8"):
        locate(tmp_path / "ws" / "b.bin", 1, 1, tmp_path / "ws", "t")
    with pytest.raises(UsageError, match="outside the workspace"):
        locate(tmp_path / "out.py", 1, 1, tmp_path / "ws", "t")


def test_find_root_prefers_the_nearest_marker(tmp_path: Path) -> None:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "pkg").mkdir()
    assert find_root(tmp_path / "repo" / "pkg" / "m.py") == (tmp_path / "repo").resolve()


def test_progress_lines_in_a_log_show_each_stage_and_milestones() -> None:
    out = io.StringIO()
    view = ProgressView(out, tty=False)
    view("t", {"kind": "begin", "title": "codeswitch: refactor", "message": "planning", "percentage": 0})
    for n in range(1, 11):
        view("t", {"kind": "report", "message": f"editing {n}/10 files", "percentage": 10 + n * 8})
    view("t", {"kind": "report", "message": "reviewing", "percentage": 90})
    view("t", {"kind": "end", "message": "10 files changed"})
    lines = out.getvalue().splitlines()
    assert lines[0] == "codeswitch: refactor: planning (0%)"
    assert lines[-2:] == ["codeswitch: refactor: reviewing (90%)", "codeswitch: refactor: 10 files changed"]
    editing = [x for x in lines if "editing" in x]
    assert 2 <= len(editing) <= 4  # milestones, not every tick
    assert "\r" not in out.getvalue() and "\033" not in out.getvalue()


def test_progress_on_a_terminal_redraws_one_line_with_a_bar() -> None:
    out = io.StringIO()
    view = ProgressView(out, tty=True)
    view("t", {"kind": "begin", "title": "refactor", "percentage": 0})
    view("t", {"kind": "report", "message": "editing 1/2 files", "percentage": 50})
    text = out.getvalue()
    assert text.count("\r\033[K") == 2 and "\n" not in text
    assert "[############............]  50% editing 1/2 files" in text
    view("t", {"kind": "end", "message": "2 files changed"})
    assert out.getvalue().endswith("\r\033[Kcodeswitch: refactor: 2 files changed\n")


def test_describe_names_model_usage_and_fallbacks() -> None:
    line = describe({"scope": "function", "tier": "function", "model": "gpt-5.3-codex",
                     "usage": {"input_tokens": 10, "output_tokens": 2, "cost_usd": None},
                     "fallbacks": [{"model": "m1", "error": "rate_limit"}]})
    assert line == ("function request -> gpt-5.3-codex (tier function; 10 in / 2 out tokens, price unknown);"
                    " fell back from m1 (rate_limit)")


def test_inline_usage_without_a_ledger_is_zero(tmp_path: Path) -> None:
    spent = inline_usage(0.0, "m", tmp_path / "none.sqlite3")
    assert spent.usage == {"input_tokens": 0, "output_tokens": 0, "cost_usd": None} and not spent.failed
    assert not (tmp_path / "none.sqlite3").exists()


def test_diffs_are_colored_only_when_asked() -> None:
    out = {"scope": "function", "tier": "function", "model": "m", "usage": None, "fallbacks": [],
           "error": None, "diff": "--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\n", "applied": False}
    plain = render_edit(out, apply=False)
    assert "\033" not in plain and "-a\n+b" in plain and "pass --apply" in plain
    colored = render_edit(out, apply=False, color=True)
    assert "\033[31m-a\033[0m" in colored and "\033[32m+b\033[0m" in colored
    assert "\033[1m+++ b/x.py" in colored
