"""How counts read in messages: "1 file", "2 files" (never "1 files" or "file(s)")."""

from __future__ import annotations


def plural(count: int, word: str, words: str | None = None) -> str:
    """``count`` and ``word``, or ``words`` (default ``word + "s"``) when count is not 1."""
    return f"{count} {word if count == 1 else (words or word + 's')}"
