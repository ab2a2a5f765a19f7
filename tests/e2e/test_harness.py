"""The headless harness end to end: ``python -m codeswitch complete|edit|refactor`` as a subprocess,
which starts the real server over stdio, which calls the loopback emulator over real HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from codeswitch.testing import Emulator

SPARK = "gpt-5.3-codex-spark"
MINI = "gpt-5.1-codex-mini"
CALC = "def area(w, h):\n    return w\n"
COMPLETE_KEYS = {"scope", "tier", "model", "items", "usage", "fallbacks", "error"}


@dataclass(frozen=True)
class Run:
    rc: int
    out: str
    err: str

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.out)
        return data


def cli_env(tmp: Path, emulator: Emulator) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env.update(XDG_CONFIG_HOME=str(tmp / "config"), XDG_DATA_HOME=str(tmp / "data"),
               OPENAI_API_KEY="sk-test-harness-0000", ANTHROPIC_API_KEY="sk-ant-test-harness-0000",
               OPENAI_BASE_URL=emulator.base_url("openai_responses"),
               ANTHROPIC_BASE_URL=emulator.base_url("anthropic"))
    return env


async def cli(tmp: Path, emulator: Emulator, *args: str) -> Run:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "codeswitch", *args, cwd=tmp, env=cli_env(tmp, emulator),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode is not None
    run = Run(proc.returncode, out.decode(), err.decode())
    assert "Traceback" not in run.err and "Traceback" not in run.out
    return run


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / ".git").mkdir(parents=True)
    (root / "calc.py").write_text(CALC, encoding="utf-8")
    return root


# --- complete --------------------------------------------------------------------------------------

async def test_complete_prints_the_suggestion_after_the_cursor(tmp_path: Path, ws: Path,
                                                               emulator: Emulator) -> None:
    emulator.script(SPARK, "<FILL> * h</FILL>")
    run = await cli(tmp_path, emulator, "complete", "ws/calc.py:2:13")
    assert run.rc == 0, run.err
    assert "    return w * h" in run.out and SPARK in run.out
    assert [r.model for r in emulator.requests] == [SPARK]


async def test_complete_json_has_the_contract_shape(tmp_path: Path, ws: Path, emulator: Emulator) -> None:
    emulator.script(SPARK, "<FILL> * h</FILL>")
    where = f"{ws / 'calc.py'}:2:13"
    run = await cli(tmp_path, emulator, "complete", where, "--root", str(ws), "--json")
    assert run.rc == 0, run.err
    out = run.json()
    assert set(out) == COMPLETE_KEYS
    assert (out["scope"], out["tier"], out["model"], out["error"], out["fallbacks"]) == (
        "inline", "inline", SPARK, None, [])
    at = {"line": 1, "character": 12}  # 1-based 2:13 is LSP line 1, character 12
    assert out["items"] == [{"insertText": " * h", "range": {"start": at, "end": at}}]
    assert out["usage"]["input_tokens"] > 0 and out["usage"]["output_tokens"] > 0
    assert set(out["usage"]) == {"input_tokens", "output_tokens", "cost_usd"}
    assert (ws / "calc.py").read_text() == CALC  # complete never writes


async def test_complete_columns_count_characters_and_become_utf16(tmp_path: Path, ws: Path,
                                                                  emulator: Emulator) -> None:
    (ws / "u.py").write_text("def f():\n    s = '😀é' + x\n", encoding="utf-8")
    emulator.script(SPARK, "<FILL>y</FILL>")
    run = await cli(tmp_path, emulator, "complete", "ws/u.py:2:17", "--json")  # after "x"
    assert run.rc == 0, run.err
    # 16 characters before the cursor, one of them outside the BMP: 17 UTF-16 code units
    assert run.json()["items"][0]["range"]["start"] == {"line": 1, "character": 17}


async def test_complete_reports_the_fallback_that_served(tmp_path: Path, ws: Path,
                                                         emulator: Emulator) -> None:
    emulator.fault(SPARK, "model_not_found", times=None).script(MINI, " * h")
    run = await cli(tmp_path, emulator, "complete", "ws/calc.py:2:13", "--json")
    assert run.rc == 0, run.err
    out = run.json()
    assert out["model"] == MINI and out["items"][0]["insertText"] == " * h"
    assert out["fallbacks"] == [{"model": SPARK, "error": "model_not_found"}]


async def test_complete_exits_1_when_every_model_fails(tmp_path: Path, ws: Path, emulator: Emulator) -> None:
    emulator.fault("*", "model_not_found", times=None)
    run = await cli(tmp_path, emulator, "complete", "ws/calc.py:2:13", "--json")
    assert run.rc == 1
    out = run.json()
    assert set(out) == COMPLETE_KEYS and out["items"] == [] and out["model"] is None
    assert out["error"]["kind"] == "all_models_failed" and out["error"]["message"]
    assert {f["model"] for f in out["fallbacks"]} >= {SPARK, MINI}


@pytest.mark.parametrize(("location", "says"), [
    ("ws/calc.py", "FILE:LINE:COL"),
    ("ws/calc.py:2", "FILE:LINE:COL"),
    ("ws/calc.py:0:1", "1-based"),
    ("ws/calc.py:x:3", "FILE:LINE:COL"),
    ("ws/missing.py:1:1", "no such file"),
    ("ws/calc.py:9:1", "line 9 does not exist"),
    ("ws/calc.py:2:40", "past its end"),
])
async def test_complete_exits_2_on_unusable_locations(tmp_path: Path, ws: Path, emulator: Emulator,
                                                      location: str, says: str) -> None:
    run = await cli(tmp_path, emulator, "complete", location)
    assert run.rc == 2
    assert says in run.err
    assert emulator.requests == []  # no model was asked


async def test_unusable_root_and_missing_arguments_exit_2(tmp_path: Path, ws: Path,
                                                          emulator: Emulator) -> None:
    run = await cli(tmp_path, emulator, "complete", "ws/calc.py:1:1", "--root", "nowhere")
    assert run.rc == 2 and "not a directory" in run.err
    run = await cli(tmp_path, emulator, "edit", "ws/calc.py:1")
    assert run.rc == 2 and "instruction" in run.err
    run = await cli(tmp_path, emulator, "refactor", "   ")
    assert run.rc == 2 and "empty" in run.err


async def test_a_server_that_cannot_start_is_a_failure_not_a_traceback(tmp_path: Path, ws: Path,
                                                                      emulator: Emulator) -> None:
    run = await cli(tmp_path, emulator, "complete", "ws/calc.py:2:13", "--json",
                    "--server-cmd", f"{sys.executable} -c 'import sys; sys.exit(3)'")
    assert run.rc == 1
    assert run.json()["error"]["kind"] == "server"
