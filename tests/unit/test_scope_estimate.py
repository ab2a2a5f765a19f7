"""estimate_scope for edits: selections, intent, cross-file references, auto kind, purity."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeswitch.documents import Pos, Snapshot, Span
from codeswitch.scope import Scope, ScopeRequest, WorkspaceIndex, estimate_scope

CORE = '''\
"""Users."""
import json

from .db import connect


def fetch_user(uid, timeout=1):
    conn = connect(timeout)
    row = conn.get(uid)
    return json.loads(row)


def helper(x):
    total = 0
    for i in range(x):
        total += i
    return total


class Store:
    def __init__(self, path):
        self.path = path

    def get(self, key):
        value = fetch_user(key)
        return value
'''


@pytest.fixture
def ws(tmp_path: Path) -> tuple[Path, WorkspaceIndex, Snapshot]:
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "core.py").write_text(CORE)
    (root / "pkg" / "db.py").write_text("def connect(timeout):\n    return object()\n")
    (root / "pkg" / "api.py").write_text("from .core import fetch_user, Store\n\n\n"
                                         "def handler(req):\n    return fetch_user(req.uid)\n\n\n"
                                         "def make():\n    return Store('x')\n")
    (root / "pkg" / "cli.py").write_text("from .core import fetch_user\n\nprint(fetch_user(1))\n")
    index = WorkspaceIndex()
    index.build(root)
    path = root / "pkg" / "core.py"
    return root, index, Snapshot.from_text(CORE, path=path, uri=path.as_uri())


def at(snap: Snapshot, needle: str) -> Pos:
    for i in range(snap.line_count):
        col = snap.line(i).find(needle)
        if col >= 0:
            return Pos(i, col)
    raise AssertionError(needle)


def edit(snap: Snapshot, index: WorkspaceIndex | None, where: Pos | Span, instruction: str | None,
         kind: str = "edit") -> Scope:
    span = where if isinstance(where, Span) else Span(where, where)
    return estimate_scope(snap, ScopeRequest(kind, span, instruction), index)  # type: ignore[arg-type]


def test_local_fix_is_function_scope(ws: tuple[Path, WorkspaceIndex, Snapshot]) -> None:
    _, index, snap = ws
    scope = edit(snap, index, at(snap, "total += i"), "fix the off-by-one in this loop")
    assert scope.scope == "function"
    assert (scope.anchor_kind, scope.anchor_name) == ("function", "helper")
    assert scope.files == ("pkg/core.py",)
    assert scope.anchor == Span(Pos(12, 0), Pos(16, 16))
    assert scope.inline_shape is None
    assert 0.0 <= scope.confidence <= 1.0 and scope.confidence >= 0.6
    assert any("helper" in r for r in scope.reasons)


def test_signature_change_of_a_function_other_files_call_is_workspace(
        ws: tuple[Path, WorkspaceIndex, Snapshot]) -> None:
    _, index, snap = ws
    scope = edit(snap, index, at(snap, "row = conn.get(uid)"), "add a retries parameter")
    assert scope.scope == "workspace"
    assert scope.symbol == "fetch_user"
    assert set(scope.files) == {"pkg/core.py", "pkg/api.py", "pkg/cli.py"}
    assert any("used in 2 other files" in r for r in scope.reasons)


def shares(scope: Scope) -> dict[str, float]:
    """The learned decision's probabilities, from the first reason ("function 0.52, workspace ...")."""
    return {k: float(v) for k, v in (part.split() for part in scope.reasons[0].split(", "))}


def test_an_interface_change_reaches_the_files_that_use_it(ws: tuple[Path, WorkspaceIndex, Snapshot]) -> None:
    _, index, snap = ws
    used = edit(snap, index, at(snap, "row = conn.get(uid)"), "add a start parameter")  # fetch_user
    assert used.scope == "workspace" and used.symbol == "fetch_user"
    assert set(used.files) == {"pkg/core.py", "pkg/api.py", "pkg/cli.py"}
    assert any("used in 2 other files" in r for r in used.reasons)
    unused = edit(snap, index, at(snap, "total += i"), "add a start parameter")  # helper: no callers
    assert set(shares(unused)) == {"inline", "function", "workspace"}  # the learned decision
    assert unused.anchor_name == "helper"


def test_constructor_change_follows_the_class(ws: tuple[Path, WorkspaceIndex, Snapshot]) -> None:
    _, index, snap = ws
    scope = edit(snap, index, at(snap, "self.path = path"), "add a mode argument")
    assert scope.symbol == "Store"  # who constructs the class is who may have to change
    if scope.scope == "workspace":
        assert "pkg/api.py" in scope.files


def test_a_body_change_is_anchored_to_its_function(ws: tuple[Path, WorkspaceIndex, Snapshot]) -> None:
    _, index, snap = ws
    scope = edit(snap, index, at(snap, "row = conn.get(uid)"), "log the row before decoding it")
    assert scope.anchor_name == "fetch_user"
    assert scope.scope in ("function", "workspace")
    assert set(shares(scope)) == {"inline", "function", "workspace"}


def test_rename_is_workspace_with_definition_and_callers(ws: tuple[Path, WorkspaceIndex, Snapshot]) -> None:
    _, index, snap = ws
    scope = edit(snap, index, at(snap, "value = fetch_user(key)"), "rename fetch_user to load_user")
    assert scope.scope == "workspace"
    assert scope.symbol == "fetch_user"
    assert set(scope.files) >= {"pkg/core.py", "pkg/api.py", "pkg/cli.py"}


def test_everywhere_wording_is_workspace_even_without_index(
        ws: tuple[Path, WorkspaceIndex, Snapshot]) -> None:
    _, _, snap = ws
    scope = edit(snap, None, at(snap, "total += i"), "use logging instead of print everywhere")
    assert scope.scope == "workspace"
    assert any("everywhere" in r for r in scope.reasons)


def test_selection_over_two_top_level_definitions_is_workspace(
        ws: tuple[Path, WorkspaceIndex, Snapshot]) -> None:
    _, index, snap = ws
    span = Span(at(snap, "conn = connect"), at(snap, "total += i"))
    scope = edit(snap, index, span, "add type hints")
    assert scope.scope == "workspace"
    assert any("spans 2 top-level definitions" in r and "`fetch_user`" in r for r in scope.reasons)


def test_selection_of_one_whole_definition_is_function(ws: tuple[Path, WorkspaceIndex, Snapshot]) -> None:
    _, index, snap = ws
    start = at(snap, "def helper")
    end = Pos(start.line + 4, len(snap.line(start.line + 4)))
    scope = edit(snap, index, Span(start, end), "make it iterative")
    assert scope.scope == "function"
    assert scope.anchor_name == "helper"


def test_selection_inside_a_method_keeps_the_method(ws: tuple[Path, WorkspaceIndex, Snapshot]) -> None:
    _, index, snap = ws
    start = at(snap, "value = fetch_user(key)")
    scope = edit(snap, index, Span(start, Pos(start.line + 1, 20)), "cache the value")
    assert (scope.scope, scope.anchor_kind, scope.anchor_name) == ("function", "method", "get")


def test_instruction_naming_code_defined_elsewhere_leans_to_workspace(
        ws: tuple[Path, WorkspaceIndex, Snapshot]) -> None:
    _, index, snap = ws
    pos = at(snap, "total += i")
    elsewhere = edit(snap, index, pos, "call connect() with the timeout first")
    plain = edit(snap, index, pos, "call it with the timeout first")
    assert shares(elsewhere)["workspace"] > shares(plain)["workspace"]
    if elsewhere.scope == "workspace":
        assert "pkg/db.py" in elsewhere.files


def test_typo_inside_a_function_is_most_likely_inline(ws: tuple[Path, WorkspaceIndex, Snapshot]) -> None:
    _, index, snap = ws
    scope = edit(snap, index, at(snap, "total = 0"), "fix the typo")
    p = shares(scope)
    assert p["inline"] == max(p.values())
    # under-routing costs more than over-routing, so an unsure one-line fix may go one tier up
    assert scope.scope in ("inline", "function") and scope.anchor_name == "helper"
    assert estimate_scope(snap, ScopeRequest("edit", Span(at(snap, "total = 0"), at(snap, "total = 0")),
                                             "fix the typo"), index, under_penalty=1.0).scope == "inline"


def test_import_lines(ws: tuple[Path, WorkspaceIndex, Snapshot]) -> None:
    _, index, snap = ws
    adding = edit(snap, index, at(snap, "import json"), "decode with orjson")
    assert adding.scope == "workspace"
    assert any("imports" in r for r in adding.reasons)
    tidy = edit(snap, index, at(snap, "import json"), "remove the unused import")
    assert tidy.scope == "function"


def test_auto_kind(ws: tuple[Path, WorkspaceIndex, Snapshot]) -> None:
    _, index, snap = ws
    pos = at(snap, "total += i")
    assert edit(snap, index, pos, None, kind="auto").scope == "inline"
    assert edit(snap, index, pos, "   ", kind="auto").scope == "inline"
    assert edit(snap, index, pos, "use this helper everywhere", kind="auto").scope == "workspace"


def test_rename_of_a_name_no_other_code_uses_stays_function(
        ws: tuple[Path, WorkspaceIndex, Snapshot]) -> None:
    _, index, snap = ws
    scope = edit(snap, index, at(snap, "total += i"), "rename helper to summed")
    assert (scope.scope, scope.anchor_name) == ("function", "helper")
    assert any("no other file uses `helper`" in r for r in scope.reasons)


def test_rename_of_a_name_used_by_other_definitions_of_the_file_is_workspace(tmp_path: Path) -> None:
    text = "def one():\n    return 1\n\n\ndef two():\n    return one() + 1\n"
    (tmp_path / "m.py").write_text(text)
    index = WorkspaceIndex()
    index.build(tmp_path)
    snap = Snapshot.from_text(text, path=tmp_path / "m.py", uri=(tmp_path / "m.py").as_uri())
    assert edit(snap, index, Pos(1, 4), "rename one to first").scope == "workspace"


def test_context_tokens_grow_with_scope(ws: tuple[Path, WorkspaceIndex, Snapshot]) -> None:
    _, index, snap = ws
    pos = at(snap, "row = conn.get(uid)")
    small = estimate_scope(snap, ScopeRequest("inline", Span(pos, pos)), index)
    func = edit(snap, index, pos, "fix the off-by-one in this function")
    wide = edit(snap, index, pos, "rename fetch_user to load_user")
    assert (func.scope, wide.scope) == ("function", "workspace")
    assert 0 < func.context_tokens < wide.context_tokens
    assert small.context_tokens > 0


def test_positions_past_the_end_are_clamped(ws: tuple[Path, WorkspaceIndex, Snapshot]) -> None:
    _, index, snap = ws
    scope = edit(snap, index, Pos(10_000, 500), "fix")
    assert scope.scope in ("inline", "function", "workspace")


def test_estimate_is_pure(ws: tuple[Path, WorkspaceIndex, Snapshot]) -> None:
    _, index, snap = ws
    before = (index.files(), index.files_referencing("fetch_user"))
    request = ScopeRequest("edit", Span(at(snap, "row ="), at(snap, "row =")), "add a retries parameter")
    first = estimate_scope(snap, request, index)
    second = estimate_scope(snap, request, index)
    assert first == second
    assert (index.files(), index.files_referencing("fetch_user")) == before


def test_unknown_language_edit_uses_indentation(tmp_path: Path) -> None:
    text = "proc main {\n    set x 1\n    puts $x\n}\n"
    path = tmp_path / "s.tcl"
    snap = Snapshot.from_text(text, path=path, uri=path.as_uri())
    scope = edit(snap, None, Pos(1, 4), "print twice")
    assert scope.scope == "function"
    assert scope.anchor_name == "main"
    assert any("no grammar" in r for r in scope.reasons)


def test_top_level_cursor_with_instruction_naming_this_files_definitions(
        ws: tuple[Path, WorkspaceIndex, Snapshot]) -> None:
    _, index, snap = ws
    one = edit(snap, index, at(snap, "import json"), "make helper() faster")
    if one.scope == "function":  # anchored to the definition it names
        assert one.anchor_name == "helper" and any("defined in this file" in r for r in one.reasons)
    two = edit(snap, index, at(snap, "import json"), "share the decoding between helper() and `Store`")
    assert two.scope == "workspace"


def test_renaming_a_local_name_stays_in_the_function(ws: tuple[Path, WorkspaceIndex, Snapshot]) -> None:
    _, index, snap = ws
    for instruction in ("rename total to acc", "rename the variable total to acc"):
        scope = edit(snap, index, at(snap, "total += i"), instruction)
        assert (scope.scope, scope.anchor_name) == ("function", "helper"), instruction


def test_whole_line_selections_ending_at_column_zero(ws: tuple[Path, WorkspaceIndex, Snapshot]) -> None:
    _, index, snap = ws
    helper = at(snap, "def helper")
    one = edit(snap, index, Span(helper, Pos(helper.line + 5, 0)), "make it iterative")
    assert (one.scope, one.anchor_name) == ("function", "helper")
    fetch = at(snap, "def fetch_user")
    upto_helper = edit(snap, index, Span(fetch, helper), "add logging")  # ends where helper starts
    assert (upto_helper.scope, upto_helper.anchor_name) == ("function", "fetch_user")
    both = edit(snap, index, Span(fetch, Pos(helper.line + 5, 0)), "add logging")
    assert both.scope == "workspace"


def test_class_level_requests_anchor_to_the_class(ws: tuple[Path, WorkspaceIndex, Snapshot]) -> None:
    _, index, snap = ws
    pos = at(snap, "value = fetch_user(key)")
    for instruction in ("add a __repr__ method", "make every method thread-safe", "tidy this class"):
        scope = edit(snap, index, pos, instruction)
        assert (scope.anchor_kind, scope.anchor_name) == ("class", "Store"), instruction
    assert edit(snap, index, pos, "cache the value").anchor_name == "get"


def test_type_hints_for_one_definition_nobody_else_uses_stay_function(
        ws: tuple[Path, WorkspaceIndex, Snapshot]) -> None:
    _, index, snap = ws
    scope = edit(snap, index, at(snap, "total += i"), "Add type hints")
    assert (scope.scope, scope.anchor_name, scope.files) == ("function", "helper", ("pkg/core.py",))


def test_one_doc_comment_stays_in_the_definition_at_the_cursor(tmp_path: Path) -> None:
    """A short editor instruction says nothing about reach but its object: one docstring lives
    inside the definition at the cursor, however many definitions the file holds."""
    text = "".join(f"def step_{i}(order):\n    total = order.total * {i}\n    return total\n\n\n"
                   for i in range(6))
    (tmp_path / "steps.py").write_text(text)
    index = WorkspaceIndex()
    index.build(tmp_path)
    snap = Snapshot.from_text(text, path=tmp_path / "steps.py", uri=(tmp_path / "steps.py").as_uri())
    pos = at(snap, "total = order.total * 3")
    for instruction in ("add a docstring", "Write the doc comment"):
        scope = edit(snap, index, pos, instruction)
        assert scope.scope == "function" and "one doc comment" in scope.reasons[0]
    assert edit(snap, index, pos, "add docstrings everywhere").scope == "workspace"
