"""The context of "Review my changes": the diff, the definitions it touches, what they use, who uses them.

Files that may not be sent (secret, ignored by ``.codeswitchignore``, excluded by the config) are
left out of the diff as well as of everything else, and named in ``left_out``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from codeswitch.scope import Symbol
from codeswitch.wording import plural

from .analysis_context import Budget, Context, Index, Piece, Reader, add_names, definition_piece
from .git_changes import FileDiff

#: an untracked file longer than this is listed, not read whole
MAX_NEW_FILE_LINES = 2000


def _new_file_diff(path: str, text: str) -> str:
    rows = text.splitlines()
    cut = len(rows) > MAX_NEW_FILE_LINES
    rows = rows[:MAX_NEW_FILE_LINES]
    body = "".join(f"+{r}\n" for r in rows) + ("+... (cut)\n" if cut else "")
    return f"new file {path} (untracked)\n@@ -0,0 +1,{len(rows)} @@\n{body}"


def _overlaps(extent: tuple[int, int], changed: Sequence[tuple[int, int]]) -> bool:
    return any(extent[0] <= hi and lo <= extent[1] for lo, hi in changed)


def review_context(files: Sequence[FileDiff], read: Reader, may_send: Callable[[str], bool],
                   index: Index | None, *, limit: int) -> Context:
    """What a review sends, in priority order, within ``limit`` tokens."""
    budget = Budget(limit)
    kept: list[FileDiff] = []
    private: list[str] = []
    for f in files:
        if not may_send(f.path):
            private.append(f.path)
            continue
        if f.untracked:
            text = read(f.path)
            if text is None:
                continue
            f.text = _new_file_diff(f.path, text)
            f.changed = [(0, max(text.count("\n"), 1) - 1)]
        kept.append(f)
    for f in kept:
        budget.add(Piece("diff", f.path, 0, 0, f.text))
    touched: list[Symbol] = []
    used: list[str] = []
    for f in kept:
        if f.deleted or index is None:
            continue
        for sym in index.symbols_in(f.path):
            if _overlaps(read.extent(sym), f.changed):
                touched.append(sym)
        used.extend(r.name for r in index.references_in(f.path)
                    if any(lo <= r.span.start.line <= hi for lo, hi in f.changed))
    for sym in touched:
        piece = definition_piece(read, sym, "changed")
        if piece is not None:
            budget.add(piece)
    own = [s.name for s in touched]

    extents = [(t.path, read.extent(t)) for t in touched]

    def inside(sym: Symbol) -> bool:
        return any(path == sym.path and lo <= sym.span.start.line <= hi for path, (lo, hi) in extents)

    add_names(budget, read, index, [u for u in used if u not in own], own, inside)
    left = [f"{p}: a secret, ignored or excluded file; never sent" for p in private]
    names = sorted({f.path for f in kept})
    subject = f"changes in {plural(len(names), 'file')}" if names else "no changes"
    return Context("review", subject, tuple(budget.taken), tuple(left) + budget.notes())
