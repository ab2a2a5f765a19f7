"""Test helpers that users can use too: a loopback model provider and pytest fixtures.

    from codeswitch.testing import Emulator, Reply, ToolCall, Fault

    async with Emulator() as emu:
        emu.script("gpt-5.3-codex", "def f(): ...").fault("claude-opus-4-6", "overloaded")
        base = emu.base_url("openai_responses")          # http://127.0.0.1:PORT/v1

The pytest plugin (`codeswitch.testing.pytest_plugin`, loaded by pytest through the `pytest11`
entry point `codeswitch`) adds the `emulator` fixture and friends. `read_text(stream, n)` reads a
provider stream up to its n-th text delta and leaves it open, for tests of what closing or
cancelling it does.
"""

from __future__ import annotations

from .conversation import Conversations
from .core import Emulator
from .script import FAULT_KINDS, PROFILES, Fault, LatencyProfile, RecordedRequest, Reply, ToolCall
from .streams import read_text

__all__ = [
    "FAULT_KINDS",
    "PROFILES",
    "Conversations",
    "Emulator",
    "Fault",
    "LatencyProfile",
    "RecordedRequest",
    "Reply",
    "ToolCall",
    "read_text",
]
