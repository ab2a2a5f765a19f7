"""``codeswitch/stats`` and ``codeswitch/lastRoute``: what the server spent, and why it routed as it did.

``codeswitch/stats`` (params ``{}``) answers the ledger's :meth:`Ledger.stats` as JSON (the same
object as ``codeswitch stats --json`` without the ``ledger`` path), priced against the workspace
tier's primary model. ``codeswitch/lastRoute`` (params ``{}``) answers the last routing decision
the server made — ``{method, uri, scope, tier, model_chain, cause, signals, reasons, served_by,
at}`` — or null before the first one. Handlers that route a request call :func:`remember_route`
where the decision is made and :func:`mark_served` once a model answered.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

from pygls.exceptions import JsonRpcInternalError

from codeswitch.cli.stats import premium_model
from codeswitch.handlers.status import STATUS_NOTIFICATION as STATUS_NOTIFICATION
from codeswitch.ledger import Ledger, LedgerError, SpendStats, Stats
from codeswitch.routing import RouteDecision

if TYPE_CHECKING:
    from codeswitch.server import CodeswitchServer

STATS_METHOD = "codeswitch/stats"
LAST_ROUTE_METHOD = "codeswitch/lastRoute"


@dataclass(frozen=True, slots=True)
class RouteRecord:
    """One routing decision, explained: the ``codeswitch/lastRoute`` result."""

    method: str
    uri: str | None
    scope: str
    tier: str
    model_chain: tuple[str, ...]
    cause: str
    signals: Mapping[str, object]
    reasons: tuple[str, ...]
    served_by: str | None
    at: float  # unix time of the decision

    def to_json(self) -> dict[str, object]:
        return {
            "method": self.method, "uri": self.uri, "scope": self.scope, "tier": self.tier,
            "model_chain": list(self.model_chain), "cause": self.cause, "signals": _jsonable(self.signals),
            "reasons": list(self.reasons), "served_by": self.served_by, "at": self.at,
        }


class RouteHost(Protocol):
    """Where the last decision is kept (``server.State`` fits)."""

    last_route: RouteRecord | None


def _jsonable(value: object) -> Any:
    """Signals are plain data by contract; anything else becomes its string form."""
    return json.loads(json.dumps(value, default=str))


def remember_route(host: RouteHost, method: str, uri: str | None, decision: RouteDecision,
                   reasons: tuple[str, ...] = (), *, now: float | None = None) -> RouteRecord:
    """Record a decision as the server's last route (served_by is filled by :func:`mark_served`)."""
    record = RouteRecord(method, uri, decision.scope, decision.tier, decision.chain, decision.cause,
                         dict(decision.signals), tuple(reasons), None, time.time() if now is None else now)
    host.last_route = record
    return record


def mark_served(host: RouteHost, record: RouteRecord, model: str | None) -> None:
    """The model that served ``record``'s request (only if no newer decision replaced it)."""
    if host.last_route is record and model is not None:
        host.last_route = replace(record, served_by=model)


def status_params(ledger: Ledger | None, model: str, tier: str) -> dict[str, object]:
    """The ``codeswitch/status`` notification's params (today's spend is read from memory)."""
    spent = ledger.spent_today() if ledger is not None else None
    return {"model": model, "tier": tier, "spentTodayUsd": None if spent is None else round(spent, 6)}


def served(ls: CodeswitchServer, record: RouteRecord, model: str | None) -> None:
    """An edit or refactor was served: keep it as the last route's server and tell the client."""
    mark_served(ls.state, record, model)
    if model is not None:
        ls.state.status.post(ls.protocol.notify, status_params(ls.state.ledger, model, record.tier), now=True)


async def stats(ls: CodeswitchServer, params: object) -> dict[str, object]:
    state = ls.state
    if state.ledger is None:  # not initialized yet, or the ledger could not be opened
        return Stats(None, SpendStats("all", 0, 0, 0, 0, 0, 0, 0, 0.0, 0), (), (), None).to_json()
    try:  # reads the file (after queued rows are written): in a worker thread, off the event loop
        spent = await asyncio.to_thread(state.ledger.stats, state.catalog, premium_model(state.config))
    except LedgerError as exc:
        raise JsonRpcInternalError(f"codeswitch/stats: {exc}") from None
    return spent.to_json()


def last_route(ls: CodeswitchServer, params: object) -> dict[str, object] | None:
    record = ls.state.last_route
    return record.to_json() if record is not None else None
