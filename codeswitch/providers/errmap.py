"""Turn an HTTP error response or an in-stream error event into the right ProviderError.

Vendors disagree on shapes (OpenAI `{error:{message,type,param,code}}`, Anthropic
`{type:"error", error:{type,message}}`) and on where the wait hint lives (retry-after,
retry-after-ms, x-ratelimit-reset-*, anthropic-ratelimit-*-reset); this module knows all of them
so the clients do not.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime

from .errors import (
    AuthError,
    BadRequest,
    ModelNotFound,
    Overloaded,
    ProviderError,
    QuotaExhausted,
    RateLimited,
    ServerError,
)

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def _parse_duration(value: str) -> float | None:
    """OpenAI reset headers look like `1s`, `6m0s`, `20ms`."""
    parts = _DURATION.findall(value)
    if not parts or "".join(n + u for n, u in parts) != value.strip():
        return None
    return sum(float(n) * _UNIT_S[u] for n, u in parts)


def _parse_instant(value: str, now: float) -> float | None:
    """Seconds until an RFC 3339 or HTTP-date instant (Anthropic reset headers, retry-after dates)."""
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            dt = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    if dt.tzinfo is None:
        return None
    return max(0.0, dt.timestamp() - now)


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """The wait the provider asked for, or None if it gave no hint. Takes the first hint found."""
    now = time.time() if now is None else now
    h = {k.lower(): v for k, v in headers.items()}
    if "retry-after-ms" in h:
        try:
            return max(0.0, float(h["retry-after-ms"]) / 1000.0)
        except ValueError:
            pass
    if "retry-after" in h:
        raw = h["retry-after"].strip()
        try:
            return max(0.0, float(raw))
        except ValueError:
            inst = _parse_instant(raw, now)
            if inst is not None:
                return inst
    waits: list[float] = []
    for key in ("x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"):
        if key in h and (d := _parse_duration(h[key])) is not None:
            waits.append(d)
    for key, value in h.items():
        if key.startswith("anthropic-ratelimit-") and key.endswith("-reset"):
            inst = _parse_instant(value, now)
            if inst is not None:
                waits.append(inst)
    return max(waits) if waits else None


def rate_limit_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The x-ratelimit-* / anthropic-ratelimit-* / retry-after headers, for diagnostics."""
    keep = ("x-ratelimit-", "anthropic-ratelimit-", "retry-after")
    return {k.lower(): v for k, v in headers.items() if k.lower().startswith(keep)}


def parse_error_body(body: str) -> tuple[str | None, str | None, str | None]:
    """(message, type, code) from an OpenAI- or Anthropic-shaped error body (or plain text)."""
    try:
        data = json.loads(body)
    except ValueError:
        text = body.strip()[:300]
        return (text or None, None, None)
    if not isinstance(data, dict):
        return (str(data)[:300], None, None)
    err = data.get("error", data)
    if isinstance(err, str):
        return (err, None, None)
    if not isinstance(err, dict):
        return (None, None, None)
    msg, typ, code = err.get("message"), err.get("type"), err.get("code")
    return (
        msg if isinstance(msg, str) else None,
        typ if isinstance(typ, str) else None,
        str(code) if code is not None else None,
    )


_BY_TYPE: dict[str, type[ProviderError]] = {
    "insufficient_quota": QuotaExhausted,
    "billing_error": QuotaExhausted,
    "model_not_found": ModelNotFound,
    "not_found_error": ModelNotFound,
    "overloaded_error": Overloaded,
    "rate_limit_error": RateLimited,
    "rate_limit_exceeded": RateLimited,
    "authentication_error": AuthError,
    "invalid_api_key": AuthError,
    "permission_error": AuthError,
    "api_error": ServerError,
    "server_error": ServerError,
    "invalid_request_error": BadRequest,
}


def _class_for(status: int | None, typ: str | None, code: str | None) -> type[ProviderError]:
    # Codes that decide the class whatever the status (OpenAI sends model_not_found as 404 or 400,
    # insufficient_quota as 429 but it must not be retried).
    for key in (code, typ):
        if key in ("insufficient_quota", "billing_error", "model_not_found"):
            return _BY_TYPE[key]
    if status is not None:
        if status in (401, 403):
            return AuthError
        if status == 402:
            return QuotaExhausted
        if status == 404:
            return ModelNotFound
        if status == 429:
            return RateLimited
        if status == 529:
            return Overloaded
        if status == 503 and typ == "overloaded_error":
            return Overloaded
        if status >= 500 or status in (408, 409):
            return ServerError
        if status >= 400:
            return BadRequest
    for key in (code, typ):
        if key in _BY_TYPE:
            return _BY_TYPE[key]
    return ServerError


def error_from_response(
    status: int,
    headers: Mapping[str, str],
    body: str,
    *,
    provider: str | None,
    model: str | None,
    secret: str | None,
) -> ProviderError:
    """The exception for a non-2xx HTTP response."""
    msg, typ, code = parse_error_body(body)
    cls = _class_for(status, typ, code)
    return cls(
        msg or f"HTTP {status}",
        provider=provider,
        model=model,
        status=status,
        code=code or typ,
        retry_after_s=retry_after_seconds(headers),
        rate_limit=rate_limit_headers(headers),
        secret=secret,
    )


def error_from_event(
    payload: Mapping[str, object], *, provider: str | None, model: str | None, secret: str | None
) -> ProviderError:
    """The exception for an error reported inside a 200 stream (SSE `error` event and the like)."""
    err = payload.get("error", payload)
    msg = typ = code = None
    if isinstance(err, Mapping):
        m, t, c = err.get("message"), err.get("type"), err.get("code")
        msg = m if isinstance(m, str) else None
        typ = t if isinstance(t, str) and t != "error" else None
        code = str(c) if c is not None else None
    cls = _class_for(None, typ, code)
    return cls(
        msg or "error event in stream", provider=provider, model=model, code=code or typ, secret=secret
    )
