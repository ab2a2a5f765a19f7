"""The provider error tree, documented once here.

::

    ProviderError                      base; .kind (short string for ledgers / JSON), .retryable
    ├── AuthError          "auth"              401/403, bad or missing key. Not retried: tell the user once.
    ├── ModelNotFound      "model_not_found"   404 or code model_not_found. Not retried: mark the model
    │                                          unavailable for the session and skip it.
    ├── BadRequest         "bad_request"       400 (incl. a trailing assistant message). Not retried.
    ├── QuotaExhausted     "quota"             429 insufficient_quota / billing. Not retried.
    ├── RateLimited        "rate_limited"      429. Retryable after .retry_after_s (from retry-after,
    │                                          retry-after-ms, x-ratelimit-reset-*, anthropic-*-reset).
    ├── Overloaded         "overloaded"        529 / overloaded_error (HTTP or in-stream). Retryable.
    ├── ServerError        "server_error"      other 5xx, response.failed, in-stream api_error. Retryable.
    ├── ProviderTimeout    "timeout"           base of the three timeouts; all retryable.
    │   ├── ConnectTimeout      "connect_timeout"      TCP/TLS connect took longer than Timeouts.connect_s.
    │   ├── FirstTokenTimeout   "first_token_timeout"  no content within Timeouts.first_token_s.
    │   └── IdleTimeout         "idle_timeout"         a gap between chunks longer than Timeouts.idle_s.
    ├── ProviderConnectionError "connection"   refused / reset / closed mid-stream. Retryable.
    └── MalformedStream    "malformed_stream"  bytes that are not the documented wire format. Retryable.

Messages never contain an API key: every constructor scrubs the key it is given (`secret=`) and
anything shaped like a bearer token or an `sk-` key. Asyncio cancellation is not an error here:
closing the stream raises nothing, cancelling the task raises CancelledError as usual.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import ClassVar

_KEYLIKE = re.compile(r"(sk-[A-Za-z0-9_\-]{6,}|(?i:bearer)\s+[A-Za-z0-9_\-.=]{6,})")


def scrub(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Remove the given secrets and anything that looks like an API key from `text`."""
    for s in secrets:
        if s and len(s) >= 4:
            text = text.replace(s, "[redacted]")
    return _KEYLIKE.sub("[redacted]", text)


class ProviderError(Exception):
    """Base of every failure a provider call can raise (see the module docstring)."""

    kind: ClassVar[str] = "provider_error"
    retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        model: str | None = None,
        status: int | None = None,
        code: str | None = None,
        retry_after_s: float | None = None,
        rate_limit: Mapping[str, str] | None = None,
        secret: str | None = None,
    ) -> None:
        self.message = scrub(message, (secret,))
        self.provider = provider
        self.model = model
        self.status = status
        self.code = code
        self.retry_after_s = retry_after_s
        self.rate_limit: dict[str, str] = dict(rate_limit or {})
        super().__init__(self.message)

    def __str__(self) -> str:
        where = "/".join(p for p in (self.provider, self.model) if p)
        status = f" HTTP {self.status}" if self.status is not None else ""
        prefix = f"{where}{status}: " if where or status else ""
        return f"{prefix}{self.message}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(kind={self.kind!r}, provider={self.provider!r}, model={self.model!r}, "
            f"status={self.status!r}, code={self.code!r}, retry_after_s={self.retry_after_s!r}, "
            f"message={self.message!r})"
        )

    def to_json(self) -> dict[str, object]:
        """The `{"kind", "message"}` object the CLI and LSP results carry."""
        return {"kind": self.kind, "message": str(self)}


class AuthError(ProviderError):
    kind = "auth"
    retryable = False


class ModelNotFound(ProviderError):
    kind = "model_not_found"
    retryable = False


class BadRequest(ProviderError):
    kind = "bad_request"
    retryable = False


class QuotaExhausted(ProviderError):
    kind = "quota"
    retryable = False


class RateLimited(ProviderError):
    kind = "rate_limited"
    retryable = True


class Overloaded(ProviderError):
    kind = "overloaded"
    retryable = True


class ServerError(ProviderError):
    kind = "server_error"
    retryable = True


class ProviderTimeout(ProviderError):
    kind = "timeout"
    retryable = True


class ConnectTimeout(ProviderTimeout):
    kind = "connect_timeout"


class FirstTokenTimeout(ProviderTimeout):
    kind = "first_token_timeout"


class IdleTimeout(ProviderTimeout):
    kind = "idle_timeout"


class ProviderConnectionError(ProviderError):
    kind = "connection"
    retryable = True


class MalformedStream(ProviderError):
    kind = "malformed_stream"
    retryable = True


ERROR_KINDS: dict[str, type[ProviderError]] = {
    cls.kind: cls
    for cls in (
        ProviderError,
        AuthError,
        ModelNotFound,
        BadRequest,
        QuotaExhausted,
        RateLimited,
        Overloaded,
        ServerError,
        ProviderTimeout,
        ConnectTimeout,
        FirstTokenTimeout,
        IdleTimeout,
        ProviderConnectionError,
        MalformedStream,
    )
}
