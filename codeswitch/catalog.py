"""Model facts (provider, wire format, prices, context window, speed) loaded from TOML.

Everything the router and the ledger need to know about a model lives in ``catalog.toml``, so a
new model or a price change is a data edit, never a code change, and no code matches on model
names. A user can point ``load_catalog`` at another file with the same shape.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

#: the wire formats a catalog entry may name (same names as ``codeswitch.providers.API_NAMES``)
API_NAMES: frozenset[str] = frozenset(
    {"openai_responses", "openai_chat", "anthropic",
     "fim_mistral", "fim_deepseek", "fim_llamacpp", "fim_ollama", "openai_completions"}
)

#: wire formats that take system + messages; the others complete raw text
CHAT_APIS: frozenset[str] = frozenset({"openai_responses", "openai_chat", "anthropic"})

DEFAULT_CATALOG = Path(__file__).with_name("catalog.toml")


class CatalogError(ValueError):
    """The catalog file is unreadable or an entry is malformed (names the file and the entry)."""


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One model. Prices are US dollars per million tokens; None means "not published"."""

    key: str
    provider: str
    model_id: str
    api: str
    price_in: float | None
    price_cached_in: float | None
    price_out: float | None
    context_window: int
    max_output: int
    tokens_per_second: float
    fim: bool
    notes: str = ""
    #: prompt-cache writes (Anthropic: 1.25x input); None means billed at the input price
    price_cache_write_in: float | None = None
    #: most choices (`n`) one request may ask for; 1 = the API gives one answer per call
    max_choices: int = 1

    @property
    def chat(self) -> bool:
        """True for chat-style APIs (system + messages); False for raw text completion (``prompt``,
        with a ``suffix`` when ``fim`` is set)."""
        return self.api in CHAT_APIS

    @property
    def price_known(self) -> bool:
        return self.price_in is not None and self.price_out is not None

    def cost_usd(self, input_tokens: int, output_tokens: int, cached_input_tokens: int = 0,
                 cache_write_tokens: int = 0) -> float | None:
        """Cost of one call, or None when the price is unknown.

        ``input_tokens`` counts all prompt tokens, cached reads and cache writes included (as
        ``providers.Usage`` reports them); cached reads are billed at ``price_cached_in`` and cache
        writes at ``price_cache_write_in`` when known, else at the full input price.
        """
        if self.price_in is None or self.price_out is None:
            return None
        cached = min(max(cached_input_tokens, 0), input_tokens)
        written = min(max(cache_write_tokens, 0), input_tokens - cached)
        cached_price = self.price_cached_in if self.price_cached_in is not None else self.price_in
        write_price = self.price_cache_write_in if self.price_cache_write_in is not None else self.price_in
        dollars = (input_tokens - cached - written) * self.price_in + cached * cached_price
        dollars += written * write_price + output_tokens * self.price_out
        return dollars / 1_000_000


@dataclass(frozen=True, slots=True)
class Catalog:
    """All known models by key, in file order."""

    models: Mapping[str, ModelInfo]

    def get(self, key: str) -> ModelInfo:
        """The model for ``key``; raises KeyError naming the key when it is not in the catalog."""
        try:
            return self.models[key]
        except KeyError:
            raise KeyError(f"unknown model {key!r} (not in the catalog)") from None

    def __contains__(self, key: object) -> bool:
        return key in self.models

    def with_models(self, extra: Mapping[str, ModelInfo]) -> Catalog:
        """This catalog with ``extra`` added (an entry of the same key replaced)."""
        if not extra:
            return self
        return Catalog({**self.models, **extra})

    def by_provider(self, provider: str) -> tuple[ModelInfo, ...]:
        return tuple(m for m in self.models.values() if m.provider == provider)


_REQUIRED: dict[str, type | tuple[type, ...]] = {
    "provider": str,
    "model_id": str,
    "api": str,
    "context_window": int,
    "max_output": int,
}
_OPTIONAL: dict[str, type | tuple[type, ...]] = {
    "price_in": (int, float),
    "price_cached_in": (int, float),
    "price_cache_write_in": (int, float),
    "price_out": (int, float),
    "tokens_per_second": (int, float),
    "fim": bool,
    "notes": str,
    "max_choices": int,
}

#: the wire formats that take `n` (several choices in one call)
CHOICE_APIS: frozenset[str] = frozenset({"openai_chat"})


def model_entry(source: str, key: str, raw: object) -> ModelInfo:
    """One ``[models.<key>]`` table as a ModelInfo; CatalogError names what is wrong."""
    if not isinstance(raw, dict):
        raise CatalogError(f"{source}: models.{key}: expected a table")
    unknown = set(raw) - set(_REQUIRED) - set(_OPTIONAL)
    if unknown:
        raise CatalogError(f"{source}: models.{key}: unknown field(s) {', '.join(sorted(unknown))}")
    for name, typ in (_REQUIRED | _OPTIONAL).items():
        if name not in raw:
            if name in _REQUIRED:
                raise CatalogError(f"{source}: models.{key}.{name}: missing")
            continue
        value = raw[name]
        if (isinstance(value, bool) and typ is not bool) or not isinstance(value, typ):
            raise CatalogError(f"{source}: models.{key}.{name}: wrong type {type(value).__name__}")
    if raw["api"] not in API_NAMES:
        raise CatalogError(f"{source}: models.{key}.api: {raw['api']!r} is not one of {sorted(API_NAMES)}")
    for name in ("context_window", "max_output"):
        if raw[name] <= 0:
            raise CatalogError(f"{source}: models.{key}.{name}: must be positive")
    choices = raw.get("max_choices", 1)
    if choices < 1:
        raise CatalogError(f"{source}: models.{key}.max_choices: must be at least 1")
    if choices > 1 and raw["api"] not in CHOICE_APIS:
        raise CatalogError(f"{source}: models.{key}.max_choices: the {raw['api']} API takes no `n` "
                           f"(only {', '.join(sorted(CHOICE_APIS))} does); use 1")
    for name in ("price_in", "price_cached_in", "price_cache_write_in", "price_out"):
        if name in raw and raw[name] < 0:
            raise CatalogError(f"{source}: models.{key}.{name}: must not be negative")

    def price(name: str) -> float | None:
        return float(raw[name]) if name in raw else None

    return ModelInfo(
        key=key,
        provider=raw["provider"],
        model_id=raw["model_id"],
        api=raw["api"],
        price_in=price("price_in"),
        price_cached_in=price("price_cached_in"),
        price_out=price("price_out"),
        context_window=raw["context_window"],
        max_output=raw["max_output"],
        tokens_per_second=float(raw.get("tokens_per_second", 0)),
        fim=bool(raw.get("fim", False)),
        notes=raw.get("notes", ""),
        price_cache_write_in=price("price_cache_write_in"),
        max_choices=choices,
    )


def parse_catalog(data: Mapping[str, object], source: str = "<catalog>") -> Catalog:
    """Build a Catalog from already-parsed TOML data (``{"models": {key: {...}}}``)."""
    models = data.get("models")
    if not isinstance(models, dict) or not models:
        raise CatalogError(f"{source}: no [models.<key>] tables")
    return Catalog({key: model_entry(source, key, raw) for key, raw in models.items()})


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Load the catalog from ``path`` (default: the one shipped with the package).

    Raises CatalogError naming the file and entry when the file is unreadable or malformed: a
    broken catalog is a packaging or user error that must be visible, not silently ignored.
    """
    file = Path(path) if path is not None else DEFAULT_CATALOG
    try:
        with file.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise CatalogError(f"{file}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{file}: {exc}") from None
    return parse_catalog(data, str(file))
