"""What a request will typically cost: the figure shown before it runs (action titles, progress).

Routing prices a request at its worst case, the whole context in and the tier's full
``max_output_tokens`` out, to check it against the budget; shown to a user, that ceiling reads as
ten to twenty times the usual bill ("est. $0.116" for an edit that cost $0.0015). The typical
estimate is the median cost of the last requests of the same tier served by the same model (the
ledger's history: every call of a request, an agent team's included), or, with no history yet, the
context priced with a typical output size per tier (``TYPICAL_OUTPUT_TOKENS``). The ceiling stays
what the budget check uses.
"""

from __future__ import annotations

import logging
import statistics

from codeswitch.catalog import Catalog
from codeswitch.ledger import Ledger, LedgerError

log = logging.getLogger(__name__)

#: output tokens assumed for a request with no history: a short completion, a rewritten function,
#: and a team's planning, edits and review across a few files
TYPICAL_OUTPUT_TOKENS = {"inline": 40, "function": 500, "workspace": 4000}
#: past requests the median is taken over, at most, and how far back they may lie
HISTORY = 20
HISTORY_DAYS = 30.0
#: the cost of each recent user request (all its calls: an agent team's share the run as parent_id)
#: of a tier that the model served; requests with a call at an unknown price are left out
_RECENT = ("SELECT SUM(cost_usd) FROM requests WHERE ts >= ? AND tier = ?"
           " GROUP BY COALESCE(parent_id, request_id)"
           " HAVING SUM(model_key = ? AND outcome = 'ok') > 0 AND COUNT(cost_usd) = COUNT(*)"
           " ORDER BY MAX(ts) DESC LIMIT ?")


def recent_request_costs(ledger: Ledger, tier: str, model_key: str, *, last: int = HISTORY) -> list[float]:
    """What the last ``last`` user requests of ``tier`` served by ``model_key`` cost, newest first."""
    try:
        since = ledger.now() - HISTORY_DAYS * 86400  # what the file holds now: never waits on the writer
        rows = ledger.query(_RECENT, (since, tier, model_key, last), fresh=False)
    except LedgerError as exc:
        log.warning("cannot read past costs: %s", exc)
        return []
    return [float(r[0]) for r in rows if isinstance(r[0], int | float)]


def typical_cost(ledger: Ledger | None, catalog: Catalog, tier: str, model_key: str,
                 input_tokens: int) -> float | None:
    """The typical cost in dollars of a request of ``tier`` served by ``model_key``; None when the
    model's price is unknown (and there is no history)."""
    if ledger is not None:
        past = recent_request_costs(ledger, tier, model_key)
        if past:
            return statistics.median(past)
    if model_key not in catalog:
        return None
    output = TYPICAL_OUTPUT_TOKENS.get(tier, TYPICAL_OUTPUT_TOKENS["function"])
    return catalog.get(model_key).cost_usd(max(input_tokens, 0), output)
