"""Provider clients: the only package that speaks HTTP to model vendors (and imports httpx).

Public API::

    make_provider(name, api, base_url=None, api_key=None, timeouts=None, transport=None) -> Provider
    default_base_url(api) -> str
    Provider.stream(CompletionRequest) -> AsyncIterator[StreamEvent]
    collect(stream) -> Collected
    errors: the ProviderError tree (see providers/errors.py)
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from .errors import (
    AuthError,
    BadRequest,
    ConnectTimeout,
    FirstTokenTimeout,
    IdleTimeout,
    MalformedStream,
    ModelNotFound,
    Overloaded,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeout,
    QuotaExhausted,
    RateLimited,
    ServerError,
)
from .factory import default_base_url, make_provider
from .types import (
    API_NAMES,
    Collected,
    CompletionRequest,
    ContentBlock,
    Finish,
    Message,
    Provider,
    StreamEvent,
    TextBlock,
    TextDelta,
    Timeouts,
    ToolResultBlock,
    ToolSpec,
    ToolUse,
    ToolUseBlock,
    Usage,
)


async def collect(stream: AsyncIterator[StreamEvent]) -> Collected:
    """Drain a stream into text, tool calls, usage and finish (closing it even on error).

    The text is the first choice's (a request for n > 1 choices streams the others with their index).
    """
    out = Collected()
    parts: list[str] = []
    try:
        async for ev in stream:
            if isinstance(ev, TextDelta):
                if ev.index == 0:
                    parts.append(ev.text)
            elif isinstance(ev, ToolUse):
                out.tool_uses.append(ev)
            elif isinstance(ev, Usage):
                out.usage = ev
            else:
                out.finish = ev
    finally:
        aclose = getattr(stream, "aclose", None)
        if aclose is not None:
            await aclose()
    out.text = "".join(parts)
    return out


__all__ = [
    "API_NAMES",
    "AuthError",
    "BadRequest",
    "Collected",
    "CompletionRequest",
    "ConnectTimeout",
    "ContentBlock",
    "Finish",
    "FirstTokenTimeout",
    "IdleTimeout",
    "MalformedStream",
    "Message",
    "ModelNotFound",
    "Overloaded",
    "Provider",
    "ProviderConnectionError",
    "ProviderError",
    "ProviderTimeout",
    "QuotaExhausted",
    "RateLimited",
    "ServerError",
    "StreamEvent",
    "TextBlock",
    "TextDelta",
    "Timeouts",
    "ToolResultBlock",
    "ToolSpec",
    "ToolUse",
    "ToolUseBlock",
    "Usage",
    "collect",
    "default_base_url",
    "make_provider",
]
