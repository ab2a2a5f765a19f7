"""Terms: what a request speaks of, matched against the names in the code and the index."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from codeswitch.documents import Pos, Snapshot, Span
from codeswitch.scope import ScopeRequest, WorkspaceIndex
from codeswitch.scope.estimate import edit_features
from codeswitch.scope.terms import file_name_terms, identifier_terms, instruction_terms, line_terms

TERMUI = '''\
def prompt(text, color=None):
    shown = style(text, color)
    return input(shown)


def confirm(text):
    return prompt(text + " [y/n]") == "y"


def style(text, color):
    return text
'''


def test_identifiers_split_at_underscores_and_case_changes() -> None:
    assert identifier_terms("parseHTTPHeader") == identifier_terms("parse") | {"http", "header"}
    assert identifier_terms("read_config_files") == {"read", "config"}  # "files" says nothing
    assert identifier_terms("prompts") == identifier_terms("prompt") == {"prompt"}
    assert identifier_terms("parsing") == identifier_terms("parsed") == identifier_terms("parse")
    assert identifier_terms("x") == frozenset()


def test_an_instruction_is_read_by_its_first_line_without_common_words() -> None:
    assert instruction_terms("Fix the prompt color\n\nThe cookie jar loses it") == {"prompt", "color"}
    assert instruction_terms("fix a bug") == frozenset()
    assert line_terms("    def prompt(text, color=None):") == {"prompt", "text", "color"}


def test_a_package_entry_file_is_named_by_its_folder() -> None:
    assert file_name_terms("src/app/cookies.py") == identifier_terms("cookie")
    assert file_name_terms("src/app/__init__.py") == {"app"}
    assert file_name_terms("lib/http_client/index.js") == {"http", "client"}


def _workspace(tmp_path: Path) -> tuple[WorkspaceIndex, Snapshot, Path]:
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "termui.py").write_text(TERMUI)
    (root / "pkg" / "colors.py").write_text("def ansi(code):\n    return code\n")
    index = WorkspaceIndex()
    index.build(root)
    path = root / "pkg" / "termui.py"
    return index, Snapshot.from_text(TERMUI, path=path, uri=path.as_uri()), root


def _features(index: WorkspaceIndex | None, snap: Snapshot, line: int, text: str) -> dict[str, float]:
    pos = Pos(line, 4)
    return edit_features(snap, ScopeRequest("edit", Span(pos, pos), text), index)[0]


def test_features_say_where_the_request_s_words_meet_the_code(tmp_path: Path) -> None:
    index, snap, _ = _workspace(tmp_path)
    own = _features(index, snap, 1, "Prompt and confirm with style")
    assert own["terms.anchor"] == 1.0 and own["terms.line"] == 1.0
    assert own["terms.file_share"] == 1.0  # prompt, confirm, style: all names of this file
    assert own["terms.other_tops_log"] == pytest.approx(math.log2(3))  # `confirm` and `style`
    assert "terms.other_file" not in own
    other = _features(index, snap, 1, "Use the colors palette")
    assert other["terms.other_file"] == 1.0  # colors.py
    assert "terms.anchor" not in other and other["terms.file_share"] == 0.0
    assert _features(index, snap, 1, "fix a bug") == _features(index, snap, 1, "fix a bug") and \
        _features(index, snap, 1, "fix a bug")["terms.none"] == 1.0


def test_without_an_index_only_the_cursor_s_surroundings_count(tmp_path: Path) -> None:
    _, snap, _ = _workspace(tmp_path)
    values = _features(None, snap, 1, "Prompt and confirm with style")
    assert values["terms.anchor"] == 1.0
    assert not any(k in values for k in ("terms.file_share", "terms.other_file", "terms.tops_log"))


def test_the_index_follows_renamed_and_removed_files(tmp_path: Path) -> None:
    index, _, root = _workspace(tmp_path)
    (color,), (palette,) = identifier_terms("color"), identifier_terms("palette")
    assert index.files_named(color) == 1 and "ansi" in index.terms_in("pkg/colors.py")
    index.update_text(root / "pkg" / "palette.py", "def shade():\n    return 1\n", "python")
    index.remove(root / "pkg" / "colors.py")
    assert index.files_named(color) == 0 and index.files_named(palette) == 1
    assert index.terms_in("pkg/colors.py") == frozenset()
