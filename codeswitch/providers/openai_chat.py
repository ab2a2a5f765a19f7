"""OpenAI-compatible Chat Completions (`POST {base}/chat/completions`, SSE ending in `data: [DONE]`).

One client for every gateway that speaks this dialect: OpenAI, Cerebras, DeepSeek, Z.ai GLM,
Ollama, vLLM, llama.cpp server, a LiteLLM proxy. Usage is requested with
`stream_options.include_usage` and arrives in a last chunk with empty `choices`. Tool-call
arguments arrive as string fragments per index and are joined and parsed at the end.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .base import HttpProvider
from .errmap import error_from_event
from .sse import iter_sse
from .types import (
    CompletionRequest,
    Finish,
    FinishReason,
    StreamEvent,
    TextBlock,
    TextDelta,
    ToolUse,
    ToolUseBlock,
    Usage,
)

FINISH: dict[str, FinishReason] = {
    "stop": "stop",
    "eos": "stop",
    "length": "length",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "content_filter",
}


def chat_messages(req: CompletionRequest) -> list[dict[str, object]]:
    """Our messages in chat-completions shape (tool results become `role: tool` messages)."""
    out: list[dict[str, object]] = []
    if req.system:
        out.append({"role": "system", "content": req.system})
    for msg in req.messages:
        texts: list[str] = []
        calls: list[dict[str, object]] = []
        for block in msg.blocks():
            if isinstance(block, TextBlock):
                texts.append(block.text)
            elif isinstance(block, ToolUseBlock):
                calls.append(
                    {
                        "id": block.id,
                        "type": "function",
                        "function": {"name": block.name, "arguments": json.dumps(dict(block.input))},
                    }
                )
            else:
                out.append({"role": "tool", "tool_call_id": block.tool_use_id, "content": block.content})
        if texts or calls:
            entry: dict[str, object] = {"role": msg.role, "content": "".join(texts) if texts else None}
            if calls:
                entry["tool_calls"] = calls
            out.append(entry)
    if not req.messages and req.prompt is not None:
        out.append({"role": "user", "content": req.prompt})
    return out


def chat_usage(obj: object) -> Usage | None:
    """Usage from a chat `usage` object (OpenAI cached_tokens or DeepSeek prompt_cache_hit_tokens)."""
    if not isinstance(obj, dict):
        return None
    details = obj.get("prompt_tokens_details")
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    if cached is None:
        cached = obj.get("prompt_cache_hit_tokens", 0)
    return Usage(
        input_tokens=int(obj.get("prompt_tokens") or 0),
        cached_input_tokens=int(cached or 0),
        output_tokens=int(obj.get("completion_tokens") or 0),
    )


@dataclass(slots=True)
class _PartialCall:
    id: str = ""
    name: str = ""
    args: list[str] = field(default_factory=list)


class OpenAIChatProvider(HttpProvider):
    def build(self, req: CompletionRequest) -> tuple[str, dict[str, object]]:
        # api.openai.com rejects max_tokens for reasoning models; most gateways only know max_tokens.
        try:
            host = urlsplit(self.base_url).hostname or ""
        except ValueError:  # a malformed base_url is reported when the request is built
            host = ""
        limit_key = "max_completion_tokens" if host.endswith("openai.com") else "max_tokens"
        body: dict[str, object] = {
            "model": req.model_id,
            "messages": chat_messages(req),
            limit_key: req.max_tokens,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if req.stop:
            body["stop"] = list(req.stop)
        if req.n > 1:
            body["n"] = req.n
        if req.temperature is not None:
            body["temperature"] = req.temperature
        if req.tools:
            body["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": t.name,
                        "description": t.description,
                        "parameters": dict(t.input_schema),
                    },
                }
                for t in req.tools
            ]
        return "/chat/completions", body

    async def parse(self, lines: AsyncIterator[str], req: CompletionRequest) -> AsyncIterator[StreamEvent]:
        model = req.model_id
        calls: dict[int, _PartialCall] = {}
        usage: Usage | None = None
        finish: str | None = None
        done = False
        async for sse in iter_sse(lines):
            if sse.data.strip() == "[DONE]":
                done = True
                break
            try:
                chunk = sse.json()
            except ValueError:
                raise self.malformed("undecodable chat chunk", model) from None
            if "error" in chunk:
                raise error_from_event(chunk, provider=self.name, model=model, secret=self._api_key)
            usage = chat_usage(chunk.get("usage")) or usage
            choices = chunk.get("choices")
            if not isinstance(choices, list):
                raise self.malformed("chat chunk without choices", model)
            for choice in choices:
                if not isinstance(choice, dict):
                    raise self.malformed("chat choice is not an object", model)
                delta = choice.get("delta") or {}
                if not isinstance(delta, dict):
                    raise self.malformed("chat delta is not an object", model)
                text = delta.get("content")
                if isinstance(text, str) and text:
                    index = choice.get("index", 0)
                    yield TextDelta(text, index if isinstance(index, int) and index >= 0 else 0)
                for tc in delta.get("tool_calls") or []:
                    self._merge_call(calls, tc, model)
                if isinstance(choice.get("finish_reason"), str) and not choice.get("index"):
                    finish = choice["finish_reason"]
        if not done and finish is None:
            raise self.malformed("chat stream ended without [DONE]", model)
        for index in sorted(calls):
            yield self._finish_call(calls[index], model)
        if usage is not None:
            yield usage
        raw = finish or "stop"
        yield Finish(FINISH.get(raw, "other"), raw)

    def _merge_call(self, calls: dict[int, _PartialCall], tc: object, model: str) -> None:
        if not isinstance(tc, dict):
            raise self.malformed("tool_call delta is not an object", model)
        index = tc.get("index", len(calls))
        part = calls.setdefault(int(index) if isinstance(index, int) else len(calls), _PartialCall())
        if isinstance(tc.get("id"), str):
            part.id = tc["id"]
        fn = tc.get("function") or {}
        if isinstance(fn, dict):
            if isinstance(fn.get("name"), str) and not part.name:
                part.name = fn["name"]
            if isinstance(fn.get("arguments"), str):
                part.args.append(fn["arguments"])

    def _finish_call(self, part: _PartialCall, model: str) -> ToolUse:
        raw = "".join(part.args) or "{}"
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            raise self.malformed(f"tool call {part.name!r} arguments are not a JSON object", model)
        return ToolUse(part.id, part.name, parsed)
