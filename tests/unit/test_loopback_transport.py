"""The lean transport for local model servers, against a raw loopback server that answers scripted bytes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from codeswitch.providers.loopback import LoopbackTransport, serves

#: what the server answers to one request: raw response bytes, and whether to close afterwards
Answer = Callable[[int], tuple[bytes, bool]]


class Server:
    """Counts connections and requests; answers each request with ``answer(request_number)``."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.connections = 0
        self.requests: list[bytes] = []
        self.writers: list[asyncio.StreamWriter] = []
        self.ended = asyncio.Event()  # set when a client closes its end

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                self.requests.append(head + await reader.readexactly(length))
                data, close = self.answer(len(self.requests))
                writer.write(data)
                await writer.drain()
                if close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            self.ended.set()
        finally:
            writer.close()


@asynccontextmanager
async def serving(answer: Answer) -> AsyncIterator[tuple[Server, str, httpx.AsyncClient]]:
    server = Server(answer)
    tcp = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = tcp.sockets[0].getsockname()[1]
    client = httpx.AsyncClient(transport=LoopbackTransport())
    try:
        yield server, f"http://127.0.0.1:{port}", client
    finally:
        await client.aclose()
        tcp.close()
        for w in server.writers:
            w.close()
        await tcp.wait_closed()


def sized(body: bytes, *headers: bytes) -> bytes:
    extra = b"".join(h + b"\r\n" for h in headers)
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)


def chunked(*parts: bytes) -> bytes:
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts)
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/event-stream\r\n\r\n"
    return head + chunks + b"0\r\n\r\n"


def test_only_plain_http_to_this_machine_takes_the_lean_path() -> None:
    assert serves("http://127.0.0.1:8080/v1") and serves("http://localhost:11434") and serves("http://[::1]:9/v1")
    assert serves("http://127.1.2.3/v1")
    assert not serves("https://127.0.0.1:8080/v1")  # TLS: httpx
    assert not serves("http://api.openai.com/v1") and not serves("http://10.0.0.2/v1")
    assert not serves("not a url at all::")


async def test_a_connection_is_kept_and_reused_for_sized_and_chunked_bodies() -> None:
    answers = {1: sized(b'{"a": 1}'), 2: chunked(b"data: one\n\n", b"data: two\n\n")}
    async with serving(lambda n: (answers.get(n, sized(b"x")), False)) as (server, url, client):
        first = await client.post(url + "/v1/x", json={"q": 1})
        assert first.json() == {"a": 1}
        async with client.stream("POST", url + "/v1/y", content=b"body") as second:
            lines = [line async for line in second.aiter_lines()]
        assert lines == ["data: one", "", "data: two", ""]
        assert (await client.get(url + "/models")).text == "x"
    assert server.connections == 1
    first_request = server.requests[0]
    assert first_request.startswith(b"POST /v1/x HTTP/1.1\r\n") and first_request.endswith(b'{"q":1}')
    assert b"\r\nhost: 127.0.0.1:" in server.requests[0].lower() and server.requests[1].endswith(b"body")
    assert b"content-length" not in server.requests[2].lower()  # a GET without a body


async def test_connection_close_and_bodies_without_a_length_are_not_reused() -> None:
    answers = {1: (sized(b"a", b"Connection: close"), True),
               2: (b"HTTP/1.1 200 OK\r\n\r\nuntil the end", True),
               3: (b"HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nb", False)}
    async with serving(lambda n: answers.get(n, (sized(b"z"), False))) as (server, url, client):
        assert (await client.get(url)).text == "a"
        assert (await client.get(url)).text == "until the end"
        assert (await client.get(url)).text == "b"  # HTTP/1.0 without keep-alive
        assert (await client.get(url)).text == "z"
    assert server.connections == 4


async def test_interim_answers_and_bodiless_statuses() -> None:
    answers = {1: b"HTTP/1.1 100 Continue\r\n\r\n" + sized(b"after"),
               2: b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
               3: sized(b"next")}
    async with serving(lambda n: (answers[n], False)) as (server, url, client):
        assert (await client.post(url, content=b"x")).text == "after"
        assert (await client.delete(url)).status_code == 204
        assert (await client.get(url)).text == "next"
    assert server.connections == 1


async def test_an_idle_connection_the_server_closed_is_replaced() -> None:
    async with serving(lambda n: (sized(b"%d" % n), False)) as (server, url, client):
        assert (await client.get(url)).text == "1"
        for w in server.writers:  # the server drops its idle connection (a keep-alive timeout)
            w.close()
        await server.ended.wait()
        assert (await client.get(url)).text == "2"
    assert server.connections == 2


async def test_a_response_closed_early_closes_its_connection() -> None:
    body = chunked(*(b"data: %d\n\n" % i for i in range(50)))
    async with serving(lambda n: (body if n == 1 else sized(b"fresh"), False)) as (server, url, client):
        async with client.stream("POST", url, content=b"{}") as r:
            async for _ in r.aiter_bytes():
                break  # superseded: the rest is not wanted
        await asyncio.wait_for(server.ended.wait(), 10)  # a guard against hangs, not a timing check
        assert (await client.get(url)).text == "fresh"
    assert server.connections == 2


@pytest.mark.parametrize(("raw", "error"), [
    (b"HTTP/1.1 OK\r\n\r\n", httpx.RemoteProtocolError),
    (b"SSH-2.0-OpenSSH\r\n\r\n", httpx.RemoteProtocolError),
    (b"HTTP/1.1 200 OK\r\nX-" + b"a" * (70 * 1024) + b"\r\n\r\n", httpx.RemoteProtocolError),
    (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", httpx.RemoteProtocolError),
    (b"HTTP/1.1 200 OK\r\nContent-Length: -4\r\n\r\nbody", httpx.RemoteProtocolError),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n", httpx.RemoteProtocolError),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", httpx.ReadError),
    (b"HTTP/1.1 200 OK\r\nContent-", httpx.RemoteProtocolError),
    (b"", httpx.RemoteProtocolError),
])
async def test_broken_answers_are_httpx_errors(raw: bytes, error: type[Exception]) -> None:
    async with serving(lambda n: (raw, True)) as (_server, url, client):
        with pytest.raises(error):
            await client.get(url)


async def test_a_refused_connection_is_a_connect_error() -> None:
    tcp = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = tcp.sockets[0].getsockname()[1]
    tcp.close()
    await tcp.wait_closed()
    async with httpx.AsyncClient(transport=LoopbackTransport()) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{port}/")


async def test_header_values_cannot_smuggle_a_second_request() -> None:
    async with serving(lambda n: (sized(b"ok"), False)) as (server, url, client):
        with pytest.raises(httpx.LocalProtocolError):
            await client.get(url, headers={"X-Note": "a\r\nGET /other HTTP/1.1"})
    assert server.requests == []


async def test_a_reused_connection_that_ends_without_an_answer_is_tried_once_more() -> None:
    answers = {1: (sized(b"one"), False), 2: (b"", True), 3: (sized(b"three"), False)}
    async with serving(lambda n: answers.get(n, (b"", True))) as (server, url, client):
        assert (await client.get(url)).text == "one"
        assert (await client.get(url)).text == "three"  # the closing race, seen from the client
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(url)  # a new connection that ends without an answer is not retried
    assert server.connections == 3

