"""Recent inline results, so typing into a shown suggestion needs no new model call.

Entries are keyed by the text *around* the cursor (a bounded tail of the text before it and the
head of the text after it), never by the whole document: building a key costs the same on a
50-line and a 50k-line file.

Two kinds of hit:

- exact: the same text around the cursor as when the result was made (the editor asked again
  after a cursor move, or the user undid what they typed);
- type-through: the user typed the first characters of the suggestion; the rest is served. The
  new cursor is checked against the old one plus the typed text (line and column arithmetic),
  and the text before it must equal the old text plus what was typed.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

#: characters of context on each side that make a key
BEFORE_CHARS = 256
AFTER_CHARS = 96
#: entries per document scanned for a type-through hit
SCAN_PER_DOCUMENT = 8


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """One served suggestion and where it was shown."""

    uri: str
    line: int
    col: int
    before: str  # the last BEFORE_CHARS characters before the cursor
    after: str  # the first AFTER_CHARS characters after it
    text: str
    model: str
    item_id: str


@dataclass(frozen=True, slots=True)
class CacheHit:
    """What to show now: the part of ``entry.text`` not typed yet."""

    entry: CacheEntry
    text: str
    typed: int  # characters of the suggestion the user typed since it was made


def _typed_length(entry: CacheEntry, line: int, col: int) -> int | None:
    """How many characters of the suggestion lie between the old and the new cursor, if it fits."""
    rows = line - entry.line
    if rows < 0:
        return None
    if rows == 0:
        k = col - entry.col
        return k if k >= 0 and "\n" not in entry.text[:k] else None
    idx = -1
    for _ in range(rows):
        idx = entry.text.find("\n", idx + 1)
        if idx < 0:
            return None
    k = idx + 1 + col
    nxt = entry.text.find("\n", idx + 1)
    if nxt >= 0 and k > nxt:
        return None
    return k


class InlineCache:
    """An LRU of recent suggestions with exact and type-through look-ups."""

    def __init__(self, size: int = 256) -> None:
        self.size = max(1, size)
        self._exact: OrderedDict[tuple[str, str, str], CacheEntry] = OrderedDict()
        self._recent: dict[str, list[CacheEntry]] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._exact)

    def put(self, entry: CacheEntry) -> None:
        key = (entry.uri, entry.before, entry.after)
        self._exact[key] = entry
        self._exact.move_to_end(key)
        recent = self._recent.setdefault(entry.uri, [])
        recent.insert(0, entry)
        del recent[SCAN_PER_DOCUMENT:]
        while len(self._exact) > self.size:
            _, old = self._exact.popitem(last=False)
            lst = self._recent.get(old.uri)
            if lst is not None and old in lst:
                lst.remove(old)

    def get(self, uri: str, line: int, col: int, before: str, after: str) -> CacheHit | None:
        """The suggestion still valid at this cursor, or None (counted as a miss)."""
        hit = self._lookup(uri, line, col, before, after)
        if hit is None:
            self.misses += 1
        else:
            self.hits += 1
        return hit

    def _lookup(self, uri: str, line: int, col: int, before: str, after: str) -> CacheHit | None:
        exact = self._exact.get((uri, before, after))
        if exact is not None:
            self._exact.move_to_end((uri, before, after))
            return CacheHit(exact, exact.text, 0)
        for entry in self._recent.get(uri, ()):
            if entry.after != after:
                continue
            k = _typed_length(entry, line, col)
            if k is None or k <= 0 or k >= len(entry.text):
                continue
            typed = entry.text[:k]
            if not before.endswith(typed[-len(before):] if len(typed) > len(before) else typed):
                continue
            if (entry.before + typed)[-BEFORE_CHARS:] != before:
                continue
            return CacheHit(entry, entry.text[k:], k)
        return None

    def forget(self, uri: str) -> None:
        """Drop a closed document's entries."""
        for key in [k for k in self._exact if k[0] == uri]:
            del self._exact[key]
        self._recent.pop(uri, None)


def context_key(line: Callable[[int], str], line_count: int, row: int, col: int) -> tuple[str, str]:
    """(before, after) around the cursor, read line by line; bounded by BEFORE/AFTER_CHARS."""
    current = line(row)
    before_parts = [current[max(0, col - BEFORE_CHARS):col]]
    size = col
    r = row - 1
    while size < BEFORE_CHARS and r >= 0:
        text = line(r) + "\n"
        before_parts.append(text)
        size += len(text)
        r -= 1
    before_parts.reverse()
    before = "".join(before_parts)[-BEFORE_CHARS:]
    after_parts = [current[col:]]
    size = len(after_parts[0])
    r = row + 1
    while size < AFTER_CHARS and r < line_count:
        text = "\n" + line(r)
        after_parts.append(text)
        size += len(text)
        r += 1
    after = "".join(after_parts)[:AFTER_CHARS]
    return before, after
