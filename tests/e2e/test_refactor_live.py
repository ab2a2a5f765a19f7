"""codeswitch/refactor on documents the user keeps editing: the team reads an open document's live
snapshot; edits made meanwhile are rebased onto the new version, or the refactor is refused when
the user changed the very lines it edits."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest
from lsp_edits import apply_lsp
from lsprotocol import types

from codeswitch.testing import Conversations, Emulator, LatencyProfile, Reply, ToolCall
from codeswitch.testing.conversation import rename_edits

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
OPUS = "claude-opus-4-6"
OLD, NEW = "reserve_stock", "hold_stock"
CAPS = types.ClientCapabilities(
    workspace=types.WorkspaceClientCapabilities(
        apply_edit=True, workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True)),
    general=types.GeneralClientCapabilities(position_encodings=["utf-16"]))


def script(root: Path) -> Conversations:
    conv = Conversations()
    conv.add("[codeswitch-team:lead]",
             Reply(tool_calls=[ToolCall("read_file", {"path": "orders.py"})]),  # the live text, version 1
             Reply(tool_calls=[ToolCall("assign_tasks", {"tasks": [
                 {"files": ["orders.py"], "instruction": f"rename {OLD} to {NEW}"}]})]),
             Reply(tool_calls=[ToolCall("approve", {})]))
    calls = rename_edits("orders.py", (root / "orders.py").read_text(), OLD, NEW)
    # the teammate thinks aloud (slowly) before editing: the user types meanwhile
    conv.add("[codeswitch-team:teammate 1]", Reply(text="Renaming. " * 20, tool_calls=calls),
             Reply(tool_calls=[ToolCall("done", {})]))
    return conv


@pytest.mark.parametrize("where", ["above", "inside"])
async def test_user_edits_during_the_run(start_server: Any, emulator: Emulator, tmp_path: Path,
                                         where: str) -> None:
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root)
    options = {"providers": {"anthropic": {"base_url": emulator.base_url("anthropic")}}}
    lsp = await start_server(caps=CAPS, env={"ANTHROPIC_API_KEY": "sk-ant-test"}, root=root,
                             init_options=options)
    text = (root / "orders.py").read_text()
    uri = lsp.open("orders.py", text)
    emulator.respond(OPUS, script(root))
    emulator.set_profile(OPUS, LatencyProfile(ttft_s=0.0, tokens_per_second=100.0))
    pending = asyncio.ensure_future(lsp.request("codeswitch/refactor", {"instruction": f"rename {OLD}"}))
    while not any("teammate 1]" in str(r.body) and r.tokens_sent > 0 for r in emulator.requests):
        await asyncio.sleep(0.01)
    lines = text.split("\n")
    if where == "above":  # a new first line: the team's edits move down by one
        lsp.change(uri, [((0, 0, 0, 0), "# typed while the team worked\n")])
        now = "# typed while the team worked\n" + text
    else:  # the user edits the call the team renames
        i = next(n for n, x in enumerate(lines) if f"{OLD}(inventory" in x)
        lsp.change(uri, [((i, 0, i, len(lines[i])), lines[i] + "  # mine")])
        now = "\n".join([*lines[:i], lines[i] + "  # mine", *lines[i + 1:]])
    result = await pending
    if where == "above":
        assert result["error"] is None
        (doc,) = result["edit"]["documentChanges"]
        assert doc["textDocument"]["version"] == 2
        assert apply_lsp(now, doc["edits"]) == now.replace(OLD, NEW)
        assert "+# typed while the team worked" not in result["diff"]  # the diff is against version 2
        assert f"+from inventory import Inventory, OutOfStock, Reservation, {NEW}" in result["diff"]
    else:
        assert result["edit"] is None and result["error"]["kind"] == "stale"
        assert "modified while the model worked" in result["error"]["message"]
    assert (root / "orders.py").read_text() == text
