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

import statistics

from codeswitch.catalog import Catalog
from codeswitch.ledger import Ledger

#: output tokens assumed for a request with no history: a short completion, a rewritten function,
#: and a team's planning, edits and review across a few files
TYPICAL_OUTPUT_TOKENS = {"inline": 40, "function": 500, "workspace": 4000}
#: past requests the median is taken over, at most
HISTORY = 20


def typical_cost(ledger: Ledger | None, catalog: Catalog, tier: str, model_key: str,
                 input_tokens: int) -> float | None:
    """The typical cost in dollars of a request of ``tier`` served by ``model_key``; None when the
    model's price is unknown (and there is no history)."""
    if ledger is not None:
        past = ledger.recent_request_costs(tier, model_key, last=HISTORY)
        if past:
            return statistics.median(past)
    if model_key not in catalog:
        return None
    output = TYPICAL_OUTPUT_TOKENS.get(tier, TYPICAL_OUTPUT_TOKENS["function"])
    return catalog.get(model_key).cost_usd(max(input_tokens, 0), output)
