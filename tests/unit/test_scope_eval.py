"""The evaluation script: skips cleanly without a repository, scores a tiny real git history."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "eval_scope.py"
SHARED = Path(os.environ.get("CODESWITCH_EVAL_DIR", ROOT.parent / "shared" / "eval"))
if not SHARED.is_dir():
    SHARED = Path("/work/shared/eval")


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "CLICK_GIT"}
    environ.update(XDG_CONFIG_HOME=str(tmp_path / "cfg"), XDG_DATA_HOME=str(tmp_path / "data"), **env)
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
                          env=environ, check=False, cwd=tmp_path)


def test_skips_without_a_repository(tmp_path: Path) -> None:
    result = run([], tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("skipped:")
    result = run([], tmp_path, CLICK_GIT=str(tmp_path / "missing.git"))
    assert result.returncode == 0 and result.stdout.startswith("skipped:")


@pytest.mark.skipif(not (SHARED / "score_scope.py").is_file(), reason="shared evaluation scripts absent")
def test_scores_cases_from_a_small_history(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()

    def git(*args: str) -> str:
        env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
        return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True,
                              env=env).stdout.strip()

    git("init", "-q")
    (repo / "lib.py").write_text("def area(w, h):\n    return w * h\n\n\ndef perimeter(w, h):\n"
                                 "    return 2 * (w + h)\n")
    (repo / "use.py").write_text("from lib import area\n\nprint(area(2, 3))\n")
    git("add", "-A")
    git("commit", "-q", "-m", "start")
    parent = git("rev-parse", "HEAD")
    cases = tmp_path / "cases.jsonl"
    rows = [
        {"id": "a", "parent": parent, "file": "lib.py", "label": "function", "kind": "edit",
         "selection": {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 4}},
         "instruction": "round the result"},
        {"id": "b", "parent": parent, "file": "lib.py", "label": "workspace", "kind": "edit",
         "selection": {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 4}},
         "instruction": "add a depth parameter to area"},
    ]
    cases.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = run(["--git", str(repo / ".git"), "--cases", str(cases), "--cache", str(tmp_path / "cache"),
                  "--direct"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "accuracy 100.0%" in result.stdout
    out = [json.loads(line) for line in (tmp_path / "cache" / "results.jsonl").read_text().splitlines()]
    assert [r["scope"] for r in out] == ["function", "workspace"]
    assert out[1]["files"] == ["lib.py", "use.py"]
