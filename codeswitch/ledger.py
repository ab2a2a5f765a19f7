"""The usage ledger: one SQLite file with every model call, its tokens, dollars and latency.

Why SQLite: several editor windows (several server processes) write to the same ledger, and the
budget check needs "dollars spent today" across all of them. WAL mode lets readers and one writer
work at once; a busy timeout makes a writer wait for another process instead of failing. Writes
go through one writer thread (``ledger_writer``): recording a call never waits on the disk or on
another process's lock, and today's spend is kept in memory, so the request path never reads the
file either.

What is stored: one row per model call (an *attempt*: retries, fallbacks and hedged calls are
separate rows sharing the request id), and one row per accepted inline completion. Never a key,
never a prompt, never model output. An unknown price is stored as NULL, never as 0, so "spent" is
a lower bound whose unknown part is counted separately.

Outcomes: ``ok`` (served the request), ``fallback`` (failed; another attempt followed),
``error`` (failed; it was the request's last attempt), ``cancelled`` (the request was cancelled or
a hedged call lost the race; tokens so far are recorded, estimated when the provider had not yet
reported usage).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Literal, TypeAlias

from codeswitch.catalog import Catalog
from codeswitch.config import Config, data_dir
from codeswitch.ledger_stats import ModelStats, PremiumComparison, SpendStats, Stats, read_stats
from codeswitch.ledger_writer import Insert, LedgerWriter
from codeswitch.routing import Budget

Outcome: TypeAlias = Literal["ok", "cancelled", "fallback", "error"]
OUTCOMES: tuple[str, ...] = ("ok", "cancelled", "fallback", "error")
LEDGER_FILE = "ledger.sqlite3"
log = logging.getLogger(__name__)
BUSY_TIMEOUT_MS = 5000


class LedgerError(Exception):
    """The ledger file cannot be used (unreadable, or written by a newer codeswitch)."""


@dataclass(frozen=True, slots=True)
class RequestRow:
    """One model call. Field order is the column order of the ``requests`` table."""

    ts: float
    request_id: str
    kind: str
    scope: str
    tier: str
    provider: str
    model_key: str
    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    ttft_ms: float | None = None
    total_ms: float | None = None
    outcome: str = "ok"
    error_kind: str | None = None
    parent_id: str | None = None
    role: str | None = None
    tokens_estimated: bool = False
    #: prompt tokens written to the provider's prompt cache (part of ``input_tokens``; Anthropic
    #: bills them above the input price)
    cache_write_tokens: int = 0


_COLUMNS = tuple(f.name for f in fields(RequestRow))

# Migration i upgrades the schema from version i to i + 1. Append, never edit a shipped entry.
_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE requests (
        id INTEGER PRIMARY KEY,
        ts REAL NOT NULL,
        request_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        scope TEXT NOT NULL,
        tier TEXT NOT NULL,
        provider TEXT NOT NULL,
        model_key TEXT NOT NULL,
        input_tokens INTEGER NOT NULL DEFAULT 0,
        cached_input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        cost_usd REAL,
        ttft_ms REAL,
        total_ms REAL,
        outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'cancelled', 'fallback', 'error')),
        error_kind TEXT,
        parent_id TEXT,
        role TEXT,
        tokens_estimated INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX requests_ts ON requests (ts);
    CREATE INDEX requests_request_id ON requests (request_id);
    CREATE TABLE acceptances (
        id INTEGER PRIMARY KEY,
        ts REAL NOT NULL,
        request_id TEXT NOT NULL,
        model_key TEXT NOT NULL,
        accepted_chars INTEGER NOT NULL,
        full INTEGER NOT NULL
    );
    CREATE INDEX acceptances_ts ON acceptances (ts);
    """,
    # 2: prompt-cache writes, billed at their own price (rows written before count none)
    "ALTER TABLE requests ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0",
)
SCHEMA_VERSION = len(_MIGRATIONS)


@contextlib.contextmanager
def _as_ledger_error(path: Path) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise LedgerError(f"{path}: {exc}") from None


def default_path() -> Path:
    """``$XDG_DATA_HOME/codeswitch/ledger.sqlite3`` (``~/.local/share/...`` when unset)."""
    return data_dir() / LEDGER_FILE


def start_of_day(ts: float) -> float:
    """Local midnight before `ts`: "today" is the user's day, not UTC's."""
    local = dt.datetime.fromtimestamp(ts).astimezone()
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


class Ledger:
    """A connection to the ledger file; cheap calls, safe to share across threads of one process."""

    def __init__(self, path: str | Path | None = None, *, now: Callable[[], float] = time.time) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.now = now
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._prepare()
            spent = _spent_since(self._db, start_of_day(now()))
        except (OSError, sqlite3.Error) as exc:
            raise LedgerError(f"{self.path}: cannot open the ledger: {exc}") from None
        self._writer = LedgerWriter(self.path, busy_timeout_ms=BUSY_TIMEOUT_MS, now=now,
                                    start_of_day=start_of_day, spent_since=_spent_since, spent_today=spent)

    def _prepare(self) -> None:
        """WAL mode and the schema. Switching the journal mode of a new file takes a lock that SQLite
        does not wait for (it answers "database is locked" at once when another process is creating
        the same ledger): retry until the busy timeout, as every other statement waits."""
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                self._db.execute("PRAGMA journal_mode = WAL")
                self._db.execute("PRAGMA synchronous = NORMAL")
                self._migrate()
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def close(self) -> None:
        """Commit every queued row (see ``LedgerWriter.close``), then close the file."""
        self._writer.close()
        with self._lock:
            self._db.close()

    def flush(self) -> None:
        """Wait until every row recorded so far is in the file (blocks: not for the event loop)."""
        self._writer.flush()

    async def settle(self) -> None:
        """Wait, without blocking the event loop, until every row recorded so far is in the file."""
        await self._writer.settle()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        version = self.schema_version()
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise LedgerError(f"schema version {version} is newer than this codeswitch ({SCHEMA_VERSION})")
        self._db.execute("BEGIN IMMEDIATE")  # another process may be migrating the same file
        try:
            version = self.schema_version()
            for step in range(version, SCHEMA_VERSION):
                for statement in _MIGRATIONS[step].split(";"):
                    if statement.strip():
                        self._db.execute(statement)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def schema_version(self) -> int:
        row = self._db.execute("PRAGMA user_version").fetchone()
        return int(row[0])

    # -- writing ------------------------------------------------------------------------------

    def record(self, *rows: RequestRow) -> None:
        """Append model-call rows in one transaction (a request's attempts land together)."""
        self.record_many(rows)

    def record_many(self, rows: Iterable[RequestRow]) -> None:
        """Queue rows for the writer thread; returns at once (today's spend already counts them)."""
        rows = list(rows)
        values = [tuple(getattr(r, c) for c in _COLUMNS) for r in rows]  # astuple deep-copies: slow
        for row in values:
            if row[_OUTCOME] not in OUTCOMES:
                raise ValueError(f"unknown outcome {row[_OUTCOME]!r}")
        if not values:
            return
        costs = tuple((r.ts, r.cost_usd) for r in rows if r.cost_usd is not None)
        self._put(Insert(_INSERT, values, costs))

    def record_acceptance(self, request_id: str, model_key: str, accepted_chars: int, full: bool) -> None:
        """The user accepted (all or part of) an inline completion served by `model_key`."""
        self._put(Insert(
            "INSERT INTO acceptances (ts, request_id, model_key, accepted_chars, full)"
            " VALUES (?, ?, ?, ?, ?)",
            [(self.now(), request_id, model_key, max(int(accepted_chars), 0), int(bool(full)))]))

    def _put(self, insert: Insert) -> None:
        try:
            self._writer.put(insert)
        except RuntimeError as exc:
            raise LedgerError(f"{self.path}: cannot write: {exc}") from None

    # -- reading ------------------------------------------------------------------------------

    def rows(self, since: float | None = None) -> list[RequestRow]:
        """Model-call rows, oldest first (for tests and exports), this process's queued rows included."""
        self._writer.flush()
        with self._lock, _as_ledger_error(self.path):
            cur = self._db.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM requests WHERE ts >= ? ORDER BY id",
                (since if since is not None else float("-inf"),),
            )
            raw = cur.fetchall()
        out = []
        for r in raw:
            values = list(r)
            values[_ESTIMATED] = bool(values[_ESTIMATED])
            out.append(RequestRow(*values))
        return out

    def spent_today(self) -> float:
        """Dollars of known-price calls since local midnight, across every process using the file.

        Read from memory (this process's calls are counted as they are recorded; other processes'
        as the writer thread last saw them), so it is cheap on the request path and never waits
        on the file; a ledger that cannot be read counts as nothing spent.
        """
        return self._writer.spent_today()

    def budget(self, config: Config) -> Budget:
        """The per-request ceiling and daily limit from `config`, with today's spend filled in."""
        return Budget.from_config(config, self.spent_today())

    def query(self, sql: str, params: Sequence[object] = (), *,
              fresh: bool = True) -> list[tuple[object, ...]]:
        """Run a query and return all rows, after this process's queued rows are written (``fresh``;
        False reads what the file holds now, without waiting for the writer thread)."""
        if fresh:
            self._writer.flush()
        with self._lock, _as_ledger_error(self.path):
            return list(self._db.execute(sql, tuple(params)).fetchall())

    def stats(self, catalog: Catalog, premium_key: str | None, since: float | None = None) -> Stats:
        """Spend by tier and model, acceptance per model, and the premium-only comparison
        (``ledger_stats.read_stats``), after this process's queued rows are written."""
        self._writer.flush()
        with self._lock, _as_ledger_error(self.path):
            return read_stats(self._db, catalog, premium_key, since)


_INSERT = f"INSERT INTO requests ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
_OUTCOME = _COLUMNS.index("outcome")
_ESTIMATED = _COLUMNS.index("tokens_estimated")


def _spent_since(db: sqlite3.Connection, since: float) -> float:
    row = db.execute("SELECT COALESCE(SUM(cost_usd), 0) FROM requests WHERE ts >= ?", (since,)).fetchone()
    return float(row[0])


__all__ = [
    "LEDGER_FILE",
    "SCHEMA_VERSION",
    "Ledger",
    "LedgerError",
    "ModelStats",
    "PremiumComparison",
    "RequestRow",
    "SpendStats",
    "Stats",
    "default_path",
    "start_of_day",
]
