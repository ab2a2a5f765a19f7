"""The last routing decision, explained (the ``codeswitch/lastRoute`` result), and the status notification.

Handlers that route a request call :func:`remember_route` where the decision is made and
:func:`mark_served` once a model answered; ``codeswitch/status`` (:data:`STATUS_NOTIFICATION`) tells
the client which model served and today's spend.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from codeswitch.ledger import Ledger
from codeswitch.routing import RouteDecision

#: server -> client after each served request: the model and today's spend (status bars)
STATUS_NOTIFICATION = "codeswitch/status"


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
    """Where the last decision is kept (``handlers.state.State`` fits)."""

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
    """The ``codeswitch/status`` notification's params."""
    spent = ledger.spent_today() if ledger is not None else None
    return {"model": model, "tier": tier, "spentTodayUsd": None if spent is None else round(spent, 6)}
