"""The dispatcher's session state: models and providers it stopped calling, and what to tell the user.

``Dispatcher`` inherits it. A model that answered ``model_not_found`` is unavailable for the rest
of the session; a provider that refused its key or reports an exhausted quota is disabled until the
settings change (or, for a refused key, until its ``api_key_cmd`` prints a different key: see
``codeswitch.keys``); each such event is one :class:`Notice`, shown once. ``health()`` feeds the
router, ``_skip_reason`` the chain walk, ``_failed`` books one failed call.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from codeswitch.breakers import BreakerBoard
from codeswitch.catalog import Catalog
from codeswitch.dispatch_call import Attempt, Call, Notice, RequestCtx
from codeswitch.provider_pool import ProviderPool
from codeswitch.providers import AuthError, ModelNotFound, ProviderError, QuotaExhausted, RateLimited
from codeswitch.routing import Health

log = logging.getLogger("codeswitch.dispatch")


class DispatchSession:
    """Session state shared by every request of one dispatcher."""

    catalog: Catalog
    breakers: BreakerBoard
    _pool: ProviderPool
    _clock: Callable[[], float]

    def __init__(self) -> None:
        self._unavailable: dict[str, str] = {}
        self._disabled: dict[str, str] = {}
        self._notices: list[Notice] = []
        self._noticed: set[tuple[str, str | None, str]] = set()
        self._rekeying: set[asyncio.Task[None]] = set()

    def health(self) -> Health:
        """What the router must avoid: unavailable models (and disabled providers'), open breakers."""
        unavailable = set(self._unavailable)
        for provider in self._disabled:
            unavailable.update(m.key for m in self.catalog.by_provider(provider))
        return Health(unavailable=frozenset(unavailable), cooling=self.breakers.cooling())

    def take_notices(self) -> list[Notice]:
        """Notices not yet shown; each (provider, model, kind) is reported once per session."""
        out, self._notices = self._notices, []
        return out

    async def key_refreshes(self) -> None:
        """Wait for the key commands started because a provider refused its key."""
        await asyncio.gather(*self._rekeying, return_exceptions=True)

    async def _rekey(self, provider: str, refused: str | None) -> None:
        """A provider refused its key: when its key command now prints another key, use it."""
        try:
            if await self._pool.rekey(provider, refused):
                self._disabled.pop(provider, None)
                log.info("%s: a new key from api_key_cmd; its models are used again", provider)
        except Exception as exc:  # never let a key refresh break the server
            log.warning("%s: refreshing the key failed: %s", provider, type(exc).__name__)

    def _notice(self, provider: str, model_key: str | None, kind: str, message: str) -> None:
        if (provider, model_key, kind) not in self._noticed:
            self._noticed.add((provider, model_key, kind))
            self._notices.append(Notice(provider, model_key, kind, message))

    def _skip_reason(self, key: str) -> str | None:
        model = self.catalog.models.get(key)
        if model is None:
            return "unknown_model"
        if key in self._unavailable:
            return "unavailable"
        if model.provider in self._disabled:
            return "provider_disabled"
        breaker = self.breakers.get(model.provider, key)
        if breaker.state == "open" or (breaker.state == "half_open" and breaker.probing):
            return "breaker_open"
        return None

    def _failed(self, ctx: RequestCtx, call: Call, err: ProviderError) -> None:
        """Book-keeping for one failed call: attempts, breaker, notices, session state."""
        model = call.model
        call.outcome, call.error_kind, call.ended = "failed", err.kind, self._clock()
        ctx.attempts.append(Attempt(model.key, err.kind, str(err)))
        breaker = self.breakers.get(model.provider, model.key)
        if err.retryable:
            breaker.record_failure()
            if isinstance(err, RateLimited) and err.retry_after_s:
                breaker.hold(err.retry_after_s)
        else:
            breaker.release()
        if isinstance(err, AuthError | QuotaExhausted):
            self._disabled[model.provider] = err.kind
            what = "rejected the API key" if isinstance(err, AuthError) else "reports the quota is used up"
            self._notice(model.provider, None, err.kind,
                         f"{model.provider} {what}; its models are skipped until the settings change"
                         + (" or its api_key_cmd gives a new key" if isinstance(err, AuthError) else ""))
            if isinstance(err, AuthError):
                task = asyncio.get_running_loop().create_task(
                    self._rekey(model.provider, self._pool.key_of(model)))
                self._rekeying.add(task)
                task.add_done_callback(self._rekeying.discard)
        elif isinstance(err, ModelNotFound):
            self._unavailable[model.key] = err.message
            self._notice(model.provider, model.key, err.kind,
                         f"{model.key} is not available to this account; using the next model instead")
        log.info("dispatch %s: %s failed (%s)", ctx.request_id, model.key, err.kind)
