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
import shlex
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, get_origin, get_type_hints

from codeswitch import trust
from codeswitch.catalog import Catalog, CatalogError, load_catalog
from codeswitch.config_read import CLIENT_SOURCE as CLIENT_SOURCE
from codeswitch.config_read import ConfigProblem as ConfigProblem
from codeswitch.config_read import client_layer, read_toml
from codeswitch.config_values import BadValue, coerce
from codeswitch.inline_enable import EnableRules

TIERS: tuple[str, ...] = ("inline", "function", "workspace")
USER_FILE = Path("codeswitch") / "config.toml"
WORKSPACE_FILE = ".codeswitch.toml"


@dataclass(frozen=True, slots=True)
class TimeoutsConfig:
    """Seconds; the same three limits as ``providers.Timeouts`` (connect, first token, idle gap)."""

    connect_s: float = 5.0
    first_token_s: float = 30.0
    idle_s: float = 30.0


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """One endpoint. ``base_url`` None means the vendor default (or ``OPENAI_BASE_URL`` /
    ``ANTHROPIC_BASE_URL``, filled in by ``load_config``). ``local`` providers need no key."""

    base_url: str | None = None
    api_key_env: str | None = None
    api_key_cmd: str | None = field(default=None, repr=False)
    key_cmd_timeout_s: float = 10.0
    local: bool = False
    timeouts: TimeoutsConfig = field(default_factory=TimeoutsConfig)

    def api_key(self, env: Mapping[str, str] | None = None) -> str | None:
        """The key from ``api_key_env``, else the first line ``api_key_cmd`` prints; None if neither.

        The command runs without a shell, with a timeout; its failures return None and never
        echo its output (which would be the key). The result is not cached on purpose: a rotated
        key takes effect on the next request.
        """
        environ = os.environ if env is None else env
        if self.api_key_env:
            value = environ.get(self.api_key_env, "").strip()
            if value:
                return value
        if self.api_key_cmd:
            try:
                done = subprocess.run(
                    shlex.split(self.api_key_cmd),
                    capture_output=True,
                    text=True,
                    timeout=self.key_cmd_timeout_s,
                    check=False,
                )
            except (OSError, ValueError, subprocess.TimeoutExpired):
                return None
            lines = done.stdout.strip().splitlines()
            if done.returncode == 0 and lines and lines[0].strip():
                return lines[0].strip()
        return None


@dataclass(frozen=True, slots=True)
class TierConfig:
    """How one tier is served: the model chain (catalog keys, tried in order) and its limits."""

    chain: tuple[str, ...] = ()
    latency_budget_ms: int = 10_000
    max_output_tokens: int = 1024
    hedge_after_ms: int | None = None


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
    #: where suggestions are on: true/false or {"*", language ids, path globs} (codeswitch.inline_enable)
    enable: EnableRules = field(default_factory=EnableRules)
    #: most distinct suggestions to cycle through when the user asks for more (Invoked trigger)
    max_items: int = 3


@dataclass(frozen=True, slots=True)
class TeamConfig:
    """Limits for the workspace agent team (lead + teammates)."""

    max_teammates: int = 3
    max_turns: int = 12
    max_tokens: int = 400_000
    max_usd: float = 5.0


def _providers() -> dict[str, ProviderConfig]:
    def p(env: str | None, local: bool = False, url: str | None = None) -> ProviderConfig:
        return ProviderConfig(base_url=url, api_key_env=env, local=local)

    # base_url None = the wire format's default (providers.default_base_url); providers that speak
    # another vendor's format (Cerebras: OpenAI chat; Mistral: la Plateforme key) need their own
    return {
        "openai": p("OPENAI_API_KEY"),
        "anthropic": p("ANTHROPIC_API_KEY"),
        "cerebras": p("CEREBRAS_API_KEY", url="https://api.cerebras.ai/v1"),
        "mistral": p("MISTRAL_API_KEY", url="https://api.mistral.ai/v1"),
        "deepseek": p("DEEPSEEK_API_KEY"),
        "llamacpp": p(None, local=True),
        "ollama": p(None, local=True),
    }


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
    }


@dataclass(frozen=True)
class Config:
    """The merged configuration. ``sources`` lists the layers that were read, lowest first."""

    providers: dict[str, ProviderConfig] = field(default_factory=_providers)
    tiers: dict[str, TierConfig] = field(default_factory=_tiers)
    budget: BudgetConfig = field(default_factory=BudgetConfig)
    exclude: tuple[str, ...] = ()
    inline: InlineConfig = field(default_factory=InlineConfig)
    team: TeamConfig = field(default_factory=TeamConfig)
    catalog_path: str | None = None
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
                if name not in merged:
                    problems.append(ConfigProblem(source, f"{dotted}.{name}", f"unknown {key} name; ignored"))
                elif not isinstance(sub, Mapping):
                    problems.append(ConfigProblem(source, f"{dotted}.{name}", "expected a table; ignored"))
                else:
                    merged[name] = _apply(merged[name], sub, layer, f"{dotted}.{name}.", problems, blame)
            changes[key] = merged
            continue
        try:
            changes[key] = coerce(value, hint, key)
        except BadValue as exc:
            problems.append(ConfigProblem(source, dotted, f"{exc} (got {value!r}); keeping {current!r}"))
            continue
        blame[dotted] = source
    return replace(obj, **changes)


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
    if catalog is None:
        catalog = _catalog_for(config, problems, blame)
    config = _check_chains(config, catalog, defaults, problems, blame)
    config = _base_urls_from_env(config, environ)
    return replace(config, sources=tuple(sources), trusted=trusted), problems


def _catalog_for(config: Config, problems: list[ConfigProblem], blame: Mapping[str, str]) -> Catalog:
    if config.catalog_path:
        try:
            return load_catalog(config.catalog_path)
        except CatalogError as exc:
            problems.append(ConfigProblem(blame.get("catalog_path", "config"), "catalog_path",
                                          f"{exc}; using the shipped catalog"))
    return load_catalog()


def available_providers(config: Config, env: Mapping[str, str] | None = None) -> frozenset[str]:
    """Providers that can be called: local ones, and those whose key resolves (env or command)."""
    return frozenset(
        name for name, provider in config.providers.items() if provider.local or provider.api_key(env)
    )
