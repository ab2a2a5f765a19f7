"""Hostile bytes on stdio, through the real server: an absurd Content-Length, batch arrays, missing
``jsonrpc``, non-string methods and requests after ``shutdown`` get an error answer; no popup, no crash.
A document holding a lone UTF-16 surrogate gets a clean refusal, never a traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from raw_lsp import RawServer

from codeswitch import trust

INVALID_REQUEST = -32600


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RawServer]:
    (tmp_path / "ws").mkdir()
    srv = RawServer(tmp_path)
    yield srv
    if srv.proc.poll() is None:
        srv.proc.kill()
    srv.close()


def scope_request(root: Path, msg_id: int) -> dict[str, object]:
    return {"jsonrpc": "2.0", "id": msg_id, "method": "codeswitch/scope",
            "params": {"textDocument": {"uri": (root / "a.py").as_uri()}, "kind": "inline",
                       "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}}}


def finish(server: RawServer) -> tuple[int, str]:
    server.send({"jsonrpc": "2.0", "id": "bye", "method": "shutdown"})
    assert "error" not in server.answer("bye")
    server.send({"jsonrpc": "2.0", "method": "exit"})
    return server.close()


def test_a_content_length_of_two_to_the_forty_is_answered_not_fatal(server: RawServer,
                                                                    tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "a.py").write_text("x = 1\n")
    server.initialize(root)
    server.write(b"Content-Length: 1099511627776\r\n\r\n{\"jsonrpc\": \"2.0\"}")
    answer = server.answer(None)
    assert answer["error"]["code"] == INVALID_REQUEST and "over the limit" in answer["error"]["message"]
    assert server.proc.poll() is None  # alive, reading (and dropping) what it announced
    _status, stderr = server.close()
    assert "MemoryError" not in stderr


def test_bad_json_rpc_gets_error_answers_and_no_popup(server: RawServer, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "a.py").write_text("x = 1\n")
    server.initialize(root)
    server.write(b'Content-Length: 2\r\n\r\n[]')
    server.send([scope_request(root, 1), scope_request(root, 2)])
    server.send({"id": 3, "method": "codeswitch/scope", "params": {}})
    server.send({"jsonrpc": "2.0", "id": 4, "method": 42})
    server.send({"jsonrpc": "2.0", "id": 5, "method": None})
    answers = [server.answer(i) for i in (None, None, 3, 4, 5)]
    assert [a["error"]["code"] for a in answers] == [INVALID_REQUEST] * 5
    server.send(scope_request(root, 6))
    assert server.answer(6)["result"]["scope"] == "inline"
    popups = [m for m in server.others if m.get("method") == "window/showMessage"]
    assert popups == []
    status, stderr = finish(server)
    assert status == 0 and "Traceback" not in stderr


def test_requests_after_shutdown_are_invalid_requests(server: RawServer, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "a.py").write_text("x = 1\n")
    server.initialize(root)
    server.send({"jsonrpc": "2.0", "id": 1, "method": "shutdown"})
    assert server.answer(1)["result"] is None
    server.send(scope_request(root, 2))
    answer = server.answer(2)
    assert answer["error"]["code"] == INVALID_REQUEST and "shutting down" in answer["error"]["message"]
    server.send({"jsonrpc": "2.0", "method": "exit"})
    status, _ = server.close()
    assert status == 0


def test_a_lone_surrogate_in_a_document_is_a_clean_error(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    trust.add(root, {"XDG_CONFIG_HOME": str(tmp_path / "config")})
    # a key, and an endpoint nothing listens on: the request must be refused before it is sent
    server = RawServer(tmp_path, env={"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"})
    try:
        server.initialize(root)
        uri = (root / "s.py").as_uri()
        text = 'def f():\\n    x = \\"\\ud800\\"\\n    return 1\\n'  # JSON escapes: a lone high surrogate
        body = ('{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": '
                f'{{"uri": "{uri}", "languageId": "python", "version": 1, "text": "{text}"}}}}}}').encode()
        server.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        where = {"textDocument": {"uri": uri}}
        point = {"line": 1, "character": 4}
        server.send({"jsonrpc": "2.0", "id": 1, "method": "codeswitch/edit",
                     "params": {**where, "instruction": "fix", "range": {"start": point, "end": point}}})
        edit = server.answer(1)
        error = edit["result"]["error"]
        assert error["kind"] == "bad_text" and "surrogate" in error["message"]
        server.send({"jsonrpc": "2.0", "id": 2, "method": "textDocument/inlineCompletion",
                     "params": {**where, "position": point, "context": {"triggerKind": 1}}})
        inline = server.answer(2)
        assert "error" not in inline and not inline["result"]["items"]
        assert "traceback" not in json.dumps([edit, inline, *server.others]).lower()
        finish(server)
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
        server.close()
