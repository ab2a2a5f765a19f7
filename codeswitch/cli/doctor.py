"""``codeswitch doctor``: what this installation can do, and what is wrong with it.

Lists the tree-sitter grammars, the config files found and their problems, which providers have
an API key (never the key itself), whether each local model server (llama.cpp, Ollama) answers and
which models it serves, where the ledger lives, and each tier's model chain after
dropping models without a key. Exit status 1 when there is a config problem, a tier has no
model left or the ledger cannot be opened, so scripts can check an installation. It reads the
config like the server does: a workspace's ``.codeswitch.toml`` cannot set a key command for it
to run unless the user trusted the workspace (``codeswitch trust``).
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codeswitch.catalog import Catalog
from codeswitch.cli import summary
from codeswitch.config import (
    TIERS,
    Config,
    available_providers,
    config_catalog,
    config_files,
    data_dir,
    load_config,
    user_config_path,
)
from codeswitch.ledger import Ledger, LedgerError
from codeswitch.routing import Budget, Health, route
from codeswitch.wording import plural

LEDGER_FILE = "ledger.sqlite3"


@dataclass(frozen=True, slots=True)
class _Probe:
    """A typical request of one tier, to show the chain a real request would get."""

    scope: str
    context_tokens: int = 4000
    confidence: float = 1.0


def register(sub: Any) -> None:
    p = sub.add_parser("doctor", help="check grammars, config, keys and model chains",
                       description=summary(__doc__))
    p.add_argument("--root", default=".", help="workspace root whose .codeswitch.toml to read")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def _key_source(name: str, config: Config, env: Mapping[str, str]) -> str:
    provider = config.providers[name]
    if provider.local:
        return "local, no key needed"
    if provider.api_key_env and env.get(provider.api_key_env, "").strip():
        return f"key set (from ${provider.api_key_env})"
    if provider.api_key_cmd and provider.api_key(env):
        return "key set (from api_key_cmd)"
    hint = f"${provider.api_key_env}" if provider.api_key_env else "api_key_env"
    return f"no key (set {hint} or api_key_cmd)"


def _default_url(provider: str, catalog: Catalog, env: Mapping[str, str]) -> str:
    """The wire format's default endpoint for the provider's first model (shown as the default)."""
    from codeswitch.providers import default_base_url

    models = catalog.by_provider(provider)
    if not models:
        return "(no model in the catalog)"
    return f"{default_base_url(models[0].api, env)} (default)"


def _local_servers(config: Config, catalog: Catalog, env: Mapping[str, str]) -> dict[str, Any]:
    """Each local provider's server, asked for its models (``GET {base}/models``); never a key."""
    from codeswitch.providers.probe import probe_models

    out: dict[str, Any] = {}
    for name, provider in config.providers.items():
        if not provider.local:
            continue
        url = provider.base_url or _default_url(name, catalog, env).removesuffix(" (default)")
        if not url.startswith(("http://", "https://")):
            continue
        probe = probe_models(url, min(provider.timeouts.connect_s, 2.0))
        used_by = [tier for tier, t in config.tiers.items()
                   if any(catalog.models[k].provider == name for k in t.chain if k in catalog)]
        out[name] = {"url": probe.url, "up": probe.up, "models": list(probe.models), "error": probe.error,
                     "in_chains": used_by}
    return out


def _ledger_error(path: Path) -> str | None:
    """Why the server could not keep its usage ledger at ``path`` (None: it can)."""
    if path.exists():
        try:
            Ledger(path).close()
        except LedgerError as exc:
            return str(exc)
        return None
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        return f"{path}: cannot be created ({parent} is not a writable directory)"
    return None


def report(root: Path, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Everything doctor shows, as plain data (never holds a key)."""
    from codeswitch.scope.syntax import loaded_grammars

    environ = os.environ if env is None else env
    config, problems = load_config(root, None, env=environ)
    catalog = config_catalog(config)
    keys = available_providers(config, environ)
    tiers: dict[str, Any] = {}
    budget = Budget.from_config(config)
    for tier in (*TIERS, *(t for t in config.tiers if t not in TIERS)):  # then analysis
        d = route(_Probe(tier), config, catalog, Health(), budget, keys)
        tiers[tier] = {"chain": list(d.chain), "skipped": [list(s) for s in d.skipped], "cause": d.cause}
    found = set(config_files(root, environ))
    candidates = [user_config_path(environ), root / ".codeswitch.toml"]
    ledger = data_dir(environ) / LEDGER_FILE
    return {
        "grammars": loaded_grammars(),
        "config_files": [{"path": str(p), "found": p in found} for p in candidates],
        "problems": [str(p) for p in problems],
        "providers": {
            name: {"status": _key_source(name, config, environ), "available": name in keys,
                   "base_url": p.base_url or _default_url(name, catalog, environ)}
            for name, p in config.providers.items()
        },
        "local_servers": _local_servers(config, catalog, environ),
        "ledger": {"path": str(ledger), "exists": ledger.is_file(), "error": _ledger_error(ledger)},
        "catalog": {"models": len(catalog.models), "path": config.catalog_path or "(shipped)"},
        "tiers": tiers,
    }


def render(data: Mapping[str, Any]) -> str:
    lines = ["grammars"]
    lines += [f"  {name:<11} {status}" for name, status in data["grammars"].items()]
    lines.append("config files (lowest layer first, after the built-in defaults)")
    lines += [f"  {'found    ' if f['found'] else 'not found'}  {f['path']}" for f in data["config_files"]]
    lines.append("config problems" + ("" if data["problems"] else ": none"))
    lines += [f"  {p}" for p in data["problems"]]
    lines.append("providers")
    for name, p in data["providers"].items():
        lines.append(f"  {name:<10} {p['status']}; base_url {p['base_url']}")
    lines.append("local model servers" + ("" if data["local_servers"] else ": none configured"))
    for name, s in data["local_servers"].items():
        where = f" (in the {', '.join(s['in_chains'])} chain)" if s["in_chains"] else ""
        if s["up"]:
            served = ", ".join(s["models"]) or "no model listed"
            lines.append(f"  {name:<10} up at {s['url']}{where}: serving {served}")
        else:
            lines.append(f"  {name:<10} {s['error']}: {s['url']}{where}")
    ledger = data["ledger"]
    state = ledger.get("error") or ("exists" if ledger["exists"] else "not created yet")
    lines.append(f"ledger\n  {ledger['path']} ({state})")
    path = data["catalog"]["path"]
    where = "the shipped catalog" if path == "(shipped)" else path
    lines.append(f"catalog\n  {plural(data['catalog']['models'], 'model')} from {where}")
    lines.append("model chains (models without a key dropped)")
    for tier, t in data["tiers"].items():
        chain = " -> ".join(t["chain"]) if t["chain"] else "(none: no provider key for this tier)"
        lines.append(f"  {tier:<10} {chain}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    data = report(Path(args.root))
    print(json.dumps(data, indent=2) if args.json else render(data))
    empty = any(not t["chain"] for t in data["tiers"].values())
    return 1 if data["problems"] or empty or data["ledger"]["error"] else 0
