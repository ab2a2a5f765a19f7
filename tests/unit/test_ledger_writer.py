"""The ledger's writer thread: recording never waits on another process's lock, nothing is lost,
today's spend is kept in memory and follows other processes' writes; old files are migrated."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from test_ledger import row

from codeswitch.ledger import SCHEMA_VERSION, Ledger

HOLD_LOCK = textwrap.dedent(
    """
    import sqlite3, sys
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    print("locked", flush=True)
    sys.stdin.readline()
    db.execute("COMMIT")
    """
)


def test_recording_returns_while_another_process_holds_the_lock_and_nothing_is_lost(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    now = time.time()
    with Ledger(path) as ledger:
        with subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True) as holder:
            _record_while_locked(ledger, holder, now)
        assert [r.request_id for r in ledger.rows()] == ["a", "b"]  # rows() waits for the writer
        assert ledger.query("SELECT COUNT(*) FROM acceptances") == [(1,)]
        assert ledger.spent_today() == pytest.approx(0.75)  # committed: still counted once


def _record_while_locked(ledger: Ledger, holder: subprocess.Popen[str], now: float) -> None:
    assert holder.stdout is not None and holder.stdin is not None
    assert holder.stdout.readline() == "locked\n"
    try:
        ledger.record(row("a", cost=0.25, ts=now), row("b", cost=0.5, ts=now))  # returns at once
        ledger.record_acceptance("a", "gpt-5.3-codex", 3, True)
        assert ledger.spent_today() == pytest.approx(0.75)  # counted before it reached the file
        assert ledger.query("SELECT COUNT(*) FROM requests", fresh=False) == [(0,)]
        assert holder.poll() is None  # still locked: the rows are queued, not lost
    finally:
        holder.stdin.write("go\n")
        holder.stdin.flush()
        holder.wait()


def test_todays_spend_follows_another_process(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    now = time.time()
    with Ledger(path) as mine, Ledger(path) as other:
        mine.record(row("mine", cost=0.25, ts=now))
        other.record(row("theirs", cost=1.0, ts=now))
        other.flush()
        mine.spent_today()  # asks the writer thread to look for other writers ...
        mine.flush()  # ... which it has done once everything queued before is handled
        assert mine.spent_today() == pytest.approx(1.25)


def test_closing_commits_what_was_queued(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    ledger = Ledger(path)
    ledger.record(*(row(f"r{i}") for i in range(50)))
    ledger.close()
    db = sqlite3.connect(path)
    assert db.execute("SELECT COUNT(*) FROM requests").fetchone() == (50,)
    db.close()


V1_REQUESTS = """
    CREATE TABLE requests (
        id INTEGER PRIMARY KEY, ts REAL NOT NULL, request_id TEXT NOT NULL, kind TEXT NOT NULL,
        scope TEXT NOT NULL, tier TEXT NOT NULL, provider TEXT NOT NULL, model_key TEXT NOT NULL,
        input_tokens INTEGER NOT NULL DEFAULT 0, cached_input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0, cost_usd REAL, ttft_ms REAL, total_ms REAL,
        outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'cancelled', 'fallback', 'error')),
        error_kind TEXT, parent_id TEXT, role TEXT, tokens_estimated INTEGER NOT NULL DEFAULT 0);
    CREATE INDEX requests_ts ON requests (ts);
    CREATE INDEX requests_request_id ON requests (request_id);
    CREATE TABLE acceptances (id INTEGER PRIMARY KEY, ts REAL NOT NULL, request_id TEXT NOT NULL,
        model_key TEXT NOT NULL, accepted_chars INTEGER NOT NULL, full INTEGER NOT NULL);
    CREATE INDEX acceptances_ts ON acceptances (ts);
    INSERT INTO requests (ts, request_id, kind, scope, tier, provider, model_key, input_tokens,
        output_tokens, cost_usd, outcome) VALUES (1.0, 'old', 'edit', 'function', 'function', 'openai',
        'gpt-5.3-codex', 1000, 100, 0.01, 'ok');
    INSERT INTO acceptances (ts, request_id, model_key, accepted_chars, full)
        VALUES (1.0, 'old', 'gpt-5.3-codex', 4, 1);
    PRAGMA user_version = 1;
"""


def test_a_ledger_without_the_cache_write_column_is_migrated_keeping_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(V1_REQUESTS)
    db.close()
    with Ledger(path) as ledger:
        assert ledger.schema_version() == SCHEMA_VERSION == 2
        [old] = ledger.rows()
        assert (old.request_id, old.cost_usd, old.cache_write_tokens) == ("old", 0.01, 0)
        ledger.record(row("new", model="claude-opus-4-6", ts=2.0))
        assert [r.request_id for r in ledger.rows()] == ["old", "new"]
        assert ledger.query("SELECT COUNT(*) FROM acceptances") == [(1,)]
