"""Whether inline suggestions may be asked for here and now: the config's rules, a toggle, a snooze.

Three things can turn suggestions off, checked before anything else on every inline request, so
that a disabled request sends nothing to any provider:

- the user's switch, turned off or on with the ``codeswitch.inline.toggle`` command (VS Code's
  status bar, Neovim's ``:CodeswitchToggle``, ``codeswitch inline off``);
- a snooze: off until a moment (``codeswitch.inline.snooze`` with ``minutes``, default 30);
- ``inline.enable`` in the config, per language id and per path glob (:mod:`codeswitch.inline_enable`).

The switch and the snooze are kept in ``$XDG_DATA_HOME/codeswitch/inline-switch.json``, so every
editor's server and the CLI share them and they survive a restart; a server re-reads the file when
its modification time changes (one ``stat`` per request).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from codeswitch.inline_enable import EnableRules

log = logging.getLogger(__name__)

STATE_FILE = "inline-switch.json"
DEFAULT_SNOOZE_MINUTES = 30.0
MAX_SNOOZE_MINUTES = 7 * 24 * 60.0


@dataclass(frozen=True, slots=True)
class SwitchState:
    """The user's switch: on or off, and a snooze end (seconds since the epoch) or None."""

    enabled: bool = True
    snoozed_until: float | None = None

    def snoozed(self, now: float) -> bool:
        return self.snoozed_until is not None and now < self.snoozed_until


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a request may go ahead, and why (shown by the status request and the editors)."""

    allowed: bool
    reason: str


def _parse(raw: object) -> SwitchState:
    if not isinstance(raw, Mapping):
        return SwitchState()
    enabled = raw.get("enabled", True)
    until = raw.get("snoozed_until")
    end = float(until) if isinstance(until, int | float) and not isinstance(until, bool) else None
    return SwitchState(enabled is not False, end)


class InlineSwitch:
    """The switch and snooze of one data directory (None: kept in memory only)."""

    def __init__(self, path: Path | None, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.clock = clock
        self._state = SwitchState()
        self._stamp: tuple[int, int] | None = None

    def state(self) -> SwitchState:
        """The current state, re-read when the file changed (another editor or the CLI wrote it)."""
        if self.path is None:
            return self._state
        try:
            st = os.stat(self.path)
        except OSError:
            self._stamp, self._state = None, SwitchState()
            return self._state
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            try:
                self._state = _parse(json.loads(self.path.read_text(encoding="utf-8")))
            except (OSError, ValueError) as exc:
                log.warning("inline switch: cannot read %s (%s); suggestions stay on", self.path, exc)
                self._state = SwitchState()
            self._stamp = stamp
        return self._state

    def _write(self, state: SwitchState) -> SwitchState:
        self._state = state
        if self.path is None:
            return state
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"enabled": state.enabled, "snoozed_until": state.snoozed_until}),
                           encoding="utf-8")
            os.replace(tmp, self.path)
            st = os.stat(self.path)
            self._stamp = (st.st_mtime_ns, st.st_size)
        except OSError as exc:  # the switch still works for this process
            log.warning("inline switch: cannot write %s (%s)", self.path, exc)
        return state

    def set_enabled(self, enabled: bool | None = None) -> SwitchState:
        """Turn suggestions on or off (None flips); turning them on also ends a snooze."""
        current = self.state()
        on = (not current.enabled or current.snoozed(self.clock())) if enabled is None else enabled
        return self._write(SwitchState(on, None if on else current.snoozed_until))

    def snooze(self, minutes: float = DEFAULT_SNOOZE_MINUTES) -> SwitchState:
        """Off for ``minutes`` from now (0 ends a snooze); the switch itself is left as it is."""
        if not 0 <= minutes <= MAX_SNOOZE_MINUTES:
            raise ValueError(f"minutes must be between 0 and {MAX_SNOOZE_MINUTES:g}")
        current = self.state()
        until = self.clock() + minutes * 60 if minutes > 0 else None
        return self._write(SwitchState(current.enabled, until))

    def verdict(self, rules: EnableRules, language: str | None, paths: tuple[str, ...]) -> Verdict:
        """May a suggestion be asked for in a document of ``language`` at ``paths``?"""
        state = self.state()
        if not state.enabled:
            return Verdict(False, "inline suggestions are turned off")
        now = self.clock()
        if state.snoozed(now):
            assert state.snoozed_until is not None
            return Verdict(False, f"inline suggestions are snoozed until {_clock_time(state.snoozed_until)}")
        on, why = rules.decide(language, paths)
        return Verdict(on, why)

    def status(self, rules: EnableRules, language: str | None = None,
               paths: tuple[str, ...] = ()) -> dict[str, object]:
        """What the editors show: ``{enabled, snoozedUntil (ms since the epoch or null), allowed,
        reason, enable (the config's inline.enable)}``; ``allowed`` is for the given document."""
        state = self.state()
        now = self.clock()
        verdict = self.verdict(rules, language, paths)
        until = state.snoozed_until if state.snoozed(now) else None
        return {"enabled": state.enabled, "snoozedUntil": None if until is None else int(until * 1000),
                "allowed": verdict.allowed, "reason": verdict.reason, "enable": rules.to_json()}


def _clock_time(epoch: float) -> str:
    return time.strftime("%H:%M", time.localtime(epoch))


def switch_path(data_dir: Path) -> Path:
    return data_dir / STATE_FILE
