"""The message reader: framing, size cap, JSON-RPC shape and the first-message gate, without pygls."""

from __future__ import annotations

import asyncio
import io
import json
import os
import threading
from typing import Any

from codeswitch.hosts import loopback_host
from codeswitch.tcp import token_gate
from codeswitch.transport import (
    INVALID_REQUEST,
    PARSE_ERROR,
    Connection,
    StdinSource,
    StreamSource,
    read_length,
    stdin_source,
)


class Bytes:
    """A Source over a fixed byte string."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    async def readline(self, limit: int) -> bytes:
        end = self.data.find(b"\n", self.pos, self.pos + limit)
        end = min(len(self.data), self.pos + limit) if end == -1 else end + 1
        line, self.pos = self.data[self.pos:end], end
        return line

    async def read(self, n: int) -> bytes:
        got, self.pos = self.data[self.pos:self.pos + n], min(len(self.data), self.pos + n)
        return got


class Protocol:
    """What the connection hands on: every message it structured and handled."""

    def __init__(self) -> None:
        self.handled: list[dict[str, Any]] = []

    def structure_message(self, data: dict[str, Any]) -> dict[str, Any]:
        return data

    def handle_message(self, message: dict[str, Any]) -> None:
        self.handled.append(message)


def msg(payload: object) -> bytes:
    body = json.dumps(payload).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def run(data: bytes, **kw: Any) -> tuple[str, Protocol, list[dict[str, Any]]]:
    proto, out = Protocol(), bytearray()
    conn = Connection(Bytes(data), out.extend, proto, **kw)
    why = asyncio.run(conn.run())
    answers, rest = [], bytes(out)
    while rest:
        head, _, rest = rest.partition(b"\r\n\r\n")
        n = int(head.split(b":")[1])
        answers.append(json.loads(rest[:n]))
        rest = rest[n:]
    return why, proto, answers


PING = {"jsonrpc": "2.0", "id": 1, "method": "ping"}


def test_an_oversized_message_is_answered_and_skipped_then_reading_goes_on() -> None:
    big = {"jsonrpc": "2.0", "method": "x", "params": {"pad": "a" * 500}}
    why, proto, answers = run(msg(big) + msg(PING), max_bytes=200)
    assert why == "eof" and proto.handled == [PING]
    assert answers[0]["id"] is None and answers[0]["error"]["code"] == INVALID_REQUEST
    assert "over the limit" in answers[0]["error"]["message"]


def test_a_pipe_is_read_by_the_event_loop_and_skips_what_is_not_lsp(tmp_path: Any) -> None:
    garbage = b"x" * (3 << 20) + b"\n"  # one line over the stream's limit, on lenient stdio
    data = garbage + b"not a header\n" + msg(PING) + msg({**PING, "id": 2})
    read_fd, write_fd = os.pipe()

    def feed() -> None:
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(data)

    async def serve() -> tuple[str, Protocol, object]:
        proto = Protocol()
        with os.fdopen(read_fd, "rb") as stream:
            source = await stdin_source(stream)
            return await Connection(source, bytearray().extend, proto).run(), proto, source

    writer = threading.Thread(target=feed)
    writer.start()
    why, proto, source = asyncio.run(serve())
    writer.join()
    assert isinstance(source, StreamSource)
    assert why == "eof" and proto.handled == [PING, {**PING, "id": 2}]


def test_streams_that_are_not_pipes_are_read_in_a_thread(tmp_path: Any) -> None:
    (tmp_path / "in").write_bytes(msg(PING))

    async def sources() -> list[object]:
        with (tmp_path / "in").open("rb") as regular:
            return [await stdin_source(io.BytesIO(msg(PING))), await stdin_source(regular)]

    assert all(isinstance(source, StdinSource) for source in asyncio.run(sources()))


def test_a_huge_content_length_is_not_allocated() -> None:
    why, proto, answers = run(b"Content-Length: %d\r\n\r\n{}" % (1 << 40))
    assert why == "eof" and proto.handled == [] and answers[0]["error"]["code"] == INVALID_REQUEST


def test_strict_connections_close_on_oversized_and_non_lsp_input() -> None:
    assert run(msg({"jsonrpc": "2.0", "method": "x" * 300}) + msg(PING), max_bytes=200, strict=True)[0] \
        == "too_large"
    post = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 42\r\n\r\n" + json.dumps(PING).encode()
    why, proto, answers = run(post, strict=True)
    assert (why, proto.handled, answers) == ("not_lsp", [], [])
    header = b"Content-Length: 2\r\nX-Other: 1\r\n\r\n{}"
    assert run(header, strict=True)[0] == "not_lsp"


def test_headers_are_parsed_like_the_base_protocol() -> None:
    body = json.dumps(PING).encode()
    data = b"\r\ncontent-type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: %d\r\n\r\n" % len(
        body) + body
    _why, proto, _ = run(data, strict=True)
    assert proto.handled == [PING]
    assert asyncio.run(read_length(Bytes(b""))) is None


def test_bad_json_rpc_shapes_get_an_error_answer_and_never_reach_the_protocol() -> None:
    bad: list[object] = [
        [PING, PING],                                   # a batch
        {"id": 2, "method": "ping"},                    # no jsonrpc
        {"jsonrpc": "2.0", "id": 3, "method": 7},       # method not a string
        {"jsonrpc": "2.0", "id": [1], "method": "x"},   # id neither string nor integer
        {"jsonrpc": "2.0", "id": 4, "method": "x", "params": 5},
        {"jsonrpc": "2.0", "id": 5},                    # neither request nor response
        "just a string",
    ]
    data = b"".join(msg(b) for b in bad) + b"Content-Length: 3\r\n\r\n{x}" + msg(PING)
    _why, proto, answers = run(data)
    assert proto.handled == [PING]
    assert [a["id"] for a in answers] == [None, 2, 3, None, 4, 5, None, None]
    assert [a["error"]["code"] for a in answers] == [INVALID_REQUEST] * 7 + [PARSE_ERROR]


def test_the_gate_wants_initialize_with_the_token_first() -> None:
    token = "t" * 32
    init = {"jsonrpc": "2.0", "id": 0, "method": "initialize",
            "params": {"capabilities": {},
                       "initializationOptions": {"token": token, "team": {"max_turns": 3}}}}
    why, proto, answers = run(msg(init) + msg(PING), gate=token_gate(token), strict=True)
    assert why == "eof" and answers == []
    assert proto.handled[0]["params"]["initializationOptions"] == {"team": {"max_turns": 3}}  # token removed
    assert proto.handled[1] == PING
    for first in (PING, {**init, "params": {"initializationOptions": {"token": "wrong" * 8}}},
                  {**init, "params": {"capabilities": {}}}):
        why, proto, answers = run(msg(first) + msg(PING), gate=token_gate(token), strict=True)
        assert why == "refused" and proto.handled == []
        assert answers[0]["error"]["code"] == INVALID_REQUEST and token not in json.dumps(answers)
    only_token = {**init, "params": {"capabilities": {}, "initializationOptions": {"token": token}}}
    _, proto, _ = run(msg(only_token), gate=token_gate(token), strict=True)
    assert proto.handled[0]["params"]["initializationOptions"] is None


def test_loopback_hosts() -> None:
    assert [loopback_host(h) for h in ("127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]")] == [
        "127.0.0.1", "127.0.0.2", "127.0.0.1", "::1", "::1"]
    assert [loopback_host(h) for h in ("0.0.0.0", "::", "10.0.0.1", "example.com", "")] == [None] * 5
