"""The cost shown before a request: typical (history, else a default output size), not the ceiling."""

from __future__ import annotations

import time
from pathlib import Path

from codeswitch.catalog import load_catalog
from codeswitch.config import Config
from codeswitch.handlers.cost_estimate import TYPICAL_OUTPUT_TOKENS, recent_request_costs, typical_cost
from codeswitch.ledger import Ledger, RequestRow
from codeswitch.routing import Budget, Health, route

CATALOG = load_catalog()
CODEX, OPUS = "gpt-5.3-codex", "claude-opus-4-6"


class _Scope:
    def __init__(self, scope: str, context_tokens: int) -> None:
        self.scope, self.context_tokens, self.confidence = scope, context_tokens, 1.0


def call(rid: str, model: str, tier: str, cost: float | None, *, parent: str | None = None,
         outcome: str = "ok", ago: float = 0.0) -> RequestRow:
    provider = CATALOG.get(model).provider
    return RequestRow(time.time() - ago, rid, "edit", tier, tier, provider, model, 1000, 0, 100, cost, 10.0,
                      50.0, outcome, parent_id=parent)


def test_without_history_the_context_is_priced_with_a_typical_output() -> None:
    want = CATALOG.get(CODEX).cost_usd(3000, TYPICAL_OUTPUT_TOKENS["function"])
    assert typical_cost(None, CATALOG, "function", CODEX, 3000) == want


def test_the_typical_figure_is_well_below_the_routing_ceiling() -> None:
    config = Config()
    decision = route(_Scope("function", 3000), config, CATALOG, Health(), Budget.from_config(config),
                     frozenset(config.providers))
    ceiling = decision.signals["estimated_cost_usd"][CODEX]  # type: ignore[index]
    typical = typical_cost(None, CATALOG, "function", CODEX, 3000)
    assert typical is not None and typical * 4 < ceiling


def test_history_gives_the_median_cost_of_past_requests(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite3") as ledger:
        ledger.record(call("a", CODEX, "function", 0.001, ago=30),
                      call("b", CODEX, "function", 0.002, ago=20),
                      call("c", CODEX, "function", 0.009, ago=10),
                      call("d", CODEX, "function", None),  # unknown price: left out
                      call("e", OPUS, "function", 0.5))  # another model
        ledger.flush()  # the estimate reads the file as it is, never waiting for the writer thread
        assert typical_cost(ledger, CATALOG, "function", CODEX, 3000) == 0.002


def test_a_team_run_counts_as_one_request_with_all_its_calls(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite3") as ledger:
        ledger.record(*(call(f"r1-{i}", OPUS, "workspace", 0.01, parent="run-1") for i in range(4)))
        ledger.record(*(call(f"r2-{i}", OPUS, "workspace", 0.02, parent="run-2") for i in range(3)))
        ledger.flush()
        assert sorted(recent_request_costs(ledger, "workspace", OPUS)) == [0.04, 0.06]
        assert typical_cost(ledger, CATALOG, "workspace", OPUS, 8000) == 0.05


def test_an_unknown_model_has_no_estimate() -> None:
    assert typical_cost(None, CATALOG, "function", "no-such-model", 3000) is None
