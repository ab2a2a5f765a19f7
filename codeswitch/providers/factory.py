"""Build a Provider for (api, base_url, key, timeouts): the one place that picks a client class.

`transport` is the test seam: pass an `httpx.AsyncBaseTransport` (e.g. `httpx.MockTransport`) and
no socket is opened; leave it None for real HTTP (the emulator is real HTTP on 127.0.0.1).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import httpx

from .base import HttpProvider
from .types import API_NAMES, Provider, Timeouts

_OPENAI_DEFAULT = "https://api.openai.com/v1"
_ANTHROPIC_DEFAULT = "https://api.anthropic.com"

_DEFAULTS: dict[str, str] = {
    "openai_responses": _OPENAI_DEFAULT,
    "openai_chat": _OPENAI_DEFAULT,
    "anthropic": _ANTHROPIC_DEFAULT,
    "fim_mistral": "https://codestral.mistral.ai/v1",
    "fim_deepseek": "https://api.deepseek.com/beta",
    "fim_llamacpp": "http://127.0.0.1:8080",
    "fim_ollama": "http://127.0.0.1:11434",
    "openai_completions": _OPENAI_DEFAULT,
}


def default_base_url(api: str, env: Mapping[str, str] | None = None) -> str:
    """The base URL used when the config sets none.

    Like the official SDKs, `OPENAI_BASE_URL` applies to the OpenAI APIs and `ANTHROPIC_BASE_URL`
    to Anthropic; otherwise the vendor's public endpoint. OpenAI URLs include `/v1`; the Anthropic
    URL does not (the client appends `/v1/messages`), matching each SDK's own convention.
    """
    if api not in _DEFAULTS:
        raise ValueError(f"unknown provider api {api!r}; expected one of {', '.join(API_NAMES)}")
    env = os.environ if env is None else env
    if api in ("openai_responses", "openai_chat", "openai_completions") and env.get("OPENAI_BASE_URL"):
        return env["OPENAI_BASE_URL"].rstrip("/")
    if api == "anthropic" and env.get("ANTHROPIC_BASE_URL"):
        return env["ANTHROPIC_BASE_URL"].rstrip("/")
    return _DEFAULTS[api]


def make_provider(
    name: str,
    api: str,
    base_url: str | None = None,
    api_key: str | None = None,
    timeouts: Timeouts | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    headers: Mapping[str, str] | None = None,
) -> Provider:
    """A ready client for one endpoint. `name` is the provider's config name (used in errors).

    Raises ValueError for an unknown `api`. The key is held by the client and only ever sent in
    that API's auth header (Authorization: Bearer, or x-api-key for Anthropic).
    """
    from .anthropic import AnthropicProvider
    from .fim import FimProvider
    from .openai_chat import OpenAIChatProvider
    from .openai_responses import OpenAIResponsesProvider

    url = (base_url or default_base_url(api)).rstrip("/")
    cls: type[HttpProvider]
    if api == "openai_responses":
        cls = OpenAIResponsesProvider
    elif api == "openai_chat":
        cls = OpenAIChatProvider
    elif api == "anthropic":
        cls = AnthropicProvider
    elif (api.startswith("fim_") or api == "openai_completions") and api in _DEFAULTS:
        cls = FimProvider
    else:
        raise ValueError(f"unknown provider api {api!r}; expected one of {', '.join(API_NAMES)}")
    return cls(
        name=name,
        api=api,
        base_url=url,
        api_key=api_key,
        timeouts=timeouts or Timeouts(),
        transport=transport,
        headers=headers,
    )
