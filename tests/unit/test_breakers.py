"""Circuit breaker state machine and retry backoff, on a fake clock (no sleeping)."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from codeswitch.breakers import BreakerBoard, BreakerPolicy, CircuitBreaker, RetryPolicy, backoff_delay


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def make(threshold: int = 3, cooldown: float = 10.0) -> tuple[CircuitBreaker, FakeClock]:
    clock = FakeClock()
    return CircuitBreaker(BreakerPolicy(threshold, cooldown, 40.0), clock), clock


def test_opens_after_threshold_consecutive_failures() -> None:
    b, _ = make()
    for _ in range(2):
        b.record_failure()
        assert b.state == "closed" and b.allow()
    b.record_failure()
    assert b.state == "open"
    assert not b.allow()
    assert b.opens == 1


def test_success_resets_the_failure_count() -> None:
    b, _ = make()
    b.record_failure()
    b.record_failure()
    b.record_success()
    b.record_failure()
    b.record_failure()
    assert b.state == "closed"


def test_half_open_after_cooldown_allows_one_probe() -> None:
    b, clock = make()
    for _ in range(3):
        b.record_failure()
    clock.t += 9.9
    assert b.state == "open" and b.retry_in_s() > 0
    clock.t += 0.1
    assert str(b.state) == "half_open" and b.retry_in_s() == 0
    assert b.allow()
    assert not b.allow()  # a second caller waits for the probe's verdict


def test_probe_success_closes() -> None:
    b, clock = make()
    for _ in range(3):
        b.record_failure()
    clock.t += 10
    assert b.allow()
    b.record_success()
    assert b.state == "closed" and b.allow() and b.allow()


def test_probe_failure_reopens_with_doubled_cooldown_capped() -> None:
    b, clock = make()
    for _ in range(3):
        b.record_failure()
    cooldowns = []
    for _ in range(4):
        clock.t += b.retry_in_s()
        assert b.allow()
        b.record_failure()
        assert b.state == "open"
        cooldowns.append(b.cooldown_s)
    assert cooldowns == [20.0, 40.0, 40.0, 40.0]


def test_released_probe_lets_another_through() -> None:
    b, clock = make()
    for _ in range(3):
        b.record_failure()
    clock.t += 10
    assert b.allow()
    b.release()
    assert b.allow()


def test_hold_keeps_open_for_retry_after_but_never_shortens() -> None:
    b, _ = make(cooldown=30.0)
    for _ in range(3):
        b.record_failure()
    b.hold(5.0)  # shorter than the running cooldown: ignored
    assert b.retry_in_s() == 30.0
    c, clock2 = make()
    c.hold(2.0)
    assert c.state == "open"
    clock2.t += 2.0
    assert str(c.state) == "half_open"


def test_board_reports_cooling_models_by_key() -> None:
    clock = FakeClock()
    board = BreakerBoard(BreakerPolicy(threshold=1, cooldown_s=5.0), clock)
    board.get("openai", "gpt-5.3-codex").record_failure()
    board.get("anthropic", "claude-opus-4-6").record_success()
    assert board.cooling() == frozenset({"gpt-5.3-codex"})
    assert board.get("openai", "gpt-5.3-codex") is board.get("openai", "gpt-5.3-codex")
    clock.t += 5
    assert board.cooling() == frozenset()
    assert board.snapshot() == {"gpt-5.3-codex": "half_open", "claude-opus-4-6": "closed"}


def test_backoff_grows_exponentially_within_jitter_and_cap() -> None:
    policy = RetryPolicy(max_retries=5, base_s=0.1, cap_s=0.5)
    rng = random.Random(7)
    for retry, ceiling in [(1, 0.1), (2, 0.2), (3, 0.4), (4, 0.5), (5, 0.5)]:
        for _ in range(20):
            d = backoff_delay(retry, policy, None, rng)
            assert ceiling * 0.5 <= d <= ceiling


def test_retry_after_is_a_floor() -> None:
    policy = RetryPolicy(base_s=0.1, cap_s=1.0)
    assert backoff_delay(1, policy, 3.0, random.Random(1)) == 3.0
    assert backoff_delay(1, policy, 0.001, random.Random(1)) >= 0.05


OPS = st.lists(st.sampled_from(["fail", "ok", "allow", "release", "tick", "long_tick"]), max_size=60)


@settings(max_examples=150, deadline=None)
@given(OPS)
def test_breaker_invariants_hold_for_any_sequence(ops: list[str]) -> None:
    b, clock = make(threshold=3, cooldown=10.0)
    granted_in_half_open = 0
    for op in ops:
        state_before = b.state
        if op == "fail":
            b.record_failure()
        elif op == "ok":
            b.record_success()
            assert b.state == "closed" and b.failures == 0
        elif op == "allow":
            allowed = b.allow()
            if state_before == "open":
                assert not allowed  # an open breaker never lets a call through
            if state_before == "closed":
                assert allowed
            if state_before == "half_open" and allowed:
                granted_in_half_open += 1
                assert granted_in_half_open == 1  # one probe at a time
        elif op == "release":
            b.release()
        elif op == "tick":
            clock.t += 3.0
        else:
            clock.t += 700.0
        if op != "allow" and b.state != "half_open":
            granted_in_half_open = 0
        if op in ("fail", "release", "ok"):
            granted_in_half_open = 0
        assert b.cooldown_s <= 40.0
        assert (b.state == "closed") == (b.opened_at is None)
