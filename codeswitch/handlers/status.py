"""``codeswitch/status``, coalesced: the client's status bar hears the latest state, not every keystroke.

After a served request the server tells the client which model served it and today's spend. While
the user types, that would be one notification (JSON encoding and a pipe write) per keystroke. The
reporter sends a notification at once when none went out in the last ``interval_s``; otherwise it
keeps only the latest params and sends them when the interval has passed. Params equal to the last
ones sent are not sent again (params are immutable values: compared, never copied). Edits and
refactors pass ``now=True``: their status goes out at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

Send = Callable[[str, object], None]

#: server -> client after served requests: the model and today's spend (status bars)
STATUS_NOTIFICATION = "codeswitch/status"


class StatusReporter:
    def __init__(self, interval_s: float = 0.25, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval_s = interval_s
        self._clock = clock
        self._sent: object = None
        self._sent_at = float("-inf")
        self._pending: tuple[Send, object] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self.sent = 0  # notifications sent (tests and benchmarks)

    def post(self, send: Send, params: object, *, now: bool = False) -> None:
        if params == self._sent and not now:
            self._pending = None  # the client already shows this
            return
        wait = self._sent_at + self.interval_s - self._clock()
        if now or (wait <= 0 and self._timer is None):
            self._send(send, params)
            return
        self._pending = (send, params)
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(max(wait, 0.0), self._flush)

    def _flush(self) -> None:
        self._timer = None
        pending, self._pending = self._pending, None
        if pending is not None and pending[1] != self._sent:
            self._send(*pending)

    def _send(self, send: Send, params: object) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._pending = None
        self._sent, self._sent_at = params, self._clock()
        self.sent += 1
        send(STATUS_NOTIFICATION, params)

    def close(self) -> None:
        """Drop what is pending (the server is shutting down)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._pending = None
