"""Switching inline suggestions off, end to end: `inline.enable` per language and per glob, the
toggle and snooze commands, and the CLI, through a real `codeswitch serve` against the emulator.
Disabled means no request reaches any provider: each test counts the emulator's requests.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio
from lsprotocol import types
from test_inline import INLINE_CAPS, PLAIN_CAPS, SPARK, Session, _fill, _start

from codeswitch.testing import Emulator

ENABLE = {"*": True, "markdown": False, "**/migrations/**": False}


async def command(s: Session, name: str, *args: object) -> Any:
    return await s.client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=name, arguments=list(args)))


def _recorder(into: list[Any]) -> Any:
    def record(params: Any) -> None:
        into.append(("switch", params))
    return record


@pytest_asyncio.fixture
async def ws(emulator: Emulator, tmp_path: Path) -> AsyncIterator[Session]:
    options = {"providers": {"openai": {"base_url": emulator.base_url("openai_responses")}},
               "inline": {"enable": ENABLE}}
    async for s in _start(emulator, tmp_path, INLINE_CAPS, options):
        s.client.feature("codeswitch/inlineSwitch")(_recorder(s.status))
        yield s


async def test_enable_by_language_and_glob_sends_nothing_where_off(ws: Session, emulator: Emulator) -> None:
    emulator.script(SPARK, _fill(" + 1"))
    (ws.root / "app" / "migrations").mkdir(parents=True)
    readme = ws.open("README.md", "markdown", "# Shop\n\nTotal = x\n")
    migration = ws.open("app/migrations/0001_init.py", "python", "y = x\n")
    model = ws.open("app/models.py", "python", "y = x\n")
    assert await ws.inline(readme, 2, 9) == []
    assert await ws.inline(migration, 0, 5) == []
    assert emulator.requests == []  # nothing left the machine
    assert [i.insert_text for i in await ws.inline(model, 0, 5)] == [" + 1"]
    assert len(emulator.requests) == 1
    state = await command(ws, "codeswitch.inline.status", {"uri": readme})
    assert state["allowed"] is False and state["reason"] == "inline.enable: markdown = false"
    state = await command(ws, "codeswitch.inline.status", {"uri": migration})
    assert state["allowed"] is False and "migrations" in state["reason"]
    assert state["enable"] == ENABLE


async def test_toggle_turns_suggestions_off_and_on(ws: Session, emulator: Emulator) -> None:
    emulator.script(SPARK, _fill(" + 1"))
    uri = ws.open("a.py", "python", "y = x\n")
    state = await command(ws, "codeswitch.inline.toggle")
    assert state["enabled"] is False and state["allowed"] is False
    assert await ws.inline(uri, 0, 5) == []
    assert emulator.requests == []
    told = [x[1] for x in ws.status if isinstance(x, tuple) and x[0] == "switch"]
    assert len(told) == 1 and told[0].enabled is False  # the editors' status bars follow this
    state = await command(ws, "codeswitch.inline.toggle", {"enabled": True})
    assert state["enabled"] is True and state["allowed"] is True
    assert [i.insert_text for i in await ws.inline(uri, 0, 5)] == [" + 1"]
    assert len(emulator.requests) == 1


async def test_snooze_is_off_for_a_while_and_shared_through_the_data_dir(
    ws: Session, emulator: Emulator
) -> None:
    emulator.script(SPARK, _fill(" + 1"))
    uri = ws.open("a.py", "python", "y = x\n")
    before = time.time()
    state = await command(ws, "codeswitch.inline.snooze", {"minutes": 30})
    assert state["enabled"] is True and state["allowed"] is False
    assert before + 29 * 60 <= state["snoozedUntil"] / 1000 <= time.time() + 30 * 60
    assert "snoozed until" in state["reason"]
    assert await ws.inline(uri, 0, 5) == []
    assert emulator.requests == []
    saved = json.loads((ws.data / "codeswitch" / "inline-switch.json").read_text())
    assert saved["enabled"] is True and saved["snoozed_until"] > before
    # the CLI (or another editor's server) ends the snooze in the same file; this server follows
    env = {**os.environ, "XDG_DATA_HOME": str(ws.data), "XDG_CONFIG_HOME": str(ws.root.parent / "config")}
    argv = [sys.executable, "-m", "codeswitch", "inline", "snooze", "0", "--json"]
    done = await asyncio.to_thread(subprocess.run, argv, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["snoozedUntil"] is None
    assert [i.insert_text for i in await ws.inline(uri, 0, 5)] == [" + 1"]
    assert len(emulator.requests) == 1


async def test_cli_off_stops_a_running_server(ws: Session, emulator: Emulator) -> None:
    uri = ws.open("a.py", "python", "y = x\n")
    env = {**os.environ, "XDG_DATA_HOME": str(ws.data), "XDG_CONFIG_HOME": str(ws.root.parent / "config")}
    done = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "codeswitch", "inline", "off"],
                                   env=env, capture_output=True, text=True)
    assert done.returncode == 0 and "inline suggestions: off" in done.stdout
    assert await ws.inline(uri, 0, 5) == []
    assert emulator.requests == []


async def test_bad_arguments_are_refused(ws: Session) -> None:
    from pygls.exceptions import JsonRpcException
    bad = [("codeswitch.inline.snooze", {"minutes": -5}), ("codeswitch.inline.snooze", {"minutes": "x"}),
           ("codeswitch.inline.toggle", {"enabled": "no"}), ("codeswitch.inline.toggle", 3)]
    for name, arg in bad:
        try:
            await command(ws, name, arg)
        except JsonRpcException as exc:
            assert exc.code == -32602
        else:
            raise AssertionError(f"{name} {arg!r} was accepted")
    state = await command(ws, "codeswitch.inline.status")
    assert state["enabled"] is True and state["snoozedUntil"] is None


async def test_plain_completion_clients_obey_the_switch(emulator: Emulator, tmp_path: Path) -> None:
    options = {"providers": {"openai": {"base_url": emulator.base_url("openai_responses")}},
               "inline": {"enable": {"markdown": False}}}
    async for s in _start(emulator, tmp_path, PLAIN_CAPS, options):
        uri = s.open("notes.md", "markdown", "Total = x\n")
        result = await s.client.text_document_completion_async(types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri), position=types.Position(0, 9)))
        items = result.items if isinstance(result, types.CompletionList) else (result or [])
        assert list(items) == []
    assert emulator.requests == []
