"""A bare LSP peer for tests that must send what no well-behaved client would (raw bytes).

``RawServer`` runs ``codeswitch serve`` over stdio; ``RawPeer`` speaks to any byte stream. Both
read every message the server sends into a queue (a thread parses the framing), so a test waits
for the answer it expects instead of sleeping.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

#: a guard against a hung test, never an expectation about speed
WAIT_S = 120.0


def frame(payload: object) -> bytes:
    body = json.dumps(payload).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def read_frames(read: Callable[[int], bytes], readline: Callable[[], bytes], out: queue.Queue[Any]) -> None:
    """Parse messages from a stream into ``out``; None marks the end of the stream."""
    try:
        while True:
            length = None
            while True:
                line = readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            assert length is not None
            out.put(json.loads(read(length)))
    except (OSError, ValueError):
        return
    finally:
        out.put(None)


class RawPeer:
    """Messages over a pair of binary streams."""

    def __init__(self, reader: IO[bytes], writer: Callable[[bytes], None]) -> None:
        self.write = writer
        self.inbox: queue.Queue[Any] = queue.Queue()
        self.thread = threading.Thread(target=read_frames, args=(reader.read, reader.readline, self.inbox),
                                       daemon=True)
        self.thread.start()

    def send(self, payload: object) -> None:
        self.write(frame(payload))

    def next(self) -> Any:
        """The next message from the server (None: the stream ended)."""
        return self.inbox.get(timeout=WAIT_S)

    def answer(self, msg_id: object) -> dict[str, Any]:
        """The response to ``msg_id``; notifications and requests from the server are collected."""
        while True:
            message = self.next()
            assert message is not None, f"the stream ended before the answer to {msg_id!r}"
            if "method" not in message and message.get("id") == msg_id:
                return dict(message)
            self.others.append(message)

    @property
    def others(self) -> list[Any]:
        if not hasattr(self, "_others"):
            self._others: list[Any] = []
        return self._others

    def initialize(self, root: Path, options: object = None, msg_id: object = 0) -> dict[str, Any]:
        self.send({"jsonrpc": "2.0", "id": msg_id, "method": "initialize",
                   "params": {"capabilities": {}, "rootUri": root.as_uri(),
                              "initializationOptions": options}})
        answer = self.answer(msg_id)
        self.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        return answer


class RawServer(RawPeer):
    """``codeswitch serve`` over stdio with a hermetic environment under ``home``."""

    def __init__(self, home: Path, args: tuple[str, ...] = (), env: Mapping[str, str] | None = None) -> None:
        environ = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
        environ.update(XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"))
        environ.update(env or {})
        self.proc = subprocess.Popen([sys.executable, "-m", "codeswitch", "serve", *args], env=environ,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        stdin = self.proc.stdin

        def write(data: bytes) -> None:
            stdin.write(data)
            stdin.flush()

        super().__init__(self.proc.stdout, write)

    def close(self) -> tuple[int, str]:
        """Close stdin and wait for the process: (exit status, stderr)."""
        assert self.proc.stdin is not None and self.proc.stderr is not None
        if self.proc.stderr.closed:
            return self.proc.wait(timeout=WAIT_S), ""
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        stderr = self.proc.stderr.read().decode("utf-8", "replace")
        status = self.proc.wait(timeout=WAIT_S)
        self.thread.join(timeout=WAIT_S)
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        self.proc.stderr.close()
        return status, stderr
