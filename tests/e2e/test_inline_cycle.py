"""Several suggestions to cycle through, end to end: a real `codeswitch serve` (pytest-lsp) against
the loopback emulator over HTTP, counting the upstream calls.

An automatic request makes one upstream call and gets one item; an Invoked request (the user asked
for the next suggestion) gets up to `inline.max_items` distinct items: the `n` choices of a model
whose API has them (Cerebras's Chat Completions), else one answer from each next model of the chain.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from lsprotocol import types
from test_inline import MINI, SPARK, Session, _fill, _start

from codeswitch.testing import Emulator

OSS = "gpt-oss-120b"  # Cerebras's model id (catalog key cerebras-gpt-oss-120b), which takes `n`
AUTOMATIC = types.InlineCompletionTriggerKind.Automatic
INVOKED = types.InlineCompletionTriggerKind.Invoked


async def texts(s: Session, uri: str, line: int, character: int,
                kind: types.InlineCompletionTriggerKind = INVOKED) -> list[str]:
    result = await s.client.text_document_inline_completion_async(types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri), position=types.Position(line, character),
        context=types.InlineCompletionContext(trigger_kind=kind)))
    items = result.items if isinstance(result, types.InlineCompletionList) else (result or [])
    for item in items:  # every item is plain text at the cursor, with its own accept command
        assert item.range == types.Range(types.Position(line, character), types.Position(line, character))
        assert item.command is not None and item.command.command == "codeswitch.acceptInline"
    return [str(i.insert_text) for i in items]


def settings(emulator: Emulator, chain: list[str], **inline: object) -> dict[str, object]:
    return {
        "providers": {"openai": {"base_url": emulator.base_url("openai_responses")},
                      "cerebras": {"base_url": emulator.base_url("openai_chat")}},
        "tiers": {"inline": {"chain": chain}},
        "inline": inline,
    }


@pytest_asyncio.fixture
async def oss_first(emulator: Emulator, tmp_path: Path) -> AsyncIterator[Session]:
    from test_inline import INLINE_CAPS
    async for s in _start(emulator, tmp_path, INLINE_CAPS, settings(emulator, ["cerebras-gpt-oss-120b"]),
                          keys={"CEREBRAS_API_KEY": "csk-test"}):
        yield s


@pytest_asyncio.fixture
async def spark_then(emulator: Emulator, tmp_path: Path) -> AsyncIterator[Session]:
    from test_inline import INLINE_CAPS
    chain = ["gpt-5.3-codex-spark", "gpt-5.1-codex-mini", "cerebras-gpt-oss-120b"]
    async for s in _start(emulator, tmp_path, INLINE_CAPS, settings(emulator, chain),
                          keys={"CEREBRAS_API_KEY": "csk-test"}):
        yield s


async def test_automatic_trigger_makes_one_call_for_one_item(oss_first: Session, emulator: Emulator) -> None:
    emulator.script(OSS, _fill(" + 1"), _fill(" + 2"))
    uri = oss_first.open("a.py", "python", "y = x\n")
    assert await texts(oss_first, uri, 0, 5, AUTOMATIC) == [" + 1"]
    assert len(emulator.requests) == 1
    assert "n" not in emulator.requests[0].body  # type: ignore[operator]


async def test_invoked_asks_one_call_for_n_choices_and_drops_duplicates(
    oss_first: Session, emulator: Emulator
) -> None:
    emulator.script(OSS, _fill(" + 1"), _fill(" * 2"), _fill(" + 1 "))
    uri = oss_first.open("a.py", "python", "y = x\n")
    assert await texts(oss_first, uri, 0, 5) == [" + 1", " * 2"]
    assert len(emulator.requests) == 1
    assert emulator.requests[0].body["n"] == 3  # type: ignore[index]
    # asking again at the same place is answered from memory
    assert await texts(oss_first, uri, 0, 5) == [" + 1", " * 2"]
    assert len(emulator.requests) == 1


async def test_max_items_bounds_n(emulator: Emulator, tmp_path: Path) -> None:
    from test_inline import INLINE_CAPS
    emulator.script(OSS, _fill(" + 1"), _fill(" * 2"))
    async for s in _start(emulator, tmp_path, INLINE_CAPS,
                          settings(emulator, ["cerebras-gpt-oss-120b"], max_items=2),
                          keys={"CEREBRAS_API_KEY": "csk-test"}):
        uri = s.open("a.py", "python", "y = x\n")
        assert await texts(s, uri, 0, 5) == [" + 1", " * 2"]
    assert [r.body["n"] for r in emulator.requests] == [2]  # type: ignore[index]


async def test_invoked_after_automatic_asks_the_next_models(spark_then: Session, emulator: Emulator) -> None:
    emulator.script(SPARK, _fill(" + 1"))
    emulator.script(MINI, _fill(" * 2"))
    emulator.script(OSS, _fill(" - 3"), _fill(" / 4"))
    uri = spark_then.open("a.py", "python", "y = x\n")
    assert await texts(spark_then, uri, 0, 5, AUTOMATIC) == [" + 1"]
    assert len(emulator.requests) == 1
    # the user asks for the next suggestion: the shown one stays first, Spark (no `n`) is not asked
    # again, the next models answer side by side, in chain order
    assert await texts(spark_then, uri, 0, 5) == [" + 1", " * 2", " - 3"]
    assert sorted(str(r.model) for r in emulator.requests) == sorted([SPARK, MINI, OSS])
    assert "n" not in emulator.requests_for(MINI)[0].body  # type: ignore[operator]
    assert emulator.requests_for(OSS)[0].body["n"] == 2  # type: ignore[index]


async def test_invoked_from_scratch_takes_choices_where_the_api_has_them(
    spark_then: Session, emulator: Emulator
) -> None:
    emulator.script(SPARK, _fill(" + 1"))
    emulator.script(MINI, _fill(" + 1"))  # the same code as Spark's: dropped
    emulator.script(OSS, _fill(" * 2"), _fill(" - 3"))
    uri = spark_then.open("a.py", "python", "y = x\n")
    assert await texts(spark_then, uri, 0, 5) == [" + 1", " * 2", " - 3"]
    by_model = {str(r.model): r.body for r in emulator.requests}
    assert set(by_model) == {SPARK, MINI, OSS}
    assert "n" not in by_model[SPARK] and "n" not in by_model[MINI]  # type: ignore[operator]
    # OSS takes `n`: it is asked for both missing items, in case mini's answer repeats Spark's
    assert by_model[OSS]["n"] == 2  # type: ignore[index]


async def test_failed_extra_model_only_means_fewer_items(spark_then: Session, emulator: Emulator) -> None:
    emulator.script(SPARK, _fill(" + 1"))
    emulator.fault(MINI, "auth", times=None)
    emulator.script(OSS, _fill(" * 2"), _fill(" * 2"))
    uri = spark_then.open("a.py", "python", "y = x\n")
    assert await texts(spark_then, uri, 0, 5) == [" + 1", " * 2"]


async def test_cli_complete_asks_for_one_item_unless_several(tmp_path: Path, emulator: Emulator) -> None:
    from test_harness import cli
    ws = tmp_path / "ws"
    (ws / ".git").mkdir(parents=True)
    (ws / "calc.py").write_text("def area(w, h):\n    return w\n", encoding="utf-8")
    emulator.script(SPARK, _fill(" * h"), _fill(" * h"))
    emulator.script(MINI, _fill(" * h * 1"))
    emulator.script("claude-haiku-4-5", _fill(" * h"))  # the CLI's environment has both keys; a repeat
    one = await cli(tmp_path, emulator, "complete", "ws/calc.py:2:13", "--root", str(ws), "--json")
    assert [i["insertText"] for i in one.json()["items"]] == [" * h"]
    assert [r.model for r in emulator.requests] == [SPARK]
    several = await cli(tmp_path, emulator, "complete", "ws/calc.py:2:13", "--root", str(ws), "--json",
                        "--several")
    assert [i["insertText"] for i in several.json()["items"]] == [" * h", " * h * 1"]
    # a fresh server: Spark answers again, then the next models of the chain, one call each
    assert sorted(str(r.model) for r in emulator.requests[1:]) == sorted([SPARK, MINI, "claude-haiku-4-5"])
