"""``codeswitch/stats`` and ``codeswitch/lastRoute``: what the server spent, and why it routed as it did.

``codeswitch/stats`` (params ``{}``) answers the ledger's :meth:`Ledger.stats` as JSON (the same
object as ``codeswitch stats --json`` without the ``ledger`` path), priced against the workspace
tier's primary model. ``codeswitch/lastRoute`` (params ``{}``) answers the last routing decision
the server made (:class:`.protocol.RouteRecord`, kept by :mod:`.last_route`) or null before the
first one.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from pygls.exceptions import JsonRpcInternalError

from codeswitch.ledger import LedgerError, SpendStats, Stats
from codeswitch.routing import premium_model

from .protocol import LAST_ROUTE_METHOD, STATS_METHOD, RouteRecord

if TYPE_CHECKING:
    from codeswitch.lsp_server import CodeswitchServer

__all__ = ["LAST_ROUTE_METHOD", "STATS_METHOD", "last_route", "stats"]


async def stats(ls: CodeswitchServer, params: object) -> dict[str, object]:
    state = ls.state
    if state.ledger is None:  # not initialized yet, or the ledger could not be opened
        return Stats(None, SpendStats("all", 0, 0, 0, 0, 0, 0, 0, 0.0, 0), (), (), None).to_json()
    try:  # reads the file (after queued rows are written): in a worker thread, off the event loop
        spent = await asyncio.to_thread(state.ledger.stats, state.catalog, premium_model(state.config))
    except LedgerError as exc:
        raise JsonRpcInternalError(f"codeswitch/stats: {exc}") from None
    return spent.to_json()


def last_route(ls: CodeswitchServer, params: object) -> RouteRecord | None:
    return ls.state.last_route
