"""What the emulator should answer: replies, faults, latency profiles, and what it recorded.

These are plain data so a test (or a JSON script file for the CLI) can say "gpt-5.3-codex answers
with this text, but first fails once with a 429" without knowing any wire format.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

FaultKind: TypeAlias = Literal[
    "rate_limit",  # 429 with retry-after (+ x-ratelimit-* / anthropic-ratelimit-* headers)
    "server_error",  # 500
    "overloaded",  # 529 overloaded_error
    "stall_first",  # headers and preamble sent, then nothing until the client gives up
    "stall_mid",  # `after_tokens` tokens sent, then nothing
    "reset_mid",  # `after_tokens` tokens sent, then the TCP connection is aborted (RST)
    "malformed",  # `after_tokens` tokens sent, then bytes that are not the wire format
    "stream_error",  # `after_tokens` tokens sent, then an in-stream error event (overloaded)
    "model_not_found",  # 404 model_not_found / not_found_error
    "auth",  # 401
    "quota",  # 429 insufficient_quota (OpenAI) / 402 billing_error (Anthropic)
    "html",  # 200 with an HTML page (a captive portal or proxy login) instead of a stream
    "redirect",  # 302 to another address (a base_url that moved, or a login page)
    "plain_json",  # 200 with the whole answer as one JSON object although a stream was asked for
]
FAULT_KINDS: tuple[str, ...] = (
    "rate_limit",
    "server_error",
    "overloaded",
    "stall_first",
    "stall_mid",
    "reset_mid",
    "malformed",
    "stream_error",
    "model_not_found",
    "auth",
    "quota",
    "html",
    "redirect",
    "plain_json",
)


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A tool call the emulated model makes; `id` is generated when None."""

    name: str
    input: Mapping[str, object]
    id: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """One scripted answer. Token counts default to estimates (request bytes / 4, text pieces)."""

    text: str = ""
    tool_calls: Sequence[ToolCall] = ()
    finish: Literal["stop", "length"] = "stop"
    input_tokens: int | None = None
    cached_input_tokens: int = 0
    output_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class Fault:
    """An injected failure. `times=None` repeats it for every request to that model."""

    kind: FaultKind
    times: int | None = 1
    after_tokens: int = 2
    retry_after_s: float = 1.0
    stall_s: float = 3600.0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {self.kind!r}; expected one of {', '.join(FAULT_KINDS)}")


@dataclass(frozen=True, slots=True)
class LatencyProfile:
    """Time to first token and streaming speed. tokens_per_second=0 means no pacing."""

    ttft_s: float = 0.0
    tokens_per_second: float = 0.0


PROFILES: dict[str, LatencyProfile] = {
    "instant": LatencyProfile(0.0, 0.0),
    "spark": LatencyProfile(0.05, 1000.0),
    "fim": LatencyProfile(0.08, 400.0),
    "codex": LatencyProfile(0.6, 150.0),
    "opus": LatencyProfile(1.2, 60.0),
}


Responder: TypeAlias = Callable[["RecordedRequest"], "Reply | str"]


@dataclass(slots=True)
class ModelScript:
    """Per-model state: queued faults, queued replies, an optional responder, a latency profile."""

    replies: deque[Reply] = field(default_factory=deque)
    faults: deque[Fault] = field(default_factory=deque)
    responder: Responder | None = None
    profile: LatencyProfile = PROFILES["instant"]

    def next_fault(self) -> Fault | None:
        if not self.faults:
            return None
        fault = self.faults[0]
        if fault.times is not None:
            if fault.times <= 1:
                self.faults.popleft()
            else:
                self.faults[0] = Fault(
                    fault.kind, fault.times - 1, fault.after_tokens, fault.retry_after_s, fault.stall_s
                )
        return fault


@dataclass(slots=True)
class RecordedRequest:
    """Everything the emulator saw of one request, and how the exchange ended.

    Times are `time.monotonic()` seconds (the asyncio loop clock), so a test can compare them with
    its own `loop.time()` readings.
    """

    id: int
    method: str
    path: str
    headers: dict[str, str]
    raw_body: bytes
    body: object
    api: str | None
    model: str | None
    received_at: float
    connection: int = 0  # which TCP connection carried it (1, 2, ...): shows pooling / reconnects
    status: int = 0
    fault: str | None = None
    tokens_sent: int = 0
    first_token_at: float | None = None
    finished_at: float | None = None
    disconnected_at: float | None = None

    @property
    def completed(self) -> bool:
        """The emulator sent the whole response."""
        return self.finished_at is not None and self.disconnected_at is None

    @property
    def closed(self) -> bool:
        """The exchange is over (finished or the client went away)."""
        return self.finished_at is not None or self.disconnected_at is not None

    def contains(self, secret: str) -> list[str]:
        """Where `secret` appears: 'header:<name>' entries and/or 'body'."""
        where = [f"header:{k}" for k, v in self.headers.items() if secret in v]
        if secret.encode() in self.raw_body or secret in self.path:
            where.append("body")
        return where

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "method": self.method,
            "path": self.path,
            "headers": self.headers,
            "body": self.body,
            "api": self.api,
            "model": self.model,
            "connection": self.connection,
            "status": self.status,
            "fault": self.fault,
            "tokens_sent": self.tokens_sent,
            "received_at": self.received_at,
            "first_token_at": self.first_token_at,
            "finished_at": self.finished_at,
            "disconnected_at": self.disconnected_at,
        }


def reply_from_json(obj: object) -> Reply:
    """A Reply from script JSON: a string, or {"text", "tool_calls": [{"name", "input", "id"?}], ...}."""
    if isinstance(obj, str):
        return Reply(obj)
    if not isinstance(obj, dict):
        raise ValueError(f"a reply must be a string or an object, not {type(obj).__name__}")
    calls = tuple(
        ToolCall(str(c["name"]), dict(c.get("input") or {}), c.get("id")) for c in obj.get("tool_calls") or ()
    )
    return Reply(
        text=str(obj.get("text", "")),
        tool_calls=calls,
        finish="length" if obj.get("finish") == "length" else "stop",
        input_tokens=obj.get("input_tokens"),
        cached_input_tokens=int(obj.get("cached_input_tokens", 0)),
        output_tokens=obj.get("output_tokens"),
    )


def fault_from_json(obj: object) -> Fault:
    if isinstance(obj, str):
        obj = {"kind": obj}
    if not isinstance(obj, dict):
        raise ValueError("a fault must be a kind string or an object with 'kind'")
    return Fault(**obj)


def load_script_text(text: str) -> dict[str, object]:
    """Parse and sanity-check a script file: {"default"?, "models": {model: {...}}}."""
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("models", {}), dict):
        raise ValueError("script must be an object with an optional 'models' object")
    return data
