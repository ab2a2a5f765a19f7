"""``codeswitch stats``: what the models cost, how often their suggestions were kept, and what
routing saved compared with sending everything to the premium model.

Reads the ledger (``$XDG_DATA_HOME/codeswitch/ledger.sqlite3``) shared by every editor window.
Prices come from the catalog; calls to models with unpublished prices are counted, not guessed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from codeswitch.cli import summary
from codeswitch.cli.problems import print_problems
from codeswitch.config import Config, config_catalog, load_config
from codeswitch.ledger import Ledger, LedgerError, SpendStats, Stats, default_path
from codeswitch.wording import plural


def register(sub: Any) -> None:
    p = sub.add_parser("stats", help="spend by tier and model, acceptance, premium-only comparison",
                       description=summary(__doc__))
    p.add_argument("--root", default=".", help="workspace root whose .codeswitch.toml to read")
    p.add_argument("--days", type=float, default=None, help="only the last N days (default: all)")
    p.add_argument("--ledger", default=None, help="ledger file (default: the user data dir)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def premium_model(config: Config) -> str | None:
    """The model every request is priced against: the workspace tier's primary model."""
    chain = config.tiers["workspace"].chain if "workspace" in config.tiers else ()
    return chain[0] if chain else None


def run(args: argparse.Namespace) -> int:
    if args.days is not None and args.days <= 0:
        print("codeswitch stats: --days must be positive", file=sys.stderr)
        return 2
    config, problems = load_config(Path(args.root))
    print_problems(problems, "codeswitch stats")
    catalog = config_catalog(config)
    path = Path(args.ledger) if args.ledger else default_path()
    since = time.time() - args.days * 86400 if args.days is not None else None
    try:
        # A missing ledger means nothing was recorded yet: report zeros without creating the file.
        with Ledger(path if path.exists() else ":memory:") as ledger:
            stats = ledger.stats(catalog, premium_model(config), since)
    except LedgerError as exc:
        print(f"codeswitch stats: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"ledger": str(path), **stats.to_json()}, indent=2))
    else:
        print(render(stats, str(path)))
    return 0


def _usd(value: float, unknown: int) -> str:
    text = f"${value:.4f}"
    return f"{text} (+{plural(unknown, 'call')} at unknown prices)" if unknown else text


def _spend_row(s: SpendStats, width: int) -> str:
    return (f"  {s.name:<{width}} {s.requests:>8} {s.calls:>6} {s.failed:>6} {s.cancelled:>9}  "
            f"{_usd(s.cost_usd, s.unknown_cost_calls)}")


def render(stats: Stats, ledger_path: str) -> str:
    """The human-readable report."""
    t = stats.totals
    lines = [f"ledger: {ledger_path}"]
    if t.calls == 0:
        lines.append("no requests recorded yet")
        return "\n".join(lines)
    spent = _usd(t.cost_usd, t.unknown_cost_calls)
    lines.append(f"requests: {t.requests}   model calls: {t.calls}   spent: {spent}")
    width = max([len("model"), *(len(m.name) for m in stats.by_model), *(len(x.name) for x in stats.by_tier),
                 *(len(a.name) for a in stats.by_agent)])
    head = f"  {{:<{width}}} {{:>8}} {{:>6}} {{:>6}} {{:>9}}  {{}}"
    lines += ["", head.format("tier", "requests", "calls", "failed", "cancelled", "spent")]
    lines += [_spend_row(s, width) for s in stats.by_tier]
    lines += ["", head.format("model", "requests", "calls", "failed", "cancelled", "spent")]
    lines += [_spend_row(m, width) for m in stats.by_model]
    if stats.by_agent:
        lines += ["", head.format("agent", "requests", "calls", "failed", "cancelled", "spent")]
        lines += [_spend_row(a, width) for a in stats.by_agent]
    accepted = [m for m in stats.by_model if m.acceptance_rate is not None]
    if accepted:
        lines += ["", "inline acceptance"]
        for m in accepted:
            rate = m.acceptance_rate or 0.0
            lines.append(f"  {m.name:<{width}} {rate:>6.1%}  ({m.accepted} of {m.inline_served} shown,"
                         f" {m.accepted_full} in full, {m.accepted_chars} chars)")
    p = stats.premium
    lines.append("")
    if p is None:
        lines.append("premium-only comparison: the premium model has no published price")
    else:
        saved = p.premium_only_usd - p.actual_usd
        share = f" ({saved / p.premium_only_usd:.0%})" if p.premium_only_usd > 0 else ""
        caveat = ""
        if p.unknown_cost_calls:
            caveat = f"; {plural(p.unknown_cost_calls, 'call')} at unknown prices not counted"
        lines.append(f"premium-only: the same served requests on {p.model_key} would have cost "
                     f"${p.premium_only_usd:.4f}; actual ${p.actual_usd:.4f}; "
                     f"saved ${saved:.4f}{share}{caveat}")
    return "\n".join(lines)
