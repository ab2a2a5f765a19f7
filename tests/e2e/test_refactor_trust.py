"""codeswitch/refactor where the team (or what it read) misbehaves: protected files are never
written, refused edits reach the user, failures inside the parallel phase keep their own kind,
and a bad path in one tool call is that call's error. A real server over stdio, the emulator over
loopback HTTP."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import threading
from pathlib import Path
from typing import Any

from lsp_edits import apply_lsp
from lsprotocol import types

from codeswitch.testing import Conversations, Emulator, Reply, ToolCall
from codeswitch.testing.conversation import rename_edits, tool_results

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
OPUS = "claude-opus-4-6"
LEAD = "[codeswitch-team:lead]"
MATE = "[codeswitch-team:teammate 1]"
OLD, NEW = "reserve_stock", "hold_stock"
DONE = Reply(tool_calls=[ToolCall("done", {"summary": "renamed"})])


def plan_for(*files: str) -> Reply:
    return Reply(tool_calls=[ToolCall("assign_tasks", {"tasks": [{"files": [f], "instruction": "rename"}
                                                                 for f in files]})])
CAPS = types.ClientCapabilities(
    general=types.GeneralClientCapabilities(position_encodings=["utf-16"]),
    workspace=types.WorkspaceClientCapabilities(
        apply_edit=True, workspace_edit=types.WorkspaceEditClientCapabilities(
            document_changes=True, resource_operations=[types.ResourceOperationKind.Create],
            change_annotation_support=types.ChangeAnnotationsSupportOptions(groups_on_label=True))))
PLANTED = {
    ".codeswitch.toml": '[providers.openai]\napi_key_cmd = "true"\n',
    ".codeswitchignore": "secrets/\n",
    ".vscode/settings.json": "{}\n",
    ".github/workflows/ci.yml": "on: push\n",
}


async def _start(start_server: Any, emulator: Emulator, tmp_path: Path,
                 team: dict[str, object] | None = None) -> Any:
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root)
    options: dict[str, object] = {"providers": {"anthropic": {"base_url": emulator.base_url("anthropic")}}}
    if team:
        options["team"] = team
    lsp = await start_server(caps=CAPS, env={"ANTHROPIC_API_KEY": "sk-ant-test-trust"}, init_options=options,
                             root=root)
    lsp.applied = []

    @lsp.client.feature(types.WORKSPACE_APPLY_EDIT)  # type: ignore[untyped-decorator]
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        lsp.applied.append(params)
        return types.ApplyWorkspaceEditResult(applied=True)

    return lsp


async def test_protected_files_are_never_written_and_every_refusal_is_reported(
        start_server: Any, emulator: Emulator, tmp_path: Path) -> None:
    lsp = await _start(start_server, emulator, tmp_path)
    for rel, text in PLANTED.items():
        (lsp.root / rel).parent.mkdir(parents=True, exist_ok=True)
        (lsp.root / rel).write_text(text)
    api = (lsp.root / "api.py").read_text()
    conv = Conversations()
    conv.add(LEAD,
             # the lead may read a protected file, but not hand it to a teammate
             Reply(tool_calls=[ToolCall("read_file", {"path": ".codeswitch.toml"}),
                               ToolCall("assign_tasks", {"tasks": [
                                   {"files": ["api.py", ".codeswitch.toml"], "instruction": "rename"}]})]),
             plan_for("api.py"),
             Reply(tool_calls=[ToolCall("approve", {})]))
    planted = [ToolCall("edit_file", {"path": ".codeswitch.toml", "search": '"true"', "replace": '"curl x"'}),
               ToolCall("create_file", {"path": "pkg/.codeswitchignore", "text": "\n"}),
               ToolCall("edit_file", {"path": ".vscode/settings.json", "search": "{}", "replace": "{1}"}),
               ToolCall("edit_file", {"path": ".github/workflows/ci.yml", "search": "push", "replace": "pr"})]
    conv.add(MATE, Reply(tool_calls=planted + rename_edits("api.py", api, OLD, NEW)), DONE)
    emulator.respond(OPUS, conv)
    result = await lsp.request("codeswitch/refactor", {"instruction": f"rename {OLD}", "apply": True})
    assert result["error"] is None, result["error"]
    lead = [r for r in emulator.requests if LEAD in str(r.body)]
    read, assign = tool_results(lead[1].body)
    assert "api_key_cmd" in read  # reading is allowed: it is not secret
    assert assign.startswith("refused (protected)") and ".codeswitch.toml" in assign
    mate = [r for r in emulator.requests if MATE in str(r.body)]
    refusals = tool_results(mate[1].body)[:4]
    assert all(r.startswith("refused (protected)") for r in refusals), refusals
    # the edit holds api.py only; nothing protected was written or offered to the editor
    (doc,) = result["edit"]["documentChanges"]
    assert doc["textDocument"]["uri"] == lsp.uri("api.py")
    assert apply_lsp(api, doc["edits"]) == api.replace(OLD, NEW)
    # what --apply checks the disk against: the exact text the edits were computed from
    assert result["bases"] == [{"uri": lsp.uri("api.py"), "sha256": hashlib.sha256(api.encode()).hexdigest()}]
    for rel, text in PLANTED.items():
        assert (lsp.root / rel).read_text() == text
    assert not (lsp.root / "pkg").exists()
    # the user hears about every refused edit: in the result, its reasons and the editor's preview
    refused = result["refused"]
    assert [(r["agent"], r["kind"]) for r in refused] == [("teammate 1", "protected")] * 4
    for rel in (".codeswitch.toml", "pkg/.codeswitchignore", *list(PLANTED)[2:]):
        assert any(rel in r["message"] for r in refused), rel
        assert any(rel in reason for reason in result["reasons"]), rel
    description = result["edit"]["changeAnnotations"]["codeswitchRefactor"]["description"]
    assert ".codeswitch.toml" in description and "refused" in description
    (applied,) = lsp.applied
    assert applied.edit.change_annotations["codeswitchRefactor"].description == description


async def test_a_cap_hit_by_a_teammate_keeps_its_kind_and_the_spend(start_server: Any, emulator: Emulator,
                                                                   tmp_path: Path) -> None:
    lsp = await _start(start_server, emulator, tmp_path, team={"max_turns": 2})
    conv = Conversations()
    conv.add(LEAD, plan_for("api.py", "orders.py"))
    # both teammates keep reading and never finish: the first to reach its turn cap stops the team
    conv.add(MATE, Reply(tool_calls=[ToolCall("read_file", {"path": "api.py"})]))
    conv.add("[codeswitch-team:teammate 2]", Reply(tool_calls=[ToolCall("read_file", {"path": "orders.py"})]))
    emulator.respond(OPUS, conv)
    result = await lsp.request("codeswitch/refactor", {"instruction": f"rename {OLD}", "apply": True})
    assert result["error"]["kind"] == "turn_cap", result["error"]
    assert "team.max_turns" in result["error"]["message"]
    assert result["edit"] is None and not lsp.applied
    agents = {a["role"]: a for a in result["agents"]}
    # the teammates run side by side: whichever reaches the cap first stops the team
    assert agents["lead"]["turns"] == 1
    assert max(agents["teammate 1"]["turns"], agents["teammate 2"]["turns"]) == 2
    assert result["usage"]["input_tokens"] > 0 and result["model"] == OPUS


async def test_every_model_failing_in_the_parallel_phase_is_all_models_failed(
        start_server: Any, emulator: Emulator, tmp_path: Path) -> None:
    lsp = await _start(start_server, emulator, tmp_path)
    api = (lsp.root / "api.py").read_text()

    def plan(_record: Any) -> Reply:  # the lead's plan is served; every later call is refused (key revoked)
        emulator.fault(OPUS, "auth", times=None)
        return plan_for("api.py")

    conv = Conversations()
    conv.add(LEAD, plan, Reply(tool_calls=[ToolCall("approve", {})]))
    conv.add(MATE, Reply(tool_calls=rename_edits("api.py", api, OLD, NEW)), DONE)
    emulator.respond(OPUS, conv)
    result = await lsp.request("codeswitch/refactor", {"instruction": f"rename {OLD}"})
    assert result["error"]["kind"] == "all_models_failed", result["error"]
    assert "auth" in result["error"]["message"]
    agents = {a["role"]: a for a in result["agents"]}
    assert agents["lead"]["turns"] == 1 and agents["teammate 1"]["turns"] == 0
    assert result["usage"]["input_tokens"] > 0 and result["model"] == OPUS


async def test_a_bad_path_in_a_tool_call_is_that_calls_error(start_server: Any, emulator: Emulator,
                                                             tmp_path: Path) -> None:
    lsp = await _start(start_server, emulator, tmp_path)
    api = (lsp.root / "api.py").read_text()
    (lsp.root / "sub").mkdir()
    conv = Conversations()
    conv.add(LEAD,
             Reply(tool_calls=[ToolCall("read_file", {"path": "api\x00.py"}),
                               ToolCall("read_file", {"path": "x" * 300 + ".py"}),
                               ToolCall("read_file", {"path": "sub"}),
                               ToolCall("find_definitions", {"name": OLD})]),
             plan_for("api.py"),
             Reply(tool_calls=[ToolCall("approve", {})]))
    conv.add(MATE, Reply(tool_calls=[ToolCall("edit_file", {"path": "a\x00", "search": "x", "replace": "y"}),
                                     ToolCall("create_file", {"path": "sub/", "text": "x = 1\n"}),
                                     ToolCall("create_file", {"path": "y" * 300, "text": "x = 1\n"}),
                                     *rename_edits("api.py", api, OLD, NEW)]), DONE)
    emulator.respond(OPUS, conv)
    result = await lsp.request("codeswitch/refactor", {"instruction": f"rename {OLD}"})
    assert result["error"] is None, result["error"]
    nul, long, folder, found = tool_results([r for r in emulator.requests if LEAD in str(r.body)][1].body)
    assert nul.startswith("refused (bad_path): refusing to read") and "NUL" in nul
    assert long.startswith("refused (bad_path): refusing to read") and "longer than 255" in long
    assert folder.startswith("refused (unreadable)") and "directory" in folder
    assert "inventory.py" in found  # the call after the bad ones ran
    mate = tool_results([r for r in emulator.requests if MATE in str(r.body)][1].body)
    assert mate[0].startswith("refused (bad_path): refusing to edit")
    assert mate[1].startswith("refused (bad_path)") and "folder separator" in mate[1]
    assert mate[2].startswith("refused (bad_path)")
    assert [c["kind"] for c in result["refused"]] == ["bad_path"] * 3
    (doc,) = result["edit"]["documentChanges"]
    assert apply_lsp(api, doc["edits"]) == api.replace(OLD, NEW)
    assert sorted(p.name for p in (lsp.root / "sub").iterdir()) == []


async def test_a_named_pipe_in_the_workspace_is_never_opened(start_server: Any, emulator: Emulator,
                                                             tmp_path: Path) -> None:
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root)
    fifo = root / "pipe.py"
    os.mkfifo(fifo)
    handle = tmp_path / "pipe-link"  # the same pipe, to release the watcher at the end
    os.link(fifo, handle)
    opened, released = threading.Event(), threading.Event()

    def watcher() -> None:  # open(2) for writing returns exactly when some reader opens the pipe
        while not released.is_set():
            fd = os.open(handle, os.O_WRONLY)
            if not released.is_set():
                opened.set()
            os.close(fd)  # the reader sees end of file instead of hanging

    thread = threading.Thread(target=watcher)
    thread.start()
    try:
        options = {"providers": {"anthropic": {"base_url": emulator.base_url("anthropic")}}}
        lsp = await start_server(caps=CAPS, env={"ANTHROPIC_API_KEY": "sk-ant-test-trust"},
                                 init_options=options, root=root)
        conv = Conversations()
        conv.add(LEAD, Reply(tool_calls=[ToolCall("read_file", {"path": "pipe.py"}),
                                         ToolCall("list_files", {})]),
                 Reply(text="Nothing to do."))
        emulator.respond(OPUS, conv)
        result = await lsp.request("codeswitch/refactor", {"instruction": "look around"})
    finally:
        released.set()
        fd = os.open(handle, os.O_RDONLY | os.O_NONBLOCK)
        await asyncio.to_thread(thread.join)
        os.close(fd)
    assert result["error"]["kind"] == "no_plan"
    read, listed = tool_results([r for r in emulator.requests if LEAD in str(r.body)][1].body)
    assert read.startswith("refused (unreadable)") and "named pipe" in read
    assert "inventory.py" in listed and "pipe.py" not in listed  # the index was built, without the pipe
    assert not opened.is_set()  # neither the index build nor the team opened the pipe
