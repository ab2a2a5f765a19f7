"""Anchored replacement: the model rewrites only the anchor (the enclosing definition).

The answer holds the new anchor text between ``<<<<<<< ANCHOR`` and ``>>>>>>> END`` lines, or,
as models often answer anyway, in the first fenced code block. The applier replaces exactly the
anchor's span with it, so nothing outside the anchor can change; minimal edits are computed
afterwards by diffing, so an unchanged line is never rewritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import FormatError

_START = re.compile(r"^\s*<{5,9} ?ANCHOR\b.*$")
_END = re.compile(r"^\s*>{5,9} ?END\s*$")
_FENCE_OPEN = re.compile(r"^\s*(```+|~~~+)[\w+\-.]*\s*$")


@dataclass(frozen=True, slots=True)
class AnchoredReplacement:
    """The full new text of the anchor (ends with a newline when the anchor's last line did)."""

    text: str


def _between(lines: list[str], start: int, is_end: re.Pattern[str] | str) -> tuple[list[str], int] | None:
    body: list[str] = []
    for k in range(start + 1, len(lines)):
        line = lines[k]
        done = is_end.match(line) if isinstance(is_end, re.Pattern) else line.strip() == is_end
        if done:
            return body, k
        body.append(line)
    return None


def parse_anchored(answer: str) -> AnchoredReplacement:
    """The replacement in a model answer; FormatError when there is none or it is empty."""
    lines = answer.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for i, line in enumerate(lines):
        if _START.match(line):
            found = _between(lines, i, _END)
            if found is None:
                raise FormatError("the <<<<<<< ANCHOR block is not closed with >>>>>>> END")
            body = found[0]
            # a fence inside the markers is decoration
            if len(body) >= 2 and _FENCE_OPEN.match(body[0]) and body[-1].strip().startswith(("```", "~~~")):
                body = body[1:-1]
            return _result(body)
    for i, line in enumerate(lines):
        m = _FENCE_OPEN.match(line)
        if m:
            found = _between(lines, i, m.group(1))
            if found is None:
                raise FormatError("the code block is not closed")
            return _result(found[0])
    raise FormatError("the answer holds no <<<<<<< ANCHOR block and no code block")


def _result(body: list[str]) -> AnchoredReplacement:
    if not any(line.strip() for line in body):
        raise FormatError("the replacement is empty")
    return AnchoredReplacement("".join(line + "\n" for line in body))
