"""``codeswitch/stats`` and ``codeswitch/lastRoute``: what the server spent, and why it routed as it did.

``codeswitch/stats`` (params ``{}``) answers the ledger's :meth:`Ledger.stats` as JSON (the same
object as ``codeswitch stats --json`` without the ``ledger`` path), priced against the workspace
tier's primary model. ``codeswitch/lastRoute`` (params ``{}``) answers the last routing decision
the server made — ``{method, uri, scope, tier, model_chain, cause, signals, reasons, served_by,
at}`` — or null before the first one (kept by :mod:`.last_route`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pygls.exceptions import JsonRpcInternalError

from codeswitch.ledger import LedgerError, SpendStats, Stats
from codeswitch.routing import premium_model

from .last_route import STATUS_NOTIFICATION, RouteRecord, mark_served, status_params

if TYPE_CHECKING:
    from codeswitch.lsp_server import CodeswitchServer

STATS_METHOD = "codeswitch/stats"
LAST_ROUTE_METHOD = "codeswitch/lastRoute"


def served(ls: CodeswitchServer, record: RouteRecord, model: str | None) -> None:
    """An edit or refactor was served: keep it as the last route's server and tell the client."""
    mark_served(ls.state, record, model)
    if model is not None:
        ls.protocol.notify(STATUS_NOTIFICATION, status_params(ls.state.ledger, model, record.tier))


def stats(ls: CodeswitchServer, params: object) -> dict[str, object]:
    state = ls.state
    if state.ledger is None:  # not initialized yet, or the ledger could not be opened
        return Stats(None, SpendStats("all", 0, 0, 0, 0, 0, 0, 0, 0.0, 0), (), (), None).to_json()
    try:
        spent = state.ledger.stats(state.catalog, premium_model(state.config))
    except LedgerError as exc:
        raise JsonRpcInternalError(f"codeswitch/stats: {exc}") from None
    return spent.to_json()


def last_route(ls: CodeswitchServer, params: object) -> dict[str, object] | None:
    record = ls.state.last_route
    return record.to_json() if record is not None else None
