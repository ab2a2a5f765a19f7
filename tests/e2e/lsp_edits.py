"""Applying LSP TextEdits as the JSON a test receives: the tests' own reference, independent of
codeswitch.edits."""

from __future__ import annotations

from typing import Any


def apply_lsp(text: str, edits: list[dict[str, Any]]) -> str:
    """Apply LSP TextEdits (ASCII text: characters are columns) to `text`."""
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)

    def off(p: dict[str, int]) -> int:
        return offsets[p["line"]] + p["character"]

    for e in sorted(edits, key=lambda e: off(e["range"]["start"]), reverse=True):
        text = text[:off(e["range"]["start"])] + e["newText"] + text[off(e["range"]["end"]):]
    return text
