"""Request bodies each client sends, SSE framing, base URLs (no network)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codeswitch.providers import (
    BadRequest,
    CompletionRequest,
    Message,
    TextBlock,
    ToolResultBlock,
    ToolSpec,
    ToolUseBlock,
    default_base_url,
    make_provider,
)
from codeswitch.providers.base import HttpProvider
from codeswitch.providers.sse import SSEEvent, iter_sse

TOOL = ToolSpec("read_file", "Read a file", {"type": "object", "properties": {"path": {"type": "string"}}})
HISTORY = [
    Message("user", "rename foo"),
    Message("assistant", [TextBlock("looking"), ToolUseBlock("t1", "read_file", {"path": "a.py"})]),
    Message("user", [ToolResultBlock("t1", "def foo(): ..."), TextBlock("go on", cache=True)]),
]


def build(
    api: str, req: CompletionRequest, base: str = "http://127.0.0.1:9"
) -> tuple[str, dict[str, object]]:
    p = make_provider("t", api, base, "k")
    assert isinstance(p, HttpProvider)
    return p.build(req)


def test_anthropic_body_has_tools_cache_control_and_tool_blocks() -> None:
    req = CompletionRequest(
        "claude-opus-4-6", system="sys", messages=HISTORY, tools=[TOOL], cache_system=True
    )
    path, body = build("anthropic", req)
    assert path == "/v1/messages"
    assert body["system"] == [{"type": "text", "text": "sys", "cache_control": {"type": "ephemeral"}}]
    assert body["tools"] == [
        {"name": "read_file", "description": "Read a file", "input_schema": TOOL.input_schema}
    ]
    msgs = body["messages"]
    assert isinstance(msgs, list)
    assert msgs[1]["content"][1] == {
        "type": "tool_use",
        "id": "t1",
        "name": "read_file",
        "input": {"path": "a.py"},
    }
    assert msgs[2]["content"][0] == {"type": "tool_result", "tool_use_id": "t1", "content": "def foo(): ..."}
    assert msgs[2]["content"][1]["cache_control"] == {"type": "ephemeral"}


def test_anthropic_refuses_a_trailing_assistant_message() -> None:
    req = CompletionRequest(
        "claude-opus-4-6", messages=[Message("user", "a"), Message("assistant", "prefill")]
    )
    with pytest.raises(BadRequest, match="trailing assistant"):
        build("anthropic", req)
    with pytest.raises(BadRequest):
        build("anthropic", CompletionRequest("claude-opus-4-6"))


def test_anthropic_headers_use_x_api_key_and_version() -> None:
    p = make_provider("a", "anthropic", "http://127.0.0.1:9", "key-123456")
    assert isinstance(p, HttpProvider)
    assert p.auth_headers() == {"anthropic-version": "2023-06-01", "x-api-key": "key-123456"}
    q = make_provider("o", "openai_chat", "http://127.0.0.1:9", "key-123456")
    assert isinstance(q, HttpProvider)
    assert q.auth_headers() == {"Authorization": "Bearer key-123456"}
    assert "key-123456" not in repr(p) and "key-123456" not in repr(q)


def test_responses_body_maps_tools_and_history() -> None:
    req = CompletionRequest("gpt-5.3-codex", system="sys", messages=HISTORY, tools=[TOOL], max_tokens=99)
    path, body = build("openai_responses", req)
    assert path == "/responses"
    assert body["instructions"] == "sys" and body["max_output_tokens"] == 99 and body["stream"] is True
    items = body["input"]
    assert isinstance(items, list)
    kinds = [i.get("type", i.get("role")) for i in items]
    assert kinds == ["user", "function_call", "assistant", "function_call_output", "user"]
    assert body["tools"] == [
        {
            "type": "function",
            "name": "read_file",
            "description": "Read a file",
            "parameters": TOOL.input_schema,
        }
    ]


def test_chat_body_uses_tool_role_and_usage_option() -> None:
    req = CompletionRequest("gpt-oss-120b", system="sys", messages=HISTORY, tools=[TOOL], stop=["\n\n"])
    path, body = build("openai_chat", req, "https://api.cerebras.ai/v1")
    assert path == "/chat/completions"
    assert body["stream_options"] == {"include_usage": True}
    assert body["max_tokens"] == 256 and body["stop"] == ["\n\n"]
    messages = body["messages"]
    assert isinstance(messages, list)
    roles = [m["role"] for m in messages]
    assert roles == ["system", "user", "assistant", "tool", "user"]
    _, official = build("openai_chat", req, "https://api.openai.com/v1")
    assert "max_completion_tokens" in official and "max_tokens" not in official


@pytest.mark.parametrize(
    ("api", "path", "prefix_key", "suffix_key"),
    [
        ("fim_mistral", "/fim/completions", "prompt", "suffix"),
        ("fim_deepseek", "/completions", "prompt", "suffix"),
        ("fim_llamacpp", "/infill", "input_prefix", "input_suffix"),
        ("fim_ollama", "/api/generate", "prompt", "suffix"),
    ],
)
def test_fim_bodies(api: str, path: str, prefix_key: str, suffix_key: str) -> None:
    got_path, body = build(
        api, CompletionRequest("codestral-latest", prompt="def f(", suffix=")\n", max_tokens=32)
    )
    assert got_path == path
    assert body[prefix_key] == "def f(" and body[suffix_key] == ")\n"
    assert body["stream"] is True


def test_openai_completions_sends_a_suffix_only_when_there_is_one() -> None:
    path, body = build("openai_completions", CompletionRequest("m", prompt="x = ", max_tokens=8, stop=["\n"]))
    assert path == "/completions"
    assert body == {"model": "m", "prompt": "x = ", "max_tokens": 8, "stream": True,
                    "stream_options": {"include_usage": True}, "stop": ["\n"]}
    _, fim = build("openai_completions", CompletionRequest("m", prompt="f(", suffix=")", max_tokens=8))
    assert fim["suffix"] == ")"


@pytest.mark.parametrize(("api", "root"), [("fim_llamacpp", "http://h:8080"), ("fim_ollama", "http://h:11434")])
def test_root_apis_of_a_local_server_drop_the_openai_v1(api: str, root: str) -> None:
    p = make_provider("local", api, root + "/v1")
    assert isinstance(p, HttpProvider) and p.base_url == root
    q = make_provider("local", "openai_completions", root + "/v1")
    assert isinstance(q, HttpProvider) and q.base_url == root + "/v1"


def test_default_base_url_honours_env_only_for_its_vendor() -> None:
    env = {"OPENAI_BASE_URL": "http://gw:4000/v1/", "ANTHROPIC_BASE_URL": "http://claude-gw"}
    assert default_base_url("openai_responses", env) == "http://gw:4000/v1"
    assert default_base_url("openai_chat", env) == "http://gw:4000/v1"
    assert default_base_url("anthropic", env) == "http://claude-gw"
    assert default_base_url("fim_mistral", env) == "https://codestral.mistral.ai/v1"
    assert default_base_url("anthropic", {}) == "https://api.anthropic.com"
    assert default_base_url("openai_chat", {}) == "https://api.openai.com/v1"
    with pytest.raises(ValueError, match="unknown provider api"):
        default_base_url("smoke_signals", {})
    with pytest.raises(ValueError, match="unknown provider api"):
        make_provider("x", "smoke_signals")


async def _lines(items: list[str]) -> AsyncIterator[str]:
    for item in items:
        yield item


def _collect(lines: list[str]) -> list[SSEEvent]:
    async def go() -> list[SSEEvent]:
        return [e async for e in iter_sse(_lines(lines))]

    return asyncio.run(go())


def test_sse_reader_handles_comments_multiline_and_missing_space() -> None:
    lines = [": keep-alive", "event: a", "data: one", "data:two", "", "", "id: 3", "data: {}", ""]
    assert _collect(lines) == [SSEEvent("a", "one\ntwo"), SSEEvent(None, "{}")]
    assert _collect(["data: tail"]) == [SSEEvent(None, "tail")]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.from_regex(r"[a-z_.]{1,12}", fullmatch=True)),
            st.lists(
                st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20), min_size=1, max_size=3
            ),
        ),
        max_size=6,
    )
)
def test_sse_reader_round_trips_any_event_sequence(events: list[tuple[str | None, list[str]]]) -> None:
    lines: list[str] = []
    for name, data in events:
        if name:
            lines.append(f"event: {name}")
        lines.extend(f"data: {d}" for d in data)
        lines.append("")
    got = _collect(lines)
    assert got == [SSEEvent(name, "\n".join(data)) for name, data in events]


def test_anthropic_drops_empty_text_blocks() -> None:
    msg = Message("user", [TextBlock(""), ToolResultBlock("t1", "ok", is_error=True), TextBlock("go")])
    _, body = build("anthropic", CompletionRequest("claude-opus-4-6", messages=[msg]))
    messages = body["messages"]
    assert isinstance(messages, list)
    assert messages[0]["content"] == [
        {"type": "tool_result", "tool_use_id": "t1", "content": "ok", "is_error": True},
        {"type": "text", "text": "go"},
    ]
