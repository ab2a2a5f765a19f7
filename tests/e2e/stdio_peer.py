"""A bare LSP client over a subprocess's stdio that records every byte the server sends.

pytest-lsp's client stops reading once it sent ``exit``; the exit tests need to see everything the
server writes until its stdout closes, in order, and to close the server's stdin themselves.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

Message = dict[str, Any]


class StdioPeer:
    """``await StdioPeer.start(args, env)``: the server process; messages land in ``received``."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.received: list[Message] = []
        self.trailing = b""  # bytes after the last whole message (must stay empty)
        self.eof = False  # the server closed its stdout
        self._changed = asyncio.Condition()
        self._next_id = 0
        self._reader = asyncio.create_task(self._read())
        self._stderr = asyncio.create_task(self._drain_stderr())  # a full pipe would block the server

    @classmethod
    async def start(cls, args: Sequence[str], env: Mapping[str, str], cwd: Path) -> StdioPeer:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-P", "-m", "codeswitch", "serve", *args, env=dict(env), cwd=cwd,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        return cls(process)

    async def _drain_stderr(self) -> bytes:
        assert self.process.stderr is not None
        return await self.process.stderr.read()

    async def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        while True:
            try:
                header = await stdout.readuntil(b"\r\n\r\n")
                length = next(int(line.split(b":")[1]) for line in header.split(b"\r\n")
                              if line.lower().startswith(b"content-length"))
                message: Message = json.loads(await stdout.readexactly(length))
            except asyncio.IncompleteReadError as exc:  # end of output (a cut message stays in trailing)
                self.trailing = exc.partial
                break
            if message.get("method") == "window/workDoneProgress/create":
                self._send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            async with self._changed:
                self.received.append(message)
                self._changed.notify_all()
        async with self._changed:
            self.eof = True
            self._changed.notify_all()

    async def read_to_end(self) -> None:
        """Wait until the server closed its stdout (bytes after the last whole message: ``trailing``)."""
        await self._reader

    def _send(self, message: Message) -> None:
        body = json.dumps(message).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def notify(self, method: str, params: object = None) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: object = None) -> int:
        self._next_id += 1
        self._send({"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params})
        return self._next_id

    async def wait_for(self, match: Callable[[Message], bool]) -> int:
        """Wait until a received message matches; its index in ``received``."""
        async with self._changed:
            while True:
                for i, message in enumerate(self.received):
                    if match(message):
                        return i
                if self.eof:
                    raise AssertionError(f"the server closed its stdout; received {self.received}")
                await self._changed.wait()

    async def answer(self, request_id: int) -> tuple[int, Message]:
        """(index in ``received``, the response) of our request ``request_id``."""
        i = await self.wait_for(lambda m: m.get("id") == request_id and "method" not in m)
        return i, self.received[i]

    async def initialize(self, root: Path, *, progress: bool = True) -> Message:
        caps = {"window": {"workDoneProgress": progress},
                "general": {"positionEncodings": ["utf-16"]}}
        _, result = await self.answer(self.request("initialize", {
            "processId": None, "rootUri": root.as_uri(), "capabilities": caps,
            "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}]}))
        self.notify("initialized", {})
        return result

    def close_stdin(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()

    async def stderr(self) -> str:
        """Everything the server wrote on stderr (waits until it closed it)."""
        return (await self._stderr).decode("utf-8", "replace")


def index_report(message: Message) -> bool:
    """A ``$/progress`` report of the workspace index build."""
    value = (message.get("params") or {}).get("value") or {}
    token = str((message.get("params") or {}).get("token", ""))
    return message.get("method") == "$/progress" and token.startswith("codeswitch-index") \
        and value.get("kind") == "report"
