"""Shared machinery of the HTTP clients: send, time out, map errors, close on cancel.

Subclasses only say how to build the request (`build`) and how to turn response lines into
StreamEvents (`parse`). The three timeouts are enforced here: httpx's own connect timeout for
connect, and `asyncio.timeout_at` around each read for first-token (absolute, from the moment the
request is sent) and idle (per read, once the first content event has been yielded).

Closing the stream early (the caller's `aclose()`, a cancelled task, a superseded or hedging-losing
request) closes every layer it opened, innermost last: the parser, the response lines, the timed
byte stream and the response, so the connection is released then and there, not when the garbage
collector finds the suspended generators.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from dataclasses import dataclass

import httpx

from . import loopback
from .errmap import error_from_event, error_from_response
from .errors import (
    AuthError,
    BadRequest,
    ConnectTimeout,
    FirstTokenTimeout,
    IdleTimeout,
    MalformedStream,
    ProviderConnectionError,
    ProviderError,
)
from .types import CompletionRequest, StreamEvent, TextDelta, Timeouts, ToolUse


@dataclass(slots=True)
class _Clock:
    first_deadline: float | None
    idle_s: float | None
    got_first: bool = False

    def deadline(self, loop: asyncio.AbstractEventLoop) -> float | None:
        if not self.got_first:
            return self.first_deadline
        return None if self.idle_s is None else loop.time() + self.idle_s


class _LineTimeout(Exception):
    """Internal: a network read missed its deadline (converted to First/IdleTimeout by the caller)."""


class HttpProvider:
    """Base class: one httpx.AsyncClient (kept for connection reuse) per configured endpoint."""

    def __init__(
        self,
        *,
        name: str,
        api: str,
        base_url: str,
        api_key: str | None,
        timeouts: Timeouts,
        transport: httpx.AsyncBaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.api = api
        self.base_url = base_url.rstrip("/")
        # Keys read from a file or a command often end in a newline; never send that.
        self._api_key = api_key.strip() if api_key else None
        self.timeouts = timeouts
        self._extra_headers = dict(headers or {})
        if transport is None and loopback.serves(self.base_url):
            transport = loopback.LoopbackTransport()  # a local model server: the lean path
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(connect=timeouts.connect_s, read=None, write=30.0, pool=timeouts.connect_s),
            trust_env=False,
        )

    def __repr__(self) -> str:
        # Never includes the key.
        return f"{type(self).__name__}(name={self.name!r}, api={self.api!r}, base_url={self.base_url!r})"

    # -- subclass hooks -------------------------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}

    def build(self, req: CompletionRequest) -> tuple[str, dict[str, object]]:
        """(url path, JSON body) for this request."""
        raise NotImplementedError

    def parse(self, lines: AsyncIterator[str], req: CompletionRequest) -> AsyncIterator[StreamEvent]:
        """Turn response lines into events; must end with Finish or raise."""
        raise NotImplementedError

    # -- helpers for subclasses -----------------------------------------------------------------

    def error(self, cls: type[ProviderError], message: str, model: str | None) -> ProviderError:
        return cls(message, provider=self.name, model=model, secret=self._api_key)

    def malformed(self, message: str, model: str | None) -> ProviderError:
        return self.error(MalformedStream, message, model)

    # -- the stream -----------------------------------------------------------------------------

    async def aclose(self) -> None:
        await self._client.aclose()

    async def stream(self, req: CompletionRequest) -> AsyncGenerator[StreamEvent, None]:
        if self._api_key and not all("\x21" <= ch <= "\x7e" for ch in self._api_key):
            # httpx would fail (and h11 would quote the value); the key must never be echoed.
            raise self.error(AuthError, "the API key has characters that cannot be sent in a header", None)
        path, body = self.build(req)
        headers = {"Accept": "text/event-stream", **self._extra_headers, **self.auth_headers()}
        try:
            request = self._client.build_request("POST", self.base_url + path, json=body, headers=headers)
        except httpx.InvalidURL:
            raise self.error(BadRequest, f"invalid base_url {self.base_url!r}", req.model_id) from None
        loop = asyncio.get_running_loop()
        ft = self.timeouts.first_token_s
        clock = _Clock(None if ft is None else loop.time() + ft, self.timeouts.idle_s)
        model = req.model_id
        response: httpx.Response | None = None
        lines: AsyncIterator[str] | None = None
        events: AsyncIterator[StreamEvent] | None = None
        try:
            try:
                async with asyncio.timeout_at(clock.first_deadline):
                    response = await self._client.send(request, stream=True)
                    if response.status_code >= 400:
                        raw = await response.aread()
                        raise error_from_response(
                            response.status_code,
                            response.headers,
                            raw.decode("utf-8", "replace"),
                            provider=self.name,
                            model=model,
                            secret=self._api_key,
                        )
                    if 300 <= response.status_code < 400:
                        raise self._redirected(response, model)
                    ctype = response.headers.get("content-type", "")
                    if ctype.startswith("application/json"):
                        raise self._json_instead_of_stream(await _peek(response), model)
                    if ctype.startswith(("text/html", "application/xhtml")):
                        raise self._html_instead_of_stream(await _peek(response), model)
            except TimeoutError:
                raise self.error(
                    FirstTokenTimeout, "no response before the first-token timeout", model
                ) from None
            lines = self._timed_lines(response, clock)
            events = self.parse(lines, req)
            async for ev in events:
                if isinstance(ev, TextDelta | ToolUse):
                    clock.got_first = True
                yield ev
            await self._drain(lines)
        except _LineTimeout:
            if clock.got_first:
                raise self.error(IdleTimeout, "stream stalled between chunks", model) from None
            raise self.error(FirstTokenTimeout, "no token before the first-token timeout", model) from None
        except httpx.ConnectTimeout:
            raise self.error(ConnectTimeout, "connect timed out", model) from None
        except httpx.TimeoutException as e:
            raise self.error(
                ProviderConnectionError, f"transport timeout: {type(e).__name__}", model
            ) from None
        except httpx.UnsupportedProtocol:
            raise self.error(BadRequest, f"unsupported base_url scheme in {self.base_url!r}", model) from None
        except httpx.LocalProtocolError:
            # h11 quotes the offending header value, which may be the key: say nothing about it.
            raise self.error(
                BadRequest, "the request has an invalid header (check the API key and extra headers)", model
            ) from None
        except (httpx.TransportError, httpx.StreamError) as e:
            raise self.error(
                ProviderConnectionError, f"connection failed: {type(e).__name__}: {e}", model
            ) from None
        finally:
            await _close_all(events, lines, response)

    def _json_instead_of_stream(self, raw: bytes, model: str) -> ProviderError:
        """A 200 with one JSON body: a gateway reporting an error that way, or ignoring stream=true."""
        try:
            obj = json.loads(raw)
        except ValueError:
            obj = None
        if isinstance(obj, dict) and obj.get("error"):  # a Responses object carries "error": null
            return error_from_event(obj, provider=self.name, model=model, secret=self._api_key)
        return self.malformed(f"expected an event stream, got one JSON body: {_excerpt(raw)} (does this "
                              "endpoint stream? check base_url)", model)

    def _html_instead_of_stream(self, raw: bytes, model: str) -> ProviderError:
        """A 200 with a web page: a captive portal, a proxy's login page, a base_url that is a website."""
        text = raw.decode("utf-8", "replace")
        title = _TITLE.search(text)
        what = f"titled {_excerpt(title.group(1).encode())!r}" if title else _excerpt(raw)
        return self.malformed(f"expected an event stream, got an HTML page {what} (is base_url "
                              f"{self.base_url!r} right, or is a proxy or login page in the way?)", model)

    def _redirected(self, response: httpx.Response, model: str) -> ProviderError:
        """A 3xx: never followed (the request carries the key); say where it pointed."""
        where = _excerpt(response.headers.get("location", "").encode()) or "no location"
        status = response.status_code
        return self.error(BadRequest, f"expected an event stream, got a redirect (HTTP {status}) to {where}; "
                          f"redirects are not followed: check base_url {self.base_url!r}", model)

    @staticmethod
    async def _drain(lines: AsyncIterator[str], limit: int = 64, within_s: float = 0.05) -> None:
        """Read the few bytes after the final event (the chunked terminator) so the connection
        goes back to the pool instead of being closed: a new TCP (and TLS) handshake per request
        would cost more than the whole parse. Bounded in lines and time, and silent: the answer
        is already complete; a server that lingers just loses its pooled connection."""
        with contextlib.suppress(TimeoutError, _LineTimeout, httpx.TransportError, httpx.StreamError):
            async with asyncio.timeout(within_s):
                async for _ in lines:
                    limit -= 1
                    if limit <= 0:
                        return

    @staticmethod
    def _timed_lines(response: httpx.Response, clock: _Clock) -> AsyncIterator[str]:
        """Response lines, with the first-token / idle deadline applied to each network read.

        The deadline wraps the raw byte reads (not every line), so lines already received in one
        chunk cost nothing extra, and a timeout is only ever pending while we wait for the network.
        """
        inner = response.stream
        assert isinstance(inner, httpx.AsyncByteStream)
        response.stream = _TimedByteStream(inner, clock)
        return response.aiter_lines()


_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)


async def _peek(response: httpx.Response, limit: int = 16384) -> bytes:
    """At most ``limit`` bytes of a body that is not the stream asked for (it is only described)."""
    out = bytearray()
    async for chunk in response.aiter_bytes():
        out += chunk
        if len(out) >= limit:
            break
    return bytes(out[:limit])


def _excerpt(raw: bytes, limit: int = 120) -> str:
    """A short one-line excerpt of a body for a message (whitespace collapsed)."""
    text = " ".join(raw.decode("utf-8", "replace").split())
    return text if len(text) <= limit else text[:limit] + "..."


async def _close_all(
    events: AsyncIterator[StreamEvent] | None,
    lines: AsyncIterator[str] | None,
    response: httpx.Response | None,
) -> None:
    """Close the layers of one stream, outermost first; each is closed even if another fails.

    Closing a finished generator does nothing, so this is also the normal end of a stream.
    """
    try:
        await _aclose(events)
    finally:
        try:
            await _aclose(lines)
        finally:
            if response is not None:
                await response.aclose()


async def _aclose(it: object) -> None:
    """Close an async iterator if it can be closed (generators can; plain iterators need not)."""
    aclose = getattr(it, "aclose", None)
    if aclose is not None:
        await aclose()


class _TimedByteStream(httpx.AsyncByteStream):
    """The response bytes, each network read bounded by the clock's deadline.

    An iterator object rather than a generator: no suspended frame of ours outlives an early
    close, and `aclose` closes the transport's own iterator before the transport stream.
    """

    def __init__(self, inner: httpx.AsyncByteStream, clock: _Clock) -> None:
        self._inner = inner
        self._clock = clock
        self._it: AsyncIterator[bytes] | None = None

    def __aiter__(self) -> AsyncIterator[bytes]:
        self._it = self._inner.__aiter__()
        return self

    async def __anext__(self) -> bytes:
        assert self._it is not None
        try:
            async with asyncio.timeout_at(self._clock.deadline(asyncio.get_running_loop())):
                return await self._it.__anext__()
        except TimeoutError:
            raise _LineTimeout() from None

    async def aclose(self) -> None:
        it, self._it = self._it, None
        try:
            await _aclose(it)
        finally:
            await self._inner.aclose()
