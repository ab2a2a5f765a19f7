"""Typed configuration, merged from layers: defaults < user file < workspace file < client settings.

Every setting has a default, so an empty or missing file is a full configuration. The layers are
(DESIGN.md "Configuration"):

1. built-in defaults (the dataclasses below);
2. ``$XDG_CONFIG_HOME/codeswitch/config.toml`` (``~/.config/...`` when unset);
3. ``<workspace>/.codeswitch.toml``;
4. LSP ``initializationOptions`` / ``workspace/didChangeConfiguration`` (a dict with the same keys).

A bad layer never stops the server: a TOML syntax error, a wrong type, an unknown key or an
unknown model in a chain becomes a ``ConfigProblem`` naming the file and the key, and that value
keeps what the lower layers said. API keys are read on demand and never kept in a repr.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, get_origin, get_type_hints

from codeswitch import trust
from codeswitch.breakers import DispatchPolicy
from codeswitch.catalog import Catalog, CatalogError, ModelInfo, load_catalog, model_entry
from codeswitch.config_providers import KINDS, default_providers, kind_problem, provider_of_kind
from codeswitch.config_providers import ProviderConfig as ProviderConfig
from codeswitch.config_providers import TimeoutsConfig as TimeoutsConfig
from codeswitch.config_read import CLIENT_SOURCE as CLIENT_SOURCE
from codeswitch.config_read import ConfigProblem as ConfigProblem
from codeswitch.config_read import client_layer, read_toml
from codeswitch.config_values import BadValue, coerce
from codeswitch.inline_enable import EnableRules

TIERS: tuple[str, ...] = ("inline", "function", "workspace")
USER_FILE = Path("codeswitch") / "config.toml"
WORKSPACE_FILE = ".codeswitch.toml"


@dataclass(frozen=True, slots=True)
class TierConfig:
    """How one tier is served: the model chain (catalog keys, tried in order) and its limits."""

    chain: tuple[str, ...] = ()
    latency_budget_ms: int = 10_000
    max_output_tokens: int = 1024
    hedge_after_ms: int | None = None
    #: the most of a model's context window one request of this tier may fill (0.5: half); a model
    #: whose window holds the request only above that share is skipped (long-context quality drops)
    max_context_fill: float = 1.0


@dataclass(frozen=True, slots=True)
class BudgetConfig:
    """Dollar limits; None disables a limit."""

    per_request_usd: float | None = 2.0
    daily_usd: float | None = 20.0


@dataclass(frozen=True, slots=True)
class InlineConfig:
    debounce_ms: int = 0
    max_prefix_tokens: int = 1500
    max_suffix_tokens: int = 500
    cache_size: int = 256
    #: time for reading definitions from other files into the prompt (what is found by then goes)
    context_ms: int = 5
    #: inline requests running at once, all documents together; past it the oldest is cancelled
    max_in_flight: int = 3
    #: where suggestions are on: true/false or {"*", language ids, path globs} (codeswitch.inline_enable)
    enable: EnableRules = field(default_factory=EnableRules)
    #: most distinct suggestions to cycle through when the user asks for more (Invoked trigger)
    max_items: int = 3


@dataclass(frozen=True, slots=True)
class EditConfig:
    """Function edits (code actions, ``codeswitch edit``)."""

    #: time for reading definitions from other files into the prompt (what is found by then goes)
    context_ms: int = 50


@dataclass(frozen=True, slots=True)
class TeamConfig:
    """Limits for the workspace agent team (lead + teammates)."""

    max_teammates: int = 3
    max_turns: int = 12
    max_tokens: int = 400_000
    max_usd: float = 5.0


def _tiers() -> dict[str, TierConfig]:
    return {
        "inline": TierConfig(
            chain=("gpt-5.3-codex-spark", "codestral", "cerebras-gpt-oss-120b", "gpt-5.1-codex-mini",
                   "deepseek-chat-fim", "claude-haiku-4-5"),
            latency_budget_ms=1500,
            max_output_tokens=256,
            hedge_after_ms=400,
        ),
        "function": TierConfig(
            chain=("gpt-5.3-codex", "claude-sonnet-4-5", "claude-opus-4-6", "gpt-5.1-codex-mini"),
            latency_budget_ms=60_000,
            max_output_tokens=8192,
        ),
        "workspace": TierConfig(
            chain=("claude-opus-4-6", "gpt-5.3-codex", "claude-sonnet-4-5"),
            latency_budget_ms=600_000,
            max_output_tokens=32_000,
        ),
        # explain / review: cheap fast models first; the context windows decide (routing.py)
        "analysis": TierConfig(
            chain=("gpt-5.1-codex-mini", "claude-haiku-4-5", "gpt-5.3-codex", "claude-sonnet-4-5",
                   "claude-opus-4-6"),
            latency_budget_ms=600_000,
            max_output_tokens=8192,
            max_context_fill=0.5,
        ),
    }


@dataclass(frozen=True)
class Config:
    """The merged configuration. ``sources`` lists the layers that were read, lowest first."""

    providers: dict[str, ProviderConfig] = field(default_factory=default_providers)
    tiers: dict[str, TierConfig] = field(default_factory=_tiers)
    budget: BudgetConfig = field(default_factory=BudgetConfig)
    exclude: tuple[str, ...] = ()
    inline: InlineConfig = field(default_factory=InlineConfig)
    team: TeamConfig = field(default_factory=TeamConfig)
    edit: EditConfig = field(default_factory=EditConfig)
    #: retries, breakers and draining for every model call
    dispatch: DispatchPolicy = field(default_factory=DispatchPolicy)
    catalog_path: str | None = None
    #: models added to the catalog (user config file or trusted workspace only), as ``[models.<key>]``
    models: dict[str, ModelInfo] = field(default_factory=dict)
    #: directories whose .codeswitch.toml may set endpoints and key sources (user config file only)
    trusted_workspaces: tuple[str, ...] = ()
    sources: tuple[str, ...] = field(default=(), compare=False)
    #: whether the workspace layer and the client's settings were trusted (codeswitch.trust)
    trusted: bool = field(default=False, compare=False)


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


@dataclass(frozen=True, slots=True)
class _Layer:
    """Where a layer's settings come from and what it may set."""

    source: str
    user: bool = False  # the user's own config file
    trusted: bool = False  # the user's file, or a workspace/client layer of a trusted workspace


def _refusal(layer: _Layer, dotted: str) -> str | None:
    if layer.user:
        return None
    if trust.user_only(dotted):
        return f"only your user config file ({USER_FILE}) may set this; ignored"
    if trust.restricted(dotted) and not layer.trusted:
        return ("refused: a workspace or editor setting may not choose endpoints, key sources or "
                "commands; set it in your user config file, or trust this workspace with "
                "`codeswitch trust`; ignored")
    return None


def _apply(obj: Any, settings: Mapping[str, object], layer: _Layer, prefix: str,
           problems: list[ConfigProblem], blame: dict[str, str]) -> Any:
    """``obj`` (a config dataclass) with the settings of one layer applied, field by field.

    A bad key or value is reported and skipped, so the lower layers' value stays.
    """
    hints = get_type_hints(type(obj))
    changes: dict[str, object] = {}
    source = layer.source
    for raw_key, value in settings.items():
        key = str(raw_key)
        dotted = f"{prefix}{key}"
        if key not in hints or key in ("sources", "trusted"):
            problems.append(ConfigProblem(source, dotted, "unknown key; ignored"))
            continue
        refused = _refusal(layer, dotted)
        if refused is not None:
            problems.append(ConfigProblem(source, dotted, refused))
            continue
        hint, current = hints[key], getattr(obj, key)
        if key == "models" and not prefix:
            changes[key] = _models(current, value, layer, problems)
            blame[dotted] = source
            continue
        if isinstance(current, EnableRules):  # a bool or a table, merged over the lower layers
            try:
                changes[key] = current.merged(EnableRules.parse(value))
            except ValueError as exc:
                problems.append(ConfigProblem(source, dotted, f"{exc}; ignored"))
                continue
            blame[dotted] = source
            continue
        if dataclasses.is_dataclass(current) or get_origin(hint) is dict:
            if not isinstance(value, Mapping):
                problems.append(ConfigProblem(source, dotted, "expected a table; ignored"))
                continue
            if dataclasses.is_dataclass(current):
                changes[key] = _apply(current, value, layer, f"{dotted}.", problems, blame)
                continue
            merged = dict(current)
            for name, sub in value.items():
                where = f"{dotted}.{name}"
                if not isinstance(sub, Mapping):
                    problems.append(ConfigProblem(source, where, "expected a table; ignored"))
                elif key == "providers" and not prefix:
                    _merge_provider(merged, str(name), sub, layer, problems, blame)
                elif name not in merged:
                    problems.append(ConfigProblem(source, where, f"unknown {key} name; ignored"))
                else:
                    merged[name] = _apply(merged[name], sub, layer, f"{where}.", problems, blame)
            changes[key] = merged
            continue
        try:
            changes[key] = coerce(value, hint, key)
        except BadValue as exc:
            problems.append(ConfigProblem(source, dotted, f"{exc} (got {value!r}); keeping {current!r}"))
            continue
        blame[dotted] = source
    return replace(obj, **changes)


def _merge_provider(providers: dict[str, ProviderConfig], name: str, settings: Mapping[str, object],
                    layer: _Layer, problems: list[ConfigProblem], blame: dict[str, str]) -> None:
    """One ``[providers.<name>]`` table: tunes a known provider, or (user or trusted layers only)
    adds a new one of the ``kind`` it names."""
    where = f"providers.{name}"
    current = providers.get(name)
    if current is None:
        if not layer.trusted:
            problems.append(ConfigProblem(layer.source, where, (
                "refused: a workspace or editor setting may not add a provider; add it in your user "
                "config file, or trust this workspace with `codeswitch trust`; ignored")))
            return
        kind = settings.get("kind")
        if not isinstance(kind, str) or kind not in KINDS:
            problems.append(ConfigProblem(layer.source, f"{where}.kind", (
                f"a new provider needs a kind, one of {', '.join(KINDS)} (got {kind!r}); ignored")))
            return
        current = provider_of_kind(kind)
    updated = _apply(current, settings, layer, f"{where}.", problems, blame)
    why = kind_problem(updated)
    if why is not None:
        problems.append(ConfigProblem(layer.source, where, f"{why}; ignored"))
        return
    providers[name] = updated


def _models(current: dict[str, ModelInfo], settings: object, layer: _Layer,
            problems: list[ConfigProblem]) -> dict[str, ModelInfo]:
    """``[models.<key>]`` tables: catalog entries added by the config (same fields as the catalog)."""
    if not isinstance(settings, Mapping):
        problems.append(ConfigProblem(layer.source, "models", "expected a table; ignored"))
        return current
    merged = dict(current)
    for key, raw in settings.items():
        try:
            merged[str(key)] = model_entry(layer.source, str(key), raw)
        except CatalogError as exc:
            problems.append(ConfigProblem(layer.source, f"models.{key}", f"{exc}; ignored"))
    return merged


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
        config = _apply(config, user, _Layer(str(user_path), user=True, trusted=True), "", problems, blame)
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
        config = _apply(config, layer, _Layer(source, trusted=trusted), "", problems, blame)
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
