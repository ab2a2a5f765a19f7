"""Bad LSP input over real stdio: the right JSON-RPC error or an empty answer, and the server lives on."""

from __future__ import annotations

from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

INVALID_PARAMS = -32602
METHOD_NOT_FOUND = -32601
SERVER_NOT_INITIALIZED = -32002


async def error_code(session: Any, method: str, params: object) -> int:
    with pytest.raises(JsonRpcException) as err:
        await session.raw_request(method, params)
    return int(err.value.code)


async def still_alive(session: Any) -> None:
    uri = session.open("alive.py", "def ok():\n    return 1\n")
    result = await session.scope(uri, 1, 4)
    assert result["scope"] == "inline"


async def test_requests_before_initialize(start_server: Any) -> None:
    session = await start_server(initialize=False)
    params = {"textDocument": {"uri": session.uri("a.py")}, "position": {"line": 0, "character": 0}}
    assert await error_code(session, "codeswitch/scope", params) == SERVER_NOT_INITIALIZED
    assert await error_code(session, types.TEXT_DOCUMENT_HOVER, params) == SERVER_NOT_INITIALIZED
    session.result = await session.client.initialize_session(types.InitializeParams(
        capabilities=types.ClientCapabilities(), root_uri=session.root.as_uri()))
    await still_alive(session)


async def test_position_past_eof(lsp: Any) -> None:
    uri = lsp.open("a.py", "x = 1\n")
    for line, character in ((2, 0), (50, 3)):
        params = {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}
        assert await error_code(lsp, "codeswitch/scope", params) == INVALID_PARAMS
    # past the end of a line is the line end (LSP), not an error
    result = await lsp.scope(uri, 0, 99)
    assert result["scope"] == "inline"
    await still_alive(lsp)


async def test_params_that_do_not_deserialize_get_invalid_params(lsp: Any) -> None:
    negative = {"textDocument": {"uri": lsp.uri("a.py")}, "position": {"line": -1, "character": 0}}
    assert await error_code(lsp, types.TEXT_DOCUMENT_HOVER, negative) == INVALID_PARAMS
    assert await error_code(lsp, types.TEXT_DOCUMENT_HOVER, {"textDocument": 7}) == INVALID_PARAMS
    await still_alive(lsp)


@pytest.mark.parametrize("params", [
    {},
    {"textDocument": {"uri": "file:///nowhere/missing.py"}, "position": {"line": 0, "character": 0}},
    {"textDocument": {"uri": "untitled:Untitled-1"}, "position": {"line": 0, "character": 0}},
    {"textDocument": {"uri": "file:///x.py"}},
    {"textDocument": {"uri": "file:///x.py"}, "position": {"line": "zero", "character": 0}},
    {"textDocument": {"uri": "file:///x.py"}, "position": {"line": 0, "character": 0}, "kind": "everything"},
], ids=["empty", "unknown-file", "unknown-scheme", "no-position", "string-line", "bad-kind"])
async def test_bad_scope_params(lsp: Any, params: dict[str, Any]) -> None:
    assert await error_code(lsp, "codeswitch/scope", params) == INVALID_PARAMS
    await still_alive(lsp)


async def test_unknown_method_and_unknown_documents(lsp: Any) -> None:
    assert await error_code(lsp, "codeswitch/nothing", {}) == METHOD_NOT_FOUND
    ghost = lsp.uri("ghost.py")
    lsp.change(ghost, [((0, 0, 0, 0), "x")])  # didChange before didOpen: ignored
    lsp.client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(ghost)))
    await still_alive(lsp)


async def test_a_closed_file_is_read_from_disk(lsp: Any) -> None:
    (lsp.root / "disk.py").write_text("def on_disk():\n    return 2\n", encoding="utf-8")
    result = await lsp.scope(lsp.uri("disk.py"), 1, 4)
    assert result["anchor"] == {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 12}}


async def test_huge_file_is_plain_text_and_keeps_syncing(lsp: Any) -> None:
    text = "".join(f"value_{i} = {i}\n" for i in range(200_000))  # > 2 MB
    uri = lsp.open("huge.py", text)
    result = await lsp.scope(uri, 150_000, 3)
    assert result["scope"] == "inline"
    lsp.change(uri, [((199_999, 0, 199_999, 0), "def tail():\n    return 0\n")])
    result = await lsp.scope(uri, 200_001, 12)
    assert result["scope"] == "inline"
    with pytest.raises(JsonRpcException):
        await lsp.scope(uri, 200_003, 0)
    await still_alive(lsp)


async def test_binary_file_is_plain_text(lsp: Any) -> None:
    uri = lsp.open("blob.py", "\x00\x01\x02 PNG \x00\n\x00def f():\n")
    result = await lsp.scope(uri, 1, 1)
    assert result["scope"] in ("inline", "function")
    lsp.change(uri, [((0, 0, 0, 0), "\x00\x00")])
    result = await lsp.scope(uri, 0, 2)
    assert "scope" in result
    await still_alive(lsp)
