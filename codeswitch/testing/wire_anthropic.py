"""Anthropic Messages SSE as the emulator sends it, plus the local FIM servers (llama.cpp, Ollama).

Messages: message_start (input usage, cache reads), a `ping`, text and tool_use content blocks
(input_json_delta fragments), message_delta with CUMULATIVE usage, message_stop — the events and
fields the official `anthropic` SDK reads.
"""

from __future__ import annotations

import json

from .render import Chunk, RenderCtx, json_pieces, new_id, pieces, sse


def _usage(ctx: RenderCtx, output_tokens: int) -> dict[str, object]:
    return {
        "input_tokens": ctx.input_tokens - ctx.cached_input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": ctx.cached_input_tokens,
        "output_tokens": output_tokens,
    }


def _stop_reason(ctx: RenderCtx) -> str:
    if ctx.reply.finish == "length":
        return "max_tokens"
    return "tool_use" if ctx.reply.tool_calls else "end_turn"


def render_messages(ctx: RenderCtx) -> list[Chunk]:
    mid = new_id("msg")
    out: list[Chunk] = []

    def ev(kind: str, tokens: int = 0, **fields: object) -> None:
        out.append(Chunk(sse({"type": kind, **fields}, kind), tokens))

    message: dict[str, object] = {
        "id": mid,
        "type": "message",
        "role": "assistant",
        "model": ctx.model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": _usage(ctx, 1),
    }
    ev("message_start", message=message)
    index = 0
    if ctx.reply.text or not ctx.reply.tool_calls:
        ev("content_block_start", index=index, content_block={"type": "text", "text": ""})
        ev("ping")
        for p in pieces(ctx.reply.text):
            ev("content_block_delta", 1, index=index, delta={"type": "text_delta", "text": p})
        ev("content_block_stop", index=index)
        index += 1
    for call in ctx.reply.tool_calls:
        block = {"type": "tool_use", "id": call.id or new_id("toolu"), "name": call.name, "input": {}}
        ev("content_block_start", index=index, content_block=block)
        for p in json_pieces(dict(call.input)):
            ev("content_block_delta", 1, index=index, delta={"type": "input_json_delta", "partial_json": p})
        ev("content_block_stop", index=index)
        index += 1
    delta = {"stop_reason": _stop_reason(ctx), "stop_sequence": None}
    ev("message_delta", delta=delta, usage=_usage(ctx, ctx.output_tokens))
    ev("message_stop")
    return out


def messages_nonstream(ctx: RenderCtx) -> dict[str, object]:
    content: list[object] = []
    if ctx.reply.text or not ctx.reply.tool_calls:
        content.append({"type": "text", "text": ctx.reply.text})
    for c in ctx.reply.tool_calls:
        content.append(
            {"type": "tool_use", "id": c.id or new_id("toolu"), "name": c.name, "input": dict(c.input)}
        )
    return {
        "id": new_id("msg"),
        "type": "message",
        "role": "assistant",
        "model": ctx.model,
        "content": content,
        "stop_reason": _stop_reason(ctx),
        "stop_sequence": None,
        "usage": _usage(ctx, ctx.output_tokens),
    }


def messages_stream_error() -> bytes:
    return sse({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}, "error")


def render_llamacpp(ctx: RenderCtx) -> list[Chunk]:
    """llama.cpp `/infill`: SSE `{content, stop}` chunks; the last has stop=true and counters."""
    out = [Chunk(sse({"content": p, "stop": False}), 1) for p in pieces(ctx.reply.text)]
    final = {
        "content": "",
        "stop": True,
        "model": ctx.model,
        "stop_type": "limit" if ctx.reply.finish == "length" else "eos",
        "tokens_evaluated": ctx.input_tokens,
        "tokens_cached": ctx.cached_input_tokens,
        "tokens_predicted": ctx.output_tokens,
        "timings": {"prompt_n": ctx.input_tokens, "predicted_n": ctx.output_tokens},
    }
    out.append(Chunk(sse(final)))
    return out


def llamacpp_stream_error() -> bytes:
    return sse({"error": {"code": 500, "message": "slot unavailable", "type": "server_error"}})


def _ndjson(obj: object) -> bytes:
    return (json.dumps(obj) + "\n").encode()


def render_ollama(ctx: RenderCtx) -> list[Chunk]:
    """Ollama `/api/generate`: NDJSON `{response, done}` lines; the last has done=true and counts."""
    stamp = "2026-01-01T00:00:00Z"
    out = [
        Chunk(_ndjson({"model": ctx.model, "created_at": stamp, "response": p, "done": False}), 1)
        for p in pieces(ctx.reply.text)
    ]
    final = {
        "model": ctx.model,
        "created_at": stamp,
        "response": "",
        "done": True,
        "done_reason": "length" if ctx.reply.finish == "length" else "stop",
        "prompt_eval_count": ctx.input_tokens,
        "eval_count": ctx.output_tokens,
    }
    out.append(Chunk(_ndjson(final)))
    return out


def ollama_stream_error() -> bytes:
    return _ndjson({"error": "an unknown error was encountered while running the model"})
