"""Run a RouteDecision's chain: retries, fallback, circuit breakers, hedging, cancellation.

The router picks an ordered chain of models; this module is what makes that chain survive the
real world. For each model in turn it builds the request, streams it and collects the result.
Failures are handled by kind (see providers/errors.py):

- retryable (429, 5xx, 529, timeouts, resets, malformed streams): retry the same model with
  jittered exponential backoff (a provider's retry-after is a floor) while the request's latency
  budget allows, then fall back to the next model;
- auth / quota: the provider is skipped from now on and the user is told once (``take_notices``);
- model_not_found: the model is marked unavailable for the session and skipped;
- bad_request: the next model is tried (another wire format may accept the request).

Per-(provider, model) circuit breakers (breakers.py) stop repeated calls to a failing endpoint and
feed ``health()``, which the router reads. With ``hedge_after_ms`` set on the tier, the next model
is started when the current one has produced no token after that delay; the first to produce a
token wins and the other stream is closed before anything reaches the editor. Once text has been
handed to a streaming consumer (``on_text``) the request never switches model.

Cancelling the task awaiting ``complete`` closes the provider stream at once (the vendor stops
generating and billing) and the ledger records the call as cancelled with the tokens so far.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable

from codeswitch.breakers import BreakerBoard, backoff_delay
from codeswitch.catalog import Catalog, ModelInfo
from codeswitch.config import Config
from codeswitch.dispatch_budget import ceiling_failure, refusal, upper_estimate
from codeswitch.dispatch_call import (
    AllModelsFailed,
    Attempt,
    BuildRequest,
    Call,
    CallDeadline,
    Completion,
    DeadlineExceeded,
    DispatchPolicy,
    Notice,
    RequestCtx,
    close_stream,
    drain_after_finish,
    estimate_input_tokens,
    failure_summary,
    ledger_rows,
    make_completion,
    read_until,
)
from codeswitch.dispatch_session import DispatchSession
from codeswitch.keys import KeyCache, ProviderFactory, config_provider_factory
from codeswitch.ledger import Ledger, LedgerError, RequestRow
from codeswitch.provider_pool import ProviderPool
from codeswitch.providers import (
    FirstTokenTimeout,
    ProviderError,
)
from codeswitch.routing import RouteDecision
from codeswitch.secret_scan import guarded

log = logging.getLogger(__name__)

class Dispatcher(DispatchSession):
    """Runs route decisions against providers; one per server process (it holds session state)."""

    def __init__(
        self,
        config: Config,
        catalog: Catalog,
        ledger: Ledger | None = None,
        provider_factory: ProviderFactory | None = None,
        *,
        policy: DispatchPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
        keys: KeyCache | None = None,
    ) -> None:
        self.config = config
        self.catalog = catalog
        self.ledger = ledger
        self._fixed_policy = policy is not None
        self.policy = policy or config.dispatch
        self.keys = keys or KeyCache(config)
        self._pool = ProviderPool(config, self.keys, provider_factory)
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.breakers = BreakerBoard(self.policy.breaker, clock)
        super().__init__()

    # -- session state ------------------------------------------------------------------------

    @property
    def provider_factory(self) -> ProviderFactory:
        """What makes the provider clients (the config's, or the one a test passed)."""
        return self._pool.factory

    async def reconfigure(self, config: Config, provider_factory: ProviderFactory | None = None) -> None:
        """New settings or keys: rebuild providers and give disabled providers another chance."""
        self.config = config
        if not self._fixed_policy and config.dispatch != self.policy:
            self.policy = config.dispatch
            self.breakers.policy = config.dispatch.breaker
        self._disabled.clear()
        for p in self._pool.reconfigure(config, provider_factory):
            await p.aclose()

    async def aclose(self) -> None:
        for task in list(self._rekeying):
            task.cancel()
        await asyncio.gather(*self._rekeying, return_exceptions=True)
        await self._pool.aclose()

    # -- the request --------------------------------------------------------------------------

    async def complete(
        self,
        decision: RouteDecision,
        build: BuildRequest,
        *,
        request_kind: str,
        scope: str,
        parent_id: str | None = None,
        role: str | None = None,
        request_id: str | None = None,
        on_text: Callable[[str], None] | None = None,
        on_attempt: Callable[[str], None] | None = None,
    ) -> Completion:
        """Serve `decision` with the first model that works; raises AllModelsFailed otherwise.

        `build(model)` makes the request for one model (prompt shape may differ per API).
        `on_text` receives text as it streams (a streaming consumer: no fallback after the first
        piece); `on_attempt(model_key)` is called as each call starts (progress reporting).
        A request whose text holds a credential raises ``secret_scan.SecretInPrompt`` (an
        AllModelsFailed) before any provider sees it.
        """
        rid = request_id or uuid.uuid4().hex
        build = guarded(build, decision.chain, self.catalog)  # SecretInPrompt before any provider call
        ctx = RequestCtx(decision, build, request_kind, scope, parent_id, role, rid, on_text, on_attempt,
                         self._clock())
        served: Call | None = None
        try:
            served = await self._run(ctx)
            done = make_completion(ctx, served, self._clock())
        except Exception:
            self._finish(ctx, served)
            await self._settle(request_kind)
            raise
        except BaseException:  # cancelled: record, never wait
            self._finish(ctx, served)
            raise
        self._finish(ctx, served)
        await self._settle(request_kind)
        return done

    def _finish(self, ctx: RequestCtx, served: Call | None) -> None:
        for call in ctx.calls:
            if call.outcome is None:  # cancelled in flight: a half-open probe must not stay taken
                self.breakers.get(call.model.provider, call.model.key).release()
        wall = self.ledger.now() if self.ledger is not None else time.time()
        self._record(ledger_rows(ctx, served, self._clock(), wall))

    async def _settle(self, request_kind: str) -> None:
        """An edit's or refactor's calls are in the ledger file when it returns (other windows see
        the spend); an inline completion never waits for the disk."""
        if request_kind != "inline" and self.ledger is not None:
            await self.ledger.settle()

    async def _run(self, ctx: RequestCtx) -> Call:
        chain = ctx.decision.chain
        if not chain:
            raise AllModelsFailed(f"no model to try: {ctx.decision.cause}", [])
        i = 0
        while i < len(chain):
            key = chain[i]
            why = self._skip_reason(key)
            if why is not None:
                ctx.attempts.append(Attempt(key, why, f"{key}: skipped ({why})"))
                i += 1
                continue
            if self._remaining(ctx) <= 0:
                ctx.attempts.append(Attempt(key, "latency_budget", "the request's latency budget is spent"))
                break
            call, consumed = await self._first_token(ctx, i)
            if call is None:
                i = consumed + 1
                continue
            try:
                try:  # the whole answer, not only its first token, must arrive within the budget
                    async with asyncio.timeout(max(self._remaining(ctx), 0.0)):
                        await read_until(call, ctx.on_text, finish=True,
                                         on_delivered=lambda: _set_delivered(ctx))
                except TimeoutError:
                    raise CallDeadline.of(call, ctx.decision.latency_budget_ms) from None
                await drain_after_finish(call, self.policy.drain_after_finish_s)
            except ProviderError as err:
                self._failed(ctx, call, err)
                if ctx.delivered:
                    failed = DeadlineExceeded if isinstance(err, CallDeadline) else AllModelsFailed
                    raise failed(
                        f"{key} failed after streaming had started: {err}", ctx.attempts,
                        partial_text=call.text,
                    ) from None
                delay = self._retry_delay(ctx, call.model.key, err)
                if delay is not None:
                    await self._sleep(delay)
                    i = chain.index(call.model.key)
                else:
                    i = max(consumed, chain.index(call.model.key)) + 1
                continue
            finally:
                await close_stream(call)
            call.outcome = "ok"
            call.ended = self._clock()
            self.breakers.get(call.model.provider, call.model.key).record_success()
            return call
        summary = failure_summary(ctx.attempts)
        if (over := ceiling_failure(ctx, summary)) is not None:
            raise over
        if self._remaining(ctx) <= 0:
            budget = ctx.decision.latency_budget_ms
            raise DeadlineExceeded(f"no model finished within the {ctx.decision.tier} tier's latency budget "
                                   f"of {budget} ms (tiers.{ctx.decision.tier}.latency_budget_ms; {summary})",
                                   ctx.attempts)
        raise AllModelsFailed(f"every model failed ({summary})", ctx.attempts)

    def _remaining(self, ctx: RequestCtx) -> float:
        return ctx.decision.latency_budget_ms / 1000 - (self._clock() - ctx.started)

    def _partner(self, ctx: RequestCtx, i: int) -> int | None:
        if ctx.decision.hedge_after_ms is None:
            return None
        chain = ctx.decision.chain
        for j in range(i + 1, len(chain)):
            if self._skip_reason(chain[j]) is None:
                return j
        return None

    async def _first_token(self, ctx: RequestCtx, i: int) -> tuple[Call | None, int]:
        """Open chain[i] (hedged with the next usable model when the tier asks for it) until the
        first token. Returns the live call and the last chain index it used up."""
        chain = ctx.decision.chain
        j = self._partner(ctx, i)
        if j is None or ctx.decision.hedge_after_ms is None:
            return await self._open_with_retries(ctx, chain[i]), i
        primary = asyncio.create_task(self._open_with_retries(ctx, chain[i]))
        tasks = {primary}
        winner: Call | None = None
        handed: Call | None = None  # the call returned to the caller, who closes it
        try:
            done, _ = await asyncio.wait(tasks, timeout=ctx.decision.hedge_after_ms / 1000)
            if done:
                handed = primary.result()
                return handed, i
            ctx.hedged = True
            tasks.add(asyncio.create_task(self._open_with_retries(ctx, chain[j])))
            pending = set(tasks)
            while pending and winner is None:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for call in [c for t in done if (c := t.result()) is not None]:
                    if winner is None:
                        winner = call
                    else:
                        await self._abandon(call)
            if winner is None:
                return None, j
            handed = winner
            return winner, i if winner.model.key == chain[i] else j
        finally:
            for t in tasks:
                t.cancel()
            try:
                await asyncio.gather(*tasks, return_exceptions=True)
            except BaseException:  # cancelled while settling: the caller never gets the call
                handed = None
                raise
            finally:
                for call in ctx.calls:
                    if call is handed or call.outcome is not None:
                        continue
                    if winner is not None and call is not winner:
                        await self._abandon(call)
                    else:  # the request was cancelled once a call had opened: nobody else closes it
                        await close_stream(call)

    async def _abandon(self, call: Call) -> None:
        """A hedged call that lost the race: close it, record it as cancelled."""
        await close_stream(call)
        call.outcome, call.error_kind, call.ended = "cancelled", "hedge_lost", self._clock()
        self.breakers.get(call.model.provider, call.model.key).release()

    async def _open_with_retries(self, ctx: RequestCtx, key: str) -> Call | None:
        model = self.catalog.get(key)
        while True:
            if not self.breakers.get(model.provider, key).allow():
                ctx.attempts.append(Attempt(key, "breaker_open", f"{key}: circuit breaker open"))
                return None
            try:
                return await self._open(ctx, model)
            except ProviderError as err:
                delay = self._retry_delay(ctx, key, err)
                if delay is None:
                    return None
                await self._sleep(delay)

    async def _open(self, ctx: RequestCtx, model: ModelInfo) -> Call | None:
        """Send the request and read until the first token (or the end of an empty answer);
        None when the call would pass the request's cost ceiling (it is not made)."""
        req = ctx.build(model)
        estimate = upper_estimate(model, req)
        if (refused := refusal(ctx, model, estimate)) is not None:
            ctx.attempts.append(refused)
            self.breakers.get(model.provider, model.key).release()  # the probe it took was not used
            return None
        call = Call(model, self._clock(), estimate_input_tokens(req), clock=self._clock,
                    max_cost_usd=estimate)
        ctx.calls.append(call)
        ctx.tries[model.key] = ctx.tries.get(model.key, 0) + 1
        if ctx.on_attempt is not None:
            ctx.on_attempt(model.key)
        call.stream = (await self._pool.get(model)).stream(req)
        try:
            async with asyncio.timeout(max(self._remaining(ctx), 0.0)):
                await read_until(call, None, finish=False)
        except TimeoutError:
            await close_stream(call)
            err = FirstTokenTimeout("no first token within the request's latency budget",
                                    provider=model.provider, model=model.model_id)
            self._failed(ctx, call, err)
            raise err from None
        except ProviderError as err:
            await close_stream(call)
            self._failed(ctx, call, err)
            raise
        except BaseException:
            await close_stream(call)
            raise
        return call

    def _retry_delay(self, ctx: RequestCtx, key: str, err: ProviderError) -> float | None:
        """Seconds to wait before retrying `key`, or None to move on to the next model.

        A retry must fit in the remaining latency budget; when another model is ready, a retry
        that would eat more than half of what is left goes to that model instead.
        """
        tries = ctx.tries.get(key, 0)
        if not err.retryable or tries > self.policy.retry.max_retries:
            return None
        delay = backoff_delay(tries, self.policy.retry, err.retry_after_s, self._rng)
        remaining = self._remaining(ctx)
        if delay >= remaining:
            return None
        chain = ctx.decision.chain
        later = chain[chain.index(key) + 1 :] if key in chain else ()
        if delay > remaining / 2 and any(self._skip_reason(k) is None for k in later):
            return None
        return delay

    def _record(self, rows: list[RequestRow]) -> None:
        """Write the request's calls to the ledger (also when cancelled: runs in a finally)."""
        if self.ledger is None or not rows:
            return
        try:
            self.ledger.record_many(rows)
        except LedgerError as exc:  # the ledger must never break a request
            log.warning("ledger write failed: %s", exc)


def _set_delivered(ctx: RequestCtx) -> None:
    ctx.delivered = True


__all__ = [
    "AllModelsFailed",
    "Attempt",
    "BuildRequest",
    "Completion",
    "DeadlineExceeded",
    "DispatchPolicy",
    "Dispatcher",
    "Notice",
    "ProviderFactory",
    "config_provider_factory",
]
