"""Property: whatever the scripted reply, every client gets back exactly that text and tool input."""

from __future__ import annotations

import asyncio

from emulator_helpers import model_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codeswitch.providers import API_NAMES, CompletionRequest, Message, collect, make_provider
from codeswitch.testing import Emulator, Reply, ToolCall

TEXT = st.text(st.characters(codec="utf-8"), max_size=200)
JSON_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-(2**40), 2**40), TEXT)
JSON_OBJ = st.dictionaries(
    st.text(min_size=1, max_size=10), st.one_of(JSON_SCALAR, st.lists(JSON_SCALAR, max_size=3)), max_size=4
)
TOOL_APIS = ("openai_responses", "openai_chat", "anthropic")


def test_round_trip_of_text_and_tool_input_through_every_api() -> None:
    with Emulator() as emu:

        @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(api=st.sampled_from(API_NAMES), text=TEXT, tool_input=st.one_of(st.none(), JSON_OBJ))
        def check(api: str, text: str, tool_input: dict[str, object] | None) -> None:
            calls = (
                [ToolCall("tool", tool_input, "id1")] if tool_input is not None and api in TOOL_APIS else []
            )
            model = model_for(api)
            emu.script(model, Reply(text, tool_calls=calls))

            async def go() -> None:
                p = make_provider("p", api, emu.base_url(api), "k")
                try:
                    got = await collect(p.stream(CompletionRequest(model, messages=[Message("user", "q")])))
                finally:
                    await p.aclose()
                assert got.text == text
                assert [(t.id, t.name, t.input) for t in got.tool_uses] == [
                    (c.id, c.name, c.input) for c in calls
                ]
                assert got.usage is not None and got.finish is not None

            asyncio.run(go())

        check()
