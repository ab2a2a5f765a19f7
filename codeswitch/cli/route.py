"""``codeswitch route``: the routing decision for one request, explained for a person.

Same inputs as ``codeswitch scope``; prints the scope, the tier, the model chain in order, the
models that were skipped and why, and the limits the request would run under.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from codeswitch.cli import summary, usage_json
from codeswitch.cli.pipeline import CaseError, Pipeline, Routed
from codeswitch.cli.problems import print_problems
from codeswitch.cli.scope import add_case_arguments, case_from_args, result_json


def register(sub: Any) -> None:
    p = sub.add_parser("route", help="explain which models would serve a request, and why",
                       description=summary(__doc__))
    add_case_arguments(p)
    p.add_argument("--json", action="store_true", help="print the decision as JSON")
    p.set_defaults(func=run)


def _money(value: object) -> str:
    return "unknown" if value is None else f"${float(value):.4f}"  # type: ignore[arg-type]


def explain(routed: Routed) -> str:
    """A few lines a person can read: what was decided and the reasons behind it."""
    scope, d = routed.scope, routed.decision
    lines = [f"scope      {scope.scope}  (confidence {scope.confidence:.2f}, ~{scope.context_tokens} tokens)"]
    if scope.anchor_name or scope.anchor_kind:
        lines.append(f"anchor     {scope.anchor_kind or ''} {scope.anchor_name or ''}".rstrip())
    if scope.files:
        lines.append(f"files      {', '.join(scope.files)}")
    lines.append(f"tier       {d.tier}")
    costs = d.signals.get("estimated_cost_usd", {})
    if d.chain:
        for i, key in enumerate(d.chain, 1):
            est = costs.get(key) if isinstance(costs, dict) else None
            lines.append(f"{'chain' if i == 1 else '':<10} {i}. {key}  (at most {_money(est)})")
    else:
        lines.append("chain      (empty: this request cannot be served)")
    for key, why in d.skipped:
        lines.append(f"skipped    {key}: {why}")
    ceiling = "none" if d.cost_ceiling_usd is None else f"${d.cost_ceiling_usd:.2f}"
    lines.append(f"limits     {d.max_output_tokens} output tokens, {d.latency_budget_ms} ms, "
                 f"cost ceiling {ceiling}")
    if routed.keys_assumed:
        lines.append("note       no provider API key found: routed as if every provider had one")
    lines.append("why")
    lines.extend(f"  - {r}" for r in scope.reasons)
    lines.append(f"  - {d.cause}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    case = case_from_args(args)
    if case is None:
        message = "codeswitch route: give --file, --line and --character"
        if args.json:
            print(usage_json(message))
        print(message, file=sys.stderr)
        return 2
    try:
        routed = Pipeline(on_problems=lambda problems: print_problems(problems, "codeswitch route")).run(case)
    except CaseError as exc:  # a missing file, a bad position...: the arguments cannot be used
        if args.json:
            print(json.dumps({"id": None, "error": {"kind": exc.kind, "message": exc.message}}))
        print(f"codeswitch route: {exc.message}", file=sys.stderr)
        return 2
    if args.json:
        out = result_json(routed)
        d = routed.decision
        out["decision"] = {"cause": d.cause, "skipped": [list(s) for s in d.skipped],
                           "signals": dict(d.signals), "max_output_tokens": d.max_output_tokens,
                           "latency_budget_ms": d.latency_budget_ms, "cost_ceiling_usd": d.cost_ceiling_usd}
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(explain(routed))
    return 0
