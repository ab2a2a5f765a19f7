"""Several choices in one call (`n`), the way each real API takes or refuses it.

- Chat Completions (OpenAI, Cerebras) takes `n` from 1 to 128 and answers with that many choices,
  each with its own `index`, streamed interleaved; usage counts the output of every choice. A value
  out of range is a 400 naming the parameter.
- The Responses API has no `n`: OpenAI refuses the unknown parameter with a 400.
- Anthropic Messages has no `n`: the request is refused as an extra input (400).
- The FIM endpoints (Codestral, DeepSeek, llama.cpp `/infill`, Ollama) give one answer per call;
  the emulator ignores an `n` sent to them.

The emulator uses one queued reply (or one responder call) per choice, so a test scripts the
alternatives as consecutive replies.
"""

from __future__ import annotations

from .render import new_id

#: the most choices Chat Completions accepts
MAX_N = 128


def choices_wanted(api: str, body: dict[str, object]) -> int:
    """How many choices to render for a request that passed :func:`param_error`."""
    n = body.get("n")
    if api != "openai_chat" or not isinstance(n, int) or isinstance(n, bool):
        return 1
    return n


def param_error(api: str, body: dict[str, object]) -> tuple[int, dict[str, object]] | None:
    """(status, body) of the error the real API answers for this request's `n`, or None."""
    if "n" not in body:
        return None
    n = body["n"]
    if api == "openai_responses":
        return 400, _openai("Unknown parameter: 'n'.", "unknown_parameter")
    if api == "anthropic":
        return 400, {"type": "error", "error": {"type": "invalid_request_error",
                                                "message": "n: Extra inputs are not permitted"},
                     "request_id": new_id("req")}
    if api != "openai_chat" or n is None:
        return None
    if isinstance(n, bool) or not isinstance(n, int):
        return 400, _openai(f"Invalid type for 'n': expected an integer, but got {type(n).__name__} instead.",
                            "invalid_type")
    if n < 1:
        return 400, _openai(f"Invalid 'n': integer below minimum value. Expected a value >= 1, but got {n} "
                            "instead.", "integer_below_min_value")
    if n > MAX_N:
        return 400, _openai(f"Invalid 'n': integer above maximum value. Expected a value <= {MAX_N}, but got "
                            f"{n} instead.", "integer_above_max_value")
    return None


def _openai(message: str, code: str) -> dict[str, object]:
    return {"error": {"message": message, "type": "invalid_request_error", "param": "n", "code": code}}
