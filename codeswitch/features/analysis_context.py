"""The context an explanation or a review needs, gathered with the workspace index and counted in tokens.

Pure apart from the ``Reader`` it is given (which reads workspace files and refuses secret,
ignored and excluded ones). A context is a list of :class:`Piece` s in priority order: what the
user asked about (a selection, a definition, or the working-tree diff), then the definitions it
touches, then the definitions of the names it uses, then where its own names are used (callers).
Pieces are taken in that order until the token limit (what the largest model of the tier holds)
is reached; what did not fit, or may not be sent, is listed in ``left_out`` so the user sees it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from codeswitch.scope import Symbol
from codeswitch.secret_scan import find_secret

Task = Literal["explain", "review"]
#: lines shown around each use of a name (callers)
REFERENCE_CONTEXT_LINES = 2
#: longest definition taken whole (longer ones are cut, with a note)
MAX_DEFINITION_LINES = 400
#: names looked up per request (the first ones the target uses)
MAX_NAMES = 200


def count_tokens(text: str) -> int:
    """About four characters per token (code and prose alike); what routing and prices use."""
    return (len(text) + 3) // 4


class Index(Protocol):
    """The part of ``scope.WorkspaceIndex`` the gatherer reads."""

    def definitions(self, name: str) -> list[Symbol]: ...
    def references(self, name: str) -> list[Symbol]: ...
    def symbols_in(self, path: str) -> list[Symbol]: ...
    def references_in(self, path: str) -> list[Symbol]: ...


class Reader(Protocol):
    """Workspace files as the gatherer may see them."""

    def __call__(self, path: str) -> str | None:
        """A file's text by relative path; None when it may not be sent or cannot be read."""

    def extent(self, sym: Symbol) -> tuple[int, int]:
        """The first and last line of the whole definition ``sym`` names (the index keeps names)."""


@dataclass(frozen=True, slots=True)
class Piece:
    """Some text of one file: ``kind`` says why it is in the context; lines are 0-based, inclusive."""

    kind: Literal["target", "diff", "changed", "definition", "reference"]
    path: str
    start_line: int
    end_line: int
    text: str
    name: str | None = None

    @property
    def tokens(self) -> int:
        return count_tokens(self.text) + 12  # the heading and fence around it

    @property
    def where(self) -> str:
        if self.kind == "diff":
            return self.path
        if self.start_line == self.end_line:
            return f"{self.path}:{self.start_line + 1}"
        return f"{self.path}:{self.start_line + 1}-{self.end_line + 1}"


@dataclass(frozen=True, slots=True)
class Context:
    """What is sent: the pieces (in priority order) and what was left out, with why."""

    task: Task
    subject: str
    pieces: tuple[Piece, ...]
    left_out: tuple[str, ...] = ()
    language: str | None = None

    @property
    def tokens(self) -> int:
        return sum(p.tokens for p in self.pieces)

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.path for p in self.pieces))


@dataclass(slots=True)
class Budget:
    """Takes pieces in order while they fit; remembers the rest by kind."""

    limit: int
    taken: list[Piece] = field(default_factory=list)
    used: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    #: line ranges taken per file (diffs aside)
    spans: dict[str, list[tuple[int, int]]] = field(default_factory=dict)

    def add(self, piece: Piece) -> bool:
        if self._inside_taken(piece):
            return True
        found = find_secret(piece.text)
        if found is not None:
            self.refused.append(f"{piece.where}: holds {found}; never sent")
            return True
        if self.used + piece.tokens > self.limit:
            self.dropped[piece.kind] = self.dropped.get(piece.kind, 0) + 1
            return False
        if piece.kind != "diff":
            self.spans.setdefault(piece.path, []).append((piece.start_line, piece.end_line))
        self.taken.append(piece)
        self.used += piece.tokens
        return True

    def _inside_taken(self, piece: Piece) -> bool:
        """Already sent: the same lines, or lines inside a piece of the same file already taken."""
        if piece.kind == "diff":
            return any(t.kind == "diff" and t.path == piece.path for t in self.taken)
        spans = self.spans.get(piece.path, ())
        return any(lo <= piece.start_line and piece.end_line <= hi for lo, hi in spans)

    def notes(self) -> tuple[str, ...]:
        words = {"definition": "definitions of names it uses", "reference": "places that use it",
                 "changed": "changed definitions", "diff": "changed files", "target": "the selection"}
        over = [f"{n} {words[k]} (over the {self.limit:,}-token limit)" for k, n in self.dropped.items()]
        return tuple(over) + tuple(self.refused)


def lines_of(text: str, start: int, end: int) -> str:
    rows = text.splitlines(keepends=True)
    return "".join(rows[max(start, 0):end + 1])


def definition_piece(read: Reader, sym: Symbol, kind: Literal["changed", "definition"]) -> Piece | None:
    text = read(sym.path)
    if text is None:
        return None
    start, end = read.extent(sym)
    cut = end - start + 1 > MAX_DEFINITION_LINES
    end = start + MAX_DEFINITION_LINES - 1 if cut else end
    body = lines_of(text, start, end)
    if cut:
        body += "... (cut)\n"
    return Piece(kind, sym.path, start, end, body, sym.name)


def reference_pieces(read: Reader, refs: Iterable[Symbol], skip: Callable[[Symbol], bool]) -> list[Piece]:
    """The lines around each use, windows that touch merged, per file in index order."""
    by_file: dict[str, list[int]] = {}
    names: dict[str, str] = {}
    for ref in refs:
        if skip(ref):
            continue
        by_file.setdefault(ref.path, []).append(ref.span.start.line)
        names[ref.path] = ref.name
    out: list[Piece] = []
    for path, rows in by_file.items():
        text = read(path)
        if text is None:
            continue
        lines = text.splitlines(keepends=True)
        windows: list[list[int]] = []
        for row in sorted(set(rows)):
            lo, hi = row - REFERENCE_CONTEXT_LINES, row + REFERENCE_CONTEXT_LINES
            if windows and lo <= windows[-1][1] + 1:
                windows[-1][1] = max(windows[-1][1], hi)
            else:
                windows.append([max(lo, 0), hi])
        for lo, hi in windows:
            taken = lines[lo:hi + 1]
            if taken:
                out.append(Piece("reference", path, lo, lo + len(taken) - 1, "".join(taken), names[path]))
    return out


def add_names(budget: Budget, read: Reader, index: Index | None, used: Sequence[str],
              own: Sequence[str], inside: Callable[[Symbol], bool]) -> None:
    """Definitions of the names ``used`` (not those ``inside`` the target), then uses of ``own``."""
    if index is None:
        return
    for name in list(dict.fromkeys(used))[:MAX_NAMES]:
        for sym in index.definitions(name):
            if inside(sym):
                continue
            piece = definition_piece(read, sym, "definition")
            if piece is not None:
                budget.add(piece)
    for name in dict.fromkeys(own):
        for piece in reference_pieces(read, index.references(name), inside):
            budget.add(piece)


def explain_context(read: Reader, index: Index | None, *, path: str, text: str, start_line: int,
                    end_line: int, subject: str, name: str | None, limit: int,
                    language: str | None = None) -> Context:
    """The selection or definition at ``path`` lines ``start_line..end_line``, then what it uses and
    who uses it. ``name`` is the definition's name when the target is one."""
    budget = Budget(limit)
    target = Piece("target", path, start_line, end_line, lines_of(text, start_line, end_line), name)
    if not budget.add(target):
        return Context("explain", subject, (), (f"{subject} alone is over the {limit:,}-token limit",),
                       language)

    def inside(sym: Symbol) -> bool:
        return sym.path == path and start_line <= sym.span.start.line <= end_line

    used: list[str] = []
    if index is not None:
        used = [r.name for r in index.references_in(path) if inside(r) and r.name != name]
    add_names(budget, read, index, used, [name] if name else [], inside)
    return Context("explain", subject, tuple(budget.taken), budget.notes(), language)
