"""`codeswitch stats`: text and JSON reports from the ledger in the user data dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from codeswitch.cli import main
from codeswitch.ledger import Ledger, RequestRow, default_path


def seed(path: Path) -> None:
    now = time.time()
    rows = [
        RequestRow(now, "i1", "inline", "inline", "inline", "openai", "gpt-5.3-codex-spark", 400, 0, 20, None,
                   40.0, 90.0, "ok"),
        RequestRow(now, "i2", "inline", "inline", "inline", "mistral", "codestral", 400, 0, 20, 0.000138,
                   30.0, 60.0, "ok"),
        RequestRow(now, "f1", "edit", "function", "function", "openai", "gpt-5.3-codex", 10_000, 0, 1000,
                   0.0315, 600.0, 7000.0, "ok"),
        RequestRow(now - 10 * 86400, "old", "edit", "function", "function", "openai", "gpt-5.3-codex", 10, 0,
                   10, 1.0, 1.0, 2.0, "ok"),
    ]
    with Ledger(path) as ledger:
        ledger.record(*rows)
        ledger.record_acceptance("i1", "gpt-5.3-codex-spark", 20, True)


def test_text_report(hermetic_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed(default_path())
    assert main(["stats", "--root", str(hermetic_env)]) == 0
    out = capsys.readouterr().out
    assert "requests: 4" in out and "(+1 call at unknown prices)" in out
    assert "gpt-5.3-codex-spark" in out and "100.0%" in out
    assert "premium-only: the same served requests on claude-opus-4-6 would have cost" in out


def test_json_report_with_days_filter(hermetic_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed(default_path())
    assert main(["stats", "--root", str(hermetic_env), "--json", "--days", "1"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["totals"]["requests"] == 3
    assert data["totals"]["cost_usd"] == pytest.approx(0.031638)
    tiers = {t["name"]: t for t in data["by_tier"]}
    assert set(tiers) == {"inline", "function"} and tiers["inline"]["unknown_cost_calls"] == 1
    models = {m["name"]: m for m in data["by_model"]}
    assert models["gpt-5.3-codex-spark"]["acceptance_rate"] == 1.0
    assert models["codestral"]["acceptance_rate"] == 0.0
    assert data["premium"]["model_key"] == "claude-opus-4-6"
    assert data["premium"]["premium_only_usd"] > data["premium"]["actual_usd"]


def test_no_ledger_yet_reports_zero_without_creating_it(
    hermetic_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["stats", "--root", str(hermetic_env)]) == 0
    assert "no requests recorded yet" in capsys.readouterr().out
    assert not default_path().exists()


def test_bad_days_is_an_argument_error(hermetic_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "--days", "0"]) == 2
    assert "--days must be positive" in capsys.readouterr().err


def test_as_a_subprocess(hermetic_env: Path) -> None:
    seed(default_path())
    cmd = [sys.executable, "-m", "codeswitch", "stats", "--json", "--root", str(hermetic_env)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ), timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["totals"]["calls"] == 4


def test_a_team_run_is_one_user_request_of_many_model_calls(hermetic_env: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    now = time.time()
    rows = [RequestRow(now, f"call-{i}", "refactor", "workspace", "workspace", "anthropic", "claude-opus-4-6",
                       1000, 0, 100, 0.01, 500.0, 900.0, "ok", parent_id="run-1",
                       role="lead" if i < 3 else f"teammate-{i % 3}") for i in range(9)]
    rows.append(RequestRow(now, "edit-1", "edit", "function", "function", "openai", "gpt-5.3-codex", 1000, 0,
                           100, 0.002, 500.0, 900.0, "ok"))
    with Ledger(default_path()) as ledger:
        ledger.record(*rows)
    assert main(["stats", "--root", str(hermetic_env), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["totals"]["requests"] == 2 and data["totals"]["calls"] == 10
    workspace = next(t for t in data["by_tier"] if t["name"] == "workspace")
    assert workspace["requests"] == 1 and workspace["calls"] == 9
    assert main(["stats", "--root", str(hermetic_env)]) == 0
    assert "requests: 2   model calls: 10" in capsys.readouterr().out
