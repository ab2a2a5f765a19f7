"""The learned scope decision: features, probabilities, the asymmetric choice, the shipped model."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from codeswitch.documents import Pos, Snapshot, Span
from codeswitch.scope import ScopeRequest, WorkspaceIndex, estimate_scope
from codeswitch.scope.decide import SCOPES, ScopeModel, choose, shipped_model
from codeswitch.scope.estimate import edit_features

CORE = '''\
"""Users."""
import json

from .db import connect


def fetch_user(uid, timeout=1):
    conn = connect(timeout)
    row = conn.get(uid)
    return json.loads(row)


def _helper(x):
    total = 0
    for i in range(x):
        total += i
    return total
'''


@pytest.fixture
def ws(tmp_path: Path) -> tuple[WorkspaceIndex, Snapshot]:
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "core.py").write_text(CORE)
    (root / "pkg" / "db.py").write_text("def connect(timeout):\n    return object()\n")
    (root / "pkg" / "api.py").write_text("from .core import fetch_user\n\n\ndef handler(req):\n"
                                         "    return fetch_user(req.uid)\n")
    index = WorkspaceIndex()
    index.build(root)
    path = root / "pkg" / "core.py"
    return index, Snapshot.from_text(CORE, path=path, uri=path.as_uri())


def features(snap: Snapshot, index: WorkspaceIndex | None, line: int, col: int,
             instruction: str) -> dict[str, float]:
    pos = Pos(line, col)
    return edit_features(snap, ScopeRequest("edit", Span(pos, pos), instruction), index)[0]


def test_features_say_where_the_cursor_is(ws: tuple[WorkspaceIndex, Snapshot]) -> None:
    index, snap = ws
    at_import = features(snap, index, 1, 0, "use orjson")
    assert at_import["pos.top_level"] == 1.0 and at_import["pos.import"] == 1.0
    in_body = features(snap, index, 8, 4, "retry the connection")
    assert in_body["anchor.function"] == 1.0 and "pos.top_level" not in in_body
    assert 0.0 < in_body["pos.in_anchor"] < 1.0
    on_header = features(snap, index, 6, 4, "retry the connection")
    assert on_header["pos.header"] == 1.0


def test_features_read_the_index(ws: tuple[WorkspaceIndex, Snapshot]) -> None:
    index, snap = ws
    used = features(snap, index, 8, 4, "add a retries parameter")
    assert used["refs.other_files_log"] == pytest.approx(1.0)  # api.py: log2(1 + 1)
    assert used["x.signature_used_elsewhere"] == 1.0
    private = features(snap, index, 14, 8, "add a start parameter")
    assert private["refs.other_files_log"] == 0.0 and private["anchor.private"] == 1.0
    assert "x.signature_used_elsewhere" not in private
    names = features(snap, index, 14, 8, "call `connect` first")
    assert names["named.outside"] > 0 and names["x.names_other_definitions"] == 1.0
    without = features(snap, None, 8, 4, "add a retries parameter")
    assert "refs.other_files_log" not in without  # no index, no index features


def test_features_read_the_wording(ws: tuple[WorkspaceIndex, Snapshot]) -> None:
    index, snap = ws
    f = features(snap, index, 8, 4, "Fix crash when the row is empty (#123)")
    assert f["verb.fix"] == 1.0 and f["words.issue_ref"] == 1.0 and f["word.crash"] == 1.0
    g = features(snap, index, 8, 4, "Update all callers everywhere")
    assert g["words.plural"] == 1.0 and any(k.startswith("cue.workspace.") for k in g)


def test_choose_prefers_the_broader_scope_when_unsure() -> None:
    probs = (0.05, 0.55, 0.40)
    assert SCOPES[choose(probs, 1.0)] == "function"
    assert SCOPES[choose(probs, 3.0)] == "workspace"  # under-routing costs three times more
    assert SCOPES[choose((0.9, 0.08, 0.02), 3.0)] == "inline"


def test_model_round_trip_and_probabilities() -> None:
    model = ScopeModel({"pos.import": (-1.0, -0.5, 2.0)}, (0.1, 0.5, 0.0), temperature=2.0, under_penalty=2.5)
    again = ScopeModel.from_json(model.to_json())
    assert again == model
    p = again.probabilities({"pos.import": 1.0})
    assert math.isclose(sum(p), 1.0) and p[2] == max(p)
    assert again.contributions({"pos.import": 1.0}, 2, 1)[0] == (2.5, "pos.import")
    # classes listed in another order are mapped by name
    shuffled = ScopeModel.from_json({"classes": ["workspace", "inline", "function"], "bias": [0, 1, 2],
                                     "weights": {"f": [3, 1, 2]}})
    assert shuffled.bias == (1.0, 2.0, 0.0) and shuffled.weights["f"] == (1.0, 2.0, 3.0)


def test_the_package_ships_a_model_and_edits_use_it(ws: tuple[WorkspaceIndex, Snapshot]) -> None:
    model = shipped_model()
    assert model is not None and len(model.weights) > 20
    index, snap = ws
    pos = Pos(8, 4)
    scope = estimate_scope(snap, ScopeRequest("edit", Span(pos, pos), "retry the connection"), index)
    assert scope.scope in SCOPES
    # the first reason states the calibrated probabilities the decision was made on
    shares = dict(part.split() for part in scope.reasons[0].split(", "))
    assert set(shares) == set(SCOPES) and math.isclose(sum(map(float, shares.values())), 1.0, abs_tol=0.02)
    assert scope.confidence == pytest.approx(float(shares[scope.scope]), abs=0.01)


def test_a_higher_penalty_never_routes_smaller(ws: tuple[WorkspaceIndex, Snapshot]) -> None:
    index, snap = ws
    order = {s: i for i, s in enumerate(SCOPES)}
    for line, col, text in ((8, 4, "retry"), (1, 0, "use orjson"), (15, 8, "fix the loop bound")):
        pos = Pos(line, col)
        request = ScopeRequest("edit", Span(pos, pos), text)
        low = estimate_scope(snap, request, index, under_penalty=1.0).scope
        high = estimate_scope(snap, request, index, under_penalty=8.0).scope
        assert order[high] >= order[low], text


def test_every_feature_reads_as_words(ws: tuple[WorkspaceIndex, Snapshot]) -> None:
    from codeswitch.scope.estimate import _evidence
    from codeswitch.scope.explain import describe

    index, snap = ws
    for line, col, text in ((1, 0, "use orjson (#12)"), (8, 4, "Add a `retries` parameter to all callers"),
                            (15, 8, "fix typo"), (6, 0, "")):
        pos = Pos(line, col)
        ev, _ = _evidence(snap, ScopeRequest("edit", Span(pos, pos), text), index)
        for name, value in ev.features().items():
            if not value:
                continue  # a feature that is off never moves the decision, so it is never described
            said = describe(name, ev, ev.features())
            assert said and said != name, name


def test_an_unsure_workspace_call_names_the_likelier_scope(ws: tuple[WorkspaceIndex, Snapshot]) -> None:
    index, snap = ws
    pos = Pos(8, 4)
    request = ScopeRequest("edit", Span(pos, pos), "retry the connection")
    sure = estimate_scope(snap, request, index, under_penalty=1.0)
    assert sure.likeliest is None  # the likeliest scope was chosen
    wary = estimate_scope(snap, request, index, under_penalty=50.0)
    assert wary.scope == "workspace"
    assert wary.likeliest is not None and wary.likeliest != "workspace"
    stated = estimate_scope(snap, ScopeRequest("edit", Span(pos, pos), "retry in this function"), index,
                            under_penalty=50.0)
    assert stated.scope == "function" and stated.likeliest is None  # said outright: nothing to doubt
