"""Search/replace blocks: the edit format for function edits and for the team's edit tool.

A block is::

    path/to/file.py            (optional, on the line before the block; only multi-file answers)
    <<<<<<< SEARCH
    exact lines to find
    =======
    the lines that replace them
    >>>>>>> REPLACE

Models wrap blocks in code fences and prose; both are ignored. The search text must be quoted
exactly (the applier tolerates trailing whitespace and a uniform indentation shift), and an empty
search text is only allowed for an empty anchor, so a block can never stand for "the whole file".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import FormatError

_START = re.compile(r"^\s*<{5,9} ?SEARCH\s*$")
_MIDDLE = re.compile(r"^\s*={5,9}\s*$")
_END = re.compile(r"^\s*>{5,9} ?REPLACE\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
#: a file name with an extension, or a path with a directory (``.git/config``)
_PATHLIKE = re.compile(r"^[\w.\-/\\]*([/\\][\w.\-]+|\.\w+)$")


@dataclass(frozen=True, slots=True)
class SearchReplace:
    """Replace the one occurrence of ``search`` with ``replace`` (in ``path`` when given)."""

    search: str
    replace: str
    path: str | None = None


def _path_before(lines: list[str], i: int) -> str | None:
    """The file path written just above a block (skipping a fence line), if any."""
    j = i - 1
    while j >= 0 and (not lines[j].strip() or _FENCE.match(lines[j])):
        j -= 1
    if j < 0:
        return None
    candidate = lines[j].strip().strip("`*").strip()
    if candidate.lower().startswith(("file:", "path:")):
        candidate = candidate.split(":", 1)[1].strip().strip("`*").strip()
    return candidate if _PATHLIKE.match(candidate) else None


def _join(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def parse_search_replace(answer: str) -> list[SearchReplace]:
    """All blocks in a model answer, in order.

    Raises FormatError when there is no block or a block is not closed; a block's text ends with
    a newline (each line keeps its terminator) so replacements compose line by line.
    """
    lines = answer.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[SearchReplace] = []
    i = 0
    while i < len(lines):
        if not _START.match(lines[i]):
            i += 1
            continue
        path = _path_before(lines, i)
        j = i + 1
        search: list[str] = []
        while j < len(lines) and not _MIDDLE.match(lines[j]):
            if _START.match(lines[j]) or _END.match(lines[j]):
                raise FormatError(f"search/replace block at line {i + 1} has no ======= divider")
            search.append(lines[j])
            j += 1
        if j >= len(lines):
            raise FormatError(f"search/replace block at line {i + 1} is not closed")
        k = j + 1
        replace: list[str] = []
        while k < len(lines) and not _END.match(lines[k]):
            if _START.match(lines[k]):
                raise FormatError(f"search/replace block at line {i + 1} has no >>>>>>> REPLACE line")
            replace.append(lines[k])
            k += 1
        if k >= len(lines):
            raise FormatError(f"search/replace block at line {i + 1} is not closed")
        blocks.append(SearchReplace(_join(search), _join(replace), path))
        i = k + 1
    if not blocks:
        raise FormatError("the answer holds no <<<<<<< SEARCH / ======= / >>>>>>> REPLACE block")
    return blocks


def trailing_note(answer: str) -> str:
    """The prose after the last block (the edit prompt asks for one sentence there when more must
    change outside the anchor); "" when there is none."""
    lines = answer.splitlines()
    last = max((i for i, line in enumerate(lines) if _END.match(line)), default=None)
    if last is None:
        return ""
    rest = [line for line in lines[last + 1:] if not _FENCE.match(line)]
    return " ".join(" ".join(rest).split())
