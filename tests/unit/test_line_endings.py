"""Line endings survive edits: every changed and added line takes the file's style (CRLF, CR, LF),
unchanged lines keep their bytes, whatever line breaks the model used."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from codeswitch.edits import apply_anchored, apply_search_replace, keep_line_endings, line_ending
from codeswitch.formats import AnchoredReplacement, SearchReplace
from codeswitch.team import Overlay

_EOL = re.compile(r"\r\n|\r|\n")
LINES = ["import math", "", "def area(r):", "    x = r * r", "    return x", ""]


def breaks(text: str) -> set[str]:
    return {m.group() for m in _EOL.finditer(text)}


@pytest.mark.parametrize("eol", ["\r\n", "\r", "\n"])
def test_search_replace_and_anchored_keep_the_style(eol: str) -> None:
    text = eol.join(LINES)
    start = text.index("def area")
    for end in (len(text) - len(eol), len(text)):
        new = apply_search_replace(text, [SearchReplace("    return x\n", "    y = x\n    return y\n")],
                                   (start, end))
        assert new == eol.join([*LINES[:4], "    y = x", "    return y", ""]) and breaks(new) == {eol}
    new = apply_anchored(text, AnchoredReplacement("def area(r):\n    return r * r\n"), (start, len(text)))
    assert new == eol.join([*LINES[:2], "def area(r):", "    return r * r", ""]) and breaks(new) == {eol}


def test_only_the_changed_stretch_is_restyled() -> None:
    mixed = "a\nb\r\nc\r\nd\r\ne\n"  # a mixed file: the majority (CRLF) is the style of new lines
    assert line_ending(mixed) == "\r\n" and line_ending("no break") == "\n"
    assert keep_line_endings(mixed, "a\nb\r\nX\nY\nd\r\ne\n") == "a\nb\r\nX\r\nY\r\nd\r\ne\n"
    assert keep_line_endings("a\r\nb\r\n", "a\nb\r\n") == "a\r\nb\r\n"
    assert keep_line_endings("a\rb\r", "a\rb\nc\r\n") == "a\rb\rc\r"
    assert keep_line_endings("same\r\n", "same\r\n") == "same\r\n"


def test_team_edits_keep_crlf_and_cr(tmp_path: Path) -> None:
    (tmp_path / "w.py").write_bytes(b"def f():\r\n    return 1\r\n")
    (tmp_path / "m.py").write_bytes(b"def g():\r    return 2\r")
    overlay = Overlay([tmp_path])
    overlay.own("w.py", "t")
    overlay.own("m.py", "t")
    overlay.replace("t", "w.py", "    return 1\n", "    x = 1\n    return x\n")
    overlay.replace("t", "m.py", "    return 2", "    y = 2\n    return y")
    changes = {c.rel: c.new_text for c in overlay.changes()}
    assert changes == {"w.py": "def f():\r\n    x = 1\r\n    return x\r\n",
                       "m.py": "def g():\r    y = 2\r    return y\r"}


def test_a_new_file_follows_the_workspaces_line_endings(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_bytes(b"x = 1\r\n")
    (tmp_path / "b.py").write_bytes(b"y = 2\r\nz = 3\r\n")
    overlay = Overlay([tmp_path], can_create=True)
    overlay.read("a.py")
    overlay.read("b.py")
    overlay.own("new.py", "t")
    overlay.create("t", "new.py", "def f():\n    return 1\n")
    (change,) = overlay.changes()
    assert change.new_text == "def f():\r\n    return 1\r\n"
    (tmp_path / "empty").mkdir()
    lf = Overlay([tmp_path / "empty"], can_create=True)  # nothing read yet: the model's "\n" stays
    lf.own("n.py", "t")
    lf.create("t", "n.py", "a\nb\n")
    assert lf.changes()[0].new_text == "a\nb\n"
