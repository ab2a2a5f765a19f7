"""A lean HTTP/1.1 transport for model servers on this machine (``http://`` to a loopback host).

Ghost text is one model call per pause in typing, and a local model server (llama.cpp, Ollama,
vLLM, the emulator) answers in a millisecond or two: there the general machinery of httpcore (a
connection pool state machine, h11's event objects, anyio) is a third of what the server adds to
a keystroke. This transport speaks just what those calls need, behind httpx's transport seam, so
the client, the error mapping and the tests stay the same:

- one request at a time per connection, kept alive and reused when the response was read to its
  end and neither side said ``Connection: close`` (at most ``max_idle`` idle connections);
- a response body framed by ``Content-Length``, by ``Transfer-Encoding: chunked`` or by the end of
  the connection; no body for HEAD, 1xx, 204 and 304; interim ``100 Continue`` answers skipped;
- a response head over ``MAX_HEAD`` bytes or a malformed status line, header or chunk size is a
  ``httpx.RemoteProtocolError``; a refused or failed connection ``httpx.ConnectError``; a missed
  connect deadline ``httpx.ConnectTimeout``; a missed read deadline ``httpx.ReadTimeout``; a
  connection lost mid-response ``httpx.ReadError`` (so callers map them as they map httpx's);
- an idle connection the server closed in the meantime is never used: it is skipped when its end
  was already seen, and a request that gets no byte back on a reused connection is sent once more
  on a new one (the server closed it while the request was on its way, and read none of it);
- closing the response before its end (a cancelled or superseded request) closes the connection.

Only ``http`` URLs to ``localhost``, ``127.0.0.0/8`` or ``::1`` use it (:func:`serves`); anything
else (TLS, another host) goes through httpx's own transport.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx

from codeswitch.hosts import loopback_host

#: the largest response head (status line and headers) accepted
MAX_HEAD = 64 * 1024
_READ = 64 * 1024
_NO_BODY_STATUS = frozenset({204, 304})
_STATUS = re.compile(rb"[1-5][0-9][0-9]")


def serves(url: str) -> bool:
    """Whether requests to ``url`` go through this transport: plain http to a loopback host."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return False
    return parsed.scheme == "http" and loopback_host(parsed.host) is not None


@dataclass(eq=False)
class _Connection:
    origin: tuple[str, int]
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    loop: asyncio.AbstractEventLoop
    reused: bool = field(default=False)

    def usable(self) -> bool:
        """Not ended by the server, and made on this loop (a client may outlive an ``asyncio.run``)."""
        if self.loop is not asyncio.get_running_loop():
            return False
        return not (self.reader.at_eof() or self.writer.is_closing())

    def close(self) -> None:
        with contextlib.suppress(RuntimeError):  # made on a loop that is closed: nothing to close
            self.writer.close()


class LoopbackTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 over plain TCP to loopback hosts, with keep-alive; see the module docstring."""

    def __init__(self, max_idle: int = 4) -> None:
        self.max_idle = max_idle
        self._idle: dict[tuple[str, int], list[_Connection]] = {}
        self._closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme != "http":
            raise httpx.UnsupportedProtocol(f"the loopback transport speaks http, not {request.url.scheme}")
        timeouts = request.extensions.get("timeout", {})
        origin = (request.url.host, request.url.port or 80)
        body = await request.aread()
        head = _request_head(request, body)
        for attempt in (1, 2):
            conn = await self._checkout(origin, timeouts.get("connect"))
            try:
                await _send(conn, head + body, timeouts.get("write"))
                status, headers, keep = await _read_head(conn.reader, timeouts.get("read"))
            except _NothingBack:
                conn.close()
                if conn.reused and attempt == 1:
                    continue  # the server closed it while idle: once more on a new connection
                raise httpx.RemoteProtocolError("the server closed the connection, no answer") from None
            except BaseException:
                conn.close()
                raise
            return self._response(request, conn, status, headers, keep, timeouts.get("read"))
        raise AssertionError("unreachable")  # pragma: no cover

    def _response(self, request: httpx.Request, conn: _Connection, status: int,
                  headers: list[tuple[bytes, bytes]], keep: bool, read_s: float | None) -> httpx.Response:
        names = {name.lower(): value for name, value in headers}
        frames: _Frames
        if request.method == "HEAD" or status in _NO_BODY_STATUS:
            frames = _LengthFrames(0)
        elif b"chunked" in names.get(b"transfer-encoding", b"").lower():
            frames = _ChunkedFrames()
        elif b"content-length" in names:
            value = names[b"content-length"]
            if not value.isdigit() or len(value) > 18:
                conn.close()
                raise httpx.RemoteProtocolError(f"a bad Content-Length in the response: {value[:20]!r}")
            frames = _LengthFrames(int(value))
        else:
            frames, keep = _UntilClose(), False
        body = _Body(self, conn, frames, keep, read_s)
        return httpx.Response(status, headers=headers, stream=body, request=request,
                              extensions={"http_version": b"HTTP/1.1"})

    async def _checkout(self, origin: tuple[str, int], connect_s: float | None) -> _Connection:
        idle = self._idle.get(origin, [])
        while idle:
            conn = idle.pop()
            if conn.usable():
                conn.reused = True
                return conn
            conn.close()
        host = origin[0]  # httpx gives an IPv6 host without its brackets
        try:
            async with asyncio.timeout(connect_s):
                reader, writer = await asyncio.open_connection(host, origin[1], limit=MAX_HEAD)
        except TimeoutError:
            raise httpx.ConnectTimeout(f"no connection to {host}:{origin[1]} in time") from None
        except OSError as exc:
            raise httpx.ConnectError(f"cannot connect to {host}:{origin[1]}: {exc.strerror or exc}") from None
        return _Connection(origin, reader, writer, asyncio.get_running_loop())

    def _release(self, conn: _Connection) -> None:
        idle = self._idle.setdefault(conn.origin, [])
        if self._closed or len(idle) >= self.max_idle or not conn.usable():
            conn.close()
        else:
            idle.append(conn)

    async def aclose(self) -> None:
        self._closed = True
        for conns in self._idle.values():
            for conn in conns:
                conn.close()
        self._idle.clear()


class _NothingBack(Exception):
    """The connection ended before the first byte of a response."""


def _request_head(request: httpx.Request, body: bytes) -> bytes:
    target = request.url.raw_path or b"/"
    lines = [request.method.encode("ascii") + b" " + target + b" HTTP/1.1"]
    names = set()
    for name, value in request.headers.raw:
        low = name.lower()
        if low in (b"transfer-encoding", b"content-length"):
            continue  # the body is sent whole, with its length
        if b"\r" in value or b"\n" in value or b"\r" in name or b"\n" in name or b":" in name:
            raise httpx.LocalProtocolError("a header name or value with a line break or colon")
        names.add(low)
        lines.append(name + b": " + value)
    if b"host" not in names:
        lines.append(b"Host: " + request.url.netloc)
    if body or request.method not in ("GET", "HEAD"):
        lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines) + b"\r\n\r\n"


async def _send(conn: _Connection, data: bytes, write_s: float | None) -> None:
    """Write the request; a reused connection that is gone already counts as nothing back."""
    try:
        conn.writer.write(data)
        async with asyncio.timeout(write_s):
            await conn.writer.drain()
    except TimeoutError:
        raise httpx.WriteTimeout("the request could not be sent in time") from None
    except OSError as exc:
        if conn.reused:
            raise _NothingBack() from None
        raise httpx.WriteError(f"the connection failed: {exc}") from None


async def _read_head(reader: asyncio.StreamReader,
                     read_s: float | None) -> tuple[int, list[tuple[bytes, bytes]], bool]:
    """The status and headers of the final response (interim 1xx ones skipped), and whether the
    connection may be kept (HTTP/1.1 unless it says close, HTTP/1.0 only if it says keep-alive)."""
    while True:
        try:
            async with asyncio.timeout(read_s):
                raw = await reader.readuntil(b"\r\n\r\n")
        except TimeoutError:
            raise httpx.ReadTimeout("no response head in time") from None
        except asyncio.IncompleteReadError as exc:
            if not exc.partial:
                raise _NothingBack() from None
            raise httpx.RemoteProtocolError("the connection ended inside the response head") from None
        except asyncio.LimitOverrunError:
            raise httpx.RemoteProtocolError(f"a response head over {MAX_HEAD} bytes") from None
        except OSError as exc:
            raise httpx.ReadError(f"the connection failed: {exc}") from None
        status_line, *header_lines = raw[:-4].split(b"\r\n")
        parts = status_line.split(b" ", 2)
        if len(parts) < 2 or parts[0] not in (b"HTTP/1.1", b"HTTP/1.0") or not _STATUS.fullmatch(parts[1]):
            raise httpx.RemoteProtocolError(f"not an HTTP/1.1 status line: {status_line[:60]!r}")
        status = int(parts[1])
        headers: list[tuple[bytes, bytes]] = []
        for line in header_lines:
            name, sep, value = line.partition(b":")
            if not sep or not name or name != name.strip():
                raise httpx.RemoteProtocolError(f"not an HTTP header: {line[:60]!r}")
            headers.append((name, value.strip()))
        if 100 <= status < 200 and status != 101:
            continue
        said = b",".join(v for k, v in headers if k.lower() == b"connection").lower()
        keep = b"close" not in said if parts[0] == b"HTTP/1.1" else b"keep-alive" in said
        return status, headers, keep


class _Frames:
    """How a body ends; ``next`` returns the next piece of content, b"" at its end (then ``done``)."""

    done = False

    async def next(self, reader: asyncio.StreamReader) -> bytes:
        raise NotImplementedError


class _LengthFrames(_Frames):
    def __init__(self, length: int) -> None:
        self.left = length
        self.done = length == 0

    async def next(self, reader: asyncio.StreamReader) -> bytes:
        if self.left == 0:
            self.done = True
            return b""
        data = await reader.read(min(self.left, _READ))
        if not data:
            raise httpx.ReadError("the connection ended inside the response body")
        self.left -= len(data)
        self.done = self.left == 0
        return data


class _ChunkedFrames(_Frames):
    async def next(self, reader: asyncio.StreamReader) -> bytes:
        while True:
            line = await _line(reader)
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise httpx.RemoteProtocolError(f"a bad chunk size: {size_text[:20]!r}") from None
            if size < 0:
                raise httpx.RemoteProtocolError("a negative chunk size")
            if size == 0:
                while await _line(reader):  # trailers, up to the blank line
                    pass
                self.done = True
                return b""
            data = await _exactly(reader, size + 2)
            if data[-2:] != b"\r\n":
                raise httpx.RemoteProtocolError("a chunk without its line end")
            return data[:-2]


class _UntilClose(_Frames):
    async def next(self, reader: asyncio.StreamReader) -> bytes:
        data = await reader.read(_READ)
        self.done = not data
        return data


async def _line(reader: asyncio.StreamReader) -> bytes:
    try:
        return (await reader.readuntil(b"\n")).rstrip(b"\r\n")
    except asyncio.IncompleteReadError:
        raise httpx.ReadError("the connection ended inside a chunked body") from None
    except asyncio.LimitOverrunError:
        raise httpx.RemoteProtocolError("a chunk header line that is too long") from None


async def _exactly(reader: asyncio.StreamReader, n: int) -> bytes:
    try:
        return await reader.readexactly(n)
    except asyncio.IncompleteReadError:
        raise httpx.ReadError("the connection ended inside a chunk") from None


class _Body(httpx.AsyncByteStream):
    """A response body read off its connection; the connection goes back to the pool at its end.

    An iterator object rather than a generator: nothing of ours stays suspended when the
    response is closed before its end (httpx's own layers do not close a generator they iterate).
    """

    def __init__(self, transport: LoopbackTransport, conn: _Connection, frames: _Frames,
                 keep: bool, read_s: float | None) -> None:
        self._transport, self._conn, self._frames = transport, conn, frames
        self._keep, self._read_s = keep, read_s
        self._open = True

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        while self._open and not self._frames.done:
            try:
                async with asyncio.timeout(self._read_s):
                    data = await self._frames.next(self._conn.reader)
            except TimeoutError:
                raise httpx.ReadTimeout("the response body stalled") from None
            except OSError as exc:
                raise httpx.ReadError(f"the connection failed: {exc}") from None
            if data:
                return data
        await self.aclose()
        raise StopAsyncIteration

    async def aclose(self) -> None:
        if not self._open:
            return
        self._open = False
        conn = self._conn
        if self._keep and self._frames.done:
            self._transport._release(conn)
            return
        conn.close()
