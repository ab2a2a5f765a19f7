"""Provider-neutral request and stream types.

Every wire format (OpenAI Responses, Chat Completions, the FIM dialects, Anthropic Messages) is
translated to and from these types, so features and dispatch never see a vendor's JSON. They are
frozen dataclasses: a request can be retried or sent to a fallback model unchanged.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypeAlias, runtime_checkable

Role: TypeAlias = Literal["user", "assistant"]
ApiName: TypeAlias = Literal[
    "openai_responses",
    "openai_chat",
    "anthropic",
    "fim_mistral",
    "fim_deepseek",
    "fim_llamacpp",
    "fim_ollama",
    "openai_completions",
]
API_NAMES: tuple[str, ...] = (
    "openai_responses",
    "openai_chat",
    "anthropic",
    "fim_mistral",
    "fim_deepseek",
    "fim_llamacpp",
    "fim_ollama",
    "openai_completions",
)


@dataclass(frozen=True, slots=True)
class TextBlock:
    """Plain text. `cache=True` asks for a prompt-cache breakpoint after this block (Anthropic)."""

    text: str
    cache: bool = False


@dataclass(frozen=True, slots=True)
class ToolUseBlock:
    """A tool call the model made in an earlier assistant turn (echoed back in the history)."""

    id: str
    name: str
    input: Mapping[str, object]


@dataclass(frozen=True, slots=True)
class ToolResultBlock:
    """The result of a tool call, sent in a user turn."""

    tool_use_id: str
    content: str
    is_error: bool = False


ContentBlock: TypeAlias = TextBlock | ToolUseBlock | ToolResultBlock


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    content: str | Sequence[ContentBlock]

    def blocks(self) -> tuple[ContentBlock, ...]:
        """The content as blocks (a plain string becomes one TextBlock)."""
        if isinstance(self.content, str):
            return (TextBlock(self.content),)
        return tuple(self.content)

    def text(self) -> str:
        """Concatenated text of the text blocks (what chat-only APIs receive)."""
        if isinstance(self.content, str):
            return self.content
        return "".join(b.text for b in self.content if isinstance(b, TextBlock))


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool offered to the model: name, description and a JSON schema for its input."""

    name: str
    description: str
    input_schema: Mapping[str, object]


@dataclass(frozen=True, slots=True)
class CompletionRequest:
    """One model call.

    Chat-style APIs use `system` + `messages`; FIM APIs use `prompt` (text before the cursor) and
    `suffix` (text after it). A chat API given only `prompt` sends it as one user message.
    """

    model_id: str
    system: str | None = None
    messages: Sequence[Message] = ()
    prompt: str | None = None
    suffix: str | None = None
    max_tokens: int = 256
    stop: Sequence[str] = ()
    temperature: float | None = None
    tools: Sequence[ToolSpec] = ()
    cache_system: bool = False
    #: how many alternative completions (choices) to generate in this one call; only wire formats
    #: that take `n` (Chat Completions) send it, and the catalog says which models honour it
    n: int = 1


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Three separate limits, because they fail for different reasons.

    `connect_s` bounds the TCP/TLS connect; `first_token_s` bounds the wait from sending the request
    to the first content event (a cold or queued model); `idle_s` bounds the gap between two chunks
    once streaming (a stalled stream). None disables a limit.
    """

    connect_s: float | None = 5.0
    first_token_s: float | None = 30.0
    idle_s: float | None = 30.0


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of text; `index` is the choice it belongs to (0 unless the request asked for n > 1)."""

    text: str
    index: int = 0


@dataclass(frozen=True, slots=True)
class ToolUse:
    """A complete tool call: `input` is the parsed JSON object (never a partial string)."""

    id: str
    name: str
    input: dict[str, object]


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts for the whole call.

    `input_tokens` counts ALL prompt tokens, including `cached_input_tokens` (read from the prompt
    cache, billed at the cached price) and `cache_write_input_tokens` (written to it). This is the
    OpenAI convention; Anthropic's separate counters are summed into it.
    """

    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    cache_write_input_tokens: int = 0


FinishReason: TypeAlias = Literal["stop", "length", "tool_use", "content_filter", "other"]


@dataclass(frozen=True, slots=True)
class Finish:
    """Always the last event of a successful stream. `raw` is the provider's own reason string."""

    reason: FinishReason
    raw: str | None = None


StreamEvent: TypeAlias = TextDelta | ToolUse | Usage | Finish


@runtime_checkable
class Provider(Protocol):
    """A configured client for one endpoint.

    `stream()` yields TextDelta/ToolUse events as they arrive, then at most one Usage, then one
    Finish. Errors are raised as `providers.errors.ProviderError` subclasses. Closing the iterator
    (`aclose()`, or cancelling the task iterating it) closes the HTTP response at once, so the
    provider stops generating and billing.
    """

    name: str
    api: str

    def stream(self, req: CompletionRequest) -> AsyncGenerator[StreamEvent, None]: ...

    async def aclose(self) -> None: ...


@dataclass(slots=True)
class Collected:
    """A whole stream gathered in memory (see `providers.collect`)."""

    text: str = ""
    tool_uses: list[ToolUse] = field(default_factory=list)
    usage: Usage | None = None
    finish: Finish | None = None
