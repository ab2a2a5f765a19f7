"""Function edits that must keep a file as it is apart from the change: CRLF and CR-only files keep
their line endings on every changed and added line, and protected files are never edited. A real
server over stdio, the emulator over loopback HTTP, and the harness's --apply for the disk."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from test_edit_helpers import CODEX, EditSession, search_replace, start_edit_session
from test_harness import cli

from codeswitch.testing import Emulator, LatencyProfile

AREA = ["import math", "", "", "def area(r):", "    x = r * r", "    return x", ""]
_EOL = re.compile(r"\r\n|\r|\n")


def lsp_apply(text: str, edits: list[dict[str, Any]]) -> str:
    """Apply LSP TextEdits (ASCII, so characters are columns) with lines split on \\r\\n, \\r and \\n."""
    starts = [0] + [m.end() for m in _EOL.finditer(text)]

    def off(p: dict[str, int]) -> int:
        return starts[p["line"]] + p["character"]

    for e in sorted(edits, key=lambda e: off(e["range"]["start"]), reverse=True):
        text = text[:off(e["range"]["start"])] + e["newText"] + text[off(e["range"]["end"]):]
    return text


@pytest_asyncio.fixture
async def lsp(emulator: Emulator, tmp_path: Path) -> AsyncIterator[EditSession]:
    async for s in start_edit_session(emulator, tmp_path):
        yield s


@pytest.mark.parametrize("eol", ["\r\n", "\r"], ids=["crlf", "cr"])
async def test_function_edit_keeps_the_files_line_endings(lsp: EditSession, emulator: Emulator,
                                                          eol: str) -> None:
    text = eol.join(AREA)
    # the model answers with "\n" line breaks, adding a line and changing one
    emulator.script(CODEX, search_replace("    x = r * r\n    return x\n",
                                          "    x = r * r\n    y = x * math.pi\n    return y\n"))
    uri = lsp.open("m.py", "python", text)
    result = await lsp.edit(uri, 4, 4, "multiply by pi")
    assert result["error"] is None, result["error"]
    (doc,) = result["edit"]["documentChanges"]
    new = lsp_apply(text, doc["edits"])
    want = eol.join(["import math", "", "", "def area(r):", "    x = r * r", "    y = x * math.pi",
                     "    return y", ""])
    assert new == want, repr(new)
    assert {m.group() for m in _EOL.finditer(new)} == {eol}


async def test_edit_apply_keeps_crlf_on_disk(tmp_path: Path, emulator: Emulator) -> None:
    ws = tmp_path / "ws"
    (ws / ".git").mkdir(parents=True)
    (ws / "m.py").write_bytes("\r\n".join(AREA).encode())
    emulator.script(CODEX, search_replace("    return x\n", "    x = x * math.pi\n    return x\n"))
    run = await cli(tmp_path, emulator, "edit", "ws/m.py:6", "multiply by pi", "--apply", "--json")
    assert run.rc == 0, run.err
    data = (ws / "m.py").read_bytes()
    assert b"    x = x * math.pi\r\n    return x\r\n" in data and data.count(b"\n") == data.count(b"\r\n")


@pytest.mark.parametrize("name", [".codeswitch.toml", ".pre-commit-config.yaml", ".vscode/tasks.json"])
async def test_a_protected_file_is_never_edited(lsp: EditSession, emulator: Emulator, name: str) -> None:
    (lsp.root / name).parent.mkdir(parents=True, exist_ok=True)
    uri = lsp.open(name, "plaintext", "x = 1\n")
    emulator.script(CODEX, search_replace("x = 1\n", "x = 2\n"))
    result = await lsp.edit(uri, 0, 0, "set x to 2", apply=True)
    assert result["edit"] is None and result["applied"] is False
    assert result["error"]["kind"] == "protected" and name in result["error"]["message"]
    assert emulator.requests == [] and lsp.applied == []  # no model call, nothing sent to the editor


async def test_a_document_closed_while_the_model_worked_says_so(lsp: EditSession, emulator: Emulator) -> None:
    text = "\n".join(AREA)
    emulator.set_profile(CODEX, LatencyProfile(ttft_s=0.0, tokens_per_second=20.0))
    emulator.script(CODEX, "Thinking. " * 40 + search_replace("    return x\n", "    return x * math.pi\n"))
    uri = lsp.open("m.py", "python", text)
    (lsp.root / "m.py").write_text("# saved by the user\n" + text)  # the file on disk moved on
    pending = asyncio.ensure_future(lsp.edit(uri, 4, 4, "multiply by pi"))
    while not any(r.tokens_sent > 0 for r in emulator.requests):
        await asyncio.sleep(0.01)
    lsp.client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri=uri)))
    await lsp.raw_request("codeswitch/lastRoute", {})  # the close has been handled
    result = await pending
    assert result["error"] is None, result["error"]
    closed = ("the document was closed while the model worked: the edit is for the file on disk, "
              "rebased onto it")
    assert closed in result["reasons"]
    assert not any("rebased onto version" in r for r in result["reasons"])
    (doc,) = result["edit"]["documentChanges"]
    assert doc["textDocument"]["version"] is None
    assert lsp_apply("# saved by the user\n" + text, doc["edits"]) == \
        "# saved by the user\n" + text.replace("return x", "return x * math.pi")


async def test_a_quick_edit_code_action_in_a_protected_file_is_refused(lsp: EditSession,
                                                                        emulator: Emulator) -> None:
    text = "\n".join(AREA)
    emulator.script(CODEX, search_replace("def area(r):\n", 'def area(r):\n    """Area."""\n'))
    uri = lsp.open(".github/actions/setup/area.py", "python", text)  # CI runs it: protected
    pos = types.Position(4, 8)
    params = types.CodeActionParams(text_document=types.TextDocumentIdentifier(uri),
                                    range=types.Range(pos, pos),
                                    context=types.CodeActionContext(diagnostics=[]))
    converter = lsp.client.protocol._converter
    listed = await lsp.raw_request(types.TEXT_DOCUMENT_CODE_ACTION, converter.unstructure(params))
    actions = [converter.structure(a, types.CodeAction) for a in listed]
    (doc,) = [a for a in actions if a.title.startswith("Add docstring")]
    with pytest.raises(JsonRpcException) as err:
        await lsp.client.code_action_resolve_async(doc)
    assert err.value.code == -32803 and "protected file" in str(err.value.message)
    assert emulator.requests == [] and lsp.applied == []
