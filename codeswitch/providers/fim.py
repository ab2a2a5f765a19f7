"""Fill-in-the-middle dialects: prompt (text before the cursor) + suffix (text after it).

    fim_mistral   POST {base}/fim/completions   Mistral Codestral; chat-style SSE chunks, [DONE]
    fim_deepseek  POST {base}/completions       DeepSeek beta (base .../beta); legacy `text` chunks, [DONE]
    fim_llamacpp  POST {base}/infill            llama.cpp server; SSE `{content, stop}` until stop=true
    fim_ollama    POST {base}/api/generate      Ollama; NDJSON `{response, done}` until done=true
    openai_completions
                  POST {base}/completions       OpenAI's text completions, as llama.cpp's server,
                                                llama-cpp-python, Ollama and vLLM serve them under
                                                /v1: `prompt`, plus `suffix` only when one is given
                                                (a base model without FIM tokens gets the prefix only)

They differ in field names, stream framing and where usage lives; all yield the same events.
``/infill`` and ``/api/generate`` live at the server's root: a base URL ending in ``/v1`` (the
OpenAI-style address of the same local server) is used without it for those two.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from .base import HttpProvider
from .errmap import error_from_event
from .openai_chat import FINISH, chat_usage
from .sse import iter_sse
from .types import CompletionRequest, Finish, StreamEvent, TextDelta, Usage

_LLAMA_STOP = {"eos": "stop", "word": "stop", "limit": "length"}


def _count(*values: object) -> int:
    """The first numeric value (llama.cpp moved its counters between versions)."""
    for v in values:
        if isinstance(v, int | float) and not isinstance(v, bool):
            return int(v)
    return 0


#: APIs whose path is relative to the server's root, not to an OpenAI-style ``/v1`` base
_ROOT_APIS = frozenset({"fim_llamacpp", "fim_ollama"})


class FimProvider(HttpProvider):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.api in _ROOT_APIS and self.base_url.endswith("/v1"):
            self.base_url = self.base_url[: -len("/v1")]

    def build(self, req: CompletionRequest) -> tuple[str, dict[str, object]]:
        prompt = req.prompt if req.prompt is not None else "".join(m.text() for m in req.messages)
        suffix = req.suffix or ""
        stop = list(req.stop)
        if self.api == "openai_completions":
            return "/completions", self._completions_body(req, prompt, stop)
        if self.api == "fim_llamacpp":
            body: dict[str, object] = {
                "input_prefix": prompt,
                "input_suffix": suffix,
                "n_predict": req.max_tokens,
                "stream": True,
            }
            if stop:
                body["stop"] = stop
            if req.temperature is not None:
                body["temperature"] = req.temperature
            return "/infill", body
        if self.api == "fim_ollama":
            options: dict[str, object] = {"num_predict": req.max_tokens}
            if stop:
                options["stop"] = stop
            if req.temperature is not None:
                options["temperature"] = req.temperature
            return "/api/generate", {
                "model": req.model_id,
                "prompt": prompt,
                "suffix": suffix,
                "stream": True,
                "options": options,
            }
        body = {
            "model": req.model_id,
            "prompt": prompt,
            "suffix": suffix,
            "max_tokens": req.max_tokens,
            "stream": True,
        }
        if stop:
            body["stop"] = stop
        if req.temperature is not None:
            body["temperature"] = req.temperature
        if self.api == "fim_deepseek":
            body["stream_options"] = {"include_usage": True}
            return "/completions", body
        return "/fim/completions", body

    @staticmethod
    def _completions_body(req: CompletionRequest, prompt: str, stop: list[str]) -> dict[str, object]:
        body: dict[str, object] = {
            "model": req.model_id,
            "prompt": prompt,
            "max_tokens": req.max_tokens,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if req.suffix is not None:
            body["suffix"] = req.suffix
        if stop:
            body["stop"] = stop
        if req.temperature is not None:
            body["temperature"] = req.temperature
        return body

    def parse(self, lines: AsyncIterator[str], req: CompletionRequest) -> AsyncIterator[StreamEvent]:
        if self.api == "fim_ollama":
            return self._parse_ollama(lines, req.model_id)
        if self.api == "fim_llamacpp":
            return self._parse_llamacpp(lines, req.model_id)
        return self._parse_openai_like(lines, req.model_id)

    async def _parse_openai_like(self, lines: AsyncIterator[str], model: str) -> AsyncIterator[StreamEvent]:
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
                raise self.malformed("undecodable FIM chunk", model) from None
            if "error" in chunk:
                raise error_from_event(chunk, provider=self.name, model=model, secret=self._api_key)
            usage = chat_usage(chunk.get("usage")) or usage
            choices = chunk.get("choices")
            if not isinstance(choices, list):
                raise self.malformed("FIM chunk without choices", model)
            for choice in choices:
                if not isinstance(choice, dict):
                    raise self.malformed("FIM choice is not an object", model)
                delta = choice.get("delta")
                text = delta.get("content") if isinstance(delta, dict) else choice.get("text")
                if isinstance(text, str) and text:
                    yield TextDelta(text)
                if isinstance(choice.get("finish_reason"), str):
                    finish = choice["finish_reason"]
        if not done and finish is None:
            raise self.malformed("FIM stream ended without [DONE]", model)
        if usage is not None:
            yield usage
        raw = finish or "stop"
        yield Finish(FINISH.get(raw, "other"), raw)

    async def _parse_llamacpp(self, lines: AsyncIterator[str], model: str) -> AsyncIterator[StreamEvent]:
        async for sse in iter_sse(lines):
            if sse.data.strip() == "[DONE]":
                break
            try:
                chunk = sse.json()
            except ValueError:
                raise self.malformed("undecodable llama.cpp chunk", model) from None
            if "error" in chunk:
                raise error_from_event(chunk, provider=self.name, model=model, secret=self._api_key)
            text = chunk.get("content")
            if isinstance(text, str) and text:
                yield TextDelta(text)
            if chunk.get("stop") is True:
                timings = chunk.get("timings")
                t = timings if isinstance(timings, dict) else {}
                yield Usage(
                    input_tokens=_count(chunk.get("tokens_evaluated"), t.get("prompt_n")),
                    cached_input_tokens=_count(chunk.get("tokens_cached"), t.get("cache_n")),
                    output_tokens=_count(chunk.get("tokens_predicted"), t.get("predicted_n")),
                )
                raw = chunk.get("stop_type")
                raw_s = raw if isinstance(raw, str) else "eos"
                yield Finish("length" if _LLAMA_STOP.get(raw_s) == "length" else "stop", raw_s)
                return
        raise self.malformed("llama.cpp stream ended without stop=true", model)

    async def _parse_ollama(self, lines: AsyncIterator[str], model: str) -> AsyncIterator[StreamEvent]:
        async for line in lines:
            if not line.strip():
                continue
            try:
                chunk = json.loads(line)
            except ValueError:
                raise self.malformed("undecodable Ollama NDJSON line", model) from None
            if not isinstance(chunk, dict):
                raise self.malformed("Ollama line is not an object", model)
            if "error" in chunk:
                raise error_from_event(
                    {"error": {"message": str(chunk["error"])}},
                    provider=self.name,
                    model=model,
                    secret=self._api_key,
                )
            text = chunk.get("response")
            if isinstance(text, str) and text:
                yield TextDelta(text)
            if chunk.get("done") is True:
                yield Usage(
                    input_tokens=int(chunk.get("prompt_eval_count") or 0),
                    output_tokens=int(chunk.get("eval_count") or 0),
                )
                raw = chunk.get("done_reason")
                raw_s = raw if isinstance(raw, str) else "stop"
                yield Finish(FINISH.get(raw_s, "other"), raw_s)
                return
        raise self.malformed("Ollama stream ended without done=true", model)
