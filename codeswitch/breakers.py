"""Circuit breakers and retry backoff for the dispatcher.

A breaker exists per (provider, model). It stops codeswitch from hammering an endpoint that keeps
failing: after `threshold` consecutive failures it opens and the model is skipped (and reported to
the router as cooling down) until `cooldown_s` has passed; then one probe request is let through
(half-open). A success closes the breaker; a failed probe opens it again with a doubled cooldown
(capped), so a long outage costs one request per cooldown instead of one per keystroke.

Everything takes an injectable monotonic clock so the state machine is tested without sleeping.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

Clock: TypeAlias = Callable[[], float]
State: TypeAlias = Literal["closed", "open", "half_open"]


@dataclass(frozen=True, slots=True)
class BreakerPolicy:
    """When a breaker opens and for how long."""

    threshold: int = 3
    cooldown_s: float = 30.0
    max_cooldown_s: float = 600.0


@dataclass(slots=True)
class CircuitBreaker:
    """closed -> open after `threshold` consecutive failures -> half-open after the cooldown."""

    policy: BreakerPolicy = field(default_factory=BreakerPolicy)
    clock: Clock = field(default=lambda: 0.0)
    failures: int = 0
    opened_at: float | None = None
    cooldown_s: float = 0.0
    probing: bool = False
    opens: int = 0

    @property
    def state(self) -> State:
        if self.opened_at is None:
            return "closed"
        if self.clock() - self.opened_at >= self.cooldown_s:
            return "half_open"
        return "open"

    def retry_in_s(self) -> float:
        """Seconds until the breaker lets a probe through (0 when it would now)."""
        if self.opened_at is None:
            return 0.0
        return max(0.0, self.opened_at + self.cooldown_s - self.clock())

    def allow(self) -> bool:
        """May a request be sent now? In half-open state only one probe at a time is allowed."""
        state = self.state
        if state == "closed":
            return True
        if state == "open" or self.probing:
            return False
        self.probing = True
        return True

    def release(self) -> None:
        """The allowed request ended without a verdict (cancelled): let another probe through."""
        self.probing = False

    def record_success(self) -> None:
        self.failures = 0
        self.opened_at = None
        self.cooldown_s = 0.0
        self.probing = False

    def record_failure(self) -> None:
        """One more failure; opens the breaker at the threshold, re-opens it after a failed probe."""
        self.failures += 1
        if self.opened_at is not None and self.probing:
            self._open(min(self.cooldown_s * 2, self.policy.max_cooldown_s))
        elif self.opened_at is None and self.failures >= self.policy.threshold:
            self._open(self.policy.cooldown_s)
        self.probing = False

    def hold(self, seconds: float) -> None:
        """Stay open for at least `seconds` (a rate limit with a known reset time)."""
        now = self.clock()
        if self.opened_at is not None and self.opened_at + self.cooldown_s >= now + seconds:
            return
        self.opened_at = now
        self.cooldown_s = seconds
        self.opens += 1
        self.probing = False

    def _open(self, cooldown_s: float) -> None:
        self.opened_at = self.clock()
        self.cooldown_s = cooldown_s
        self.opens += 1


class BreakerBoard:
    """All breakers of one dispatcher, keyed by (provider name, model key)."""

    def __init__(self, policy: BreakerPolicy | None = None, clock: Clock | None = None) -> None:
        self.policy = policy or BreakerPolicy()
        self._clock: Clock = clock or (lambda: 0.0)
        self._breakers: dict[tuple[str, str], CircuitBreaker] = {}

    def get(self, provider: str, model_key: str) -> CircuitBreaker:
        key = (provider, model_key)
        breaker = self._breakers.get(key)
        if breaker is None:
            breaker = self._breakers[key] = CircuitBreaker(self.policy, self._clock)
        return breaker

    def cooling(self) -> frozenset[str]:
        """Model keys whose breaker is open right now (what routing.Health.cooling reports)."""
        return frozenset(model for (_, model), b in self._breakers.items() if b.state == "open")

    def snapshot(self) -> dict[str, State]:
        """State per model key, for diagnostics (`codeswitch doctor`, benchmarks)."""
        return {model: b.state for (_, model), b in self._breakers.items()}


_RNG = random.Random()


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry one model before falling back to the next.

    Delays grow exponentially from `base_s` to `cap_s` with full jitter (so windows that failed
    together do not retry together); a provider's retry-after is a floor, never shortened.
    """

    max_retries: int = 2
    base_s: float = 0.25
    cap_s: float = 4.0


@dataclass(frozen=True, slots=True)
class DispatchPolicy:
    """Retry and breaker settings (the config's ``[dispatch]``; the defaults suit real vendors)."""

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    breaker: BreakerPolicy = field(default_factory=BreakerPolicy)
    #: how long a stream may stay open after its Finish event before it is simply closed
    drain_after_finish_s: float = 1.0


def backoff_delay(
    retry: int, policy: RetryPolicy, retry_after_s: float | None = None, rng: random.Random | None = None
) -> float:
    """Seconds to wait before retry number `retry` (1-based)."""
    ceiling = min(policy.cap_s, policy.base_s * 2.0 ** max(retry - 1, 0))
    jitter = (rng or _RNG).uniform(0.5, 1.0)
    delay = ceiling * jitter
    if retry_after_s is not None and retry_after_s > delay:
        delay = retry_after_s
    return delay
