"""Notifications leave nothing behind in the protocol: a session of keystrokes keeps no futures."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from codeswitch.lsp_server import CodeswitchProtocol
from codeswitch.server import create_server


class Sink:
    """A writer that keeps what the server sends."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> None:
        self.data += data

    def close(self) -> None:
        pass


def send(protocol: Any, payload: dict[str, Any]) -> None:
    protocol.handle_message(protocol.structure_message(json.loads(json.dumps(payload))))


async def test_a_thousand_did_changes_keep_no_futures(tmp_path: Path) -> None:
    server = create_server()
    protocol = server.protocol
    assert isinstance(protocol, CodeswitchProtocol)
    protocol.set_writer(Sink())
    send(protocol, {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                    "params": {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}})
    answered = protocol._request_futures.get(1)
    if answered is not None:  # initialize runs as a task: wait for its answer
        await asyncio.wrap_future(answered) if isinstance(answered, Future) else await answered
    assert protocol.initialized
    send(protocol, {"jsonrpc": "2.0", "method": "initialized", "params": {}})
    uri = (tmp_path / "a.py").as_uri()
    send(protocol, {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": uri, "languageId": "python", "version": 1, "text": "x = 1\n"}}})
    for version in range(2, 1002):
        at = {"line": 1, "character": version - 2}
        send(protocol, {"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"range": {"start": at, "end": at}, "text": "y"}]}})
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    await asyncio.gather(*others)  # the handlers still running (didOpen's, initialized's)
    for _ in range(3):
        await asyncio.sleep(0)  # their done callbacks, and the steps of the handlers above them
    assert server.state.documents.snapshot(uri).line(1) == "y" * 1000
    assert protocol._request_futures == {}  # never one per key
