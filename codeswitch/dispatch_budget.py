"""The per-request cost ceiling, enforced call by call.

The router drops models whose estimated cost exceeds the ceiling (``RouteDecision.cost_ceiling_usd``:
the per-request limit, capped by what is left of today's budget), but one request can make several
calls: retries, fallbacks after a failure, a hedged second model. Before each call the dispatcher
adds what the request's calls so far cost (a call still in flight counts at its upper estimate) to
this call's upper estimate (the whole prompt at the input price, or the cache-write price when the
request asks for prompt caching, plus ``max_tokens`` of output); a call that would go past the
ceiling is not made. Its attempt says so (kind ``cost_ceiling``), and a request that ends without
an answer because of it fails with :class:`CostCeilingReached`. Calls at an unpublished price cannot
be priced and are not held back (the router already flags them).
"""

from __future__ import annotations

from codeswitch.catalog import ModelInfo
from codeswitch.dispatch_call import AllModelsFailed, Attempt, Call, RequestCtx, estimate_input_tokens
from codeswitch.providers import CompletionRequest, TextBlock

CEILING_KIND = "cost_ceiling"


class CostCeilingReached(AllModelsFailed):
    """No model served the request and at least one call was held back by the cost ceiling."""

    kind = CEILING_KIND


def wants_cache(req: CompletionRequest) -> bool:
    if req.cache_system:
        return True
    return any(isinstance(b, TextBlock) and b.cache for m in req.messages for b in m.blocks())


def upper_estimate(model: ModelInfo, req: CompletionRequest) -> float | None:
    """The most this call can cost (None when the model's price is not published)."""
    tokens = estimate_input_tokens(req)
    written = tokens if wants_cache(req) and (model.price_cache_write_in or 0) > (model.price_in or 0) else 0
    return model.cost_usd(tokens, req.max_tokens, 0, written)


def committed_usd(calls: list[Call]) -> float:
    """What the request's calls cost so far: known costs of finished calls, estimates of live ones."""
    total = 0.0
    for call in calls:
        cost = call.cost_usd() if call.outcome is not None else call.max_cost_usd
        total += cost or 0.0
    return total


def refusal(ctx: RequestCtx, model: ModelInfo, estimate: float | None) -> Attempt | None:
    """The attempt to record when a call to `model` would pass the ceiling, else None."""
    ceiling = ctx.decision.cost_ceiling_usd
    if ceiling is None or estimate is None or estimate <= 0:
        return None
    spent = committed_usd(ctx.calls)
    if spent + estimate <= ceiling:
        return None
    left = max(ceiling - spent, 0.0)
    return Attempt(model.key, CEILING_KIND,
                   f"{model.key}: not called: up to ${estimate:.4f} would exceed the ${left:.4f} left of "
                   f"the request's cost ceiling ${ceiling:.4f} (budget.per_request_usd / budget.daily_usd)")


def ceiling_failure(ctx: RequestCtx, summary: str) -> CostCeilingReached | None:
    """The error for a failed request when the ceiling held a call back (None when it did not)."""
    if not any(a.kind == CEILING_KIND for a in ctx.attempts):
        return None
    ceiling = ctx.decision.cost_ceiling_usd or 0.0
    return CostCeilingReached(
        f"stopped at the request's cost ceiling of ${ceiling:.4f} after spending "
        f"${committed_usd(ctx.calls):.4f} ({summary})", ctx.attempts)
