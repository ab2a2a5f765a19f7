"""Keep-alive: a connection that carried a paced stream serves the next request on the same socket."""

from __future__ import annotations

import asyncio
import json
import socket
import struct

import httpx
import pytest

from codeswitch.testing import Emulator, LatencyProfile

PACED = LatencyProfile(ttft_s=0.02, tokens_per_second=500.0)
BODY = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]}


class _LoopErrors:
    """Collects what the event loop reports through its exception handler (a crashed server task)."""

    def __init__(self) -> None:
        self.seen: list[dict[str, object]] = []

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, object]) -> None:
        self.seen.append(context)


def _raw_post(*, close: bool = False) -> bytes:
    """BODY as raw HTTP/1.1 bytes for the Chat Completions route, asking to close after it if told."""
    body = json.dumps(BODY).encode()
    connection = "connection: close\r\n" if close else ""
    return (
        f"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n{connection}content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    ).encode() + body


async def _open_raw_stream(emulator: Emulator) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A new connection with one streaming request sent on it, once the response head has arrived."""
    reader, writer = await asyncio.open_connection("127.0.0.1", emulator.port)
    writer.write(_raw_post())
    await writer.drain()
    await reader.readuntil(b"\r\n\r\n")
    return reader, writer


async def _stream_text(client: httpx.AsyncClient, url: str) -> str:
    parts: list[str] = []
    async with client.stream("POST", url, json=BODY) as response:
        assert response.status_code == 200
        async for line in response.aiter_lines():
            if line.startswith("data: {"):
                for choice in json.loads(line[6:]).get("choices", []):
                    parts.append(choice.get("delta", {}).get("content") or "")
    return "".join(parts)


@pytest.mark.parametrize("profile", [PACED, LatencyProfile(ttft_s=0.0, tokens_per_second=2000.0)])
async def test_sequential_paced_streams_reuse_one_connection(
    emulator: Emulator, profile: LatencyProfile
) -> None:
    errors = _LoopErrors()
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    loop.set_exception_handler(errors)
    try:
        emulator.set_profile("m", profile).script("m", "one two three four", "five six seven", "eight")
        url = emulator.base_url("openai_chat") + "/chat/completions"
        async with httpx.AsyncClient(trust_env=False) as client:
            texts = [await _stream_text(client, url) for _ in range(3)]
    finally:
        loop.set_exception_handler(previous)
    assert texts == ["one two three four", "five six seven", "eight"]
    assert errors.seen == []
    assert [r.connection for r in emulator.requests] == [1, 1, 1]
    assert all(r.completed for r in emulator.requests)


async def test_a_request_sent_while_a_stream_plays_is_kept_and_answered(emulator: Emulator) -> None:
    """A pipelining client: bytes of the next request arrive while the hang-up watch is reading."""
    emulator.set_profile("m", PACED).script("m", "first answer here", "second")
    reader, writer = await _open_raw_stream(emulator)  # the first stream has started: the watch is reading
    try:
        writer.write(_raw_post(close=True))
        await writer.drain()
        rest = await reader.read()  # everything until the server closes after the second answer
    finally:
        writer.close()
        await writer.wait_closed()
    assert rest.count(b"HTTP/1.1 200 OK") == 1  # the second response's head
    assert b"second" in rest and b"answer" in rest
    assert [r.connection for r in emulator.requests] == [1, 1]
    assert all(r.completed for r in emulator.requests)


async def test_a_client_reset_mid_stream_is_recorded_and_the_server_goes_on(emulator: Emulator) -> None:
    """A client that resets its connection (RST) while a paced stream plays is a hang-up."""
    emulator.set_profile("m", LatencyProfile(ttft_s=0.0, tokens_per_second=20.0))
    emulator.script("m", " ".join(["w"] * 200), "after the reset")
    _, writer = await _open_raw_stream(emulator)
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close = RST
    writer.transport.abort()
    rec = await emulator.wait_closed(emulator.requests[0])
    assert rec.disconnected_at is not None and rec.tokens_sent < 200
    async with httpx.AsyncClient(trust_env=False) as client:
        assert await _stream_text(client, emulator.base_url("openai_chat") + "/chat/completions") == (
            "after the reset"
        )
