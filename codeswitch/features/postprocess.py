"""From raw model output to the text shown as ghost text (or nothing).

Order matters: chat wrapping is stripped first (``<FILL>`` tags, markdown fences, prose), then
an echo of the text already typed is removed, the shape limits the lines, the completion is cut
where it leaves the enclosing block, text the suffix already has is dropped, and last a
completion that makes the code parse worse than before is refused. Each step is a small pure
function so it can be tested alone; :func:`shape_completion` runs them and says why it cut or
refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from codeswitch.scope.shape import block_exit, syntax_errors

from .prompts_inline import END_TAG, FILL, FILL_END, PREFIX_TAG, SUFFIX_TAG

_FENCE = re.compile(r"^[ \t]*```")
_PROSE = re.compile(r"^(here('s| is)|sure|certainly|the (completion|missing|code)|this (completes|code)|"
                    r"i('ve| have| will)|below|completion:|output:)", re.IGNORECASE)
#: how much of the suffix is compared for overlap (characters)
OVERLAP_WINDOW = 400
#: text parsed on each side of the cursor for the syntax check (characters, cut at line ends)
SYNTAX_BEFORE, SYNTAX_AFTER = 1500, 600
#: a line starting with one of these continues the statement above it
_CLOSERS = frozenset(")]}>")
_CONTINUATIONS = frozenset({"else", "elif", "elseif", "elsif", "except", "finally", "catch", "end", "rescue",
                            "ensure", "when", "then", "do", "until"})
_FIRST_WORD = re.compile(r"[A-Za-z_]+")


@dataclass(frozen=True, slots=True)
class Shaped:
    """The text to show (None: show nothing) and the steps that changed it."""

    text: str | None
    notes: tuple[str, ...] = ()


def strip_chat_wrapping(text: str) -> str:
    """Remove ``<FILL>`` tags, prompt markers, markdown fences and a line of prose before code."""
    out = text
    if FILL_END in out:
        out = out.split(FILL_END, 1)[0]
    start = out.find(FILL)
    if start >= 0:
        out = out[start + len(FILL):]
    for tag in (PREFIX_TAG, SUFFIX_TAG, END_TAG, "<FILL/>", FILL, FILL_END):
        out = out.replace(tag, "")
    rows = out.split("\n")
    fences = [i for i, r in enumerate(rows) if _FENCE.match(r)]
    if fences:
        first = fences[0]
        later = [i for i in fences if i > first]
        before = "\n".join(rows[:first]).strip()
        if not before or _PROSE.match(before) or before.endswith(":"):
            end = later[0] if later else len(rows)
            rows = rows[first + 1:end]
        else:  # code, then a fence (closing, or another block): keep the code before it
            rows = rows[:first]
    elif rows and _PROSE.match(rows[0].strip()) and len(rows) > 1:
        rows = rows[1:]
    return "\n".join(rows)


def remove_typed_echo(text: str, line_before: str) -> str:
    """Drop a repeat of the current line's typed part (chat models often restate it)."""
    typed = line_before.strip()
    if not typed:
        return text
    head = text.lstrip(" \t")
    if head.startswith(typed) and len(head) > len(typed):
        return head[len(typed):]
    return text


def limit_lines(text: str, shape: str | None) -> str:
    """``rest_of_line``: the first line only; other shapes keep every line."""
    if shape == "rest_of_line":
        return text.split("\n", 1)[0]
    return text


def remove_suffix_overlap(text: str, suffix: str) -> str:
    """Drop the end of ``text`` that the suffix already has.

    Two cases: the rest of the current line (``foo(|)`` answered with ``x)``: the ``)`` is
    dropped), and whole lines the model repeated from below the cursor.
    """
    if not text or not suffix:
        return text
    window = suffix[:OVERLAP_WINDOW]
    rest_of_line = window.split("\n", 1)[0]
    # whole trailing lines equal to the lines after the cursor
    t_rows = text.split("\n")
    s_rows = [r for r in window.split("\n")]
    s_tail = s_rows[1:] if len(s_rows) > 1 else []
    if len(t_rows) > 1 and s_tail:
        first_next = next((r for r in s_tail if r.strip()), None)
        if first_next is not None:
            for i in range(1, len(t_rows)):
                if t_rows[i].strip() and t_rows[i].rstrip() == first_next.rstrip():
                    t_rows = t_rows[:i]
                    while len(t_rows) > 1 and not t_rows[-1].strip():
                        t_rows.pop()
                    break
    text = "\n".join(t_rows)
    stripped = rest_of_line.strip()
    if stripped:
        last = text.rstrip()
        for k in range(len(stripped), 0, -1):
            if last.endswith(stripped[:k]) and (k == len(stripped) or not stripped[:k].isalnum()):
                return last[:len(last) - k]
    return text


def cut_at_block_exit(text: str, language: str | None, prefix: str) -> str:
    """Keep the completion only up to where it leaves the block the cursor is in."""
    cut = block_exit(language, prefix, text)
    return text if cut is None else text[:cut]


def shape_completion(raw: str, *, language: str | None, prefix: str, suffix: str, shape: str | None,
                     chat: bool, check_syntax: bool = True) -> Shaped:
    """Run every step; ``prefix``/``suffix`` are the prompt windows around the cursor."""
    notes: list[str] = []
    text = raw.replace("\r\n", "\n")
    if chat:
        cleaned = strip_chat_wrapping(text)
        if cleaned != text:
            notes.append("stripped chat wrapping")
        text = cleaned
    line_before = prefix.rsplit("\n", 1)[-1]
    unechoed = remove_typed_echo(text, line_before) if chat else text
    if unechoed != text:
        notes.append("removed echo of the typed line")
        text = unechoed
    if line_before.strip() == "" and text.startswith(line_before) and line_before:
        # the model restated the indentation the cursor already sits at
        text = text[len(line_before):]
    limited = limit_lines(text, shape)
    if limited != text:
        notes.append("kept the first line")
        text = limited
    if shape != "rest_of_line":
        cut = cut_at_block_exit(text, language, prefix)
        if cut != text:
            notes.append("cut where the block closes")
            text = cut
    trimmed = remove_suffix_overlap(text, suffix)
    if trimmed != text:
        notes.append("removed overlap with the suffix")
        text = trimmed
    text = text.rstrip() if "\n" in text else text.rstrip("\n")
    if not text.strip():
        return Shaped(None, (*notes, "empty"))
    if check_syntax and language is not None:
        before, after = syntax_region(prefix, suffix)
        if _adds_syntax_errors(language, before + after, before + text + after):
            return Shaped(None, (*notes, "adds a syntax error"))
    return Shaped(text, tuple(notes))


def syntax_region(prefix: str, suffix: str) -> tuple[str, str]:
    """The lines around the cursor the syntax check parses: whole lines, bounded in size, and
    no more than the top-level statement the cursor is in when its start is within the bound.

    A top-level statement starts at a line that is not indented, not blank and not a closing
    bracket (the ``}`` or ``)`` that ends the statement above). The check compares errors with and
    without the completion in the same region, so a region cut mid-construct only costs errors
    on both sides; a smaller region costs less to parse on every keystroke.
    """
    before = prefix
    if len(before) > SYNTAX_BEFORE:
        cut = before.find("\n", len(before) - SYNTAX_BEFORE)
        before = before[cut + 1:] if cut >= 0 else before[-SYNTAX_BEFORE:]
    start = _last_statement_start(before)
    if start > 0:
        before = before[start:]
    after = suffix
    if len(after) > SYNTAX_AFTER:
        cut = after.rfind("\n", 0, SYNTAX_AFTER)
        after = after[:cut] if cut > 0 else after[:SYNTAX_AFTER]
    end = _next_statement_start(after)
    if end is not None:
        after = after[:end]
    return before, after


def _starts_statement(line: str) -> bool:
    if not line or line[0].isspace() or line[0] in _CLOSERS:
        return False
    word = _FIRST_WORD.match(line)
    return word is None or word.group() not in _CONTINUATIONS


def _last_statement_start(before: str) -> int:
    """The offset of the last line of ``before`` that starts a top-level statement (0 if none)."""
    offset = len(before)
    for line in reversed(before.split("\n")):  # the cursor's (partial) line first
        offset -= len(line)
        if _starts_statement(line):
            return offset
        offset -= 1  # its line break
    return 0


def _next_statement_start(after: str) -> int | None:
    """Where ``after`` ends before the next line that starts a top-level statement (None if none)."""
    offset = 0
    for i, line in enumerate(after.split("\n")):
        if i > 0 and _starts_statement(line):
            return offset - 1  # at the end of the line above
        offset += len(line) + 1
    return None


def _adds_syntax_errors(language: str, before: str, after: str) -> bool:
    """``shape.adds_syntax_errors``, parsing the text without the completion only when the text
    with it has errors (nothing can be added to a region that parses cleanly): one parse per
    completion instead of two in the usual case."""
    errors = syntax_errors(after, language)
    if not errors:
        return False
    was = syntax_errors(before, language)
    return was is not None and len(errors) > len(was)
