"""codeswitch/stats and codeswitch/lastRoute end to end: a real server over stdio, a real inline request
to the loopback emulator, then the two requests an editor's "spend" and "why this model" commands send."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from lsp_raw import inline_texts

from codeswitch.testing import Emulator

StartServer = Callable[..., Awaitable[Any]]

SPARK = "gpt-5.3-codex-spark"
MINI = "gpt-5.1-codex-mini"
TEXT = "def area(w, h):\n    return w\n"


async def _server(start_server: StartServer, emulator: Emulator) -> Any:
    options = {"providers": {"openai": {"base_url": emulator.base_url("openai_responses")}}}
    return await start_server(env={"OPENAI_API_KEY": "sk-test-info-0000"}, init_options=options)


async def test_before_any_request_last_route_is_null_and_stats_are_zero(start_server: StartServer,
                                                                        emulator: Emulator) -> None:
    session = await _server(start_server, emulator)
    assert await session.request("codeswitch/lastRoute", {}) is None
    stats = await session.request("codeswitch/stats", {})
    assert set(stats) == {"since", "totals", "by_tier", "by_model", "premium"}
    assert stats["totals"]["requests"] == 0 and stats["by_model"] == [] and stats["by_tier"] == []


async def test_last_route_explains_the_inline_request_and_stats_count_it(start_server: StartServer,
                                                                         emulator: Emulator) -> None:
    emulator.script(SPARK, "<FILL> * h</FILL>")
    session = await _server(start_server, emulator)
    uri = session.open("calc.py", TEXT)
    before = time.time()
    assert await inline_texts(session.client, uri, 1, 12) == [" * h"]

    route = await session.request("codeswitch/lastRoute", {})
    assert set(route) == {"method", "uri", "scope", "tier", "model_chain", "cause", "signals", "reasons",
                          "served_by", "at"}
    assert route["method"] == "textDocument/inlineCompletion" and route["uri"] == uri
    assert route["scope"] == "inline" and route["tier"] == "inline"
    assert route["model_chain"][:2] == [SPARK, MINI]  # only an OpenAI key: the OpenAI inline models
    assert route["served_by"] == SPARK
    assert route["reasons"] and all(isinstance(r, str) for r in route["reasons"])
    assert "openai" in route["signals"]["providers_with_keys"]
    assert isinstance(route["cause"], str) and route["cause"]
    assert before - 1 <= route["at"] <= time.time() + 1

    stats = await session.request("codeswitch/stats", {})
    spark = [m for m in stats["by_model"] if m["name"] == SPARK]
    assert len(spark) == 1 and spark[0]["requests"] == 1 and spark[0]["served"] == 1
    assert spark[0]["inline_served"] == 1 and spark[0]["input_tokens"] > 0
    assert [t["name"] for t in stats["by_tier"]] == ["inline"]
    assert stats["totals"]["requests"] == 1


async def test_last_route_names_the_fallback_that_served(start_server: StartServer,
                                                         emulator: Emulator) -> None:
    emulator.fault(SPARK, "model_not_found", times=None).script(MINI, " * h")
    session = await _server(start_server, emulator)
    uri = session.open("calc.py", TEXT)
    assert await inline_texts(session.client, uri, 1, 12) == [" * h"], "the fallback model should have served"
    route = await session.request("codeswitch/lastRoute", {})
    assert route["model_chain"][0] == SPARK and route["served_by"] == MINI
    stats = await session.request("codeswitch/stats", {})
    by_name = {m["name"]: m for m in stats["by_model"]}
    assert by_name[SPARK]["failed"] == 1 and by_name[MINI]["served"] == 1
