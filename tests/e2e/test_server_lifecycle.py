"""Lifecycle over real stdio: encoding negotiation, capabilities, config problems, index progress, exit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from lsprotocol import types

from codeswitch import server as server_module


@pytest.mark.parametrize(("offered", "chosen"), [
    (None, "utf-16"),
    (["utf-16"], "utf-16"),
    (["utf-16", "utf-8"], "utf-8"),  # utf-8 whenever offered, whatever the order
    (["utf-8", "utf-16", "utf-32"], "utf-8"),
    (["utf-32"], "utf-32"),
])
async def test_position_encoding_negotiation(start_server: Any, offered: list[str] | None,
                                             chosen: str) -> None:
    session = await start_server(encodings=offered)
    assert session.result is not None
    assert session.result.capabilities.position_encoding == chosen


async def test_capabilities_follow_the_table(lsp: Any) -> None:
    assert lsp.result is not None
    caps = lsp.result.capabilities
    assert lsp.result.server_info is not None and lsp.result.server_info.name == "codeswitch"
    sync = caps.text_document_sync
    assert isinstance(sync, types.TextDocumentSyncOptions)
    assert sync.change == types.TextDocumentSyncKind.Incremental
    assert sync.open_close is True and sync.save
    methods = {f.method for f in server_module.FEATURES}
    assert (caps.inline_completion_provider is not None) == (types.TEXT_DOCUMENT_INLINE_COMPLETION in methods)
    assert (caps.completion_provider is not None) == (types.TEXT_DOCUMENT_COMPLETION in methods)
    assert (caps.code_action_provider is not None) == (types.TEXT_DOCUMENT_CODE_ACTION in methods)
    assert caps.execute_command_provider is not None
    assert sorted(caps.execute_command_provider.commands) == sorted(n for n, _ in server_module.COMMANDS)


async def test_shutdown_then_exit_ends_the_process_cleanly(start_server: Any) -> None:
    session = await start_server()
    await session.client.shutdown_session()
    process = session.client._server
    assert process is not None and process.returncode == 0
    session.result = None  # already shut down


async def test_bad_config_is_reported_and_the_server_keeps_running(start_server: Any) -> None:
    session = await start_server(init_options={"tiers": {"inline": {"latency_budget_ms": "fast"}}})
    for _ in range(200):
        if session.client.messages:
            break
        await asyncio.sleep(0.01)
    assert session.client.messages, "no window/showMessage about the bad setting"
    message = session.client.messages[0]
    assert message.type == types.MessageType.Warning
    assert "latency_budget_ms" in message.message and "initializationOptions" in message.message
    uri = session.open("a.py", "def f():\n    return 1\n")
    result = await session.scope(uri, 1, 4)
    assert result["scope"] == "inline"


async def test_did_change_configuration_reports_new_problems(lsp: Any) -> None:
    lsp.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"budget": {"daily_usd": "lots"}}))
    for _ in range(200):
        if lsp.client.messages:
            break
        await asyncio.sleep(0.01)
    assert any("daily_usd" in m.message for m in lsp.client.messages)


async def test_index_is_built_with_progress(start_server: Any, lsp_caps: Callable[..., Any]) -> None:
    files = {f"pkg/m{i}.py": f"def helper{i}(x):\n    return x + {i}\n" for i in range(12)}
    files["main.py"] = "from pkg.m1 import helper1\n\nprint(helper1(2))\n"
    session = await start_server(files=files, caps=lsp_caps(["utf-16"], progress=True, watch_files=True))
    for _ in range(500):
        reports = [r for rs in session.client.progress_reports.values() for r in rs]
        if any(isinstance(r, types.WorkDoneProgressEnd) for r in reports):
            break
        await asyncio.sleep(0.01)
    (reports,) = session.client.progress_reports.values()
    assert isinstance(reports[0], types.WorkDoneProgressBegin)
    assert isinstance(reports[-1], types.WorkDoneProgressEnd)
    assert reports[-1].message == "13 files indexed"
    # a function whose name other files use: a signature change reaches them
    uri = session.open("pkg/m1.py", files["pkg/m1.py"])
    result = await session.scope(uri, 0, 0, kind="edit", end=(1, 16),
                                 instruction="add a required parameter scale to helper1")
    assert "main.py" in result["files"]


async def test_watched_file_changes_reach_the_index(start_server: Any, lsp_caps: Callable[..., Any]) -> None:
    session = await start_server(files={"lib.py": "def area(w, h):\n    return w * h\n"},
                                 caps=lsp_caps(["utf-16"], progress=True, watch_files=True))
    for _ in range(500):
        reports = [r for rs in session.client.progress_reports.values() for r in rs]
        if any(isinstance(r, types.WorkDoneProgressEnd) for r in reports):
            break
        await asyncio.sleep(0.01)
    (session.root / "use.py").write_text("from lib import area\n\nprint(area(1, 2))\n", encoding="utf-8")
    session.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=session.uri("use.py"), type=types.FileChangeType.Created)]))
    uri = session.open("lib.py", "def area(w, h):\n    return w * h\n")
    files: list[str] = []
    for _ in range(200):
        result = await session.scope(uri, 0, 0, kind="edit", end=(1, 16),
                                     instruction="rename area to surface everywhere")
        files = result["files"]
        if "use.py" in files:
            break
        await asyncio.sleep(0.01)
    assert "use.py" in files
