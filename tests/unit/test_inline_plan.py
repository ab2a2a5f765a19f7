"""Which extra calls make several suggestions: `n` where the catalog allows it, else the next models."""

from __future__ import annotations

import pytest

from codeswitch.catalog import CatalogError, load_catalog, parse_catalog
from codeswitch.features.inline import Suggestion
from codeswitch.features.inline_items import PlannedCall, distinct, plan_extra

CAT = load_catalog()
SPARK, MINI = "gpt-5.3-codex-spark", "gpt-5.1-codex-mini"
OSS, HAIKU = "cerebras-gpt-oss-120b", "claude-haiku-4-5"


def s(text: str, model: str = SPARK) -> Suggestion:
    return Suggestion(text, 0, 0, "id", model, "inline", False)


def test_only_chat_completions_models_take_n() -> None:
    assert CAT.get(OSS).max_choices > 1
    assert all(m.max_choices == 1 for m in CAT.models.values() if m.api != "openai_chat")
    entry = {"provider": "anthropic", "model_id": "x", "api": "anthropic", "context_window": 1,
             "max_output": 1, "max_choices": 2}
    with pytest.raises(CatalogError, match="takes no `n`"):
        parse_catalog({"models": {"x": entry}})


def test_a_model_without_n_is_not_asked_again_the_next_ones_are() -> None:
    plan = plan_extra([SPARK, MINI, HAIKU], CAT, have=1, want=3, used={SPARK})
    assert plan == [PlannedCall(MINI, 1), PlannedCall(HAIKU, 1)]


def test_a_model_with_n_covers_everything_missing() -> None:
    assert plan_extra([OSS], CAT, have=1, want=3, used={OSS}) == [PlannedCall(OSS, 3)]
    assert plan_extra([SPARK, MINI, OSS], CAT, have=1, want=3, used={SPARK}) == [
        PlannedCall(MINI, 1), PlannedCall(OSS, 2)]


def test_models_asked_in_this_request_are_skipped_and_enough_stops_planning() -> None:
    assert plan_extra([OSS, MINI], CAT, have=2, want=3, used={OSS}, asked={OSS}) == [PlannedCall(MINI, 1)]
    assert plan_extra([SPARK, MINI], CAT, have=3, want=3, used={SPARK}) == []


def test_distinct_drops_repeats_and_blank_items_and_keeps_order() -> None:
    items = [s(" + 1"), s(" + 1 ", MINI), s("   ", MINI), s(" * 2", HAIKU), s(" - 3", OSS)]
    assert [i.text for i in distinct(items, 3)] == [" + 1", " * 2", " - 3"]
    assert [i.text for i in distinct(items, 2)] == [" + 1", " * 2"]
