"""OpenAI wire formats as the emulator sends them: Responses SSE, Chat Completions (stream and
not), and the OpenAI-shaped FIM dialects (Mistral Codestral, DeepSeek beta completions).

Events carry the fields the official `openai` SDK reads, so it can consume these streams.
"""

from __future__ import annotations

import json

from .render import Chunk, RenderCtx, json_pieces, new_id, pieces, sse
from .script import Reply


def _responses_usage(ctx: RenderCtx) -> dict[str, object]:
    return {
        "input_tokens": ctx.input_tokens,
        "input_tokens_details": {"cached_tokens": ctx.cached_input_tokens},
        "output_tokens": ctx.output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": ctx.input_tokens + ctx.output_tokens,
    }


def _response_obj(ctx: RenderCtx, rid: str, status: str, output: list[object]) -> dict[str, object]:
    obj: dict[str, object] = {
        "id": rid,
        "object": "response",
        "created_at": ctx.created,
        "status": status,
        "model": ctx.model,
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "error": None,
        "incomplete_details": None,
        "usage": None,
    }
    if status in ("completed", "incomplete"):
        obj["usage"] = _responses_usage(ctx)
    if status == "incomplete":
        obj["incomplete_details"] = {"reason": "max_output_tokens"}
    return obj


def _text_item(mid: str, text: str, status: str) -> dict[str, object]:
    content = [{"type": "output_text", "text": text, "annotations": []}] if status == "completed" else []
    return {"id": mid, "type": "message", "status": status, "role": "assistant", "content": content}


def render_responses(ctx: RenderCtx) -> list[Chunk]:
    rid, seq = new_id("resp"), iter(range(1_000_000))
    out: list[Chunk] = []

    def ev(kind: str, tokens: int = 0, **fields: object) -> None:
        out.append(Chunk(sse({"type": kind, "sequence_number": next(seq), **fields}, kind), tokens))

    ev("response.created", response=_response_obj(ctx, rid, "in_progress", []))
    ev("response.in_progress", response=_response_obj(ctx, rid, "in_progress", []))
    done_items: list[object] = []
    text = ctx.reply.text
    if text or not ctx.reply.tool_calls:
        mid, idx = new_id("msg"), len(done_items)
        ev("response.output_item.added", output_index=idx, item=_text_item(mid, "", "in_progress"))
        part = {"type": "output_text", "text": "", "annotations": []}
        ev("response.content_part.added", item_id=mid, output_index=idx, content_index=0, part=part)
        for p in pieces(text):
            ev(
                "response.output_text.delta",
                1,
                item_id=mid,
                output_index=idx,
                content_index=0,
                delta=p,
                logprobs=[],
            )
        ev(
            "response.output_text.done",
            item_id=mid,
            output_index=idx,
            content_index=0,
            text=text,
            logprobs=[],
        )
        part = {"type": "output_text", "text": text, "annotations": []}
        ev("response.content_part.done", item_id=mid, output_index=idx, content_index=0, part=part)
        item = _text_item(mid, text, "completed")
        ev("response.output_item.done", output_index=idx, item=item)
        done_items.append(item)
    for call in ctx.reply.tool_calls:
        fid, idx = new_id("fc"), len(done_items)
        call_id = call.id or new_id("call")
        args = json.dumps(dict(call.input))
        base = {"id": fid, "type": "function_call", "call_id": call_id, "name": call.name}
        ev(
            "response.output_item.added",
            output_index=idx,
            item={**base, "arguments": "", "status": "in_progress"},
        )
        for p in json_pieces(dict(call.input)):
            ev("response.function_call_arguments.delta", 1, item_id=fid, output_index=idx, delta=p)
        ev("response.function_call_arguments.done", item_id=fid, output_index=idx, arguments=args)
        item = {**base, "arguments": args, "status": "completed"}
        ev("response.output_item.done", output_index=idx, item=item)
        done_items.append(item)
    final = "incomplete" if ctx.reply.finish == "length" else "completed"
    ev(f"response.{final}", response=_response_obj(ctx, rid, final, done_items))
    return out


def responses_nonstream(ctx: RenderCtx) -> dict[str, object]:
    chunks = render_responses(ctx)
    last = json.loads(chunks[-1].data.decode().split("data: ", 1)[1])
    resp = last["response"]
    assert isinstance(resp, dict)
    return resp


def responses_stream_error(ctx: RenderCtx) -> bytes:
    """`response.failed`: how the Responses API reports a generation that broke mid-way."""
    resp = _response_obj(ctx, new_id("resp"), "failed", [])
    resp["error"] = {"code": "server_error", "message": "The model failed to generate a response."}
    return sse({"type": "response.failed", "sequence_number": 10_000, "response": resp}, "response.failed")


def _chat_chunk(ctx: RenderCtx, cid: str, obj: str, choices: list[object], **extra: object) -> bytes:
    return sse(
        {"id": cid, "object": obj, "created": ctx.created, "model": ctx.model, "choices": choices, **extra}
    )


def chat_usage(ctx: RenderCtx) -> dict[str, object]:
    return {
        "prompt_tokens": ctx.input_tokens,
        "completion_tokens": ctx.output_tokens,
        "total_tokens": ctx.input_tokens + ctx.output_tokens,
        "prompt_tokens_details": {"cached_tokens": ctx.cached_input_tokens},
    }


def _finish(ctx: RenderCtx) -> str:
    if ctx.reply.finish == "length":
        return "length"
    return "tool_calls" if ctx.reply.tool_calls else "stop"


def render_chat(ctx: RenderCtx, include_usage: bool, obj: str = "chat.completion.chunk") -> list[Chunk]:
    cid = new_id("chatcmpl")
    out: list[Chunk] = []

    def choice(delta: dict[str, object], finish: str | None = None, index: int = 0) -> list[object]:
        return [{"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}]

    texts = [ctx.reply.text, *(r.text for r in ctx.others)]
    for i in range(len(texts)):
        out.append(Chunk(_chat_chunk(ctx, cid, obj, choice({"role": "assistant", "content": ""}, index=i))))
    # several choices stream interleaved, one choice per chunk, as the API sends them with n > 1
    split = [pieces(t) for t in texts]
    for k in range(max(map(len, split))):
        for i, parts in enumerate(split):
            if k < len(parts):
                out.append(Chunk(_chat_chunk(ctx, cid, obj, choice({"content": parts[k]}, index=i)), 1))
    for i, other in enumerate(ctx.others, start=1):
        end = "length" if other.finish == "length" else "stop"
        out.append(Chunk(_chat_chunk(ctx, cid, obj, choice({}, end, index=i))))
    for i, call in enumerate(ctx.reply.tool_calls):
        head = {"index": i, "id": call.id or new_id("call"), "type": "function"}
        first = {**head, "function": {"name": call.name, "arguments": ""}}
        out.append(Chunk(_chat_chunk(ctx, cid, obj, choice({"tool_calls": [first]}))))
        for p in json_pieces(dict(call.input)):
            tc = {"index": i, "function": {"arguments": p}}
            out.append(Chunk(_chat_chunk(ctx, cid, obj, choice({"tool_calls": [tc]})), 1))
    out.append(Chunk(_chat_chunk(ctx, cid, obj, choice({}, _finish(ctx)))))
    if include_usage:
        out.append(Chunk(_chat_chunk(ctx, cid, obj, [], usage=chat_usage(ctx))))
    out.append(Chunk(b"data: [DONE]\n\n"))
    return out


def chat_nonstream(ctx: RenderCtx) -> dict[str, object]:
    message: dict[str, object] = {"role": "assistant", "content": ctx.reply.text or None, "refusal": None}
    if ctx.reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": c.id or new_id("call"),
                "type": "function",
                "function": {"name": c.name, "arguments": json.dumps(dict(c.input))},
            }
            for c in ctx.reply.tool_calls
        ]
    return {
        "id": new_id("chatcmpl"),
        "object": "chat.completion",
        "created": ctx.created,
        "model": ctx.model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": _finish(ctx)},
                    *(_other_choice(i, r) for i, r in enumerate(ctx.others, start=1))],
        "usage": chat_usage(ctx),
    }


def _other_choice(index: int, reply: Reply) -> dict[str, object]:
    message = {"role": "assistant", "content": reply.text or None, "refusal": None}
    return {"index": index, "message": message, "logprobs": None,
            "finish_reason": "length" if reply.finish == "length" else "stop"}


def chat_stream_error() -> bytes:
    return sse({"error": {"message": "The server is overloaded.", "type": "server_error", "code": None}})


def render_mistral_fim(ctx: RenderCtx) -> list[Chunk]:
    """Codestral streams chat-completion-shaped chunks and puts usage in the last content chunk."""
    cid = new_id("fim")
    out: list[Chunk] = []
    parts = pieces(ctx.reply.text)
    for p in parts:
        choice = {"index": 0, "delta": {"content": p}, "finish_reason": None}
        out.append(Chunk(_chat_chunk(ctx, cid, "chat.completion.chunk", [choice]), 1))
    last = {"index": 0, "delta": {"content": ""}, "finish_reason": _finish(ctx)}
    out.append(Chunk(_chat_chunk(ctx, cid, "chat.completion.chunk", [last], usage=chat_usage(ctx))))
    out.append(Chunk(b"data: [DONE]\n\n"))
    return out


def render_deepseek_fim(ctx: RenderCtx, include_usage: bool) -> list[Chunk]:
    """DeepSeek beta completions: legacy `text_completion` chunks with `text`."""
    cid = new_id("cmpl")
    out: list[Chunk] = []
    for p in pieces(ctx.reply.text):
        choice = {"index": 0, "text": p, "logprobs": None, "finish_reason": None}
        out.append(Chunk(_chat_chunk(ctx, cid, "text_completion", [choice]), 1))
    last = {"index": 0, "text": "", "logprobs": None, "finish_reason": _finish(ctx)}
    out.append(Chunk(_chat_chunk(ctx, cid, "text_completion", [last])))
    if include_usage:
        out.append(Chunk(_chat_chunk(ctx, cid, "text_completion", [], usage=chat_usage(ctx))))
    out.append(Chunk(b"data: [DONE]\n\n"))
    return out
