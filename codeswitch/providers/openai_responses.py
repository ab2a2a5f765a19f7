"""OpenAI Responses API (`POST /v1/responses`, SSE) — gpt-5.3-codex and gpt-5.3-codex-spark.

The stream has no `[DONE]`: it ends with `response.completed` (usage inside), or
`response.incomplete` (e.g. max_output_tokens) or `response.failed`; a top-level `error` event can
arrive at any time. Tool calls arrive whole in `response.output_item.done` (type function_call).
`stop` sequences are not part of this API and are ignored here.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

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


def _input_items(req: CompletionRequest) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    for msg in req.messages:
        text_type = "input_text" if msg.role == "user" else "output_text"
        content: list[dict[str, object]] = []
        for block in msg.blocks():
            if isinstance(block, TextBlock):
                content.append({"type": text_type, "text": block.text})
            elif isinstance(block, ToolUseBlock):
                items.append(
                    {
                        "type": "function_call",
                        "call_id": block.id,
                        "name": block.name,
                        "arguments": json.dumps(dict(block.input)),
                    }
                )
            else:
                items.append(
                    {"type": "function_call_output", "call_id": block.tool_use_id, "output": block.content}
                )
        if content:
            items.append({"role": msg.role, "content": content})
    if not req.messages and req.prompt is not None:
        items.append({"role": "user", "content": [{"type": "input_text", "text": req.prompt}]})
    return items


def usage_from(obj: object) -> Usage | None:
    """Usage from a Responses `usage` object (input_tokens includes the cached ones)."""
    if not isinstance(obj, dict):
        return None
    details = obj.get("input_tokens_details")
    cached = details.get("cached_tokens", 0) if isinstance(details, dict) else 0
    return Usage(
        input_tokens=int(obj.get("input_tokens") or 0),
        cached_input_tokens=int(cached or 0),
        output_tokens=int(obj.get("output_tokens") or 0),
    )


_INCOMPLETE: dict[str, FinishReason] = {"max_output_tokens": "length", "content_filter": "content_filter"}


class OpenAIResponsesProvider(HttpProvider):
    def build(self, req: CompletionRequest) -> tuple[str, dict[str, object]]:
        body: dict[str, object] = {
            "model": req.model_id,
            "input": _input_items(req),
            "max_output_tokens": req.max_tokens,
            "stream": True,
            "store": False,
        }
        if req.system:
            body["instructions"] = req.system
        if req.temperature is not None:
            body["temperature"] = req.temperature
        if req.tools:
            body["tools"] = [
                {
                    "type": "function",
                    "name": t.name,
                    "description": t.description,
                    "parameters": dict(t.input_schema),
                }
                for t in req.tools
            ]
        return "/responses", body

    async def parse(self, lines: AsyncIterator[str], req: CompletionRequest) -> AsyncIterator[StreamEvent]:
        model = req.model_id
        saw_tool = False
        async for sse in iter_sse(lines):
            try:
                data = sse.json()
            except ValueError:
                raise self.malformed(f"undecodable Responses event {sse.event!r}", model) from None
            kind = data.get("type", sse.event)
            if kind == "response.output_text.delta":
                delta = data.get("delta")
                if not isinstance(delta, str):
                    raise self.malformed("output_text.delta without text", model)
                if delta:
                    yield TextDelta(delta)
            elif kind == "response.output_item.done":
                item = data.get("item")
                if isinstance(item, dict) and item.get("type") == "function_call":
                    saw_tool = True
                    yield self._tool_use(item, model)
            elif kind in ("response.completed", "response.incomplete"):
                resp = data.get("response")
                resp = resp if isinstance(resp, dict) else {}
                usage = usage_from(resp.get("usage"))
                if usage is not None:
                    yield usage
                if kind == "response.completed":
                    yield Finish("tool_use" if saw_tool else "stop", "completed")
                else:
                    details = resp.get("incomplete_details")
                    raw = details.get("reason") if isinstance(details, dict) else None
                    raw_s = raw if isinstance(raw, str) else "incomplete"
                    yield Finish(_INCOMPLETE.get(raw_s, "other"), raw_s)
                return
            elif kind == "response.failed":
                resp = data.get("response")
                err = resp.get("error") if isinstance(resp, dict) else None
                failed: dict[str, object] = {"error": err if isinstance(err, dict) else {"message": "failed"}}
                raise error_from_event(failed, provider=self.name, model=model, secret=self._api_key)
            elif kind == "error":
                payload: dict[str, object] = data if "error" in data else {"error": data}
                raise error_from_event(payload, provider=self.name, model=model, secret=self._api_key)
        raise self.malformed("Responses stream ended without response.completed", model)

    def _tool_use(self, item: dict[str, object], model: str) -> ToolUse:
        args = item.get("arguments") or "{}"
        try:
            parsed = json.loads(args) if isinstance(args, str) else None
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            raise self.malformed("function_call arguments are not a JSON object", model)
        call_id = item.get("call_id") or item.get("id") or ""
        return ToolUse(str(call_id), str(item.get("name") or ""), parsed)


__all__ = ["OpenAIResponsesProvider", "usage_from"]
