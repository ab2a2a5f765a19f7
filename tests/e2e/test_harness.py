"""The headless harness end to end: ``python -m codeswitch complete|edit|refactor`` as a subprocess,
which starts the real server over stdio, which calls the loopback emulator over real HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from codeswitch.cli import main
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


async def cli(tmp: Path, emulator: Emulator, *args: str, env: dict[str, str] | None = None) -> Run:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "codeswitch", *args, cwd=tmp, env=cli_env(tmp, emulator) | (env or {}),
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
    # no hedge: on a loaded machine the second model would be asked after 400 ms
    (ws / ".codeswitch.toml").write_text("[tiers.inline]\nhedge_after_ms = 3600000\n", encoding="utf-8")
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
def test_complete_exits_2_on_unusable_locations(tmp_path: Path, ws: Path, location: str, says: str,
                                                capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # refused before any server starts, so this runs in-process (the subprocess tests below cover exit codes)
    monkeypatch.chdir(tmp_path)
    assert main(["complete", location]) == 2
    captured = capsys.readouterr()
    assert says in captured.err and captured.out == ""


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


# --- edit ------------------------------------------------------------------------------------------

CODEX = "gpt-5.3-codex"
OPUS = "claude-opus-4-6"
EDIT_KEYS = {"scope", "tier", "model", "reasons", "edit", "diff", "applied", "usage", "fallbacks", "error"}
AREA = ("import math\n"
        "\n"
        "\n"
        "def area(r):\n"
        "    x = r * r\n"
        "    return x\n")


def search_replace(search: str, replace: str) -> str:
    return f"Here is the change.\n```\n<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n```\n"


async def test_edit_shows_the_diff_and_writes_nothing_without_apply(tmp_path: Path, ws: Path,
                                                                   emulator: Emulator) -> None:
    (ws / "m.py").write_text(AREA)
    emulator.script(CODEX, search_replace("    return x\n", "    return x * math.pi\n"))
    run = await cli(tmp_path, emulator, "edit", "ws/m.py:5", "multiply the result by pi")
    assert run.rc == 0, run.err
    assert "--- a/m.py\n+++ b/m.py\n" in run.out and "+    return x * math.pi" in run.out
    assert CODEX in run.out and "pass --apply" in run.out
    assert (ws / "m.py").read_text() == AREA


async def test_edit_apply_writes_the_file_atomically(tmp_path: Path, ws: Path, emulator: Emulator) -> None:
    (ws / "m.py").write_text(AREA)
    os.chmod(ws / "m.py", 0o640)
    emulator.script(CODEX, search_replace("    return x\n", "    return x * math.pi\n"))
    run = await cli(tmp_path, emulator, "edit", "ws/m.py:5:5", "multiply the result by pi",
                    "--apply", "--json")
    assert run.rc == 0, run.err
    out = run.json()
    assert set(out) >= EDIT_KEYS
    assert (out["model"], out["scope"], out["tier"], out["applied"], out["error"]) == (
        CODEX, "function", "function", True, None)
    assert out["usage"]["input_tokens"] > 0 and isinstance(out["usage"]["cost_usd"], float)
    assert (ws / "m.py").read_text() == AREA.replace("return x\n", "return x * math.pi\n")
    assert (ws / "m.py").stat().st_mode & 0o777 == 0o640  # replaced, keeping the file's mode
    assert sorted(p.name for p in ws.iterdir()) == [".git", "calc.py", "m.py"]  # no temp file left
    assert "+    return x * math.pi" in out["diff"]


async def test_a_refused_edit_exits_1_and_leaves_files_untouched(tmp_path: Path, ws: Path,
                                                                emulator: Emulator) -> None:
    (ws / "m.py").write_text(AREA)
    # the model's SEARCH text is not in the function: the server refuses the edit
    emulator.script(CODEX, search_replace("    return y\n", "    return y * 2\n"))
    emulator.script("claude-sonnet-4-5", search_replace("    return y\n", "    return y * 2\n"))
    run = await cli(tmp_path, emulator, "edit", "ws/m.py:5", "double it", "--apply", "--json")
    assert run.rc == 1
    out = run.json()
    assert out["applied"] is False and out["error"]["kind"] and out["error"]["message"]
    assert (ws / "m.py").read_text() == AREA


# --- refactor --------------------------------------------------------------------------------------

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
OLD, NEW = "reserve_stock", "hold_stock"
SHOP_FILES = ("inventory.py", "orders.py", "billing.py", "api.py")


def rename_team(root: Path) -> Any:
    from codeswitch.testing import Conversations, Reply, ToolCall
    from codeswitch.testing.conversation import rename_edits

    groups = [["inventory.py"], ["orders.py", "billing.py"], ["api.py"]]
    tasks = [{"files": g, "instruction": f"rename {OLD} to {NEW} in these files"} for g in groups]
    conv = Conversations().add(
        "[codeswitch-team:lead]", Reply(tool_calls=[ToolCall("find_references", {"name": OLD})]),
        Reply(tool_calls=[ToolCall("assign_tasks", {"tasks": tasks})]),
        Reply(tool_calls=[ToolCall("approve", {"summary": f"renamed {OLD} to {NEW}"})]))
    for n, group in enumerate(groups, 1):
        calls = [c for f in group for c in rename_edits(f, (root / f).read_text(), OLD, NEW)]
        conv.add(f"[codeswitch-team:teammate {n}]", Reply(tool_calls=calls),
                 Reply(tool_calls=[ToolCall("done", {"summary": "renamed"})]))
    return conv


async def test_refactor_apply_writes_every_file(tmp_path: Path, emulator: Emulator) -> None:
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root)
    before = {f: (root / f).read_text() for f in SHOP_FILES}
    emulator.respond(OPUS, rename_team(root))
    run = await cli(tmp_path, emulator, "refactor", f"rename {OLD} to {NEW} everywhere",
                    "--root", str(root), "--apply", "--json")
    assert run.rc == 0, run.err
    out = run.json()
    assert (out["model"], out["scope"], out["tier"], out["applied"], out["error"]) == (
        OPUS, "workspace", "workspace", True, None)
    for f in SHOP_FILES:
        assert (root / f).read_text() == before[f].replace(OLD, NEW), f
        assert f"--- a/{f}\n+++ b/{f}\n" in out["diff"]
    assert out["usage"]["input_tokens"] > 0
    # the team's progress was drawn on stderr (plain lines: stderr is not a terminal here)
    assert "codeswitch: " in run.err and "reviewing" in run.err


async def test_refactor_without_apply_prints_the_diff_only(tmp_path: Path, emulator: Emulator) -> None:
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root)
    before = {f: (root / f).read_text() for f in SHOP_FILES}
    emulator.respond(OPUS, rename_team(root))
    run = await cli(tmp_path, emulator, "refactor", f"rename {OLD} to {NEW} everywhere", "--root", str(root))
    assert run.rc == 0, run.err
    assert f"+from inventory import Inventory, {NEW}" in run.out and OPUS in run.out
    assert all((root / f).read_text() == before[f] for f in SHOP_FILES)


# --- what the harness refuses to write (a stand-in server hands it unsafe edits) ---------------------

STUB = Path(__file__).with_name("harness_stub_server.py")


def _text_edit(line: int, start: int, end: int, new: str) -> dict[str, Any]:
    return {"range": {"start": {"line": line, "character": start}, "end": {"line": line, "character": end}},
            "newText": new}


async def _stub_refactor(tmp_path: Path, emulator: Emulator, ws: Path, edit: dict[str, Any]) -> Run:
    result = {"edit": edit, "diff": "", "applied": False, "model": OPUS, "scope": "workspace",
              "tier": "workspace", "reasons": [], "usage": {"input_tokens": 1, "output_tokens": 1,
                                                            "cost_usd": 0.01}, "fallbacks": [], "error": None}
    (tmp_path / "result.json").write_text(json.dumps(result))
    return await cli(tmp_path, emulator, "refactor", "anything", "--root", str(ws), "--apply", "--json",
                     "--server-cmd", f"{sys.executable} {STUB}",
                     env={"STUB_RESULT": str(tmp_path / "result.json")})


async def test_apply_writes_edits_keyed_by_uri(tmp_path: Path, ws: Path, emulator: Emulator) -> None:
    (ws / "b.py").write_text("y = 2\n")
    edit = {"changes": {(ws / "calc.py").as_uri(): [_text_edit(1, 12, 12, " * h")],
                        (ws / "b.py").as_uri(): [_text_edit(0, 4, 5, "20")]}}
    run = await _stub_refactor(tmp_path, emulator, ws, edit)
    assert run.rc == 0, run.err
    assert run.json()["applied"] is True
    assert (ws / "calc.py").read_text() == CALC.replace("return w", "return w * h")
    assert (ws / "b.py").read_text() == "y = 20\n"


@pytest.mark.parametrize(("bad", "kind"), [
    ({"line": 7, "edit": "past the end"}, "out_of_bounds"),
    ({"path": ".git/config"}, "git_dir"),
    ({"path": "../outside.py"}, "outside_workspace"),
    ({"overlap": True}, "overlap"),
])
async def test_apply_refuses_unsafe_edits_and_writes_no_file(tmp_path: Path, ws: Path, emulator: Emulator,
                                                            bad: dict[str, Any], kind: str) -> None:
    (ws / ".git" / "config").write_text("[core]\n")
    (tmp_path / "outside.py").write_text("x = 1\n")
    good = {"textDocument": {"uri": (ws / "calc.py").as_uri(), "version": None},
            "edits": [_text_edit(1, 12, 12, " * h")]}
    target = (ws / bad.get("path", "calc.py")).resolve()
    if "overlap" in bad:
        edits = [_text_edit(0, 0, 5, "A"), _text_edit(0, 3, 8, "B")]
    else:
        edits = [_text_edit(bad.get("line", 0), 0, 0, "# ")]
    edit = {"documentChanges": [good, {"textDocument": {"uri": target.as_uri(), "version": None},
                                       "edits": edits}]}
    run = await _stub_refactor(tmp_path, emulator, ws, edit)
    assert run.rc == 1
    out = run.json()
    assert out["applied"] is False and out["error"]["kind"] == kind
    assert (ws / "calc.py").read_text() == CALC  # the good file was not written either
    assert (ws / ".git" / "config").read_text() == "[core]\n"
    assert (tmp_path / "outside.py").read_text() == "x = 1\n"


async def test_ctrl_c_stops_the_server_and_writes_nothing(tmp_path: Path, ws: Path,
                                                          emulator: Emulator) -> None:
    (ws / "m.py").write_text(AREA)
    emulator.set_profile(CODEX, "opus").fault(CODEX, "stall_first", stall_s=600.0)  # the model never answers
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "from codeswitch.cli import main; sys.exit(main(sys.argv[1:]))",
        "edit", "ws/m.py:5", "multiply the result by pi", "--apply",
        cwd=tmp_path, env=cli_env(tmp_path, emulator),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    (request,) = await emulator.wait_requests(1, timeout=120.0)  # the server is waiting on the model
    proc.send_signal(signal.SIGINT)
    _, err = await proc.communicate()
    assert proc.returncode == 130
    assert "Traceback" not in err.decode()
    assert err.decode().endswith("codeswitch edit: interrupted; nothing was applied\n")
    await emulator.wait_closed(request, timeout=120.0)  # the server went away and closed the stream
    assert (ws / "m.py").read_text() == AREA
    assert sorted(p.name for p in ws.iterdir()) == [".git", "calc.py", "m.py"]


async def test_a_json_rpc_error_is_a_failure_not_a_traceback(tmp_path: Path, ws: Path,
                                                             emulator: Emulator) -> None:
    (tmp_path / "result.json").write_text(json.dumps({"rpc_error": "unknown document"}))
    run = await cli(tmp_path, emulator, "edit", "ws/calc.py:2", "fix", "--json", "--server-cmd",
                    f"{sys.executable} {STUB}", env={"STUB_RESULT": str(tmp_path / "result.json")})
    assert run.rc == 1
    error = run.json()["error"]
    assert error["kind"] == "request_failed" and "unknown document" in error["message"]
    assert "unknown document" in run.err


async def test_complete_in_a_secret_file_calls_no_model_and_exits_1(tmp_path: Path, ws: Path,
                                                                    emulator: Emulator) -> None:
    (ws / ".env").write_text("API_TOKEN=abc\n")
    run = await cli(tmp_path, emulator, "complete", "ws/.env:1:14", "--json")
    assert run.rc == 1
    out = run.json()
    assert out["error"]["kind"] == "secret" and out["items"] == [] and out["model"] is None
    assert emulator.requests == []  # the secret never left the machine
