"""The shipped catalog loads, holds the facts the design names, and every default chain key exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeswitch.catalog import API_NAMES, CatalogError, load_catalog, parse_catalog
from codeswitch.config import Config


def test_shipped_catalog_has_the_design_models() -> None:
    cat = load_catalog()
    codex = cat.get("gpt-5.3-codex")
    assert (codex.provider, codex.api) == ("openai", "openai_responses")
    assert (codex.price_in, codex.price_cached_in, codex.price_out) == (1.75, 0.175, 14.0)
    assert (codex.context_window, codex.max_output) == (400_000, 128_000)
    spark = cat.get("gpt-5.3-codex-spark")
    assert spark.price_in is None and spark.price_out is None and not spark.price_known
    assert spark.context_window == 128_000
    opus = cat.get("claude-opus-4-6")
    assert (opus.price_in, opus.price_cached_in, opus.price_out) == (5.0, 0.5, 25.0)
    assert (opus.context_window, opus.max_output) == (1_000_000, 128_000)
    assert cat.get("codestral").fim and cat.get("codestral").api == "fim_mistral"
    assert cat.get("deepseek-chat-fim").api == "fim_deepseek"
    assert cat.get("cerebras-gpt-oss-120b").api == "openai_chat"
    assert {m.provider for m in cat.models.values()} >= {
        "openai", "anthropic", "cerebras", "mistral", "deepseek", "llamacpp", "ollama"}


def test_every_entry_uses_a_known_api_and_provider() -> None:
    cat = load_catalog()
    providers = set(Config().providers)
    for model in cat.models.values():
        assert model.api in API_NAMES
        assert model.provider in providers, model.key


def test_every_default_chain_key_is_in_the_catalog() -> None:
    cat = load_catalog()
    for name, tier in Config().tiers.items():
        assert tier.chain, name
        for key in tier.chain:
            assert key in cat, (name, key)


def test_api_names_match_the_providers_package() -> None:
    from codeswitch.providers.types import API_NAMES as PROVIDER_APIS

    assert set(PROVIDER_APIS) == API_NAMES


def test_cost_uses_cached_price_and_unknown_is_none() -> None:
    cat = load_catalog()
    codex = cat.get("gpt-5.3-codex")
    # 1M input of which 400K cached, 100K output
    assert codex.cost_usd(1_000_000, 100_000, 400_000) == pytest.approx(0.6 * 1.75 + 0.4 * 0.175 + 1.4)
    assert cat.get("gpt-5.3-codex-spark").cost_usd(1000, 1000) is None
    assert cat.get("llamacpp-infill").cost_usd(10_000, 10_000) == 0.0


def test_get_unknown_key_names_it() -> None:
    with pytest.raises(KeyError, match="nope"):
        load_catalog().get("nope")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"provider": "x", "model_id": "m", "api": "telepathy", "context_window": 1, "max_output": 1}, "api"),
        ({"provider": "x", "model_id": "m", "api": "anthropic", "max_output": 1}, "context_window: missing"),
        ({"provider": "x", "model_id": "m", "api": "anthropic", "context_window": "big", "max_output": 1},
         "wrong type"),
        ({"provider": "x", "model_id": "m", "api": "anthropic", "context_window": 1, "max_output": 1,
          "price_in": -1}, "negative"),
        ({"provider": "x", "model_id": "m", "api": "anthropic", "context_window": 1, "max_output": 1,
          "colour": "red"}, "unknown field"),
    ],
)
def test_malformed_entries_are_named(entry: dict[str, object], message: str) -> None:
    with pytest.raises(CatalogError, match=message) as info:
        parse_catalog({"models": {"m1": entry}}, "my.toml")
    assert "my.toml: models.m1" in str(info.value)


def test_unreadable_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[models\n")
    with pytest.raises(CatalogError, match=str(bad)):
        load_catalog(bad)
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    with pytest.raises(CatalogError, match="no \\[models"):
        load_catalog(empty)
