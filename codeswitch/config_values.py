"""One setting's value: converted to its field's type and checked against sane bounds.

``coerce(value, hint, key)`` returns the value as the config dataclass field wants it, or raises
:class:`BadValue` with a message saying what was expected. Besides the type it refuses values that
cannot be meant: zero timeouts, zero or astronomically many output tokens, endpoints that are not
``http(s)://host`` URLs. ``config.load_config`` turns a BadValue into a ``ConfigProblem`` and keeps
the lower layer's value.
"""

from __future__ import annotations

import math
import types
from typing import Any, Union, get_args, get_origin
from urllib.parse import urlsplit


class BadValue(ValueError):
    """A value of the wrong type or range (the message says what was expected)."""


#: numeric bounds by field name: (lowest, highest, whether the lowest itself is refused)
LIMITS: dict[str, tuple[float, float, bool]] = {
    "connect_s": (0, 3600, True),
    "first_token_s": (0, 3600, True),
    "idle_s": (0, 3600, True),
    "key_cmd_timeout_s": (0, 600, True),
    "key_cmd_ttl_s": (0, 604_800, False),
    "latency_budget_ms": (1, 86_400_000, False),
    "max_output_tokens": (1, 1_000_000, False),
    "hedge_after_ms": (0, 3_600_000, False),
    "debounce_ms": (0, 10_000, False),
    "context_ms": (0, 10_000, False),
    "max_prefix_tokens": (0, 1_000_000, False),
    "max_suffix_tokens": (0, 1_000_000, False),
    "cache_size": (0, 1_000_000, False),
    "max_items": (1, 16, False),
    "max_teammates": (0, 64, False),
    "max_turns": (1, 10_000, False),
    "max_tokens": (1, 1_000_000_000, False),
    "max_usd": (0, 1_000_000, False),
    "per_request_usd": (0, 1_000_000, False),
    "daily_usd": (0, 1_000_000, False),
    "max_in_flight": (1, 64, False),
    "max_retries": (0, 10, False),
    "base_s": (0, 60, False),
    "cap_s": (0, 600, False),
    "threshold": (1, 1000, False),
    "cooldown_s": (0, 86_400, False),
    "max_cooldown_s": (0, 86_400, False),
    "drain_after_finish_s": (0, 60, False),
    "max_context_fill": (0, 1, True),
    "under_penalty": (0, 100, True),
}


def coerce(value: object, hint: Any, key: str = "") -> object:
    """``value`` converted to ``hint`` (the few shapes config fields use) and checked, or BadValue."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        args = get_args(hint)
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return coerce(value, inner, key)
    if origin is tuple:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise BadValue("expected a list of strings")
        return tuple(value)
    if hint is bool:
        if not isinstance(value, bool):
            raise BadValue("expected true or false")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise BadValue("expected a string")
        return _url(value) if key == "base_url" and value else value
    if hint in (int, float):
        return _number(value, hint, key)
    raise BadValue(f"unsupported setting type {hint!r}")  # pragma: no cover - a field type config lacks


def _number(value: object, hint: type, key: str) -> float | int:
    ok = isinstance(value, int) if hint is int else isinstance(value, int | float)
    if isinstance(value, bool) or not ok:
        raise BadValue(f"expected {'an integer' if hint is int else 'a number'}")
    assert isinstance(value, int | float)
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        finite = False
    if not finite:
        raise BadValue("must be a finite number")
    if value < 0:
        raise BadValue("must not be negative")
    low, high, open_low = LIMITS.get(key, (0, math.inf, False))
    if value > high or value < low or (open_low and value == low):
        floor = f"more than {low:g}" if open_low else f"at least {low:g}"
        raise BadValue(f"must be {floor} and at most {high:g}")
    return hint(value)  # type: ignore[no-any-return]


def _url(value: str) -> str:
    """An endpoint: ``http://`` or ``https://`` with a host, no spaces, no credentials in it."""
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise BadValue(f"not a URL ({exc})") from None
    del port
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadValue("expected an http:// or https:// URL with a host")
    if any(ch.isspace() for ch in value):
        raise BadValue("a URL has no spaces")
    if parts.username or parts.password:
        raise BadValue("a URL must not carry credentials")
    return value
