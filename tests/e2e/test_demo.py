"""``codeswitch demo`` runs to the end offline: the routing table, then an inline completion, a function
edit and a workspace refactor through the harness and the real server, served by three different models
(the loopback emulator plays them), and a cost table from the ledger. ``--fast`` drops the emulated
latency so this stays quick in ``make test``."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
MODELS = {"complete": "gpt-5.3-codex-spark", "edit": "gpt-5.3-codex", "refactor": "claude-opus-4-6"}


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # no keys, no endpoints, and a home the demo must not touch: it brings its own config and ledger
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"))
    return subprocess.run([sys.executable, "-m", "codeswitch", "demo", "--fast", *args], env=env,
                          cwd=tmp_path, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)


def _tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def test_demo_runs_to_the_end_with_three_models_and_a_cost_table(tmp_path: Path) -> None:
    before = _tree_digest(SHOP)
    run = _run(tmp_path)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    out = run.stdout
    # first section: the routing table
    assert "rename X everywhere" in out and "why" in out
    # second section: each request served by its own model, with its diff
    assert "inline request -> gpt-5.3-codex-spark" in out
    assert "function request -> gpt-5.3-codex (" in out and "+    for attempt in range(3):" in out
    assert "workspace request -> claude-opus-4-6" in out and "+def hold_stock(" in out
    assert "applied to 4 files" in out
    # the cost table: one row per request, then the ledger's report with the premium-only comparison
    cost = out[out.index("== Cost"):]
    rows = {line.split()[0]: line.split() for line in cost.splitlines()[1:6] if line and line[0].isalpha()}
    assert {k: rows[k][3] for k in MODELS} == MODELS
    assert "premium-only: the same served requests on claude-opus-4-6 would have cost $" in cost
    assert "tier" in cost and "model" in cost
    # the demo worked on a copy and wrote no ledger or config in the user's home
    assert _tree_digest(SHOP) == before
    assert not (tmp_path / "data").exists() and not (tmp_path / "config").exists()


def test_demo_json_prints_each_request_and_the_stats(tmp_path: Path) -> None:
    run = _run(tmp_path, "--json")
    assert run.returncode == 0, run.stderr[-2000:]
    objects = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    steps = {o["step"]: o for o in objects if "step" in o}
    assert {k: v["model"] for k, v in steps.items()} == MODELS
    assert all(v["error"] is None and v["usage"]["input_tokens"] > 0 for v in steps.values())
    assert steps["edit"]["applied"] is True and steps["refactor"]["applied"] is True
    (stats,) = [o["stats"] for o in objects if "stats" in o]
    assert {m["name"] for m in stats["by_model"]} == set(MODELS.values())
    assert {t["name"] for t in stats["by_tier"]} == {"inline", "function", "workspace"}
    assert stats["premium"]["model_key"] == "claude-opus-4-6"


def test_each_command_line_comes_before_its_progress(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"))
    run = subprocess.run([sys.executable, "-m", "codeswitch", "demo", "--fast"], env=env, cwd=tmp_path,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         stdin=subprocess.DEVNULL, check=False)  # one stream, as a terminal shows it
    assert run.returncode == 0, run.stdout[-3000:]
    lines = run.stdout.splitlines()
    edit = next(i for i, line in enumerate(lines) if line.startswith("$ codeswitch edit "))
    refactor = next(i for i, line in enumerate(lines) if line.startswith("$ codeswitch refactor "))
    edit_progress = next(i for i, line in enumerate(lines) if line.startswith("codeswitch: function "))
    refactor_progress = next(i for i, line in enumerate(lines) if line.startswith("codeswitch: refactor: "))
    assert edit < edit_progress < refactor < refactor_progress, "\n".join(lines)
