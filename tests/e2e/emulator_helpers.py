"""What the emulator tests share: the model name each API is scripted under, one request every API
accepts, and a long reply paced slowly enough that a test can stop it part-way."""

from __future__ import annotations

from codeswitch.providers import CompletionRequest, Message
from codeswitch.testing import LatencyProfile

LONG = " ".join(f"t{i}" for i in range(400))  # 400 tokens at 40 tok/s: 10 s if nobody hangs up
SLOW = LatencyProfile(ttft_s=0.0, tokens_per_second=40.0)


def model_for(api: str) -> str:
    """The emulator records llama.cpp `/infill` requests (which name no model) as model `llamacpp`."""
    return "llamacpp" if api == "fim_llamacpp" else "m"


def request(api: str) -> CompletionRequest:
    """A request for `model_for(api)` with both chat messages and a fill-in-the-middle prompt."""
    return CompletionRequest(model_for(api), messages=[Message("user", "go")], prompt="a", suffix="b")
