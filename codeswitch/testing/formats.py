"""Which wire format a path speaks, and how to answer in it: errors, whole bodies, stream plans."""

from __future__ import annotations

from . import wire_anthropic as wa
from . import wire_openai as wo
from .render import MALFORMED_NDJSON, MALFORMED_SSE, Chunk, RenderCtx, anthropic_error, openai_error
from .script import Fault

ROUTES: dict[str, str] = {
    "/v1/responses": "openai_responses",
    "/v1/chat/completions": "openai_chat",
    "/v1/fim/completions": "fim_mistral",
    "/beta/completions": "fim_deepseek",
    "/v1/completions": "openai_completions",
    "/infill": "fim_llamacpp",
    "/api/generate": "fim_ollama",
    "/v1/messages": "anthropic",
}
BASE_SUFFIX = {
    "openai_responses": "/v1",
    "openai_chat": "/v1",
    "fim_mistral": "/v1",
    "fim_deepseek": "/beta",
    "openai_completions": "/v1",
    "anthropic": "",
    "fim_llamacpp": "",
    "fim_ollama": "",
}
HTTP_FAULTS = {"rate_limit", "server_error", "overloaded", "model_not_found", "auth", "quota"}


def wants_stream(api: str, body: dict[str, object]) -> bool:
    default = api == "fim_ollama"  # Ollama streams unless told not to; the others only when asked
    return bool(body.get("stream", default))


def error_for(api: str, fault: Fault, model: str) -> tuple[int, dict[str, str], object]:
    if api == "anthropic":
        return anthropic_error(fault.kind, model, fault.retry_after_s)
    status, headers, payload = openai_error(fault.kind, model, fault.retry_after_s)
    if api == "fim_ollama":
        err = payload.get("error")
        msg = err.get("message") if isinstance(err, dict) else "error"
        return status, headers, {"error": msg}
    return status, headers, payload


def nonstream(api: str, ctx: RenderCtx, body: dict[str, object]) -> object:
    if api == "openai_responses":
        return wo.responses_nonstream(ctx)
    if api == "anthropic":
        return wa.messages_nonstream(ctx)
    if api == "fim_ollama":
        return {"model": ctx.model, "response": ctx.reply.text, "done": True, "done_reason": "stop",
                "prompt_eval_count": ctx.input_tokens, "eval_count": ctx.output_tokens}  # fmt: skip
    if api == "fim_llamacpp":
        return {"content": ctx.reply.text, "stop": True, "stop_type": "eos",
                "tokens_evaluated": ctx.input_tokens, "tokens_predicted": ctx.output_tokens}  # fmt: skip
    out = wo.chat_nonstream(ctx)
    if api in ("fim_deepseek", "openai_completions"):
        out["object"] = "text_completion"
        out["choices"] = [{"index": 0, "text": ctx.reply.text, "logprobs": None, "finish_reason": "stop"}]
    return out


def plan(api: str, body: dict[str, object], ctx: RenderCtx) -> tuple[list[Chunk], bytes, bytes, str]:
    """(chunks, in-stream error bytes, malformed bytes, content type) for a streaming reply."""
    opts = body.get("stream_options")
    usage = isinstance(opts, dict) and bool(opts.get("include_usage"))
    sse_ct = "text/event-stream; charset=utf-8"
    if api == "openai_responses":
        return wo.render_responses(ctx), wo.responses_stream_error(ctx), MALFORMED_SSE, sse_ct
    if api == "openai_chat":
        return wo.render_chat(ctx, usage), wo.chat_stream_error(), MALFORMED_SSE, sse_ct
    if api == "fim_mistral":
        return wo.render_mistral_fim(ctx), wo.chat_stream_error(), MALFORMED_SSE, sse_ct
    if api in ("fim_deepseek", "openai_completions"):
        return wo.render_deepseek_fim(ctx, usage), wo.chat_stream_error(), MALFORMED_SSE, sse_ct
    if api == "anthropic":
        return wa.render_messages(ctx), wa.messages_stream_error(), MALFORMED_SSE, sse_ct
    if api == "fim_llamacpp":
        return wa.render_llamacpp(ctx), wa.llamacpp_stream_error(), MALFORMED_SSE, sse_ct
    return wa.render_ollama(ctx), wa.ollama_stream_error(), MALFORMED_NDJSON, "application/x-ndjson"


DEFAULT_MODELS = ("gpt-5.3-codex", "gpt-5.3-codex-spark", "claude-opus-4-6")


def models_listing(names: list[str], *, anthropic: bool) -> dict[str, object]:
    """`GET /v1/models` in the Anthropic shape (asked with anthropic-version) or the OpenAI one."""
    if anthropic:
        data = [
            {"type": "model", "id": n, "display_name": n, "created_at": "2026-01-01T00:00:00Z"} for n in names
        ]
        return {"data": data, "has_more": False, "first_id": names[0], "last_id": names[-1]}
    return {
        "object": "list",
        "data": [{"id": n, "object": "model", "created": 0, "owned_by": "emulator"} for n in names],
    }
