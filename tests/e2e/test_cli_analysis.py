"""``codeswitch explain`` and ``codeswitch review`` as subprocesses: the CLI starts the real server, which
calls the loopback emulator over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from analysis_helpers import MINI, git
from test_harness import cli

from codeswitch.cli.analysis import KEYS
from codeswitch.testing import Emulator

GEO = "from units import scale\n\n\ndef area(w, h):\n    return scale(w * h)\n"
UNITS = "def scale(x):\n    return x * 2\n"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "geo.py").write_text(GEO, encoding="utf-8")
    (root / "units.py").write_text(UNITS, encoding="utf-8")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "start")
    return root


async def test_explain_prints_the_markdown_and_progress(tmp_path: Path, ws: Path, emulator: Emulator) -> None:
    run = await cli(tmp_path, emulator, "explain", "ws/geo.py:5")
    assert run.rc == 0, run.err
    assert run.out.startswith("# Explanation: function `area` (geo.py:4)\n")
    assert "## What it relies on" in run.out and "`scale` (units.py:1-2)" in run.out
    assert f"*{MINI} · " in run.out and "in / " in run.out  # the model, then the usage line
    assert "tokens of context" in run.err  # progress on stderr
    assert [r.model for r in emulator.requests] == [MINI]


async def test_explain_json_has_every_key(tmp_path: Path, ws: Path, emulator: Emulator) -> None:
    run = await cli(tmp_path, emulator, "explain", f"{ws / 'geo.py'}:4:5", "--end", "5:24", "--json",
                    "--question", "is it exact?")
    assert run.rc == 0, run.err
    out = run.json()
    assert set(out) == set(KEYS)
    assert (out["task"], out["tier"], out["model"], out["error"]) == ("explain", "analysis", MINI, None)
    assert out["title"] == "Explanation: the selection at geo.py:4-5"
    assert out["usage"]["input_tokens"] > 0 and isinstance(out["usage"]["cost_usd"], float)
    assert "is it exact?" in json.dumps(emulator.requests[0].body)


async def test_review_prints_the_review(tmp_path: Path, ws: Path, emulator: Emulator) -> None:
    (ws / "units.py").write_text(UNITS.replace("x * 2", "x * 3  # TODO: make it configurable"))
    run = await cli(tmp_path, emulator, "review", "--root", str(ws))
    assert run.rc == 0, run.err
    assert run.out.startswith("# Review: changes in 1 file\n")
    assert "**Verdict:** Needs changes." in run.out
    sent = json.dumps(emulator.requests[0].body)
    assert "+    return x * 3" in sent and "def area(w, h)" in sent  # the diff and a caller


async def test_review_without_changes_fails_cleanly(tmp_path: Path, ws: Path, emulator: Emulator) -> None:
    run = await cli(tmp_path, emulator, "review", "--root", str(ws), "--json")
    assert run.rc == 1
    assert run.json()["error"] == {"kind": "no_changes", "message": "no changes against HEAD to review"}
    assert emulator.requests == []


async def test_review_outside_a_repository_says_so(tmp_path: Path, emulator: Emulator) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    run = await cli(tmp_path, emulator, "review", "--root", str(plain))
    assert run.rc == 1
    assert "is not in a git repository" in run.err


async def test_explain_with_a_bad_location_is_a_usage_error(tmp_path: Path, ws: Path,
                                                            emulator: Emulator) -> None:
    run = await cli(tmp_path, emulator, "explain", "ws/geo.py:99", "--json")
    assert run.rc == 2
    error = run.json()["error"]
    assert error["kind"] == "usage" and "line 99 does not exist" in error["message"]
