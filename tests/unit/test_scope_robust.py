"""Property tests: the estimator answers for any cursor in any (broken) text, and stays consistent."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codeswitch.documents import Pos, Snapshot, Span
from codeswitch.scope import ScopeRequest, block_exit, estimate_scope

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SOURCES = sorted(p for p in FIXTURES.glob("*/*") if p.is_file())


@st.composite
def damaged(draw: st.DrawFn) -> tuple[Path, str]:
    """A fixture with a random slice cut out or some random text pasted in (code mid-edit)."""
    path = draw(st.sampled_from(SOURCES))
    text = path.read_text(encoding="utf-8")
    a = draw(st.integers(0, len(text)))
    b = draw(st.integers(a, min(len(text), a + 80)))
    paste = draw(st.text(alphabet="(){}[]:;,.=+ \r\n\tabcé😀'\"#/*-", max_size=12))
    return path, text[:a] + paste + text[b:]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=damaged(), data=st.data())
def test_any_cursor_in_damaged_code_gets_an_answer(case: tuple[Path, str], data: st.DataObject) -> None:
    path, text = case
    snap = Snapshot.from_text(text, path=path, uri=path.as_uri())
    line = data.draw(st.integers(0, snap.line_count - 1))
    col = data.draw(st.integers(0, len(snap.line(line))))
    pos = Pos(line, col)
    kind = data.draw(st.sampled_from(["inline", "edit", "auto"]))
    instruction = data.draw(st.sampled_from([None, "fix this", "rename it everywhere", "add a parameter"]))
    scope = estimate_scope(snap, ScopeRequest(kind, Span(pos, pos), instruction), None)  # type: ignore[arg-type]
    assert scope.scope in ("inline", "function", "workspace")
    assert 0.0 <= scope.confidence <= 1.0
    assert scope.context_tokens > 0
    assert scope.reasons
    if scope.scope == "inline" and (kind == "inline" or (kind == "auto" and instruction is None)):
        assert scope.inline_shape in ("rest_of_line", "block", "expression")
    if scope.anchor is not None:
        a = scope.anchor
        assert (a.start.line, a.start.col) <= (a.end.line, a.end.col)
        assert a.end.line < snap.line_count
        if kind == "inline":  # the anchor of a completion holds the cursor
            assert (a.start.line, a.start.col) <= (pos.line, pos.col) <= (a.end.line, a.end.col)


@settings(max_examples=80, deadline=None)
@given(language=st.sampled_from([None, "python", "javascript", "go", "lua", "ruby", "c"]),
       prefix=st.text(max_size=40), completion=st.text(max_size=80))
def test_block_exit_is_an_offset_into_the_completion(language: str | None, prefix: str,
                                                    completion: str) -> None:
    cut = block_exit(language, prefix, completion)
    assert cut is None or 0 <= cut <= len(completion)


def test_a_completion_on_the_blank_last_line_after_a_block_is_anchored_over_the_cursor() -> None:
    text = "def todo():\n    pass\n"
    snap = Snapshot.from_text(text, path=Path("/w/m.py"), uri="file:///w/m.py")
    pos = Pos(2, 0)
    scope = estimate_scope(snap, ScopeRequest("inline", Span(pos, pos)), None)
    assert scope.anchor is not None and scope.anchor_name == "todo"
    assert scope.anchor.start == Pos(0, 0) and scope.anchor.end == pos
