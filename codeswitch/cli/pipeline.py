"""The offline scope + routing pipeline shared by ``codeswitch scope``, ``route`` and ``demo``.

A case (root, file, LSP range, instruction, kind) is read from disk into a Snapshot, estimated
against a workspace index and routed. Nothing here talks to a provider. Bad cases raise
``CaseError`` with a machine-readable kind, so a batch can report them and go on.

Indexes are cached per root and filled lazily: a batch over many checkouts of one project must
not parse every file of every checkout. ``LazyIndex`` indexes the file being asked about, and a
name's definitions and references only from the files whose bytes contain that name.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from codeswitch.catalog import Catalog, load_catalog
from codeswitch.config import Config, ConfigProblem, ProviderConfig, available_providers, load_config
from codeswitch.diskio import read_regular
from codeswitch.documents import Pos, PositionError, Snapshot, Span
from codeswitch.limits import MAX_FILE_BYTES
from codeswitch.routing import Budget, Health, RouteDecision, route
from codeswitch.scope import Scope, ScopeRequest, Symbol, WorkspaceIndex, estimate_scope
from codeswitch.scope.ignore import IgnoreRules
from codeswitch.scope.syntax import language_for
from codeswitch.scope_report import KINDS


class CaseError(Exception):
    """A case that cannot be evaluated; ``kind`` is stable for scripts, the message for people."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True, slots=True)
class Case:
    """One request: LSP positions (0-based line, UTF-16 character), path relative to ``root``."""

    root: str
    file: str
    start: tuple[int, int]
    end: tuple[int, int]
    instruction: str | None = None
    kind: str = "auto"
    id: str | None = None


@dataclass(frozen=True, slots=True)
class Routed:
    """What the pipeline produced for one case."""

    case: Case
    snapshot: Snapshot
    scope: Scope
    decision: RouteDecision
    keys_assumed: bool


def _position(obj: object, what: str) -> tuple[int, int]:
    if not isinstance(obj, Mapping):
        raise CaseError("bad_case", f"{what} must be an object with line and character")
    line, char = obj.get("line"), obj.get("character")
    if any(not isinstance(v, int) or isinstance(v, bool) for v in (line, char)):
        raise CaseError("bad_case", f"{what}.line and {what}.character must be integers")
    return line, char  # type: ignore[return-value]


def parse_case(obj: object) -> Case:
    """A Case from one ``--batch`` line (already JSON-decoded); unknown fields are ignored."""
    if not isinstance(obj, Mapping):
        raise CaseError("bad_case", "a case must be a JSON object")
    for name in ("root", "file"):
        if not isinstance(obj.get(name), str) or not obj[name]:
            raise CaseError("bad_case", f"missing or empty {name!r}")
    selection = obj.get("selection")
    if not isinstance(selection, Mapping):
        raise CaseError("bad_case", "missing 'selection' with start and end")
    start = _position(selection.get("start"), "selection.start")
    end = _position(selection.get("end", selection.get("start")), "selection.end")
    instruction = obj.get("instruction")
    if instruction is not None and not isinstance(instruction, str):
        raise CaseError("bad_case", "'instruction' must be a string")
    kind = obj.get("kind") or "auto"
    if kind not in KINDS:
        raise CaseError("bad_case", f"'kind' must be one of {', '.join(KINDS)}, not {kind!r}")
    case_id = obj.get("id")
    return Case(str(obj["root"]), str(obj["file"]), start, end, instruction or None, str(kind),
                None if case_id is None else str(case_id))


class LazyIndex(WorkspaceIndex):
    """A WorkspaceIndex that parses files only when a query needs them.

    The file list is walked once, by the full index's own walk (VCS and build directories,
    virtualenvs, ``.gitignore``, secret files and the size cap); each file's bytes are read once.
    A query for a name first indexes every not-yet-indexed file whose bytes contain the name, so
    answers equal those of a fully built index for that name.
    """

    def __init__(self, root: str | Path, exclude: tuple[str, ...] = ()) -> None:
        super().__init__(root)
        self._exclude = exclude
        self._sources: dict[str, bytes] | None = None
        self._indexed: set[str] = set()
        self._names: set[str] = set()

    def _load(self) -> dict[str, bytes]:
        if self._sources is None:
            assert self.root is not None
            rules = IgnoreRules()
            rules.add_file(self.root / ".git" / "info" / "exclude")
            excluded = IgnoreRules()
            excluded.add_lines(list(self._exclude))
            self.ignore, self.excluded = rules, excluded
            # the full index's walk: same skips, same secret files left out, same size cap
            self._sources = {rel: data for rel, _language in self._walk(self.root, rules, excluded)
                             if (data := _read_source(self.root / rel)) is not None}
        return self._sources

    def _ensure_file(self, rel: str) -> None:
        self._load()  # sets the ignore rules update_file consults
        if rel not in self._indexed:
            self._indexed.add(rel)
            self.update_file(rel)

    def _ensure(self, name: str) -> None:
        if name in self._names:
            return
        self._names.add(name)
        needle = name.encode("utf-8", errors="surrogatepass")
        for rel, data in self._load().items():
            if rel not in self._indexed and needle in data:
                self._ensure_file(rel)

    def definitions(self, name: str) -> list[Symbol]:
        self._ensure(name)
        return super().definitions(name)

    def references(self, name: str) -> list[Symbol]:
        self._ensure(name)
        return super().references(name)

    def files_referencing(self, name: str) -> set[str]:
        self._ensure(name)
        return super().files_referencing(name)

    def symbols_in(self, path: str | Path) -> list[Symbol]:
        self._ensure_file(self.relative(path))
        return super().symbols_in(path)

    def references_in(self, path: str | Path) -> list[Symbol]:
        self._ensure_file(self.relative(path))
        return super().references_in(path)

    def files(self) -> list[str]:
        return sorted(self._load())

    def __len__(self) -> int:
        return len(self._load())


def _read_source(path: Path) -> bytes | None:
    try:
        return read_regular(path, MAX_FILE_BYTES)
    except OSError:
        return None


class Pipeline:
    """Evaluates cases; caches one config per workspace root and the recent roots' lazy indexes."""

    max_indexes = 8

    def __init__(self, env: Mapping[str, str] | None = None, catalog: Catalog | None = None,
                 init_options: Mapping[str, object] | None = None,
                 on_problems: Callable[[list[ConfigProblem]], None] | None = None) -> None:
        self.env = os.environ if env is None else env
        self.catalog = catalog or load_catalog()
        self.init_options = init_options
        self.on_problems = on_problems  # called once per root whose config has problems
        self._configs: dict[Path, tuple[Config, list[ConfigProblem]]] = {}
        self._indexes: dict[Path, LazyIndex] = {}
        self._keys: dict[tuple[tuple[str, ProviderConfig], ...], tuple[frozenset[str], bool]] = {}

    def config_for(self, root: Path) -> tuple[Config, list[ConfigProblem]]:
        if root not in self._configs:
            self._configs[root] = load_config(root, self.init_options, env=self.env, catalog=self.catalog)
            if self._configs[root][1] and self.on_problems is not None:
                self.on_problems(self._configs[root][1])
        return self._configs[root]

    def keys_for(self, config: Config) -> tuple[frozenset[str], bool]:
        """Providers with keys; when no remote provider has one, all of them (a "what would
        happen" route) and True, so the output can say the keys were assumed. Cached per provider
        settings, so an ``api_key_cmd`` runs once per batch, not once per case."""
        settings = tuple(sorted(config.providers.items()))
        if settings not in self._keys:
            self._keys[settings] = self._resolve_keys(config)
        return self._keys[settings]

    def _resolve_keys(self, config: Config) -> tuple[frozenset[str], bool]:
        keys = available_providers(config, self.env)
        if any(not config.providers[name].local for name in keys):
            return keys, False
        return frozenset(config.providers), True

    def index_for(self, root: Path) -> LazyIndex:
        """The root's index, most recently used first; only a few are kept, because a batch over
        many checkouts would otherwise hold every checkout's sources in memory."""
        index = self._indexes.pop(root, None)
        if index is None:
            config, _ = self.config_for(root)
            index = LazyIndex(root, config.exclude)
        self._indexes[root] = index
        while len(self._indexes) > self.max_indexes:
            del self._indexes[next(iter(self._indexes))]
        return index

    def snapshot(self, case: Case) -> Snapshot:
        root = Path(case.root)
        if not root.is_dir():
            raise CaseError("bad_root", f"workspace root {case.root!r} is not a directory")
        path = Path(case.file) if Path(case.file).is_absolute() else root / case.file
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                raise CaseError("file_too_large", f"{case.file}: {size} bytes, more than {MAX_FILE_BYTES}")
            data = path.read_bytes()
        except IsADirectoryError:
            raise CaseError("bad_file", f"{case.file} is a directory") from None
        except OSError as exc:
            raise CaseError("missing_file", f"{case.file}: {exc.strerror or 'cannot read'}") from None
        if b"\x00" in data[:8192]:
            raise CaseError("binary_file", f"{case.file} looks binary")
        language = language_for(None, path)
        if language is None:
            raise CaseError("unknown_language", f"{case.file}: no grammar for this file type")
        text = data.decode("utf-8", errors="replace")
        resolved = path.resolve()
        return Snapshot.from_text(text, path=resolved, uri=resolved.as_uri(), language_id=language,
                                  encoding="utf-16")

    def _pos(self, snapshot: Snapshot, where: tuple[int, int], what: str) -> Pos:
        line, char = where
        if line < 0 or char < 0:
            raise CaseError("bad_position", f"{what} {line}:{char} is negative")
        try:
            return snapshot.to_pos(line, char)
        except PositionError as exc:
            raise CaseError("bad_position", f"{what} {line}:{char}: {exc}") from None

    def run(self, case: Case, *, health: Health | None = None, spent_today_usd: float = 0.0) -> Routed:
        """Estimate and route one case; raises CaseError for bad input."""
        snapshot = self.snapshot(case)
        start = self._pos(snapshot, case.start, "start")
        end = self._pos(snapshot, case.end, "end")
        if (end.line, end.col) < (start.line, start.col):
            start, end = end, start
        root = Path(case.root).resolve()
        config, _ = self.config_for(root)
        index = None if case.kind == "inline" else self.index_for(root)
        if index is not None:
            index.symbols_in(snapshot.path or case.file)
        request = ScopeRequest(case.kind, Span(start, end), case.instruction)  # type: ignore[arg-type]
        scope = estimate_scope(snapshot, request, index, under_penalty=config.scope.under_penalty)
        keys, assumed = self.keys_for(config)
        decision = route(scope, config, self.catalog, health or Health(),
                         Budget.from_config(config, spent_today_usd), keys)
        return Routed(case, snapshot, scope, decision, assumed)
