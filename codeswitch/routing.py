"""The routing decision: which models serve a request, in which order, within which limits.

``route`` is pure and cheap (no I/O, a few dict look-ups per model): it maps the scope to a tier,
takes that tier's chain from the config and drops, in order, models that are unknown, whose
provider has no key, that are unavailable or cooling down, whose context window cannot hold the
request, or whose estimated cost breaks the per-request ceiling or the remaining daily budget.
When a tier has nothing left because the request does not fit, the broader tiers' models are
tried (escalation). Every decision says why in ``cause`` (one sentence for a person),
``signals`` (machine-readable facts) and ``skipped`` ((model, why) for each dropped model).
An empty chain is a valid decision: the caller reports its cause to the user.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from codeswitch.catalog import Catalog, ModelInfo
from codeswitch.config import TIERS, Config


class RoutedScope(Protocol):
    """The part of ``codeswitch.scope.Scope`` routing reads (any Scope satisfies it)."""

    @property
    def scope(self) -> str: ...
    @property
    def context_tokens(self) -> int: ...
    @property
    def confidence(self) -> float: ...


@dataclass(frozen=True, slots=True)
class Health:
    """Provider health as the dispatcher sees it, by model key."""

    unavailable: frozenset[str] = frozenset()
    cooling: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Budget:
    """Dollar limits for this request; None disables a limit."""

    per_request_usd: float | None = None
    daily_usd: float | None = None
    spent_today_usd: float = 0.0

    @classmethod
    def from_config(cls, config: Config, spent_today_usd: float = 0.0) -> Budget:
        return cls(config.budget.per_request_usd, config.budget.daily_usd, spent_today_usd)

    @property
    def ceiling_usd(self) -> float | None:
        """The most one request may cost: the per-request limit, capped by what is left today."""
        limits = [x for x in (self.per_request_usd, self.remaining_today_usd) if x is not None]
        return min(limits) if limits else None

    @property
    def remaining_today_usd(self) -> float | None:
        return None if self.daily_usd is None else self.daily_usd - self.spent_today_usd


@dataclass(frozen=True, slots=True)
class RouteDecision:
    """The models to try (catalog keys, best first) and the limits they run under."""

    tier: str
    scope: str
    chain: tuple[str, ...]
    max_output_tokens: int
    latency_budget_ms: int
    cost_ceiling_usd: float | None
    cause: str
    signals: Mapping[str, object] = field(default_factory=dict)
    skipped: tuple[tuple[str, str], ...] = ()
    hedge_after_ms: int | None = None


def _k(tokens: int) -> str:
    if tokens >= 1_000_000 and tokens % 1_000_000 == 0:
        return f"{tokens // 1_000_000}M"
    return f"{tokens / 1000:.0f}K" if tokens >= 1000 else str(tokens)


def estimate_cost(model: ModelInfo, context_tokens: int, output_tokens: int) -> float | None:
    """Upper estimate of one call: the whole context at the input price plus the full output."""
    return model.cost_usd(context_tokens, output_tokens)


def _why_not(model: ModelInfo, *, keys: frozenset[str], health: Health, needed: int,
             cost: float | None, budget: Budget, fill: float = 1.0) -> str | None:
    if model.provider not in keys:
        return f"no API key for provider {model.provider}"
    if model.key in health.unavailable:
        return "marked unavailable"
    if model.key in health.cooling:
        return "cooling down after recent failures"
    if model.context_window < needed:
        return f"context window {_k(model.context_window)} < needed {_k(needed)}"
    if fill < 1.0 and model.context_window * fill < needed:
        usable = int(model.context_window * fill)
        return (f"context window {_k(model.context_window)} holds {_k(usable)} at this tier's "
                f"{fill:.0%} fill < needed {_k(needed)}")
    ceiling = budget.ceiling_usd
    remaining = budget.remaining_today_usd
    if cost is None:
        if remaining is not None and remaining <= 0:
            return "price unknown and the daily budget is used up"
        return None
    if cost > 0 and ceiling is not None and cost > ceiling:
        if remaining is not None and ceiling == remaining:
            return f"estimated ${cost:.4f} exceeds the ${max(remaining, 0.0):.2f} left of today's budget"
        return f"estimated ${cost:.4f} exceeds the per-request ceiling ${ceiling:.2f}"
    return None


def route(scope: RoutedScope, config: Config, catalog: Catalog, health: Health, budget: Budget,
          keys: frozenset[str]) -> RouteDecision:
    """Pick the chain for ``scope``; pure. ``keys`` are the providers that can be called."""
    tier_name = scope.scope if scope.scope in config.tiers else "function"
    tier = config.tiers[tier_name]
    needed = scope.context_tokens + tier.max_output_tokens
    chain: list[str] = []
    skipped: list[tuple[str, str]] = []
    costs: dict[str, float | None] = {}
    too_small = 0
    seen: set[str] = set()

    def consider(key: str) -> None:
        nonlocal too_small
        if key in seen:
            return
        seen.add(key)
        model = catalog.models.get(key)
        if model is None:
            skipped.append((key, "not in the catalog"))
            return
        cost = estimate_cost(model, scope.context_tokens, tier.max_output_tokens)
        why = _why_not(model, keys=keys, health=health, needed=needed, cost=cost, budget=budget,
                       fill=tier.max_context_fill)
        if why is None:
            chain.append(key)
            costs[key] = None if cost is None else round(cost, 6)
        else:
            too_small += why.startswith("context window")
            skipped.append((key, why))

    for key in tier.chain:
        consider(key)
    escalated_to: str | None = None
    if not chain and too_small and tier_name in TIERS:  # other tiers (analysis) pick by size alone
        for broader in TIERS[TIERS.index(tier_name) + 1 if tier_name in TIERS else 0 :]:
            for key in config.tiers.get(broader, tier).chain:
                consider(key)
            if chain:
                escalated_to = broader
                break

    unknown_price = [k for k in chain if costs.get(k) is None]
    signals: dict[str, object] = {
        "scope": scope.scope,
        "confidence": scope.confidence,
        "context_tokens": scope.context_tokens,
        "needed_tokens": needed,
        "providers_with_keys": sorted(keys),
        "estimated_cost_usd": costs,
        "unknown_price": unknown_price,
        "cost_ceiling_usd": budget.ceiling_usd,
    }
    if escalated_to:
        signals["escalated_to"] = escalated_to
    cause = _cause(scope.scope, tier_name, chain, skipped, escalated_to, costs, needed)
    return RouteDecision(
        tier=tier_name,
        scope=scope.scope,
        chain=tuple(chain),
        max_output_tokens=tier.max_output_tokens,
        latency_budget_ms=tier.latency_budget_ms,
        cost_ceiling_usd=budget.ceiling_usd,
        cause=cause,
        signals=signals,
        skipped=tuple(skipped),
        hedge_after_ms=tier.hedge_after_ms,
    )


def _cause(scope: str, tier: str, chain: list[str], skipped: list[tuple[str, str]],
           escalated_to: str | None, costs: Mapping[str, float | None], needed: int) -> str:
    head = f"{scope} request -> {tier} tier"
    if not chain:
        if not skipped:
            return f"{head}: the {tier} chain is empty in the configuration"
        reasons = "; ".join(f"{k}: {why}" for k, why in skipped)
        return f"{head}: no model can serve it ({reasons})"
    first = chain[0]
    cost = costs.get(first)
    price = "price unknown" if cost is None else f"est. ${cost:.4f}"
    text = f"{head}: {first} ({price}, needs {_k(needed)} tokens)"
    if escalated_to:
        text += f", escalated to the {escalated_to} tier's models because the context does not fit"
    before = [f"{k} ({why})" for k, why in skipped if chain and k not in chain]
    if before:
        text += "; skipped " + ", ".join(before)
    if len(chain) > 1:
        text += "; then " + ", ".join(chain[1:])
    return text
