"""The headless CLI on a large workspace: it returns once answered, and the server it started is gone.

The workspace (a few thousand generated modules) is still being indexed when the model answers:
the server must stop the build at shutdown, send nothing after exit and print no traceback.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import signal
import sys
from pathlib import Path

import pytest
from test_harness import cli, cli_env

from codeswitch import lsp_client
from codeswitch.testing import Emulator
from codeswitch.testing.workspace import generate_workspace

CODEX, SPARK = "gpt-5.3-codex", "gpt-5.3-codex-spark"
EDIT = "```\n<<<<<<< SEARCH\n    return w\n=======\n    return w * h\n>>>>>>> REPLACE\n```\n"
PID = re.compile(r"serving on stdio \(pid (\d+)\)")


def server_cmd(log: Path) -> str:
    return shlex.join([sys.executable, "-P", "-m", "codeswitch", "serve", "--log-level", "info",
                       "--log-file", str(log)])


def assert_server_gone(log: Path) -> None:
    text = log.read_text(encoding="utf-8")
    found = PID.search(text)
    assert found is not None, text
    pid = int(found.group(1))
    assert f"server stopped (pid {pid})" in text, text
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # exited (and reaped by the CLI) before the CLI returned
    assert re.search(r"index build cancelled (after \d+ of \d+ files|before it began)", text), text
    assert "Traceback" not in text and "closed file" not in text, text


@pytest.fixture
def big_ws(tmp_path: Path) -> Path:
    generate_workspace(tmp_path / "ws", files=2000)
    return tmp_path / "ws"


async def test_edit_returns_and_the_server_stops_while_the_index_builds(tmp_path: Path, big_ws: Path,
                                                                         emulator: Emulator) -> None:
    emulator.script(CODEX, EDIT).set_profile(CODEX, "codex")  # answers while the index builds
    log = tmp_path / "serve.log"
    run = await cli(tmp_path, emulator, "edit", "ws/app.py:2", "return the area: multiply by h", "--json",
                    "--server-cmd", server_cmd(log))
    assert run.rc == 0, run.err
    assert "+    return w * h" in run.json()["diff"]
    assert "closed file" not in run.err and "Error" not in run.err
    assert_server_gone(log)


async def test_complete_returns_and_the_server_stops_while_the_index_builds(tmp_path: Path, big_ws: Path,
                                                                             emulator: Emulator) -> None:
    emulator.script(SPARK, "<FILL> * h</FILL>")
    log = tmp_path / "serve.log"
    run = await cli(tmp_path, emulator, "complete", "ws/app.py:2:13", "--json",
                    "--server-cmd", server_cmd(log))
    assert run.rc == 0, run.err
    assert [i["insertText"] for i in run.json()["items"]] == [" * h"]
    assert_server_gone(log)


async def test_a_workspace_package_named_like_a_dependency_does_not_shadow_it(tmp_path: Path,
                                                                               emulator: Emulator) -> None:
    root = tmp_path / "ws"
    target = generate_workspace(root, files=0)
    for shadow in ("pygls", "httpx", "lsprotocol"):  # e.g. a checkout of one of them
        (root / shadow).mkdir()
        (root / shadow / "__init__.py").write_text(f"raise ImportError('the workspace copy of {shadow}')\n")
    emulator.script(SPARK, "<FILL> * h</FILL>")
    # the CLI started the way the console script starts it (cwd not on sys.path), from the workspace
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-P", "-m", "codeswitch", "complete", f"{target.name}:2:13", "--json", cwd=root,
        env=cli_env(tmp_path, emulator), stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert [i["insertText"] for i in json.loads(out)["items"]] == [" * h"]


async def test_a_server_that_never_exits_is_terminated_after_the_grace_period(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lsp_client, "EXIT_GRACE_S", 0.2)
    stuck = Path(__file__).with_name("stuck_server.py")
    client = lsp_client.ServerClient(tmp_path, command=[sys.executable, str(stuck)])
    async with client:
        pass
    process = client._process
    assert process is not None and process.returncode == -signal.SIGTERM
