"""Counts in messages read as English: "1 file", "2 files"."""

from __future__ import annotations

import io

from codeswitch.cli.doctor import render
from codeswitch.cli.harness_view import ProgressView, render_edit
from codeswitch.wording import plural


def test_plural() -> None:
    assert [plural(n, "file") for n in (0, 1, 2)] == ["0 files", "1 file", "2 files"]
    assert plural(1, "entry", "entries") == "1 entry" and plural(3, "entry", "entries") == "3 entries"


def test_one_applied_file_is_singular() -> None:
    diff = "--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\n"
    text = render_edit({"diff": diff, "error": None, "applied": True, "usage": None}, apply=True)
    assert text.endswith("applied to 1 file")


def test_doctor_names_the_shipped_catalog() -> None:
    data = {"grammars": {}, "config_files": [], "problems": [], "providers": {},
            "ledger": {"path": "/l", "exists": False}, "catalog": {"models": 11, "path": "(shipped)"},
            "tiers": {}, "local_servers": {}}
    assert "  11 models from the shipped catalog" in render(data).splitlines()


def test_a_stage_is_printed_once_even_with_other_progress_in_between() -> None:
    out = io.StringIO()
    view = ProgressView(out, tty=False)
    view("r", {"kind": "begin", "title": "codeswitch: refactor", "message": "planning", "percentage": 0})
    view("i", {"kind": "begin", "title": "codeswitch: indexing", "percentage": 0})
    view("i", {"kind": "end", "message": "6 files indexed"})
    view("r", {"kind": "report", "message": "planning", "percentage": 0})  # the same stage again
    view("r", {"kind": "report", "message": "editing 0/4 files", "percentage": 10})
    lines = out.getvalue().splitlines()
    assert lines.count("codeswitch: refactor: planning (0%)") == 1, lines
    assert lines[-1] == "codeswitch: refactor: editing 0/4 files (10%)"
