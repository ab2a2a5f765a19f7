"""The workspace index: who defines and who references a name, in which files.

Built from the tag queries, file by file. ``build`` fills fresh dictionaries and swaps them in
at the end, so it can run in a background thread while requests read the old index; updates
that arrive during a build are replayed on top of the new one.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from codeswitch.diskio import is_regular, read_regular
from codeswitch.limits import MAX_FILE_BYTES  # files larger are not indexed
from codeswitch.secrets import is_secret

from .history import CoChange, read_history
from .ignore import SKIP_DIRS, IgnoreRules, is_virtualenv
from .model import Symbol
from .syntax import SyntaxTree, language_for
from .tags import extract_tags
from .terms import file_name_terms, identifier_terms, terms_of

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class FileTags:
    definitions: tuple[Symbol, ...]
    references: tuple[Symbol, ...]
    #: definitions that are not methods (top-level functions, classes, types)
    outer_count: int = 0
    #: the terms of every name the file defines or uses (see terms.py)
    terms: frozenset[str] = frozenset()
    #: term -> the first lines of the definitions (not methods) whose names have it
    outer_terms: Mapping[str, tuple[int, ...]] = field(default_factory=dict)


def looks_binary(data: bytes) -> bool:
    """A NUL byte in the first 8 KiB, as git decides."""
    return b"\x00" in data[:8192]


#: the symbols of one name in a table: most names have one, kept without a tuple around it
_Entry = Symbol | tuple[Symbol, ...]


def _symbols(entry: _Entry | None) -> tuple[Symbol, ...]:
    if entry is None:
        return ()
    return (entry,) if isinstance(entry, Symbol) else entry


def _group(symbols: Iterable[Symbol]) -> dict[str, _Entry]:
    """name -> its symbols, in order; a large file has tens of thousands of names, used once."""
    out: dict[str, _Entry] = {}
    many: dict[str, list[Symbol]] = {}
    for sym in symbols:
        had = out.setdefault(sym.name, sym)
        if had is not sym:
            group = many.get(sym.name)
            if group is None:
                group = many[sym.name] = [cast(Symbol, had)]  # the first is still bare in out
            group.append(sym)
    for name, syms in many.items():
        out[name] = tuple(syms)
    return out


class _Tables:
    """Per-file tags plus name -> symbols maps; mutated only under the index lock."""

    __slots__ = ("defs", "files", "named", "refs")

    def __init__(self) -> None:
        self.files: dict[str, FileTags] = {}
        self.defs: dict[str, _Entry] = {}
        self.refs: dict[str, _Entry] = {}
        #: term -> the files whose name (or package, for an __init__ / index file) has it
        self.named: dict[str, set[str]] = {}

    def put(self, path: str, tags: FileTags | None) -> None:
        old = self.files.pop(path, None)
        for term in file_name_terms(path):
            holders = self.named.setdefault(term, set())
            if tags is not None:
                holders.add(path)
            else:
                holders.discard(path)
        new_d = _group(tags.definitions) if tags is not None else {}
        new_r = _group(tags.references) if tags is not None else {}
        if tags is not None:
            self.files[path] = tags
        for table, fresh, gone in ((self.defs, new_d, old.definitions if old else ()),
                                   (self.refs, new_r, old.references if old else ())):
            for name in {s.name for s in gone if s.name not in fresh}:
                kept = tuple(s for s in _symbols(table.get(name)) if s.path != path)
                _store(table, name, kept)
            for name, entry in fresh.items():
                had = table.get(name)
                if had is None:
                    table[name] = entry
                else:  # a new entry: readers holding the old one are unaffected
                    _store(table, name, (*(s for s in _symbols(had) if s.path != path), *_symbols(entry)))


def _store(table: dict[str, _Entry], name: str, syms: tuple[Symbol, ...]) -> None:
    if not syms:
        table.pop(name, None)
    else:
        table[name] = syms[0] if len(syms) == 1 else syms


class WorkspaceIndex:
    """Definitions and references of a workspace, kept fresh by the server."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root: Path | None = Path(root).resolve() if root is not None else None
        self.ignore = IgnoreRules()  # .gitignore rules (negations can re-include)
        self.excluded = IgnoreRules()  # the config's exclude patterns: always win
        self._tables = _Tables()
        self._lock = threading.Lock()
        self._pending: dict[str, FileTags | None] | None = None  # updates made during a build
        self.ready = False
        #: how changes spread in this repository's recent history (None outside git)
        self.history: CoChange | None = None

    # --- building --------------------------------------------------------------------------

    def build(self, root: str | Path, exclude: Sequence[str] = (), progress: Progress | None = None) -> int:
        """Index every source file under ``root``; returns how many files were indexed.

        ``exclude`` holds extra gitignore-style patterns (from the config). ``progress(done,
        total)`` is called as files are parsed. Safe to call from a background thread.
        """
        root_path = Path(root).resolve()
        rules = IgnoreRules()
        rules.add_file(root_path / ".git" / "info" / "exclude")  # the repository's local ignores
        excluded = IgnoreRules()
        excluded.add_lines(list(exclude))
        with self._lock:
            self.root = root_path
            self.ignore = rules
            self.excluded = excluded
            self._pending = {}
        files = list(self._walk(root_path, rules, excluded))
        tables = _Tables()
        total = len(files)
        for done, (rel, language) in enumerate(files, 1):
            tags = self._read_and_tag(root_path / rel, rel, language)
            if tags is not None:
                tables.put(rel, tags)
            if progress is not None:
                progress(done, total)
        history = read_history(root_path) if (root_path / ".git").exists() else None
        with self._lock:
            self.history = history
            for rel, tags in (self._pending or {}).items():
                tables.put(rel, tags)
            self._pending = None
            self._tables = tables
            self.ready = True
        return len(tables.files)

    def _walk(self, root: Path, rules: IgnoreRules, excluded: IgnoreRules) -> Iterable[tuple[str, str]]:
        for dirpath, dirnames, filenames in os.walk(root):
            here = Path(dirpath)
            base = here.relative_to(root).as_posix()
            base = "" if base == "." else base
            if ".gitignore" in filenames:
                rules.add_file(here / ".gitignore", base)
            kept = []
            for d in sorted(dirnames):
                rel = f"{base}/{d}" if base else d
                if d in SKIP_DIRS or rules.matches(rel, True) or excluded.matches(rel, True) \
                        or is_virtualenv(here / d):
                    continue
                if (here / d).is_symlink():
                    continue
                kept.append(d)
            dirnames[:] = kept
            for f in sorted(filenames):
                rel = f"{base}/{f}" if base else f
                language = language_for(None, f)
                if language is None or rules.matches(rel, False) or excluded.matches(rel, False):
                    continue
                if not is_regular(here / f):  # a named pipe, socket or device is never opened
                    continue
                if is_secret(here / f, root):  # by name, .codeswitchignore, or a link out of the root
                    continue
                yield rel, language

    @staticmethod
    def _read_and_tag(path: Path, rel: str, language: str) -> FileTags | None:
        try:  # never a named pipe, socket or device: reading one can block forever
            data = read_regular(path, MAX_FILE_BYTES)
        except OSError:
            return None
        if looks_binary(data):
            return None
        return _tag(language, data, rel)

    # --- keeping fresh ---------------------------------------------------------------------

    def relative(self, path: str | Path) -> str:
        """A root-relative "/" path for an absolute or relative path."""
        p = Path(path)
        if p.is_absolute() and self.root is not None:
            try:
                return p.resolve().relative_to(self.root).as_posix()
            except ValueError:
                return p.as_posix()
        return p.as_posix().removeprefix("./")

    def _outside(self, rel: str) -> bool:
        """A path that does not belong to this workspace (never indexed)."""
        return self.root is not None and (rel.startswith(("/", "../")) or rel == ".."
                                          or (len(rel) > 1 and rel[1] == ":"))

    def _put(self, rel: str, tags: FileTags | None) -> None:
        with self._lock:
            if self._pending is not None:
                self._pending[rel] = tags
            self._tables.put(rel, tags)

    def update_text(self, path: str | Path, text: str, language: str | None = None,
                    tree: SyntaxTree | None = None) -> None:
        """Re-index one file from its current text (an open document), replacing what was there."""
        rel = self.relative(path)
        if self._outside(rel):
            return
        language = language or language_for(None, rel)
        data = text.encode("utf-8", errors="surrogatepass")
        if language is None or len(data) > MAX_FILE_BYTES or self._private(rel):
            self._put(rel, None)
            return
        self._put(rel, _tag(language, data, rel, tree))

    def update_file(self, path: str | Path) -> None:
        """Re-read one file from disk (a watched-file change); drops it when gone or ignored."""
        rel = self.relative(path)
        if self._outside(rel):
            return
        language = language_for(None, rel)
        if self.root is None or language is None or self.ignore.ignores(rel) or self.excluded.ignores(rel) \
                or self._private(rel):
            self._put(rel, None)
            return
        self._put(rel, self._read_and_tag(self.root / rel, rel, language))

    def _private(self, rel: str) -> bool:
        """Never listed: a secret, ignored (.codeswitchignore) or excluded file, or a link leading
        out of the root (its name alone can say too much)."""
        if self.root is None:
            return True
        return self.excluded.ignores(rel) or is_secret(self.root / rel, self.root)

    def remove(self, path: str | Path) -> None:
        self._put(self.relative(path), None)

    # --- queries ---------------------------------------------------------------------------

    def definitions(self, name: str) -> list[Symbol]:
        return list(_symbols(self._tables.defs.get(name)))

    def references(self, name: str) -> list[Symbol]:
        return list(_symbols(self._tables.refs.get(name)))

    def files_referencing(self, name: str) -> set[str]:
        return {s.path for s in _symbols(self._tables.refs.get(name))}

    def symbols_in(self, path: str | Path) -> list[Symbol]:
        """Definitions of one file, in source order."""
        tags = self._tables.files.get(self.relative(path))
        return list(tags.definitions) if tags else []

    def definition_count(self, path: str | Path) -> int:
        tags = self._tables.files.get(self.relative(path))
        return len(tags.definitions) if tags else 0

    def outer_definitions_in(self, path: str | Path) -> int:
        """How many definitions of one file are not methods (a cheap size of its outline)."""
        tags = self._tables.files.get(self.relative(path))
        return tags.outer_count if tags else 0

    def terms_in(self, path: str | Path) -> frozenset[str]:
        """The terms of the names one file defines or uses (empty when it is not indexed)."""
        tags = self._tables.files.get(self.relative(path))
        return tags.terms if tags else frozenset()

    def outer_definitions_named(self, path: str | Path, terms: Iterable[str]) -> set[int]:
        """The first lines of one file's definitions (not methods) whose names have one of ``terms``."""
        tags = self._tables.files.get(self.relative(path))
        if tags is None:
            return set()
        return {row for term in terms for row in tags.outer_terms.get(term, ())}

    def files_named(self, term: str) -> int:
        """How many indexed files carry ``term`` in their name (``cookies`` -> ``cookies.py``)."""
        return len(self._tables.named.get(term, ()))

    def references_in(self, path: str | Path) -> list[Symbol]:
        tags = self._tables.files.get(self.relative(path))
        return list(tags.references) if tags else []

    def files(self) -> list[str]:
        with self._lock:  # iterating while an update inserts would fail
            return sorted(self._tables.files)

    def __len__(self) -> int:
        return len(self._tables.files)


def _tag(language: str, data: bytes, rel: str, tree: SyntaxTree | None = None) -> FileTags:
    defs, refs = extract_tags(language, data, rel, tree)
    outer: dict[str, list[int]] = {}
    for d in defs:
        if d.kind != "method":
            for term in identifier_terms(d.name):
                outer.setdefault(term, []).append(d.span.start.line)
    names = {s.name for s in defs}
    names.update(s.name for s in refs)
    return FileTags(tuple(defs), tuple(refs), sum(1 for d in defs if d.kind != "method"), terms_of(names),
                    {t: tuple(rows) for t, rows in outer.items()})

