"""A malformed config is reported by every command, one line per problem on stderr, not only by doctor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_harness import cli

from codeswitch.testing import Emulator

SPARK, CODEX = "gpt-5.3-codex-spark", "gpt-5.3-codex"
CALC = "def area(w, h):\n    return w\n"
#: three problems: a wrong type, an unknown model, and the chain left empty by it
BAD = '[budget]\ndaily_usd = "lots"\n\n[tiers.function]\nchain = ["gpt-nosuch"]\n'
EDIT = "```\n<<<<<<< SEARCH\n    return w\n=======\n    return w * h\n>>>>>>> REPLACE\n```\n"


@pytest.fixture
def bad_config(tmp_path: Path) -> Path:
    path = tmp_path / "config" / "codeswitch" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text(BAD, encoding="utf-8")
    (tmp_path / "ws" / ".git").mkdir(parents=True)
    (tmp_path / "ws" / "calc.py").write_text(CALC, encoding="utf-8")
    return path


def config_lines(stderr: str, prog: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(f"codeswitch {prog}: config: ")]


def assert_reported(stderr: str, prog: str, config: Path) -> None:
    lines = config_lines(stderr, prog)
    assert len(lines) == 3, stderr
    assert all(str(config) in line for line in lines)
    assert any("budget.daily_usd" in line and "lots" in line for line in lines)
    assert any("unknown model 'gpt-nosuch'" in line for line in lines)


@pytest.mark.parametrize("command", [
    ["scope", "--root", "ws", "--file", "calc.py", "--line", "1", "--character", "12", "--json"],
    ["route", "--root", "ws", "--file", "calc.py", "--line", "1", "--character", "12", "--json"],
    ["stats", "--root", "ws", "--json"],
])
async def test_offline_commands_print_each_problem_on_stderr(tmp_path: Path, bad_config: Path,
                                                             emulator: Emulator, command: list[str]) -> None:
    run = await cli(tmp_path, emulator, *command)
    assert run.rc == 0, run.err
    json.loads(run.out)  # stdout is still only the JSON object
    assert_reported(run.err, command[0], bad_config)


async def test_complete_prints_each_problem_on_stderr(tmp_path: Path, bad_config: Path,
                                                      emulator: Emulator) -> None:
    emulator.script(SPARK, "<FILL> * h</FILL>")
    run = await cli(tmp_path, emulator, "complete", "ws/calc.py:2:13", "--json")
    assert run.rc == 0, run.err
    assert run.json()["items"][0]["insertText"] == " * h"
    assert_reported(run.err, "complete", bad_config)


async def test_edit_prints_each_problem_on_stderr(tmp_path: Path, bad_config: Path,
                                                  emulator: Emulator) -> None:
    emulator.script(CODEX, EDIT)
    run = await cli(tmp_path, emulator, "edit", "ws/calc.py:2", "multiply by h")
    assert run.rc == 0, run.err
    assert "+    return w * h" in run.out
    assert_reported(run.err, "edit", bad_config)


async def test_a_good_config_prints_nothing(tmp_path: Path, emulator: Emulator) -> None:
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "calc.py").write_text(CALC, encoding="utf-8")
    run = await cli(tmp_path, emulator, "scope", "--root", "ws", "--file", "calc.py", "--line", "1",
                    "--character", "12")
    assert run.rc == 0 and run.err == ""
