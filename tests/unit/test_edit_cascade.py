"""The cascade: an edit sent to the workspace only because the estimate was unsure starts cheaper."""

from __future__ import annotations

from codeswitch.documents import Pos, Span
from codeswitch.handlers.edit_plan import start_cheaper
from codeswitch.scope import Scope

ANCHOR = Span(Pos(3, 0), Pos(9, 0))


def _scope(scope: str, likeliest: str | None, anchor: Span | None = ANCHOR) -> Scope:
    return Scope(scope, anchor, "function", "area", None, ("m.py", "n.py"), "area", 4000, 0.4,  # type: ignore[arg-type]
                 ("function 0.44, workspace 0.33, inline 0.23",), likeliest)  # type: ignore[arg-type]


def test_an_unsure_workspace_edit_starts_at_the_function_tier_and_says_so() -> None:
    started = start_cheaper(_scope("workspace", "function"))
    assert started.scope == "function" and started.anchor == ANCHOR
    assert "moves to the workspace tier if the edit reaches other files" in started.reasons[-1]


def test_sure_or_anchorless_workspace_edits_stay_where_the_estimate_put_them() -> None:
    for scope in (_scope("workspace", None), _scope("workspace", "function", anchor=None),
                  _scope("workspace", "inline"), _scope("function", None)):
        assert start_cheaper(scope) is scope
