"""The SQLite ledger: schema, budgets, stats, migration and several processes writing at once."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from codeswitch.catalog import load_catalog
from codeswitch.config import Config
from codeswitch.ledger import SCHEMA_VERSION, Ledger, LedgerError, RequestRow, default_path, start_of_day

CATALOG = load_catalog()


def row(rid: str, model: str = "gpt-5.3-codex", *, tier: str = "function", kind: str = "edit",
        outcome: str = "ok", cost: float | None = 0.01, ts: float = 0.0, tin: int = 1000, tout: int = 100,
        cached: int = 0) -> RequestRow:
    m = CATALOG.get(model)
    return RequestRow(ts=ts, request_id=rid, kind=kind, scope=tier, tier=tier, provider=m.provider,
                      model_key=model, input_tokens=tin, cached_input_tokens=cached, output_tokens=tout,
                      cost_usd=cost, ttft_ms=12.0, total_ms=80.0, outcome=outcome)


def test_default_path_follows_xdg_data_home(hermetic_env: Path) -> None:
    assert default_path() == hermetic_env / "data" / "codeswitch" / "ledger.sqlite3"
    with Ledger() as ledger:
        assert ledger.path.exists()


def test_file_is_wal_with_versioned_schema(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.db") as ledger:
        assert ledger.schema_version() == SCHEMA_VERSION
    db = sqlite3.connect(tmp_path / "l.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_rows_round_trip_and_unknown_price_stays_null(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.db", now=lambda: 5.0) as ledger:
        ledger.record(row("a", ts=1.0), row("b", "gpt-5.3-codex-spark", cost=None, ts=2.0))
        rows = ledger.rows()
        assert [r.request_id for r in rows] == ["a", "b"]
        assert rows[0] == row("a", ts=1.0)
        assert rows[1].cost_usd is None
        raw = ledger.query("SELECT cost_usd FROM requests WHERE request_id = 'b'")
        assert raw == [(None,)]


def test_bad_outcome_is_refused(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.db") as ledger, pytest.raises(ValueError):
        ledger.record(row("a", outcome="maybe"))


def test_nothing_secret_is_stored(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.db") as ledger:
        cols = {c[1] for c in ledger.query("PRAGMA table_info(requests)")}
    assert not cols & {"prompt", "text", "api_key", "key", "output"}


def test_spent_today_counts_since_local_midnight(tmp_path: Path) -> None:
    noon = dt.datetime(2026, 3, 10, 12, 0).astimezone().timestamp()
    yesterday = noon - 86400
    with Ledger(tmp_path / "l.db", now=lambda: noon) as ledger:
        ledger.record(row("old", cost=5.0, ts=yesterday), row("a", cost=0.25, ts=noon - 3600),
                      row("b", cost=None, ts=noon - 60), row("c", cost=0.5, ts=start_of_day(noon)))
        assert ledger.spent_today() == pytest.approx(0.75)
        budget = ledger.budget(Config())
    assert budget.spent_today_usd == pytest.approx(0.75)
    assert budget.daily_usd == Config().budget.daily_usd
    assert budget.per_request_usd == Config().budget.per_request_usd


def test_stats_by_tier_model_acceptance_and_premium(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.db", now=lambda: 100.0) as ledger:
        ledger.record(
            row("i1", "gpt-5.3-codex-spark", tier="inline", kind="inline", cost=None, tin=400, tout=20),
            row("i2", "gpt-5.3-codex-spark", tier="inline", kind="inline", cost=None, tin=400, tout=20),
            row("i3", "gpt-5.3-codex-spark", tier="inline", kind="inline", outcome="fallback", cost=None,
                tin=0, tout=0),
            row("i3", "codestral", tier="inline", kind="inline", cost=0.0002, tin=400, tout=20),
            row("f1", "gpt-5.3-codex", cost=0.0315, tin=10_000, tout=1000, cached=2000),
            row("w1", "claude-opus-4-6", tier="workspace", kind="refactor", cost=0.75, tin=100_000,
                tout=10_000),
            row("c1", "gpt-5.3-codex", outcome="cancelled", cost=0.001, tin=500, tout=10),
        )
        ledger.record_acceptance("i1", "gpt-5.3-codex-spark", 20, True)
        ledger.record_acceptance("i3", "codestral", 7, False)
        stats = ledger.stats(CATALOG, "claude-opus-4-6")
    assert stats.totals.requests == 6 and stats.totals.calls == 7
    tiers = {t.name: t for t in stats.by_tier}
    assert tiers["inline"].requests == 3 and tiers["inline"].calls == 4
    assert tiers["inline"].unknown_cost_calls == 2  # the failed spark call used no tokens
    assert tiers["function"].cost_usd == pytest.approx(0.0325)
    assert tiers["workspace"].cost_usd == pytest.approx(0.75)
    models = {m.name: m for m in stats.by_model}
    spark = models["gpt-5.3-codex-spark"]
    assert (spark.inline_served, spark.accepted, spark.accepted_full) == (2, 1, 1)
    assert spark.acceptance_rate == pytest.approx(0.5)
    assert spark.failed == 1
    assert models["codestral"].acceptance_rate == pytest.approx(1.0)
    assert models["gpt-5.3-codex"].acceptance_rate is None  # no inline completions served
    assert models["gpt-5.3-codex"].cancelled == 1
    premium = stats.premium
    assert premium is not None and premium.model_key == "claude-opus-4-6"
    opus = CATALOG.get("claude-opus-4-6")
    expected = sum(opus.cost_usd(i, o, c) or 0 for i, o, c in
                   [(400, 20, 0)] * 3 + [(10_000, 1000, 2000), (100_000, 10_000, 0)])
    assert premium.premium_only_usd == pytest.approx(expected)
    assert premium.actual_usd == pytest.approx(0.0002 + 0.0315 + 0.75 + 0.001)
    assert premium.unknown_cost_calls == 2
    js = stats.to_json()
    assert js["premium"] is not None and len(js["by_model"]) == 4  # type: ignore[arg-type]


def test_stats_since_filters_and_unknown_premium_is_skipped(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.db") as ledger:
        ledger.record(row("old", ts=1.0), row("new", ts=50.0))
        stats = ledger.stats(CATALOG, "gpt-5.3-codex-spark", since=10.0)
    assert stats.totals.requests == 1
    assert stats.premium is None  # no published price to compare against


def test_migrates_an_empty_file_and_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    sqlite3.connect(path).close()
    with Ledger(path) as ledger:
        assert ledger.schema_version() == SCHEMA_VERSION
        ledger.record(row("a"))
    with Ledger(path) as ledger:  # reopening keeps the data and does not migrate again
        assert len(ledger.rows()) == 1
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(LedgerError, match="newer"):
        Ledger(path)


WRITER = textwrap.dedent(
    """
    import sys
    from codeswitch.ledger import Ledger, RequestRow
    ledger = Ledger(sys.argv[1])
    tag = sys.argv[2]
    for i in range(150):
        ledger.record(RequestRow(ts=float(i), request_id=f"{tag}-{i}", kind="inline", scope="inline",
                                 tier="inline", provider="p", model_key="m", cost_usd=0.001,
                                 outcome="ok"))
        if i % 10 == 0:
            ledger.spent_today()
            ledger.record_acceptance(f"{tag}-{i}", "m", 3, True)
    ledger.close()
    """
)


def test_two_processes_write_concurrently(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), tag], stderr=subprocess.PIPE)
        for tag in ("a", "b")
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    with Ledger(path) as ledger:
        ids = [r.request_id for r in ledger.rows()]
        assert len(ids) == 300 and len(set(ids)) == 300
        assert ledger.query("SELECT COUNT(*) FROM acceptances") == [(30,)]


def test_unreadable_ledger_never_fails_the_request_path(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.db")
    ledger.close()
    assert ledger.spent_today() == 0.0  # budgets degrade to "nothing spent", completions go on
    with pytest.raises(LedgerError):
        ledger.record(row("a"))
    with pytest.raises(LedgerError):
        ledger.rows()
