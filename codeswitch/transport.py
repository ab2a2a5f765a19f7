"""Reading LSP messages off a byte stream, strictly: framing, size cap, JSON-RPC shape.

pygls's own loop reads whatever ``Content-Length`` says (``2**40`` is a MemoryError that ends
the server), skips lines it does not understand, and turns a batch array or a message without
``jsonrpc`` into an exception that pops up in the editor. :class:`Connection` replaces that loop:

- a header block is ``Content-Length`` (required) and ``Content-Type`` lines, each at most
  ``MAX_HEADER_LINE`` bytes; anything else (an HTTP request line, another header) is not LSP;
- a body larger than ``max_bytes`` is answered with InvalidRequest and skipped without being
  held in memory (on a strict connection, TCP, the connection is closed instead);
- a body that is not a JSON object with ``"jsonrpc": "2.0"``, a string ``method`` and a string or
  integer ``id`` is answered with ParseError / InvalidRequest (id null when it has none), never
  handed to pygls;
- on a strict connection the first message must pass ``gate`` (``codeswitch serve --tcp``:
  ``initialize`` with the token, see :mod:`codeswitch.tcp`), and anything that is not LSP
  framing closes the connection.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import stat
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any, BinaryIO, Protocol

log = logging.getLogger(__name__)

#: the largest message body accepted (a 60 MB document still fits)
MAX_MESSAGE_BYTES = 64 << 20
MAX_HEADER_LINE = 1024
MAX_HEADERS = 16
_CHUNK = 1 << 20

PARSE_ERROR = -32700
INVALID_REQUEST = -32600

_HEADER = re.compile(rb"([A-Za-z][A-Za-z0-9-]*):[ \t]*([^\r\n]*)\r?\n")
_KNOWN_HEADERS = {b"content-length", b"content-type"}

#: checks the first message of a connection: None lets it through, a string refuses it (why)
Gate = Callable[[dict[str, Any]], str | None]


class NotLsp(Exception):
    """The bytes are not LSP base-protocol framing."""


class Source(Protocol):
    async def readline(self, limit: int) -> bytes: ...

    async def read(self, n: int) -> bytes: ...


class StdinSource:
    """A blocking binary stream read in an executor (stdin)."""

    def __init__(self, stream: BinaryIO, executor: Executor | None = None) -> None:
        self.stream, self.executor = stream, executor

    async def readline(self, limit: int) -> bytes:
        return await asyncio.get_running_loop().run_in_executor(self.executor, self.stream.readline, limit)

    async def read(self, n: int) -> bytes:
        return await asyncio.get_running_loop().run_in_executor(self.executor, self.stream.read, n)


class StreamSource:
    """An asyncio stream (a TCP connection)."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self.reader = reader

    async def readline(self, limit: int) -> bytes:
        try:
            return await self.reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            return exc.partial
        except asyncio.LimitOverrunError as exc:
            await self.reader.readexactly(exc.consumed)  # drop it: the next read starts after it
            raise NotLsp("a header line longer than the stream limit") from None

    async def read(self, n: int) -> bytes:
        try:
            return await self.reader.readexactly(n)
        except asyncio.IncompleteReadError as exc:
            return exc.partial


def error_payload(msg_id: object, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}}


def frame(payload: dict[str, Any]) -> bytes:
    body = json.dumps(payload).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


async def read_length(src: Source) -> int | None:
    """The Content-Length of the next message (its headers consumed); None at the end of the stream."""
    length: int | None = None
    count = 0
    while True:
        line = await src.readline(MAX_HEADER_LINE + 1)
        if not line:
            return None
        if line in (b"\r\n", b"\n"):
            if count == 0:
                continue  # a stray blank line between messages
            if length is None:
                raise NotLsp("a header block without Content-Length")
            return length
        if len(line) > MAX_HEADER_LINE or not line.endswith(b"\n"):
            raise NotLsp("a header line that is too long")
        match = _HEADER.fullmatch(line)
        count += 1
        if match is None or count > MAX_HEADERS:
            raise NotLsp(f"not an LSP header: {line[:60]!r}")
        name, value = match.group(1).lower(), match.group(2).strip()
        if name not in _KNOWN_HEADERS:
            raise NotLsp(f"an unexpected header: {match.group(1)[:40]!r}")
        if name == b"content-length":
            if not value.isdigit() or len(value) > 20:
                raise NotLsp(f"a bad Content-Length: {value[:40]!r}")
            length = int(value)


def problem(data: object) -> tuple[object, int, str] | None:
    """Why ``data`` is not a JSON-RPC 2.0 message: (id to answer, code, message); None if it is one."""
    if isinstance(data, list):
        return None, INVALID_REQUEST, "batch messages are not supported"
    if not isinstance(data, dict):
        return None, INVALID_REQUEST, "a message must be a JSON object"
    msg_id = data.get("id")
    id_ok = msg_id is None or (isinstance(msg_id, int | str) and not isinstance(msg_id, bool))
    answer_to = msg_id if id_ok else None
    if not id_ok:
        return None, INVALID_REQUEST, "id must be a string or an integer"
    if data.get("jsonrpc") != "2.0":
        return answer_to, INVALID_REQUEST, 'jsonrpc must be "2.0"'
    if "method" in data:
        if not isinstance(data["method"], str):
            return answer_to, INVALID_REQUEST, "method must be a string"
        params = data.get("params")
        if params is not None and not isinstance(params, dict | list):
            return answer_to, INVALID_REQUEST, "params must be an object or an array"
        return None
    if "id" in data and ("result" in data or "error" in data):
        return None  # a response to one of our requests
    return answer_to, INVALID_REQUEST, "neither a request, a notification nor a response"


class Connection:
    """One client's byte stream, read message by message into a pygls protocol.

    ``write`` sends raw bytes to this client (used for transport-level errors, before the protocol
    is given the connection). ``strict``: close on anything that is not LSP framing and on an
    oversized message (TCP), instead of skipping it (stdio, where there is no reconnecting).
    ``gate`` checks (and may edit) the first message; until it passes, nothing reaches pygls.
    """

    def __init__(self, src: Source, write: Callable[[bytes], object], protocol: Any, *, strict: bool = False,
                 gate: Gate | None = None, on_open: Callable[[], None] | None = None,
                 max_bytes: int = MAX_MESSAGE_BYTES) -> None:
        self.src, self.write, self.protocol = src, write, protocol
        self.strict, self.gate, self.on_open, self.max_bytes = strict, gate, on_open, max_bytes
        self.opened = gate is None

    def _reply(self, msg_id: object, code: int, message: str) -> None:
        try:
            self.write(frame(error_payload(msg_id, code, message)))
        except (OSError, RuntimeError) as exc:
            log.info("could not answer a bad message: %s", exc)

    async def run(self, stop: threading.Event | None = None,
                  first_message_timeout_s: float | None = None) -> str:
        """Read until the stream ends or is refused; returns why it ended ("eof", "not_lsp", ...)."""
        if self.opened and self.on_open is not None:
            self.on_open()
        while stop is None or not stop.is_set():
            try:
                if not self.opened and first_message_timeout_s is not None:
                    async with asyncio.timeout(first_message_timeout_s):
                        length = await read_length(self.src)
                else:
                    length = await read_length(self.src)
            except TimeoutError:
                return "timeout"
            except NotLsp as exc:
                log.warning("not LSP framing: %s", exc)
                if self.strict or not self.opened:
                    return "not_lsp"
                continue  # stdio: skip the line and read on
            if length is None:
                return "eof"
            if length > self.max_bytes:
                self._reply(None, INVALID_REQUEST, f"a message of {length} bytes is over the limit of "
                                                   f"{self.max_bytes} bytes; skipped")
                if self.strict or not self.opened:
                    return "too_large"
                if not await self._skip(length):
                    return "eof"
                continue
            body = await self.src.read(length)
            if len(body) < length:
                return "eof"
            verdict = self._handle(body)
            if verdict is not None:
                return verdict
        return "stopped"

    async def _skip(self, length: int) -> bool:
        while length > 0:
            got = await self.src.read(min(length, _CHUNK))
            if not got:
                return False
            length -= len(got)
        return True

    def _handle(self, body: bytes) -> str | None:
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            self._reply(None, PARSE_ERROR, "the message is not JSON")
            return None if self.opened else "refused"
        bad = problem(data)
        if bad is not None:
            self._reply(*bad)
            return None if self.opened else "refused"
        if not self.opened:
            assert self.gate is not None
            refusal = self.gate(data)
            if refusal is not None:
                log.warning("connection refused: %s", refusal)
                self._reply(data.get("id"), INVALID_REQUEST, refusal)
                return "refused"
            self.opened = True
            if self.on_open is not None:
                self.on_open()
        try:
            message = self.protocol.structure_message(data)
            self.protocol.handle_message(message)
        except Exception as exc:  # logged; a request is answered by the protocol itself
            log.warning("could not handle a %s message: %s", data.get("method", "response"), exc)
            if "method" in data and data.get("id") is not None:
                self._reply(data["id"], INVALID_REQUEST, f"could not handle {data['method']}")
        return None


async def stdin_source(stream: BinaryIO, executor: Executor | None = None) -> Source:
    """The fastest way to read ``stream`` on this loop.

    A pipe or a socket (how every editor starts a language server) is read by the event loop
    itself, without a thread hop per header line and body; anything else (a regular file, a
    terminal, a stream without a descriptor, any stream on Windows, whose loop reads only
    overlapped pipes) is read in ``executor``. A terminal stays blocking: the loop would make the
    descriptor non-blocking, and the shell shares it.
    """
    if sys.platform == "win32":
        return StdinSource(stream, executor)
    try:
        fd = stream.fileno()
        mode = os.fstat(fd).st_mode
    except (OSError, ValueError, AttributeError):  # io.BytesIO and the like
        return StdinSource(stream, executor)
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
        return StdinSource(stream, executor)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=_CHUNK, loop=loop)
    try:
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader, loop=loop), stream)
    except (OSError, ValueError):
        return StdinSource(stream, executor)
    return StreamSource(reader)


def serve_stdio(server: Any, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
    """pygls's ``start_io`` with :class:`Connection` as the reading loop (blocks until stdin ends)."""
    from pygls.io_ import StdoutWriter

    server._stop_event = stop = threading.Event()
    writer = StdoutWriter(stdout or sys.stdout.buffer)
    server.protocol.set_writer(writer)

    async def serve() -> None:
        source = await stdin_source(stdin or sys.stdin.buffer, server.thread_pool)
        await Connection(source, writer.write, server.protocol).run(stop)

    try:
        asyncio.run(serve())
    except BrokenPipeError:
        log.error("the connection to the client is lost; shutting down")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()
