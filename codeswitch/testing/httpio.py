"""A small HTTP/1.1 server on asyncio streams, enough for model-API clients.

Why not http.server: the emulator must stream chunked bodies at a controlled pace and notice the
moment a client hangs up (a cancelled completion), and asyncio gives both. Keep-alive is
supported because httpx and the vendor SDKs reuse connections.

Watching for the hang-up means reading from the connection while a response streams. Two rules
keep that safe on a kept-alive connection: whatever the watch reads is kept (`Connection`) and
handed to the next request, never dropped; and the watch is cancelled *and awaited* before the
response ends, so no read is still pending when the next request is read (asyncio allows one
reader at a time).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

_REASONS = {
    200: "OK",
    302: "Found",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    529: "Overloaded",
}


class BadHttp(Exception):
    """The bytes on the connection are not an HTTP/1.1 request we can serve."""


@dataclass(slots=True)
class HttpRequest:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def keep_alive(self) -> bool:
        return self.headers.get("connection", "").lower() != "close"


class Connection:
    """The reading side of one client connection, with the bytes the hang-up watch read kept."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader
        self._pending = bytearray()

    async def readline(self) -> bytes:
        end = self._pending.find(b"\n")
        if end >= 0:
            line = bytes(self._pending[: end + 1])
            del self._pending[: end + 1]
            return line
        line = bytes(self._pending) + await self._reader.readline()
        self._pending.clear()
        return line

    async def readexactly(self, n: int) -> bytes:
        if len(self._pending) >= n:
            data = bytes(self._pending[:n])
            del self._pending[:n]
            return data
        head = bytes(self._pending)
        self._pending.clear()
        return head + await self._reader.readexactly(n - len(head))

    async def until_closed(self) -> None:
        """Return when the client closes its side; bytes it sends meanwhile are kept for later.

        Cancelling this is safe at any point: a read either has not taken anything yet or its
        bytes are already kept (nothing awaits between the two).
        """
        while True:
            data = await self._reader.read(65536)
            if not data:
                return
            self._pending += data


async def read_request(reader: Connection) -> HttpRequest | None:
    """The next request on the connection, or None when the client closed it cleanly."""
    line = await reader.readline()
    while line in (b"\r\n", b"\n"):  # RFC 9112 2.2: ignore empty lines before a request line
        line = await reader.readline()
    if not line:
        return None
    parts = line.decode("latin-1").strip().split()
    if len(parts) != 3:
        raise BadHttp(f"bad request line {line[:80]!r}")
    headers: dict[str, str] = {}
    while True:
        h = await reader.readline()
        if h in (b"\r\n", b"\n", b""):
            break
        name, _, value = h.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = bytearray()
        while True:
            size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                await reader.readline()
                break
            body += await reader.readexactly(size)
            await reader.readline()
        data = bytes(body)
    else:
        data = await reader.readexactly(int(headers.get("content-length", "0") or 0))
    return HttpRequest(parts[0].upper(), parts[1], headers, data)


class Responder:
    """Writes one response; streams in chunked encoding and watches for the client hanging up."""

    def __init__(self, reader: Connection, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._watch: asyncio.Task[None] | None = None
        self.disconnected_at: float | None = None
        self.aborted = False
        self.started = False

    @property
    def gone(self) -> bool:
        return self.disconnected_at is not None or self._writer.transport.is_closing()

    def _head(self, status: int, headers: dict[str, str]) -> bytes:
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def send_body(self, status: int, content_type: str, body: bytes,
                        headers: dict[str, str] | None = None) -> None:
        head = {"content-type": content_type, "content-length": str(len(body)), **(headers or {})}
        self.started = True
        self._writer.write(self._head(status, head) + body)
        await self._drain()

    async def send_json(self, status: int, obj: object, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(obj).encode()
        head = {"content-type": "application/json", "content-length": str(len(body)), **(headers or {})}
        self.started = True
        self._writer.write(self._head(status, head) + body)
        await self._drain()

    async def start_stream(
        self, status: int, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        head = {
            "content-type": content_type,
            "transfer-encoding": "chunked",
            "cache-control": "no-cache",
            **(headers or {}),
        }
        self.started = True
        self._writer.write(self._head(status, head))
        await self._drain()
        self._watch = asyncio.ensure_future(self._reader.until_closed())
        self._watch.add_done_callback(self._on_watch)

    def _on_watch(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled():
            task.exception()  # retrieved: a reset connection is just a hang-up here
            self._mark_gone()

    def _mark_gone(self) -> None:
        if self.disconnected_at is None:
            self.disconnected_at = time.monotonic()

    async def write_chunk(self, data: bytes) -> bool:
        """Send one chunk; False if the client is gone (nothing is written then)."""
        if self.gone:
            self._mark_gone()
            return False
        self._writer.write(b"%x\r\n%s\r\n" % (len(data), data))
        return await self._drain()

    async def end_stream(self) -> None:
        # Stop watching before the client can see the end (and send its next request), and wait
        # for the watch to let go of the reader: the next request is read right after this.
        await self._stop_watch()
        if not self.gone:
            self._writer.write(b"0\r\n\r\n")
            await self._drain()

    async def pause(self, seconds: float) -> bool:
        """Sleep, waking early if the client hangs up; False if it did."""
        if seconds <= 0:
            return not self.gone
        if self._watch is None:
            await asyncio.sleep(seconds)
            return not self.gone
        await asyncio.wait([self._watch], timeout=seconds)
        return not self.gone

    def abort(self) -> None:
        """Reset the TCP connection (RST), as a crashing upstream or proxy would."""
        self.aborted = True
        if self._watch is not None:
            self._watch.cancel()  # the connection is not read again: no need to wait for it
            self._watch = None
        self._writer.transport.abort()

    async def _stop_watch(self) -> None:
        watch, self._watch = self._watch, None
        if watch is None:
            return
        watch.cancel()
        # wait() neither raises what the watch ended with (a reset connection: `_on_watch` saw it)
        # nor swallows a cancellation of this task
        await asyncio.wait([watch])

    async def _drain(self) -> bool:
        try:
            await self._writer.drain()
        except (ConnectionError, OSError):
            self._mark_gone()
            return False
        return True
