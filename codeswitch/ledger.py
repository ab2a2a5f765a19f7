"""The usage ledger: one SQLite file with every model call, its tokens, dollars and latency.

Why SQLite: several editor windows (several server processes) write to the same ledger, and the
budget check needs "dollars spent today" across all of them. WAL mode lets readers and one writer
work at once; a busy timeout makes a writer wait for another process instead of failing.

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
from dataclasses import asdict, astuple, dataclass, fields
from pathlib import Path
from typing import Any, Literal, TypeAlias

from codeswitch.catalog import Catalog
from codeswitch.config import Config, data_dir
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
        except (OSError, sqlite3.Error) as exc:
            raise LedgerError(f"{self.path}: cannot open the ledger: {exc}") from None

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
        with self._lock:
            self._db.close()

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
        values = [astuple(r) for r in rows]
        for row in values:
            if row[_COLUMNS.index("outcome")] not in OUTCOMES:
                raise ValueError(f"unknown outcome {row[_COLUMNS.index('outcome')]!r}")
        if not values:
            return
        sql = f"INSERT INTO requests ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    self._db.executemany(sql, values)
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise LedgerError(f"{self.path}: cannot write: {exc}") from None

    def record_acceptance(self, request_id: str, model_key: str, accepted_chars: int, full: bool) -> None:
        """The user accepted (all or part of) an inline completion served by `model_key`."""
        with self._lock, _as_ledger_error(self.path):
            self._db.execute(
                "INSERT INTO acceptances (ts, request_id, model_key, accepted_chars, full)"
                " VALUES (?, ?, ?, ?, ?)",
                (self.now(), request_id, model_key, max(int(accepted_chars), 0), int(bool(full))),
            )

    # -- reading ------------------------------------------------------------------------------

    def rows(self, since: float | None = None) -> list[RequestRow]:
        """Model-call rows, oldest first (for tests and exports)."""
        with self._lock, _as_ledger_error(self.path):
            cur = self._db.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM requests WHERE ts >= ? ORDER BY id",
                (since if since is not None else float("-inf"),),
            )
            raw = cur.fetchall()
        out = []
        for r in raw:
            values = list(r)
            values[-1] = bool(values[-1])
            out.append(RequestRow(*values))
        return out

    def spent_today(self) -> float:
        """Dollars of known-price calls since local midnight, across every process using the file.

        Called on the request path (budgets), so a ledger that cannot be read logs a warning and
        counts as nothing spent instead of failing the completion.
        """
        try:
            with self._lock:
                row = self._db.execute(
                    "SELECT COALESCE(SUM(cost_usd), 0) FROM requests WHERE ts >= ?",
                    (start_of_day(self.now()),),
                ).fetchone()
        except sqlite3.Error as exc:
            log.warning("%s: cannot read today's spend: %s", self.path, exc)
            return 0.0
        return float(row[0])

    def budget(self, config: Config) -> Budget:
        """The per-request ceiling and daily limit from `config`, with today's spend filled in."""
        return Budget.from_config(config, self.spent_today())

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        """Run a query and return all rows (for tests and diagnostics)."""
        with self._lock, _as_ledger_error(self.path):
            return list(self._db.execute(sql, tuple(params)).fetchall())

    def stats(self, catalog: Catalog, premium_key: str | None, since: float | None = None) -> Stats:
        """Spend by tier and model, acceptance per model, and the premium-only comparison.

        `premium_key` is the model every request is priced against ("what if everything had gone
        to the workspace tier's primary model"); None or a model without a price skips it.
        Aggregation happens in SQL, so a year of keystrokes costs one indexed scan.
        """
        lo = since if since is not None else float("-inf")
        with self._lock, _as_ledger_error(self.path):
            (total,) = self._db.execute(f"SELECT 'all', {_SUMS} FROM requests WHERE ts >= ?", (lo,))
            tiers = self._db.execute(
                f"SELECT tier, {_SUMS} FROM requests WHERE ts >= ? GROUP BY tier ORDER BY tier", (lo,)
            ).fetchall()
            agents = self._db.execute(
                f"SELECT role, {_SUMS} FROM requests WHERE ts >= ? AND role IS NOT NULL"
                " GROUP BY role ORDER BY role", (lo,)
            ).fetchall()
            models = {r[0]: r for r in self._db.execute(
                f"SELECT model_key, {_SUMS}, COUNT(DISTINCT CASE WHEN outcome = 'ok' AND kind = 'inline'"
                " THEN request_id END) FROM requests WHERE ts >= ? GROUP BY model_key", (lo,))}
            accepted = {r[0]: r[1:] for r in self._db.execute(
                "SELECT model_key, COUNT(DISTINCT request_id), SUM(full), SUM(accepted_chars)"
                " FROM acceptances WHERE ts >= ? GROUP BY model_key", (lo,))}
            served = self._db.execute(
                "SELECT COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0),"
                " COALESCE(SUM(MIN(cached_input_tokens, input_tokens)), 0)"
                " FROM requests WHERE ts >= ? AND outcome = 'ok'", (lo,)).fetchone()
        by_model = []
        for key in sorted(set(models) | set(accepted)):
            row = models.get(key) or (key, 0, 0, 0, 0, 0, 0, 0, 0.0, 0, 0)
            n, full, chars = accepted.get(key, (0, 0, 0))
            inline_served = int(row[-1])
            rate = min(n / inline_served, 1.0) if inline_served else None
            by_model.append(ModelStats(*_spend(row[:-1]), inline_served, int(n), int(full or 0),
                                       int(chars or 0), rate))
        totals = SpendStats(*_spend(total))
        premium = catalog.models.get(premium_key) if premium_key else None
        comparison = None
        if premium is not None and premium.price_known:
            inp, out, cached = (int(x) for x in served)
            comparison = PremiumComparison(premium.key, round(premium.cost_usd(inp, out, cached) or 0.0, 6),
                                           totals.cost_usd, totals.unknown_cost_calls)
        return Stats(since, totals, tuple(SpendStats(*_spend(t)) for t in tiers), tuple(by_model), comparison,
                     tuple(SpendStats(*_spend(a)) for a in agents))


# The aggregate columns behind SpendStats, in its field order after `name`.
# A user request is counted once: the agent team's calls each have their own request_id but share
# the run's id as parent_id.
_SUMS = (
    "COUNT(DISTINCT COALESCE(parent_id, request_id)), COUNT(*), COALESCE(SUM(outcome = 'ok'), 0),"
    " COALESCE(SUM(outcome IN ('fallback', 'error')), 0), COALESCE(SUM(outcome = 'cancelled'), 0),"
    " COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0), COALESCE(SUM(cost_usd), 0.0),"
    " COALESCE(SUM(cost_usd IS NULL AND (input_tokens > 0 OR output_tokens > 0)), 0)"
)


def _spend(row: Sequence[Any]) -> tuple[str, int, int, int, int, int, int, int, float, int]:
    """One aggregate row (name + _SUMS) as SpendStats arguments."""
    name, requests, calls, ok, failed, cancelled, tin, tout, cost, unknown = row
    return (str(name), int(requests), int(calls), int(ok), int(failed), int(cancelled), int(tin), int(tout),
            round(float(cost), 6), int(unknown))


@dataclass(frozen=True, slots=True)
class SpendStats:
    """Counts and dollars for one tier (or all rows). `cost_usd` covers known prices only;
    `unknown_cost_calls` counts calls that used tokens at an unpublished price."""

    name: str
    requests: int
    calls: int
    served: int
    failed: int
    cancelled: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    unknown_cost_calls: int


@dataclass(frozen=True, slots=True)
class ModelStats(SpendStats):
    """SpendStats for one model plus inline acceptance: accepted / inline completions served."""

    inline_served: int = 0
    accepted: int = 0
    accepted_full: int = 0
    accepted_chars: int = 0
    acceptance_rate: float | None = None


@dataclass(frozen=True, slots=True)
class PremiumComparison:
    """What the served calls would have cost on `model_key` alone, next to what they did cost.

    The actual figure omits `unknown_cost_calls` (unpublished prices), so a saving computed while
    that count is non-zero is an upper bound.
    """

    model_key: str
    premium_only_usd: float
    actual_usd: float
    unknown_cost_calls: int


@dataclass(frozen=True, slots=True)
class Stats:
    since: float | None
    totals: SpendStats
    by_tier: tuple[SpendStats, ...]
    by_model: tuple[ModelStats, ...]
    premium: PremiumComparison | None
    #: spend per agent of the workspace team (the ``role`` column: lead, teammate 1, ...)
    by_agent: tuple[SpendStats, ...] = ()

    def to_json(self) -> dict[str, object]:
        """Plain JSON (the `codeswitch stats --json` output and the `codeswitch/stats` result).

        ``by_agent`` is present only when the ledger holds agent-team calls.
        """
        out: dict[str, object] = {
            "since": self.since,
            "totals": asdict(self.totals),
            "by_tier": [asdict(t) for t in self.by_tier],
            "by_model": [asdict(m) for m in self.by_model],
            "premium": asdict(self.premium) if self.premium is not None else None,
        }
        if self.by_agent:
            out["by_agent"] = [asdict(a) for a in self.by_agent]
        return out
