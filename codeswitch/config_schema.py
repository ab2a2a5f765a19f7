"""What can be configured: the sections of :class:`Config` and their built-in defaults.

The defaults are the lowest layer (:mod:`codeswitch.config` merges the files and the client's
settings over them), so every field has one and an empty configuration is a full one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from codeswitch.breakers import DispatchPolicy
from codeswitch.catalog import ModelInfo
from codeswitch.config_providers import ProviderConfig, default_providers
from codeswitch.inline_enable import EnableRules

TIERS: tuple[str, ...] = ("inline", "function", "workspace")


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
class ScopeConfig:
    """How the scope estimate decides between tiers (``codeswitch.scope.decide``)."""

    #: how much worse one tier too small is than one tier too large: higher sends unsure requests
    #: to the broader, dearer tier more often. None: the shipped model's, chosen so that requests
    #: routed below their true scope stay under 10 % on projects it was not trained on
    under_penalty: float | None = None


@dataclass(frozen=True, slots=True)
class TeamConfig:
    """Limits for the workspace agent team (lead + teammates)."""

    max_teammates: int = 3
    max_turns: int = 12
    max_tokens: int = 400_000
    max_usd: float = 5.0


def default_tiers() -> dict[str, TierConfig]:
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
    tiers: dict[str, TierConfig] = field(default_factory=default_tiers)
    budget: BudgetConfig = field(default_factory=BudgetConfig)
    exclude: tuple[str, ...] = ()
    inline: InlineConfig = field(default_factory=InlineConfig)
    team: TeamConfig = field(default_factory=TeamConfig)
    edit: EditConfig = field(default_factory=EditConfig)
    scope: ScopeConfig = field(default_factory=ScopeConfig)
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
