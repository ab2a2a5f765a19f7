"""The ledger's aggregates: spend by tier, model and agent, acceptance, the premium-only comparison.

``read_stats`` runs the aggregation in SQL on a connection to the ledger file (one indexed scan per
figure, however many keystrokes the ledger holds); ``Ledger.stats`` calls it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from codeswitch.catalog import Catalog


def read_stats(db: sqlite3.Connection, catalog: Catalog, premium_key: str | None,
           since: float | None = None) -> Stats:
    """Spend by tier and model, acceptance per model, and the premium-only comparison.

    `premium_key` is the model every request is priced against ("what if everything had gone
    to the workspace tier's primary model"); None or a model without a price skips it.
    Aggregation happens in SQL, so a year of keystrokes costs one indexed scan.
    """
    lo = since if since is not None else float("-inf")
    (total,) = db.execute(f"SELECT 'all', {_SUMS} FROM requests WHERE ts >= ?", (lo,))
    tiers = db.execute(
        f"SELECT tier, {_SUMS} FROM requests WHERE ts >= ? GROUP BY tier ORDER BY tier", (lo,)
    ).fetchall()
    agents = db.execute(
        f"SELECT role, {_SUMS} FROM requests WHERE ts >= ? AND role IS NOT NULL"
        " GROUP BY role ORDER BY role", (lo,)
    ).fetchall()
    models = {r[0]: r for r in db.execute(
        f"SELECT model_key, {_SUMS}, COUNT(DISTINCT CASE WHEN outcome = 'ok' AND kind = 'inline'"
        " THEN request_id END) FROM requests WHERE ts >= ? GROUP BY model_key", (lo,))}
    accepted = {r[0]: r[1:] for r in db.execute(
        "SELECT model_key, COUNT(DISTINCT request_id), SUM(full), SUM(accepted_chars)"
        " FROM acceptances WHERE ts >= ? GROUP BY model_key", (lo,))}
    served = db.execute(
        "SELECT COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0),"
        " COALESCE(SUM(MIN(cached_input_tokens, input_tokens)), 0), COALESCE(SUM(cache_write_tokens), 0)"
        " FROM requests WHERE ts >= ? AND outcome = 'ok'", (lo,)).fetchone()
    by_model = []
    for key in sorted(set(models) | set(accepted)):
        row = models.get(key) or (key, 0, 0, 0, 0, 0, 0, 0, 0.0, 0, 0)
        n, full, chars = accepted.get(key, (0, 0, 0))
        inline_served = int(row[-1])
        rate = min(n / inline_served, 1.0) if inline_served else None
        by_model.append(ModelStats(*_spend(row[:-1]), inline_served, int(n), int(full or 0),
                                   int(chars or 0), rate))
    totals = SpendStats(*_spend(total))
    premium = catalog.models.get(premium_key) if premium_key else None
    comparison = None
    if premium is not None and premium.price_known:
        inp, out, cached, written = (int(x) for x in served)
        premium_usd = premium.cost_usd(inp, out, cached, written) or 0.0
        comparison = PremiumComparison(premium.key, round(premium_usd, 6),
                                       totals.cost_usd, totals.unknown_cost_calls)
    return Stats(since, totals, tuple(SpendStats(*_spend(t)) for t in tiers), tuple(by_model), comparison,
                 tuple(SpendStats(*_spend(a)) for a in agents))


# The aggregate columns behind SpendStats, in its field order after `name`.
# A user request is counted once: the agent team's calls each have their own request_id but share
# the run's id as parent_id.
_SUMS = (
    "COUNT(DISTINCT COALESCE(parent_id, request_id)), COUNT(*), COALESCE(SUM(outcome = 'ok'), 0),"
    " COALESCE(SUM(outcome IN ('fallback', 'error')), 0), COALESCE(SUM(outcome = 'cancelled'), 0),"
    " COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0), COALESCE(SUM(cost_usd), 0.0),"
    " COALESCE(SUM(cost_usd IS NULL AND (input_tokens > 0 OR output_tokens > 0)), 0)"
)


def _spend(row: Sequence[Any]) -> tuple[str, int, int, int, int, int, int, int, float, int]:
    """One aggregate row (name + _SUMS) as SpendStats arguments."""
    name, requests, calls, ok, failed, cancelled, tin, tout, cost, unknown = row
    return (str(name), int(requests), int(calls), int(ok), int(failed), int(cancelled), int(tin), int(tout),
            round(float(cost), 6), int(unknown))


@dataclass(frozen=True, slots=True)
class SpendStats:
    """Counts and dollars for one tier (or all rows). `cost_usd` covers known prices only;
    `unknown_cost_calls` counts calls that used tokens at an unpublished price."""

    name: str
    requests: int
    calls: int
    served: int
    failed: int
    cancelled: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    unknown_cost_calls: int


@dataclass(frozen=True, slots=True)
class ModelStats(SpendStats):
    """SpendStats for one model plus inline acceptance: accepted / inline completions served."""

    inline_served: int = 0
    accepted: int = 0
    accepted_full: int = 0
    accepted_chars: int = 0
    acceptance_rate: float | None = None


@dataclass(frozen=True, slots=True)
class PremiumComparison:
    """What the served calls would have cost on `model_key` alone, next to what they did cost.

    The actual figure omits `unknown_cost_calls` (unpublished prices), so a saving computed while
    that count is non-zero is an upper bound.
    """

    model_key: str
    premium_only_usd: float
    actual_usd: float
    unknown_cost_calls: int


@dataclass(frozen=True, slots=True)
class Stats:
    since: float | None
    totals: SpendStats
    by_tier: tuple[SpendStats, ...]
    by_model: tuple[ModelStats, ...]
    premium: PremiumComparison | None
    #: spend per agent of the workspace team (the ``role`` column: lead, teammate 1, ...)
    by_agent: tuple[SpendStats, ...] = ()

    def to_json(self) -> dict[str, object]:
        """Plain JSON (the `codeswitch stats --json` output and the `codeswitch/stats` result).

        ``by_agent`` is present only when the ledger holds agent-team calls.
        """
        out: dict[str, object] = {
            "since": self.since,
            "totals": asdict(self.totals),
            "by_tier": [asdict(t) for t in self.by_tier],
            "by_model": [asdict(m) for m in self.by_model],
            "premium": asdict(self.premium) if self.premium is not None else None,
        }
        if self.by_agent:
            out["by_agent"] = [asdict(a) for a in self.by_agent]
        return out
