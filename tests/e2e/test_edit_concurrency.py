"""codeswitch/edit while the user types, cancellation, and escalation of a changed signature."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from test_edit_helpers import CODEX, EditSession, search_replace, start_edit_session

from codeswitch.testing import Emulator, Fault

PY = ("def area(r):\n"
      "    x = r * r\n"
      "    return x\n"
      "\n"
      "\n"
      "def other(r):\n"
      "    return r\n")
#: long enough that the typing below lands while the model "thinks"; the test waits on events
STALL_S = 3.0


@pytest_asyncio.fixture
async def lsp(emulator: Emulator, tmp_path: Path) -> AsyncIterator[EditSession]:
    files = {"use.py": "from m import area\n\nprint(area(2))\n"}
    async for s in start_edit_session(emulator, tmp_path, files=files):
        yield s


async def _typed_while_stalled(lsp: EditSession, emulator: Emulator, uri: str, line: int, start: int,
                               end: int, text: str, at: int = 1) -> dict[str, object]:
    """Send the edit, wait until the emulator holds the request, type, then let the model answer."""
    emulator.fault(CODEX, Fault("stall_first", stall_s=STALL_S))
    pending = asyncio.ensure_future(lsp.edit(uri, at, 4, "square with the power operator"))
    (req,) = await emulator.wait_requests(1)
    lsp.replace(uri, line, start, end, text)
    # the server has read the change once it answers a later request about the new version
    scope = await lsp.client.protocol.send_request_async("codeswitch/scope", {
        "textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0},
                                                "end": {"line": 0, "character": 0}}})
    assert scope.version == lsp.versions[uri]
    assert not req.completed  # still stalled: the typing happened while the model worked
    result: dict[str, object] = await pending
    return result


async def test_edit_is_rebased_when_the_user_typed_elsewhere(lsp: EditSession, emulator: Emulator) -> None:
    emulator.script(CODEX, search_replace("    x = r * r\n", "    x = r ** 2\n"))
    uri = lsp.open("m.py", "python", PY)
    # the user renames `other`'s parameter below the anchor and adds a line above it
    result = await _typed_while_stalled(lsp, emulator, uri, 6, 11, 12, "radius")
    assert result["error"] is None, result["error"]
    (doc,) = result["edit"]["documentChanges"]  # type: ignore[index]
    assert doc["textDocument"]["version"] == 2
    assert doc["edits"] == [{"range": {"start": {"line": 1, "character": 11},
                                       "end": {"line": 1, "character": 13}}, "newText": "* 2"}]
    assert any("rebased onto version 2" in r for r in result["reasons"])  # type: ignore[attr-defined]


async def test_edit_is_rebased_below_lines_inserted_above(lsp: EditSession, emulator: Emulator) -> None:
    emulator.script(CODEX, search_replace("    return x\n", "    return x + 1\n"))
    uri = lsp.open("m.py", "python", "import os\n\n\n" + PY)
    result = await _typed_while_stalled(lsp, emulator, uri, 0, 0, 0, "import sys\n", at=4)
    assert result["error"] is None, result["error"]
    (doc,) = result["edit"]["documentChanges"]  # type: ignore[index]
    # `return x` was line 5 when the model saw the file; one line was inserted above since
    assert doc["edits"] == [{"range": {"start": {"line": 6, "character": 12},
                                       "end": {"line": 6, "character": 12}}, "newText": " + 1"}]


async def test_edit_is_refused_when_the_user_typed_inside_the_anchor(lsp: EditSession,
                                                                     emulator: Emulator) -> None:
    emulator.script(CODEX, search_replace("    x = r * r\n", "    x = r ** 2\n"))
    uri = lsp.open("m.py", "python", PY)
    result = await _typed_while_stalled(lsp, emulator, uri, 2, 11, 12, "x + 0")
    assert result["edit"] is None
    assert result["error"] == {"kind": "stale", "message": result["error"]["message"]}  # type: ignore[index]
    assert "modified while the model worked" in result["error"]["message"]  # type: ignore[index]
    assert result["model"] == CODEX


async def test_cancel_request_closes_the_upstream_stream(lsp: EditSession, emulator: Emulator) -> None:
    emulator.fault(CODEX, Fault("stall_first", stall_s=60.0))
    uri = lsp.open("m.py", "python", PY)
    pending = asyncio.ensure_future(lsp.client.protocol.send_request_async(
        "codeswitch/edit", lsp.edit_params(uri, 1, 4, "square it"), msg_id="edit-to-cancel"))
    (req,) = await emulator.wait_requests(1)
    lsp.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="edit-to-cancel"))
    with pytest.raises(JsonRpcException) as err:
        await pending
    assert err.value.code == -32800
    rec = await emulator.wait_closed(req)
    assert rec.disconnected_at is not None and not rec.completed


async def test_signature_change_used_elsewhere_escalates(lsp: EditSession, emulator: Emulator) -> None:
    emulator.script(CODEX, search_replace("def area(r):\n", "def area(r, scale):\n"))
    await lsp.wait_indexed()  # the index tells who uses `area`
    uri = lsp.open("m.py", "python", PY)
    # "this function" reads as function scope; the answer turns out to change the signature
    result = await lsp.edit(uri, 1, 4, "make this function faster")
    assert result["edit"] is None
    assert result["error"]["kind"] == "workspace_scope"
    assert "use.py" in result["error"]["message"]
    assert any("escalated to the workspace tier" in r for r in result["reasons"])


async def test_the_refactor_after_an_escalation_starts_from_the_first_attempt(lsp: EditSession,
                                                                               emulator: Emulator) -> None:
    # with only an OpenAI key the workspace tier (the team's lead) is served by the same model
    emulator.script(CODEX, search_replace("def area(r):\n", "def area(r, scale):\n"))
    await lsp.wait_indexed()
    uri = lsp.open("m.py", "python", PY)
    result = await lsp.edit(uri, 1, 4, "make this function faster")
    assert result["error"]["kind"] == "workspace_scope"
    params = {"instruction": "make this function faster", "textDocument": {"uri": uri},
              "range": {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 4}}}
    await lsp.raw_request("codeswitch/refactor", params)
    edit_call, lead, *_ = emulator.requests_for(CODEX)
    sent = json.dumps(lead.body)
    # the team is told what the function edit did, and why it was stopped
    assert "A first attempt limited to" in sent and "def area(r, scale):" in sent
    assert "use.py" in sent
    assert "A first attempt" not in json.dumps(edit_call.body)
    # once: a later refactor of the same document starts afresh
    before = len(emulator.requests_for(CODEX))
    await lsp.raw_request("codeswitch/refactor", params)
    again = emulator.requests_for(CODEX)[before]
    assert "A first attempt" not in json.dumps(again.body)


async def test_progress_cancel_cancels_the_edit_and_closes_the_stream(lsp: EditSession,
                                                                      emulator: Emulator) -> None:
    emulator.fault(CODEX, Fault("stall_first", stall_s=60.0))
    uri = lsp.open("m.py", "python", PY)
    reports = lsp.progress("edit-progress")
    pending = asyncio.ensure_future(lsp.edit(uri, 1, 4, "square it", workDoneToken="edit-progress"))
    (req,) = await emulator.wait_requests(1)
    await lsp.wait_first_progress(reports)
    assert reports[0].kind == "begin" and reports[0].cancellable
    lsp.client.protocol.notify(types.WINDOW_WORK_DONE_PROGRESS_CANCEL,
                               types.WorkDoneProgressCancelParams(token="edit-progress"))
    with pytest.raises(JsonRpcException) as err:
        await pending
    assert err.value.code == -32800
    rec = await emulator.wait_closed(req)
    assert rec.disconnected_at is not None and not rec.completed


async def test_a_progress_token_used_again_after_a_cancel_does_not_cancel_the_next_edit(
        lsp: EditSession, emulator: Emulator) -> None:
    emulator.fault(CODEX, Fault("stall_first", stall_s=60.0))
    uri = lsp.open("m.py", "python", PY)
    reports = lsp.progress("same-token")
    first = asyncio.ensure_future(lsp.edit(uri, 1, 4, "square it", workDoneToken="same-token"))
    await emulator.wait_requests(1)
    await lsp.wait_first_progress(reports)
    lsp.client.protocol.notify(types.WINDOW_WORK_DONE_PROGRESS_CANCEL,
                               types.WorkDoneProgressCancelParams(token="same-token"))
    with pytest.raises(JsonRpcException):
        await first
    # the client reuses its token for the next request: that one runs to the end
    emulator.script(CODEX, search_replace("    x = r * r\n", "    x = r ** 2\n"))
    result = await lsp.edit(uri, 1, 4, "square it", workDoneToken="same-token")
    assert result["error"] is None, result["error"]
    assert result["edit"] is not None


async def test_prompt_shows_definitions_from_other_files_but_never_secret_ones(emulator: Emulator,
                                                                              tmp_path: Path) -> None:
    files = {"geometry.py": "def square(x):\n    return x * x\n",
             ".env.py": "def api_token():\n    return 'sk-live-123'\n"}
    async for lsp in start_edit_session(emulator, tmp_path, files=files):
        await lsp.wait_indexed()
        emulator.script(CODEX, search_replace("    return x\n", "    return x + 0\n"))
        text = ("from geometry import square\nfrom secrets_env import api_token\n\n\n"
                "def area(r):\n    x = square(r)\n    api_token()\n    return x\n")
        uri = lsp.open("m.py", "python", text)
        result = await lsp.edit(uri, 5, 4, "add zero in this function")
        assert result["error"] is None, result["error"]
        prompt = str(emulator.requests[0].body)
        assert "--- geometry.py" in prompt and "return x * x" in prompt
        assert "sk-live-123" not in prompt
