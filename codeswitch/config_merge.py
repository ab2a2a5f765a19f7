"""Merging one config layer over the ones below it, field by field.

A layer is a table of settings (a TOML file or the client's settings). Each key is checked against
the dataclass it lands in: an unknown key, a wrong type, a setting this layer may not make
(:mod:`codeswitch.trust`) or a bad ``[models.*]`` / ``[providers.*]`` table becomes a
:class:`ConfigProblem` and keeps the lower layers' value; nothing here raises.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, get_origin, get_type_hints

from codeswitch import trust
from codeswitch.catalog import CatalogError, ModelInfo, model_entry
from codeswitch.config_providers import KINDS, ProviderConfig, kind_problem, provider_of_kind
from codeswitch.config_read import USER_FILE, ConfigProblem
from codeswitch.config_values import BadValue, coerce
from codeswitch.inline_enable import EnableRules


@dataclass(frozen=True, slots=True)
class Layer:
    """Where a layer's settings come from and what it may set."""

    source: str
    user: bool = False  # the user's own config file
    trusted: bool = False  # the user's file, or a workspace/client layer of a trusted workspace


def _refusal(layer: Layer, dotted: str) -> str | None:
    if layer.user:
        return None
    if trust.user_only(dotted):
        return f"only your user config file ({USER_FILE}) may set this; ignored"
    if trust.restricted(dotted) and not layer.trusted:
        return ("refused: a workspace or editor setting may not choose endpoints, key sources or "
                "commands; set it in your user config file, or trust this workspace with "
                "`codeswitch trust`; ignored")
    return None


def apply_layer(obj: Any, settings: Mapping[str, object], layer: Layer, prefix: str,
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
                changes[key] = apply_layer(current, value, layer, f"{dotted}.", problems, blame)
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
                    merged[name] = apply_layer(merged[name], sub, layer, f"{where}.", problems, blame)
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
                    layer: Layer, problems: list[ConfigProblem], blame: dict[str, str]) -> None:
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
    updated = apply_layer(current, settings, layer, f"{where}.", problems, blame)
    why = kind_problem(updated)
    if why is not None:
        problems.append(ConfigProblem(layer.source, where, f"{why}; ignored"))
        return
    providers[name] = updated


def _models(current: dict[str, ModelInfo], settings: object, layer: Layer,
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
