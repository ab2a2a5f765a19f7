"""The last routing decision, explained (the ``codeswitch/lastRoute`` result), and the status notification.

Handlers that route a request call :func:`remember_route` where the decision is made and
:func:`mark_served` once a model answered (:func:`.request.background_request` does both for the
requests it runs); :func:`status_params` is the ``codeswitch/status`` notification that tells the
client which model served and today's spend.
"""

from __future__ import annotations

import json
import time
from typing import Any, Protocol

import attrs

from codeswitch.ledger import Ledger
from codeswitch.routing import RouteDecision

from .protocol import STATUS_NOTIFICATION, RouteRecord, StatusParams

__all__ = ["STATUS_NOTIFICATION", "RouteHost", "RouteRecord", "mark_served", "remember_route",
           "status_params"]


class RouteHost(Protocol):
    """Where the last decision is kept (``handlers.state.State`` fits)."""

    last_route: RouteRecord | None


def _jsonable(value: object) -> Any:
    """Signals are plain data by contract; anything else becomes its string form."""
    return json.loads(json.dumps(value, default=str))


def remember_route(host: RouteHost, method: str, uri: str | None, decision: RouteDecision,
                   reasons: tuple[str, ...] = (), *, now: float | None = None) -> RouteRecord:
    """Record a decision as the server's last route (served_by is filled by :func:`mark_served`)."""
    record = RouteRecord(method, uri, decision.scope, decision.tier, tuple(decision.chain), decision.cause,
                         _jsonable(dict(decision.signals)), tuple(reasons), None,
                         time.time() if now is None else now)
    host.last_route = record
    return record


def mark_served(host: RouteHost, record: RouteRecord, model: str | None) -> None:
    """The model that served ``record``'s request (only if no newer decision replaced it)."""
    if host.last_route is record and model is not None:
        host.last_route = attrs.evolve(record, served_by=model)


def status_params(ledger: Ledger | None, model: str, tier: str) -> StatusParams:
    """The ``codeswitch/status`` notification's params."""
    spent = ledger.spent_today() if ledger is not None else None
    return StatusParams(model, tier, None if spent is None else round(spent, 6))
