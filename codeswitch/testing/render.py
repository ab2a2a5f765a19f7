"""Shared pieces of the wire renderers: the render context, chunks, SSE framing, error bodies."""

from __future__ import annotations

import itertools
import json
import re
import time
from dataclasses import dataclass

from .script import Reply

_ids = itertools.count(1)
_PIECE = re.compile(r"\s*\S+|\s+")


def new_id(prefix: str) -> str:
    return f"{prefix}_emu{next(_ids):06d}"


def pieces(text: str) -> list[str]:
    """Split text into token-sized pieces (a word with its leading space): the emulator's 'tokens'."""
    return _PIECE.findall(text)


def json_pieces(obj: object, size: int = 8) -> list[str]:
    raw = json.dumps(obj)
    return [raw[i : i + size] for i in range(0, len(raw), size)] or [""]


@dataclass(frozen=True, slots=True)
class Chunk:
    """Bytes to write and how many output tokens they carry (0 = structure, sent without pacing)."""

    data: bytes
    tokens: int = 0


@dataclass(frozen=True, slots=True)
class RenderCtx:
    model: str
    reply: Reply
    input_tokens: int  # all prompt tokens, cached included
    cached_input_tokens: int
    output_tokens: int  # over every choice
    created: int
    others: tuple[Reply, ...] = ()  # choices 1.. when the request asked for n > 1 (Chat Completions)

    @classmethod
    def make(cls, model: str, reply: Reply, raw_body: bytes, others: tuple[Reply, ...] = ()) -> RenderCtx:
        est_in = max(1, len(raw_body) // 4)
        inp = reply.input_tokens if reply.input_tokens is not None else est_in
        out = sum(_output_tokens(r) for r in (reply, *others))
        return cls(model, reply, inp, min(reply.cached_input_tokens, inp), out, int(time.time()), others)


def _output_tokens(reply: Reply) -> int:
    if reply.output_tokens is not None:
        return reply.output_tokens
    return len(pieces(reply.text)) + sum(len(json_pieces(dict(c.input))) for c in reply.tool_calls)


def sse(data: object, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return (head + "data: " + json.dumps(data) + "\n\n").encode()


MALFORMED_SSE = b'data: {"type": "response.output_text.delta", "delta": "unterminated\n\n'
MALFORMED_NDJSON = b'{"response": "unterminated\n'


def openai_error(
    kind: str, model: str, retry_after_s: float
) -> tuple[int, dict[str, str], dict[str, object]]:
    """(status, headers, body) of an OpenAI-style error for a fault kind."""
    headers: dict[str, str] = {}
    if kind == "rate_limit":
        headers = {
            "retry-after": f"{retry_after_s:g}",
            "x-ratelimit-limit-requests": "500",
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": f"{retry_after_s:g}s",
        }
        return 429, headers, _oai("Rate limit reached for requests", "requests", "rate_limit_exceeded")
    if kind == "quota":
        msg = "You exceeded your current quota, please check your plan and billing details."
        return 429, headers, _oai(msg, "insufficient_quota", "insufficient_quota")
    if kind == "model_not_found":
        msg = f"The model `{model}` does not exist or you do not have access to it."
        return 404, headers, _oai(msg, "invalid_request_error", "model_not_found")
    if kind == "auth":
        return 401, headers, _oai("Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
    if kind == "overloaded":
        return 529, headers, _oai("The engine is currently overloaded.", "server_error", "overloaded")
    return 500, headers, _oai("The server had an error while processing your request.", "server_error", None)


def _oai(message: str, typ: str, code: str | None) -> dict[str, object]:
    return {"error": {"message": message, "type": typ, "param": None, "code": code}}


def anthropic_error(
    kind: str, model: str, retry_after_s: float
) -> tuple[int, dict[str, str], dict[str, object]]:
    """(status, headers, body) of an Anthropic-style error for a fault kind."""
    headers: dict[str, str] = {}
    table = {
        "rate_limit": (429, "rate_limit_error", "Number of request tokens has exceeded your rate limit."),
        "quota": (402, "billing_error", "Your credit balance is too low to access the Anthropic API."),
        "model_not_found": (404, "not_found_error", f"model: {model}"),
        "auth": (401, "authentication_error", "invalid x-api-key"),
        "overloaded": (529, "overloaded_error", "Overloaded"),
    }
    status, typ, msg = table.get(kind, (500, "api_error", "Internal server error"))
    if kind == "rate_limit":
        reset = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + retry_after_s))
        headers = {
            "retry-after": f"{retry_after_s:g}",  # fractional, so tests need not wait whole seconds
            "anthropic-ratelimit-requests-limit": "50",
            "anthropic-ratelimit-requests-remaining": "0",
            "anthropic-ratelimit-requests-reset": reset,
        }
    body: dict[str, object] = {
        "type": "error",
        "error": {"type": typ, "message": msg},
        "request_id": new_id("req"),
    }
    return status, headers, body
