"""Anthropic Messages API (`POST {base}/v1/messages`, SSE) with tool use and prompt caching.

Events: message_start (input usage) → content_block_start/delta/stop (text_delta, or
input_json_delta fragments for tool_use) → message_delta (stop_reason, CUMULATIVE usage) →
message_stop; `ping` keep-alives and an in-stream `error` (e.g. overloaded_error) may appear.

Claude Opus 4.6 rejects a trailing assistant message (prefill) with HTTP 400; this client refuses
such a request locally with BadRequest instead of spending a round trip on it. Prompt caching:
`cache_system=True` puts a cache_control breakpoint on the system prompt (which caches the tools
too), and `TextBlock(cache=True)` puts one after that block.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from .base import HttpProvider
from .errmap import error_from_event
from .errors import BadRequest
from .sse import iter_sse
from .types import (
    CompletionRequest,
    Finish,
    FinishReason,
    Message,
    StreamEvent,
    TextBlock,
    TextDelta,
    ToolUse,
    ToolUseBlock,
    Usage,
)

ANTHROPIC_VERSION = "2023-06-01"
_EPHEMERAL = {"type": "ephemeral"}
_STOP: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_use",
    "refusal": "content_filter",
}


def _block_json(block: object) -> dict[str, object]:
    if isinstance(block, TextBlock):
        out: dict[str, object] = {"type": "text", "text": block.text}
        if block.cache:
            out["cache_control"] = _EPHEMERAL
        return out
    if isinstance(block, ToolUseBlock):
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": dict(block.input)}
    assert not isinstance(block, str)
    res: dict[str, object] = {
        "type": "tool_result",
        "tool_use_id": getattr(block, "tool_use_id", ""),
        "content": getattr(block, "content", ""),
    }
    if getattr(block, "is_error", False):
        res["is_error"] = True
    return res


def messages_json(messages: list[Message]) -> list[dict[str, object]]:
    """Messages API shape. Empty text blocks are dropped: the API rejects them with a 400."""
    out: list[dict[str, object]] = []
    for msg in messages:
        if isinstance(msg.content, str):
            out.append({"role": msg.role, "content": msg.content})
        else:
            blocks = [b for b in msg.content if not (isinstance(b, TextBlock) and not b.text)]
            out.append({"role": msg.role, "content": [_block_json(b) for b in blocks]})
    return out


@dataclass(slots=True)
class _Block:
    kind: str
    id: str = ""
    name: str = ""
    json_parts: list[str] = field(default_factory=list)


def _int(obj: dict[str, object], key: str) -> int | None:
    v = obj.get(key)
    return int(v) if isinstance(v, int | float) else None


class AnthropicProvider(HttpProvider):
    def auth_headers(self) -> dict[str, str]:
        headers = {"anthropic-version": ANTHROPIC_VERSION}
        if self._api_key:
            headers["x-api-key"] = self._api_key
        return headers

    def build(self, req: CompletionRequest) -> tuple[str, dict[str, object]]:
        messages = list(req.messages)
        if not messages and req.prompt is not None:
            messages = [Message("user", req.prompt)]
        if not messages:
            raise self.error(BadRequest, "a Messages request needs at least one user message", req.model_id)
        if messages[-1].role == "assistant":
            raise self.error(
                BadRequest,
                "trailing assistant message (prefill) is rejected by the Messages API; send a user turn",
                req.model_id,
            )
        body: dict[str, object] = {
            "model": req.model_id,
            "max_tokens": req.max_tokens,
            "messages": messages_json(messages),
            "stream": True,
        }
        if req.system:
            body["system"] = (
                [{"type": "text", "text": req.system, "cache_control": _EPHEMERAL}]
                if req.cache_system
                else req.system
            )
        if req.stop:
            body["stop_sequences"] = list(req.stop)
        if req.temperature is not None:
            body["temperature"] = req.temperature
        if req.tools:
            body["tools"] = [
                {"name": t.name, "description": t.description, "input_schema": dict(t.input_schema)}
                for t in req.tools
            ]
        return "/v1/messages", body

    async def parse(self, lines: AsyncIterator[str], req: CompletionRequest) -> AsyncIterator[StreamEvent]:
        model = req.model_id
        blocks: dict[int, _Block] = {}
        counts: dict[str, int] = {}
        stop_reason: str | None = None
        async for sse in iter_sse(lines):
            try:
                data = sse.json()
            except ValueError:
                raise self.malformed(f"undecodable Messages event {sse.event!r}", model) from None
            kind = data.get("type", sse.event)
            if kind == "message_start":
                msg = data.get("message")
                usage = msg.get("usage") if isinstance(msg, dict) else None
                self._merge_usage(counts, usage)
            elif kind == "content_block_start":
                cb = data.get("content_block")
                index = data.get("index")
                if not isinstance(cb, dict) or not isinstance(index, int):
                    raise self.malformed("content_block_start without block or index", model)
                block = _Block(str(cb.get("type")), str(cb.get("id") or ""), str(cb.get("name") or ""))
                blocks[index] = block
                text = cb.get("text")
                if block.kind == "text" and isinstance(text, str) and text:
                    yield TextDelta(text)
            elif kind == "content_block_delta":
                delta = data.get("delta")
                index = data.get("index")
                if not isinstance(delta, dict) or not isinstance(index, int) or index not in blocks:
                    raise self.malformed("content_block_delta for an unknown block", model)
                if delta.get("type") == "text_delta":
                    text = delta.get("text")
                    if isinstance(text, str) and text:
                        yield TextDelta(text)
                elif delta.get("type") == "input_json_delta":
                    part = delta.get("partial_json")
                    if isinstance(part, str):
                        blocks[index].json_parts.append(part)
            elif kind == "content_block_stop":
                index = data.get("index")
                done = blocks.get(index) if isinstance(index, int) else None
                if done is not None and done.kind == "tool_use":
                    yield self._tool_use(done, model)
            elif kind == "message_delta":
                delta = data.get("delta")
                if isinstance(delta, dict) and isinstance(delta.get("stop_reason"), str):
                    stop_reason = delta["stop_reason"]
                self._merge_usage(counts, data.get("usage"))
            elif kind == "message_stop":
                if counts:
                    cache_read = counts.get("cache_read_input_tokens", 0)
                    cache_write = counts.get("cache_creation_input_tokens", 0)
                    yield Usage(
                        input_tokens=counts.get("input_tokens", 0) + cache_read + cache_write,
                        cached_input_tokens=cache_read,
                        output_tokens=counts.get("output_tokens", 0),
                        cache_write_input_tokens=cache_write,
                    )
                raw = stop_reason or "end_turn"
                yield Finish(_STOP.get(raw, "other"), raw)
                return
            elif kind == "error":
                raise error_from_event(data, provider=self.name, model=model, secret=self._api_key)
        raise self.malformed("Messages stream ended without message_stop", model)

    @staticmethod
    def _merge_usage(counts: dict[str, int], usage: object) -> None:
        """message_delta usage is cumulative: later values replace earlier ones, never add."""
        if not isinstance(usage, dict):
            return
        for key in (
            "input_tokens",
            "output_tokens",
            "cache_read_input_tokens",
            "cache_creation_input_tokens",
        ):
            value = _int(usage, key)
            if value is not None:
                counts[key] = value

    def _tool_use(self, block: _Block, model: str) -> ToolUse:
        raw = "".join(block.json_parts) or "{}"
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            raise self.malformed(f"tool_use {block.name!r} input is not a JSON object", model)
        return ToolUse(block.id, block.name, parsed)
