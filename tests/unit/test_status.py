"""codeswitch/status is coalesced: at most one notification per interval, the latest params win."""

from __future__ import annotations

import asyncio

from codeswitch.handlers.status import STATUS_NOTIFICATION, StatusReporter


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


async def test_a_burst_sends_the_first_at_once_and_the_last_when_the_interval_ends() -> None:
    sent: list[object] = []
    flushed = asyncio.Event()

    def send(method: str, params: object) -> None:
        assert method == STATUS_NOTIFICATION
        sent.append(params)
        if len(sent) == 2:
            flushed.set()

    clock = Clock()
    reporter = StatusReporter(interval_s=0.01, clock=clock)
    for spent in range(1, 51):  # fifty served keystrokes
        reporter.post(send, {"model": "m", "tier": "inline", "spentTodayUsd": float(spent)})
    assert sent == [{"model": "m", "tier": "inline", "spentTodayUsd": 1.0}]
    clock.t += 1.0
    await flushed.wait()  # the timer fires once: the latest state only
    assert sent[-1] == {"model": "m", "tier": "inline", "spentTodayUsd": 50.0} and reporter.sent == 2


async def test_unchanged_params_are_not_sent_again_and_now_skips_the_wait() -> None:
    sent: list[object] = []
    reporter = StatusReporter(interval_s=3600.0)
    same = {"model": "m", "tier": "inline", "spentTodayUsd": None}
    for _ in range(10):
        reporter.post(lambda _m, p: sent.append(p), same)
    assert len(sent) == 1
    reporter.post(lambda _m, p: sent.append(p), {"model": "e", "tier": "function", "spentTodayUsd": 1.0},
                  now=True)
    assert len(sent) == 2  # an edit's status goes out at once, whatever the interval
    reporter.close()
