"""Config problems in an editor: one window/showMessage per new problem, not one per settings change."""

from __future__ import annotations

from typing import Any

from lsprotocol import types

SHOW = types.WINDOW_SHOW_MESSAGE


def change(lsp: Any, settings: dict[str, Any]) -> None:
    lsp.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=settings))


async def test_the_same_problem_is_shown_once(lsp: Any) -> None:
    first = lsp.client.protocol.wait_for_notification_async(SHOW)
    change(lsp, {"budget": {"daily_usd": "lots"}})
    assert "budget.daily_usd" in (await first).message
    change(lsp, {"budget": {"daily_usd": "lots"}})  # the same problem again: nothing new to say
    change(lsp, {"budget": {"daily_usd": "lots"}, "inline": {"debounce_ms": 5}})
    sentinel = lsp.client.protocol.wait_for_notification_async(SHOW)
    change(lsp, {"budget": {"daily_usd": "lots"}, "team": {"max_turns": "many"}})  # a new one
    assert "team.max_turns" in (await sentinel).message
    messages = [m.message for m in lsp.client.messages]
    assert len(messages) == 2, messages
    assert "budget.daily_usd" not in messages[1]  # the new message names only the new problem
    config_logs = [m.message for m in lsp.client.log_messages if m.message.startswith("codeswitch config:")]
    assert len(config_logs) == 2, config_logs


async def test_a_problem_fixed_and_made_again_is_shown_again(lsp: Any) -> None:
    first = lsp.client.protocol.wait_for_notification_async(SHOW)
    change(lsp, {"budget": {"daily_usd": "lots"}})
    await first
    change(lsp, {})
    again = lsp.client.protocol.wait_for_notification_async(SHOW)
    change(lsp, {"budget": {"daily_usd": "lots"}})
    assert "budget.daily_usd" in (await again).message
    assert len(lsp.client.messages) == 2
