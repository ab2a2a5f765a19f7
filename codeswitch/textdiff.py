"""Unified diffs and rebases, in proportion to what changed.

``common_ends`` finds the lines two texts share at the start and end, so diffs, minimal edits and
rebases only align the changed middle with difflib (:func:`line_opcodes`); ``unified_diff`` writes
a git-style diff of one file from that (``codeswitch.edits`` re-exports it).
Lines split by :func:`codeswitch.text.split_lines`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from codeswitch.text import split_lines

__all__ = ["common_ends", "keep_line_endings", "line_ending", "line_opcodes", "split_lines", "unified_diff"]

Opcode = tuple[str, int, int, int, int]
_EOL = re.compile(r"\r\n|\r|\n")


def common_ends(a: Sequence[str], b: Sequence[str]) -> tuple[int, int]:
    """How many lines ``a`` and ``b`` share at the start, and then at the end (not overlapping)."""
    limit = min(len(a), len(b))
    head = 0
    while head < limit and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < limit - head and a[len(a) - 1 - tail] == b[len(b) - 1 - tail]:
        tail += 1
    return head, tail


def line_opcodes(a: Sequence[str], b: Sequence[str]) -> list[Opcode]:
    """difflib opcodes turning lines ``a`` into ``b``, with only the lines between the common head
    and tail given to difflib: the cost follows the change, not the file."""
    head, tail = common_ends(a, b)
    middle = difflib.SequenceMatcher(None, a[head:len(a) - tail], b[head:len(b) - tail], autojunk=False)
    ops: list[Opcode] = [("equal", 0, head, 0, head)] if head else []
    ops.extend((tag, i1 + head, i2 + head, j1 + head, j2 + head)
               for tag, i1, i2, j1, j2 in middle.get_opcodes())
    if tail:
        ops.append(("equal", len(a) - tail, len(a), len(b) - tail, len(b)))
    return ops


def unified_diff(rel: str, old: str | None, new: str) -> str:
    """A unified diff with a/ and b/ prefixes, as git prints it (``old`` None: a new file).

    The lines are aligned by :func:`line_opcodes`; the head and tail give the hunks their context.
    """
    a = _diff_lines(old) if old else []
    b = _diff_lines(new)
    if a == b:
        return ""
    out = [f"--- {'a/' + rel if old is not None else '/dev/null'}\n", f"+++ b/{rel}\n"]
    for group in _hunks(line_opcodes(a, b), _CONTEXT):
        first, last = group[0], group[-1]
        out.append(f"@@ -{_hunk_range(first[1], last[2])} +{_hunk_range(first[3], last[4])} @@\n")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out.extend(" " + x for x in a[i1:i2])
                continue
            out.extend("-" + x for x in a[i1:i2])
            out.extend("+" + x for x in b[j1:j2])
    return "".join(x if x.endswith("\n") else x + "\n" + _NO_EOL for x in out)


_CONTEXT = 3
_NO_EOL = "\\ No newline at end of file\n"


def _hunks(ops: list[Opcode], n: int) -> list[list[Opcode]]:
    """Opcodes grouped into hunks with ``n`` lines of context (equal runs longer than 2n split them)."""
    if not ops:
        return []
    codes = list(ops)
    if codes[0][0] == "equal":
        _, i1, i2, j1, j2 = codes[0]
        codes[0] = ("equal", max(i1, i2 - n), i2, max(j1, j2 - n), j2)
    if codes[-1][0] == "equal":
        _, i1, i2, j1, j2 = codes[-1]
        codes[-1] = ("equal", i1, min(i2, i1 + n), j1, min(j2, j1 + n))
    groups: list[list[Opcode]] = []
    group: list[Opcode] = []
    for tag, i1, i2, j1, j2 in codes:
        if tag == "equal" and i2 - i1 > 2 * n:
            group.append((tag, i1, min(i2, i1 + n), j1, min(j2, j1 + n)))
            groups.append(group)
            group = []
            i1, j1 = max(i1, i2 - n), max(j1, j2 - n)
        group.append((tag, i1, i2, j1, j2))
    groups.append(group)
    return [g for g in groups if any(op[0] != "equal" for op in g)]


def _hunk_range(start: int, stop: int) -> str:
    """A hunk side as unified diffs write it: 1-based start, count unless 1 (empty: the line before)."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start + 1 if length else start},{length}"


def _diff_lines(text: str) -> list[str]:
    """Lines for difflib; a last line without terminator stays apart from its replacement."""
    return [x for x in split_lines(text) if x]


def line_ending(text: str) -> str:
    """The text's line-ending style: its most common line break ("\n" when it has none)."""
    crlf = text.count("\r\n")
    counts = {"\n": text.count("\n") - crlf, "\r\n": crlf, "\r": text.count("\r") - crlf}
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else "\n"


def _common_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix (binary search on slice compares: C speed on long texts)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def keep_line_endings(old: str, new: str) -> str:
    """``new`` with every line break it adds or changes in ``old``'s style (CRLF, CR or LF).

    Models answer with "\n" whatever the file uses; only the changed stretch between the common
    head and tail is touched (widened to take in a CR/LF pair split by its boundary), so unchanged
    lines keep exactly the bytes they had.
    """
    eol = line_ending(old)
    p = _common_prefix(old, new)
    limit = min(len(old), len(new)) - p
    s = _common_prefix(old[::-1][:limit], new[::-1][:limit])
    a, b = p, len(new) - s
    if 0 < a < len(new) and new[a - 1] == "\r" and new[a] == "\n":  # a CR/LF pair split by the boundary
        a -= 1
    if b < len(new) and new[b] == "\n":  # the changed last line's own break (maybe the LF of a CR/LF)
        b += 1
    mid = new[a:b]
    if not any(c in mid for c in "\r\n"):
        return new
    return new[:a] + _EOL.sub(eol, mid) + new[b:]
