"""Shutdown, exit and a closed stdin while the workspace index is still building (real stdio).

The workspace is generated (a few thousand modules), so the index build is still running when the
client leaves. The server must stop the build, send nothing after its shutdown answer or after
``exit``, never print a traceback, and exit.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from lsp_start import server_env
from stdio_peer import StdioPeer, index_report

from codeswitch.testing.workspace import generate_workspace

FILES = 2000
CANCELLED = re.compile(r"index build cancelled after (\d+) of (\d+) files")


@pytest.fixture(scope="module")
def big_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("big") / "ws"
    generate_workspace(root, files=FILES)
    return root


async def start(tmp_path: Path, root: Path) -> tuple[StdioPeer, Path]:
    log = tmp_path / "serve.log"
    args = ["--log-level", "info", "--log-file", str(log)]
    peer = await StdioPeer.start(args, server_env(tmp_path), tmp_path)
    await peer.initialize(root)
    await peer.wait_for(index_report)  # the build is under way
    return peer, log


def assert_cancelled(log: Path) -> None:
    text = log.read_text(encoding="utf-8")
    found = CANCELLED.search(text)
    assert found is not None, text
    assert int(found.group(1)) < int(found.group(2)) == FILES + FILES // 100 + 1  # modules, __init__s, app.py
    assert "workspace index: " not in text.replace(found.group(0), "")  # never reported as built


def assert_clean(stderr: str) -> None:
    assert "Traceback" not in stderr, stderr
    assert "closed file" not in stderr, stderr


async def test_shutdown_while_indexing_stops_the_build_and_nothing_follows(tmp_path: Path,
                                                                           big_ws: Path) -> None:
    peer, log = await start(tmp_path, big_ws)
    at, answer = await peer.answer(peer.request("shutdown"))
    assert answer.get("result") is None and "error" not in answer
    assert_cancelled(log)  # before the shutdown answer: shutdown waited for the build to stop
    peer.notify("exit")
    await peer.read_to_end()
    assert await peer.process.wait() == 0
    assert peer.received[at + 1:] == [] and peer.trailing == b""  # nothing after the answer, nor after exit
    assert_clean(await peer.stderr())


async def test_exit_without_shutdown_while_indexing(tmp_path: Path, big_ws: Path) -> None:
    peer, log = await start(tmp_path, big_ws)
    peer.notify("exit")
    await peer.read_to_end()
    await peer.process.wait()
    assert peer.trailing == b""  # no message cut short by the closing pipe
    assert_cancelled(log)
    assert_clean(await peer.stderr())


async def test_closed_stdin_while_indexing_stops_the_server(tmp_path: Path, big_ws: Path) -> None:
    peer, log = await start(tmp_path, big_ws)
    peer.close_stdin()  # the editor went away without a word
    await peer.read_to_end()
    await peer.process.wait()
    assert peer.trailing == b""
    assert_cancelled(log)
    assert_clean(await peer.stderr())


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pipes")
async def test_a_failed_write_is_logged_once_and_never_reported_by_writing(tmp_path: Path,
                                                                           big_ws: Path) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will read what the server writes: every write fails (EPIPE)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-P", "-m", "codeswitch", "serve", env=server_env(tmp_path), cwd=tmp_path,
        stdin=asyncio.subprocess.PIPE, stdout=write_end, stderr=asyncio.subprocess.PIPE)
    os.close(write_end)
    assert process.stdin is not None
    messages: list[dict[str, Any]] = [
        {"id": 1, "method": "initialize", "params": {"processId": None, "rootUri": big_ws.as_uri(),
                                                      "capabilities": {}}},
        {"method": "initialized", "params": {}},
        {"id": 2, "method": "codeswitch/stats", "params": {}},
        {"id": 3, "method": "codeswitch/nosuchmethod", "params": {}},
    ]
    for message in messages:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    process.stdin.close()
    _, err = await process.communicate()
    stderr = err.decode("utf-8", "replace")
    assert_clean(stderr)
    assert stderr.count("the client connection is gone") == 1, stderr
    assert "showMessage" not in stderr and "Failed to report error" not in stderr


async def test_end_of_input_during_shutdown_is_quiet(tmp_path: Path, big_ws: Path) -> None:
    peer, log = await start(tmp_path, big_ws)
    peer.request("shutdown")
    peer.close_stdin()  # the editor quits without waiting for the answer (Neovim can)
    await peer.read_to_end()
    await peer.process.wait()
    assert_clean(await peer.stderr())
    text = log.read_text(encoding="utf-8")
    assert "Traceback" not in text and "Exception in callback" not in text, text
    assert_cancelled(log)
