"""``exclude`` covers the document being edited or completed: its text never reaches a provider,
whatever the request (inline, completion, edit, code action); nor does text holding a credential."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from lsp_raw import inline_texts
from lsprotocol import types
from test_edit_helpers import EditSession, start_edit_session

from codeswitch.testing import Emulator

SPARK = "gpt-5.3-codex-spark"
TEXT = "def area(w, h):\n    return w\n"
SETTINGS = 'exclude = ["generated/", "private_*.py"]\n'


@pytest_asyncio.fixture
async def lsp(emulator: Emulator, tmp_path: Path) -> AsyncIterator[EditSession]:
    async for s in start_edit_session(emulator, tmp_path, files={".codeswitch.toml": SETTINGS}):
        yield s


async def test_an_excluded_document_is_never_sent(lsp: EditSession, emulator: Emulator) -> None:
    emulator.script(SPARK, "<FILL> * h</FILL>")
    for name in ("generated/api.py", "private_keys.py"):
        uri = lsp.open(name, "python", TEXT)
        assert await inline_texts(lsp.client, uri, 1, 12) == []
        completion = await lsp.client.text_document_completion_async(types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri), position=types.Position(1, 12)))
        assert completion is None or not completion.items
        result = await lsp.edit(uri, 1, 4, "return the area")
        assert result["error"]["kind"] == "secret" and "excluded" in result["error"]["message"]
        actions = await lsp.client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri),
            range=types.Range(types.Position(1, 4), types.Position(1, 4)),
            context=types.CodeActionContext(diagnostics=[])))
        assert not actions
    assert emulator.requests == []
    served = lsp.open("open.py", "python", TEXT)  # the same request on a file that is not excluded
    assert await inline_texts(lsp.client, served, 1, 12) == [" * h"]
    assert len(emulator.requests) == 1


async def test_text_holding_a_credential_is_never_sent(lsp: EditSession, emulator: Emulator) -> None:
    emulator.script(SPARK, "<FILL> * h</FILL>")
    token = "AKIA" + "Q" * 16  # an AWS access key's shape, pasted into ordinary source
    uri = lsp.open("deploy.py", "python", f"def area(w, h):\n    key = '{token}'\n    return w\n")
    result = await lsp.edit(uri, 2, 4, "return the area")
    assert result["error"]["kind"] == "secret_content" and "AWS access key" in result["error"]["message"]
    assert token not in str(result)
    assert await _inline_at(lsp, uri, 2, 12) == []
    assert emulator.requests == []


async def _inline_at(lsp: EditSession, uri: str, line: int, character: int) -> list[str]:
    result = await lsp.client.text_document_inline_completion_async(types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri), position=types.Position(line, character),
        context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Automatic)))
    items = result.items if isinstance(result, types.InlineCompletionList) else (result or [])
    return [str(i.insert_text) for i in items]
