"""Definitions from indentation alone, for languages without a grammar or code that does not parse.

Looks for the nearest less-indented line above the position whose text reads like a definition
header (def, class, function, fn, func, ...) and extends it over the more-indented lines below
(plus a closing ``}`` / ``end`` at the header's indentation). Bounded look-around, no full scan.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from codeswitch.text import Pos, Span

from .nodes import Definition

if TYPE_CHECKING:
    from codeswitch.documents import Snapshot

_HEADER = re.compile(r"^\s*(?:export\s+|pub\s+|public\s+|private\s+|static\s+|async\s+|local\s+)*"
                     r"(def|class|function|fn|func|sub|proc|module|impl|struct|interface)\b\s*([\w.:]*)")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def text_block(snapshot: Snapshot, pos: Pos, limit: int = 2000) -> Definition | None:
    """The indentation block around ``pos`` whose header looks like a definition."""
    here = pos.line
    while here > 0 and not snapshot.line(here).strip():
        here -= 1
    level = _indent(snapshot.line(here)) if snapshot.line(here).strip() else 0
    for row in range(here, max(-1, here - limit), -1):
        line = snapshot.line(row)
        if not line.strip() or (_indent(line) >= level and row != here):
            continue
        m = _HEADER.match(line)
        if m is None:
            if _indent(line) < level:
                level = _indent(line)
            continue
        head = _indent(line)
        end = row
        for nxt in range(row + 1, min(snapshot.line_count, row + limit)):
            text = snapshot.line(nxt)
            if not text.strip():
                continue
            if _indent(text) <= head:
                if text.strip() in ("}", "end", "};", "end)") and _indent(text) == head:
                    end = nxt
                break
            end = nxt
        if end < pos.line and row < pos.line:
            return None
        kind = "class" if m.group(1) in ("class", "module", "impl", "struct", "interface") else "function"
        return Definition(kind, m.group(2) or None, Span(Pos(row, 0), Pos(end, len(snapshot.line(end)))),
                          0, 0, head == 0)
    return None
