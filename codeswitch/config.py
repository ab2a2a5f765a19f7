"""Typed configuration, merged from layers: defaults < user file < workspace file < client settings.

Every setting has a default, so an empty or missing file is a full configuration. The layers are
(DESIGN.md "Configuration"):

1. built-in defaults (the dataclasses of :mod:`codeswitch.config_schema`);
2. ``$XDG_CONFIG_HOME/codeswitch/config.toml`` (``~/.config/...`` when unset);
3. ``<workspace>/.codeswitch.toml``;
4. LSP ``initializationOptions`` / ``workspace/didChangeConfiguration`` (a dict with the same keys).

A bad layer never stops the server: a TOML syntax error, a wrong type, an unknown key or an
unknown model in a chain becomes a ``ConfigProblem`` naming the file and the key, and that value
keeps what the lower layers said. API keys are read on demand and never kept in a repr.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from codeswitch import trust
from codeswitch.catalog import Catalog, CatalogError, load_catalog
from codeswitch.config_merge import Layer, apply_layer
from codeswitch.config_providers import ProviderConfig as ProviderConfig
from codeswitch.config_providers import TimeoutsConfig as TimeoutsConfig
from codeswitch.config_read import CLIENT_SOURCE as CLIENT_SOURCE
from codeswitch.config_read import USER_FILE as USER_FILE
from codeswitch.config_read import ConfigProblem as ConfigProblem
from codeswitch.config_read import client_layer, read_toml
from codeswitch.config_schema import TIERS as TIERS
from codeswitch.config_schema import BudgetConfig as BudgetConfig
from codeswitch.config_schema import Config as Config
from codeswitch.config_schema import EditConfig as EditConfig
from codeswitch.config_schema import InlineConfig as InlineConfig
from codeswitch.config_schema import ScopeConfig as ScopeConfig
from codeswitch.config_schema import TeamConfig as TeamConfig
from codeswitch.config_schema import TierConfig as TierConfig

WORKSPACE_FILE = ".codeswitch.toml"


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def user_config_path(env: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CONFIG_HOME/codeswitch/config.toml`` (``~/.config`` when the variable is unset)."""
    base = _env(env).get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / USER_FILE


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    """``$XDG_DATA_HOME/codeswitch`` (``~/.local/share`` when unset): where the ledger lives."""
    base = _env(env).get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "codeswitch"


def config_files(root: str | Path | None, env: Mapping[str, str] | None = None) -> list[Path]:
    """The config files that exist, lowest layer first (what ``codeswitch doctor`` lists)."""
    candidates = [user_config_path(env)]
    if root is not None:
        candidates.append(Path(root) / WORKSPACE_FILE)
    return [p for p in candidates if p.is_file()]


def _check_models(config: Config, problems: list[ConfigProblem], blame: Mapping[str, str]) -> Config:
    """Config-added models whose provider does not exist are dropped (with a problem)."""
    models = dict(config.models)
    for key, model in config.models.items():
        if model.provider not in config.providers:
            problems.append(ConfigProblem(blame.get("models", "config"), f"models.{key}.provider",
                                          f"unknown provider {model.provider!r}; model ignored"))
            del models[key]
    return replace(config, models=models)


def _check_chains(config: Config, catalog: Catalog, defaults: Config,
                  problems: list[ConfigProblem], blame: Mapping[str, str]) -> Config:
    tiers = dict(config.tiers)
    for name, tier in config.tiers.items():
        bad = [key for key in tier.chain if key not in catalog]
        if not bad:
            continue
        source = blame.get(f"tiers.{name}.chain", "config")
        for key in bad:
            problems.append(ConfigProblem(source, f"tiers.{name}.chain", f"unknown model {key!r}; skipped"))
        kept = tuple(key for key in tier.chain if key in catalog)
        if not kept:
            kept = defaults.tiers[name].chain
            problems.append(
                ConfigProblem(source, f"tiers.{name}.chain", "no known model left; using the default")
            )
        tiers[name] = replace(tier, chain=kept)
    return replace(config, tiers=tiers)


def _base_urls_from_env(config: Config, env: Mapping[str, str]) -> Config:
    """Like the official SDKs: OPENAI_BASE_URL / ANTHROPIC_BASE_URL when the config sets none."""
    providers = dict(config.providers)
    for name, var in (("openai", "OPENAI_BASE_URL"), ("anthropic", "ANTHROPIC_BASE_URL")):
        current = providers.get(name)
        url = env.get(var, "").strip()
        if current is not None and current.base_url is None and url:
            providers[name] = replace(current, base_url=url.rstrip("/"))
    return replace(config, providers=providers)


def load_config(
    workspace_root: str | Path | None,
    init_options: object = None,
    *,
    env: Mapping[str, str] | None = None,
    catalog: Catalog | None = None,
    trusted: bool | None = None,
) -> tuple[Config, list[ConfigProblem]]:
    """Merge every layer into one Config; never raises on bad configuration.

    ``init_options`` is the client's settings dict (``initializationOptions`` or the payload of
    ``didChangeConfiguration``, optionally wrapped as ``{"codeswitch": {...}}``). ``catalog``
    validates the chains (default: the configured or shipped catalog). ``trusted`` says whether
    the workspace file and the client's settings may set endpoints, key sources and commands
    (``codeswitch.trust``); None looks the workspace up in the user's trust decisions.
    """
    environ = _env(env)
    try:
        return _load(workspace_root, init_options, environ, catalog, trusted)
    except Exception as exc:  # a last resort: whatever went wrong, the server runs on defaults
        why = f"could not be loaded ({type(exc).__name__}); using the defaults"
        problem = ConfigProblem("config", "", why)
        return _base_urls_from_env(Config(), environ), [problem]


def _load(workspace_root: str | Path | None, init_options: object, environ: Mapping[str, str],
          catalog: Catalog | None, trusted: bool | None) -> tuple[Config, list[ConfigProblem]]:
    problems: list[ConfigProblem] = []
    defaults = Config()
    blame: dict[str, str] = {}
    user_path = user_config_path(environ)
    user = read_toml(user_path, problems)
    sources: list[str] = ["defaults"]
    config = defaults
    if user is not None:
        own = Layer(str(user_path), user=True, trusted=True)
        config = apply_layer(config, user, own, "", problems, blame)
        sources.append(str(user_path))
    if trusted is None:
        trusted = trust.is_trusted(workspace_root, environ, config.trusted_workspaces)
    layers: list[tuple[str, dict[str, object] | None]] = []
    if workspace_root is not None:
        ws = Path(workspace_root) / WORKSPACE_FILE
        layers.append((str(ws), read_toml(ws, problems)))
    layers.append((CLIENT_SOURCE, client_layer(init_options, problems)))
    for source, layer in layers:
        if layer is None:
            continue
        config = apply_layer(config, layer, Layer(source, trusted=trusted), "", problems, blame)
        sources.append(source)
    config = _check_models(config, problems, blame)
    catalog = _catalog_for(config, problems, blame) if catalog is None else catalog.with_models(config.models)
    config = _check_chains(config, catalog, defaults, problems, blame)
    config = _base_urls_from_env(config, environ)
    return replace(config, sources=tuple(sources), trusted=trusted), problems


def _catalog_for(config: Config, problems: list[ConfigProblem], blame: Mapping[str, str]) -> Catalog:
    catalog: Catalog | None = None
    if config.catalog_path:
        try:
            catalog = load_catalog(config.catalog_path)
        except CatalogError as exc:
            problems.append(ConfigProblem(blame.get("catalog_path", "config"), "catalog_path",
                                          f"{exc}; using the shipped catalog"))
    return (catalog or load_catalog()).with_models(config.models)


def config_catalog(config: Config) -> Catalog:
    """The catalog ``config`` routes over: ``catalog_path`` (or the shipped one) plus ``[models.*]``.

    A catalog file that cannot be read falls back to the shipped one (``load_config`` has already
    reported it as a problem)."""
    return _catalog_for(config, [], {})


def available_providers(config: Config, env: Mapping[str, str] | None = None) -> frozenset[str]:
    """Providers that can be called: local ones, and those whose key resolves (env or command)."""
    return frozenset(
        name for name, provider in config.providers.items() if provider.local or provider.api_key(env)
    )
