"""Parsers against byte streams cut at arbitrary places, through the transport seam (no sockets)."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from codeswitch.providers import (
    Collected,
    CompletionRequest,
    Finish,
    MalformedStream,
    Message,
    ProviderError,
    RateLimited,
    ToolUse,
    Usage,
    collect,
    make_provider,
)

ANTHROPIC_STREAM = (
    b'event: message_start\r\ndata: {"type":"message_start","message":{"id":"m","usage":'
    b'{"input_tokens":10,"cache_read_input_tokens":90,"cache_creation_input_tokens":5,"output_tokens":1}}}\r\n\r\n'
    b": proxy keep-alive\r\n\r\n"
    b'event: content_block_start\r\ndata: {"type":"content_block_start","index":0,'
    b'"content_block":{"type":"text","text":""}}\r\n\r\n'
    b'event: ping\r\ndata: {"type": "ping"}\r\n\r\n'
    b'event: content_block_delta\r\ndata: {"type":"content_block_delta","index":0,'
    b'"delta":{"type":"text_delta","text":"h\xc3\xa9llo "}}\r\n\r\n'
    b'event: content_block_delta\r\ndata: {"type":"content_block_delta","index":0,'
    b'"delta":{"type":"text_delta","text":"w\xc3\xb6rld \xf0\x9f\x8c\x8d"}}\r\n\r\n'
    b'event: content_block_stop\r\ndata: {"type":"content_block_stop","index":0}\r\n\r\n'
    b'event: content_block_start\r\ndata: {"type":"content_block_start","index":1,'
    b'"content_block":{"type":"tool_use","id":"tu1","name":"edit","input":{}}}\r\n\r\n'
    b'event: content_block_delta\r\ndata: {"type":"content_block_delta","index":1,'
    b'"delta":{"type":"input_json_delta","partial_json":"{\\"path\\": \\"a"}}\r\n\r\n'
    b'event: content_block_delta\r\ndata: {"type":"content_block_delta","index":1,'
    b'"delta":{"type":"input_json_delta","partial_json":".py\\"}"}}\r\n\r\n'
    b'event: content_block_stop\r\ndata: {"type":"content_block_stop","index":1}\r\n\r\n'
    b'event: message_delta\r\ndata: {"type":"message_delta","delta":{"stop_reason":"tool_use"},'
    b'"usage":{"output_tokens":7}}\r\n\r\n'
    b'event: message_delta\r\ndata: {"type":"message_delta","delta":{},"usage":{"output_tokens":9}}\r\n\r\n'
    b'event: message_stop\r\ndata: {"type":"message_stop"}\r\n\r\n'
)


class _Body(httpx.AsyncByteStream):
    def __init__(self, parts: list[bytes]) -> None:
        self.parts = parts

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for p in self.parts:
            yield p


def _run(data: bytes, cuts: list[int], api: str = "anthropic", status: int = 200) -> Collected:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    parts = [data[a:b] for a, b in itertools.pairwise(points)]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers={"content-type": "text/event-stream"}, stream=_Body(parts))

    async def go() -> Collected:
        p = make_provider("t", api, "http://emu.invalid", "k", transport=httpx.MockTransport(handler))
        try:
            req = CompletionRequest("claude-opus-4-6", messages=[Message("user", "x")])
            return await collect(p.stream(req))
        finally:
            await p.aclose()

    return asyncio.run(go())


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10_000), max_size=25))
def test_anthropic_stream_survives_any_chunking(cuts: list[int]) -> None:
    got = _run(ANTHROPIC_STREAM, cuts)
    assert got.text == "héllo wörld 🌍"
    assert got.tool_uses == [ToolUse("tu1", "edit", {"path": "a.py"})]
    # message_delta usage is cumulative: the last value (9) wins, it is not summed (7 + 9).
    assert got.usage == Usage(
        input_tokens=105, cached_input_tokens=90, output_tokens=9, cache_write_input_tokens=5
    )
    assert got.finish == Finish("tool_use", "tool_use")


def test_truncated_stream_is_malformed() -> None:
    cut = ANTHROPIC_STREAM.index(b"event: message_stop")
    try:
        _run(ANTHROPIC_STREAM[:cut], [])
    except MalformedStream as e:
        assert "message_stop" in str(e)
    else:
        raise AssertionError("a stream without message_stop must not look complete")


def test_chat_stream_with_fragmented_tool_arguments_and_deepseek_cache_usage() -> None:
    def call(fn: dict[str, object], **extra: object) -> dict[str, object]:
        return {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": fn, **extra}]}}]}

    events: list[object] = [
        call({"name": "grep", "arguments": ""}, id="c1", type="function"),
        call({"arguments": '{"q":'}),
        call({"arguments": "1}"}),
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
        {
            "choices": [],
            "usage": {"prompt_tokens": 50, "completion_tokens": 4, "prompt_cache_hit_tokens": 32},
        },
    ]
    chunks = [f"data: {json.dumps(e)}\n\n".encode() for e in events] + [b"data: [DONE]\n\n"]
    got = _run(b"".join(chunks), [7, 100, 333], api="openai_chat")
    assert got.text == ""
    assert got.tool_uses == [ToolUse("c1", "grep", {"q": 1})]
    assert got.usage == Usage(input_tokens=50, cached_input_tokens=32, output_tokens=4)
    assert got.finish == Finish("tool_use", "tool_calls")


def test_responses_top_level_error_event() -> None:
    events = [
        {"type": "response.created", "sequence_number": 0, "response": {"id": "r"}},
        {"type": "response.output_text.delta", "sequence_number": 1, "delta": "par"},
        {
            "type": "error",
            "sequence_number": 2,
            "code": "rate_limit_exceeded",
            "message": "slow down",
            "param": None,
        },
    ]
    data = b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events)
    try:
        _run(data, [], api="openai_responses")
    except RateLimited as e:
        assert e.code == "rate_limit_exceeded" and "slow down" in str(e)
    else:
        raise AssertionError("an error event must raise")


def test_responses_incomplete_is_length() -> None:
    events = [
        {"type": "response.output_text.delta", "delta": "cut"},
        {
            "type": "response.incomplete",
            "response": {
                "incomplete_details": {"reason": "max_output_tokens"},
                "usage": {
                    "input_tokens": 9,
                    "input_tokens_details": {"cached_tokens": 0},
                    "output_tokens": 1,
                },
            },
        },
    ]
    data = b"".join(f"data: {json.dumps(e)}\n\n".encode() for e in events)
    got = _run(data, [3], api="openai_responses")
    assert got.text == "cut"
    assert got.finish == Finish("length", "max_output_tokens")
    assert got.usage == Usage(9, 0, 1)


def test_a_server_that_lingers_after_the_last_event_does_not_hold_the_answer() -> None:
    class Lingering(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield b'data: {"choices":[{"index":0,"delta":{"content":"done"},"finish_reason":"stop"}]}\n\n'
            yield b"data: [DONE]\n\n"
            await asyncio.sleep(3600)  # never ends the body
            yield b""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Lingering())

    async def go() -> Collected:
        p = make_provider(
            "t", "openai_chat", "http://emu.invalid/v1", "k", transport=httpx.MockTransport(handler)
        )
        try:
            # wait_for is only a guard against a hang, not a speed assertion.
            return await asyncio.wait_for(collect(p.stream(CompletionRequest("m", prompt="x"))), 30)
        finally:
            await p.aclose()

    got = asyncio.run(go())
    assert got.text == "done" and got.finish == Finish("stop", "stop")


def test_bad_base_urls_are_bad_requests_not_httpx_errors() -> None:
    async def go(base: str) -> ProviderError:
        p = make_provider("t", "openai_chat", base, "k")
        try:
            await collect(p.stream(CompletionRequest("m", prompt="x")))
        except ProviderError as e:
            return e
        finally:
            await p.aclose()
        raise AssertionError("no error")

    for base in ("ftp://example.invalid/v1", "http://[::1"):
        err = asyncio.run(go(base))
        assert err.kind == "bad_request" and "base_url" in str(err)


def _json_response(body: object) -> Collected | ProviderError:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body)

    async def go() -> Collected | ProviderError:
        p = make_provider(
            "gw", "openai_chat", "http://gw.invalid/v1", "k", transport=httpx.MockTransport(handler)
        )
        try:
            return await collect(p.stream(CompletionRequest("m", prompt="x")))
        except ProviderError as e:
            return e
        finally:
            await p.aclose()

    return asyncio.run(go())


def test_a_json_body_instead_of_a_stream_is_explained() -> None:
    err = _json_response({"error": {"message": "upstream rate limited", "type": "rate_limit_error"}})
    assert isinstance(err, RateLimited) and "upstream rate limited" in str(err)
    err = _json_response({"id": "x", "choices": [{"message": {"content": "hi"}}]})
    assert isinstance(err, MalformedStream) and "does this endpoint stream" in str(err)


def test_sse_reader_ignores_a_leading_bom() -> None:
    data = '\ufeffevent: message_start\ndata: {"type":"message_start","message":{"usage":{}}}\n\n'.encode()
    stop = b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
    got = _run(data + stop, [1, 2, 3])
    assert got.finish == Finish("stop", "end_turn") and got.usage is None
