"""The one way a handler routes a scope: the server's config, provider health, keys and budget.

Every request that routes (inline, completion, edit, quick edit, refactor, ``codeswitch/scope``)
calls :func:`route_for`, so the budget is always today's spend against the config's limits.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from codeswitch.catalog import Catalog
from codeswitch.config import Config
from codeswitch.dispatch import Dispatcher
from codeswitch.ledger import Ledger
from codeswitch.routing import Budget, Health, RouteDecision, RoutedScope, route


class RouteInputs(Protocol):
    """What routing reads of a server's state (``State`` fits)."""

    config: Config
    catalog: Catalog
    dispatcher: Dispatcher | None
    ledger: Ledger | None
    root: Path | None

    def keys(self) -> frozenset[str]: ...


def route_for(host: RouteInputs, scope: RoutedScope) -> RouteDecision:
    """The route for a scope with the server's config, provider health, keys and today's budget."""
    spent = host.ledger.spent_today() if host.ledger is not None else 0.0
    health = host.dispatcher.health() if host.dispatcher is not None else Health()
    budget = Budget.from_config(host.config, spent)
    return route(scope, host.config, host.catalog, health, budget, host.keys())
