"""The inline switch and snooze: kept in a file every server and the CLI share, read on change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codeswitch.features.inline_switch import InlineSwitch
from codeswitch.inline_enable import EnableRules

RULES = EnableRules.parse({"markdown": False})


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_toggle_snooze_and_their_reasons(tmp_path: Path) -> None:
    clock = Clock()
    sw = InlineSwitch(tmp_path / "s.json", clock)
    assert sw.verdict(RULES, "python", ("a.py",)).allowed
    assert sw.verdict(RULES, "markdown", ("a.md",)).reason == "inline.enable: markdown = false"
    sw.set_enabled(None)
    assert sw.verdict(RULES, "python", ()).reason == "inline suggestions are turned off"
    sw.set_enabled(None)
    sw.snooze(30)
    assert not sw.verdict(RULES, "python", ()).allowed
    assert sw.status(RULES)["snoozedUntil"] == int((clock.now + 1800) * 1000)
    clock.now += 1801  # the snooze is over by itself
    assert sw.verdict(RULES, "python", ()).allowed and sw.status(RULES)["snoozedUntil"] is None
    sw.snooze(10)
    sw.set_enabled(None)  # toggling while snoozed resumes
    assert sw.state().enabled and sw.state().snoozed_until is None
    with pytest.raises(ValueError):
        sw.snooze(-1)


def test_another_process_writing_the_file_is_followed(tmp_path: Path) -> None:
    path = tmp_path / "codeswitch" / "inline-switch.json"
    mine, theirs = InlineSwitch(path), InlineSwitch(path)
    assert mine.state().enabled
    theirs.set_enabled(False)
    assert mine.state().enabled is False
    path.write_text("not json", encoding="utf-8")  # a broken file leaves suggestions on
    assert mine.state().enabled is True
    path.write_text(json.dumps({"enabled": False, "snoozed_until": "soon"}), encoding="utf-8")
    assert mine.state().enabled is False and mine.state().snoozed_until is None


def test_without_a_file_the_switch_lives_in_memory() -> None:
    sw = InlineSwitch(None)
    sw.set_enabled(False)
    assert sw.state().enabled is False
