"""What a newcomer meets at the command line: usage errors, odd targets, --help, --version."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_harness import cli

from codeswitch.cli import SUBCOMMANDS, build_parser
from codeswitch.testing import Emulator

CALC = "def area(w, h):\n    return w\n"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / ".git").mkdir(parents=True)
    (root / "calc.py").write_text(CALC, encoding="utf-8")
    (root / ".env").write_text("OPENAI_API_KEY=sk-do-not-send-0000\n", encoding="utf-8")
    (root / "pkg").mkdir()
    return root


@pytest.mark.parametrize("args", [
    ["complete", "--json"],  # argparse: a missing argument
    ["complete", "ws/nosuch.py:1:1", "--json"],
    ["complete", "ws/calc.py:9:1", "--json"],
    ["edit", "ws/calc.py:1", "  ", "--json"],
    ["refactor", "x", "--root", "ws/calc.py", "--json"],
    ["route", "--json"],
    ["scope", "--json"],
    ["stats", "--days", "x", "--json"],
])
async def test_json_usage_errors_print_the_error_object(tmp_path: Path, ws: Path, emulator: Emulator,
                                                        args: list[str]) -> None:
    run = await cli(tmp_path, emulator, *args)
    assert run.rc == 2, run.err
    out = json.loads(run.out)
    assert out["error"]["kind"] == "usage" and out["error"]["message"]
    assert out["error"]["message"].split(": ", 1)[1] in run.err  # what stderr says too


async def test_route_on_a_missing_file_is_a_usage_error(tmp_path: Path, ws: Path, emulator: Emulator) -> None:
    args = ["route", "--root", "ws", "--file", "nosuch.py", "--line", "0", "--character", "0"]
    run = await cli(tmp_path, emulator, *args)
    assert run.rc == 2 and "nosuch.py" in run.err
    as_json = await cli(tmp_path, emulator, *args, "--json")
    assert as_json.rc == 2 and json.loads(as_json.out)["error"]["kind"] == "missing_file"


async def test_complete_on_a_directory_says_it_is_one(tmp_path: Path, ws: Path, emulator: Emulator) -> None:
    run = await cli(tmp_path, emulator, "complete", "ws/pkg:1:1")
    assert run.rc == 2
    assert run.err.strip() == "codeswitch complete: ws/pkg is a directory, not a file"


async def test_complete_on_a_secret_file_says_so(tmp_path: Path, ws: Path, emulator: Emulator) -> None:
    run = await cli(tmp_path, emulator, "complete", "ws/.env:1:1")
    assert run.rc == 1
    assert run.out == ""  # no "? request -> (no model)" line
    said = "codeswitch: .env is a secret or ignored file: its text is never sent to a model"
    assert run.err.strip() == said
    as_json = await cli(tmp_path, emulator, "complete", "ws/.env:1:1", "--json")
    assert as_json.json()["error"]["kind"] == "secret"
    assert emulator.requests == []


async def test_version(tmp_path: Path, emulator: Emulator) -> None:
    run = await cli(tmp_path, emulator, "--version")
    assert run.rc == 0 and re.fullmatch(r"codeswitch \d+\.\d+\.\d+\S*\n", run.out)


def test_help_texts_are_whole_sentences_without_markup() -> None:
    names = [n for n in build_parser()._subparsers._group_actions[0].choices]  # type: ignore[union-attr]
    assert set(SUBCOMMANDS) <= set(names) | {"harness", "analysis"}  # modules adding several commands
    for name in ["", *names]:
        done = subprocess.run([sys.executable, "-m", "codeswitch", *([name] if name else []), "--help"],
                              capture_output=True, text=True, check=True)
        assert "``" not in done.stdout, name
        description = done.stdout.split("\n\n")[1].replace("\n", " ")
        assert description.rstrip().endswith("."), (name, description)


async def test_route_calls_its_price_a_ceiling(tmp_path: Path, ws: Path, emulator: Emulator) -> None:
    run = await cli(tmp_path, emulator, "route", "--root", "ws", "--file", "calc.py", "--line", "1",
                    "--character", "4", "--kind", "edit", "--instruction", "fix this")
    assert run.rc == 0, run.err
    chain = [line for line in run.out.splitlines() if ". gpt-5.3-codex " in line]
    assert chain and "(at most $" in chain[0]
