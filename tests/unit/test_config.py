"""Config layers merge in the documented order, and every kind of bad config is reported, not fatal."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from config_helpers import write_user
from hypothesis import given, settings
from hypothesis import strategies as st

from codeswitch.config import (
    Config,
    ProviderConfig,
    available_providers,
    config_files,
    data_dir,
    load_config,
    user_config_path,
)


def test_defaults_without_files(env: dict[str, str], ws: Path) -> None:
    config, problems = load_config(ws, None, env=env)
    assert problems == []
    assert config == Config()
    assert config.tiers["inline"].chain[0] == "gpt-5.3-codex-spark"
    assert config.tiers["function"].chain[0] == "gpt-5.3-codex"
    assert config.tiers["workspace"].chain[0] == "claude-opus-4-6"
    assert config.sources == ("defaults",)


def test_merge_order_defaults_user_workspace_client(env: dict[str, str], ws: Path) -> None:
    write_user(env, "[budget]\nper_request_usd = 1.0\ndaily_usd = 5.0\n[inline]\ndebounce_ms = 10\n"
                    "max_prefix_tokens = 900\n")
    (ws / ".codeswitch.toml").write_text("[budget]\nper_request_usd = 0.5\n[inline]\ndebounce_ms = 20\n")
    client = {"inline": {"debounce_ms": 30}}
    config, problems = load_config(ws, client, env=env)
    assert problems == []
    assert config.budget.daily_usd == 5.0            # user file only
    assert config.budget.per_request_usd == 0.5      # workspace beats user
    assert config.inline.debounce_ms == 30           # client beats workspace
    assert config.inline.max_prefix_tokens == 900    # user value survives later layers
    assert config.inline.max_suffix_tokens == 500    # default untouched
    assert config.sources == ("defaults", str(user_config_path(env)), str(ws / ".codeswitch.toml"),
                              "initializationOptions")
    assert config_files(ws, env) == [user_config_path(env), ws / ".codeswitch.toml"]


def test_nested_provider_and_tier_settings(env: dict[str, str], ws: Path) -> None:
    (ws / ".codeswitch.toml").write_text(
        'exclude = ["*.lock"]\n[providers.openai]\nbase_url = "http://127.0.0.1:9999/v1"\n'
        '[providers.openai.timeouts]\nidle_s = 3\n'
        '[tiers.inline]\nchain = ["codestral", "gpt-5.1-codex-mini"]\nlatency_budget_ms = 800\n'
    )
    config, problems = load_config(ws, None, env=env, trusted=True)  # a workspace the user trusted
    assert problems == []
    assert config.providers["openai"].base_url == "http://127.0.0.1:9999/v1"
    assert config.providers["openai"].timeouts.idle_s == 3.0
    assert config.providers["openai"].timeouts.connect_s == 5.0
    assert config.tiers["inline"].chain == ("codestral", "gpt-5.1-codex-mini")
    assert config.tiers["inline"].latency_budget_ms == 800
    assert config.tiers["inline"].max_output_tokens == 256
    assert config.exclude == ("*.lock",)


def test_vscode_style_wrapped_settings(env: dict[str, str], ws: Path) -> None:
    config, problems = load_config(ws, {"codeswitch": {"team": {"max_teammates": 5}}}, env=env)
    assert problems == [] and config.team.max_teammates == 5
    change = {"settings": {"codeswitch": {"team": {"max_turns": 4}}}}  # didChangeConfiguration params
    config, problems = load_config(ws, change, env=env)
    assert problems == [] and config.team.max_turns == 4


def test_toml_syntax_error_names_file_and_other_layers_apply(env: dict[str, str], ws: Path) -> None:
    user = write_user(env, "[budget\nper_request_usd = 1\n")
    (ws / ".codeswitch.toml").write_text("[inline]\ndebounce_ms = 40\n")
    config, problems = load_config(ws, None, env=env)
    assert len(problems) == 1
    assert problems[0].source == str(user) and "TOML syntax error" in str(problems[0])
    assert config.inline.debounce_ms == 40
    assert config.budget == Config().budget


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ('[budget]\nper_request_usd = "cheap"\n', "budget.per_request_usd", "expected a number"),
        ("[inline]\ndebounce_ms = 1.5\n", "inline.debounce_ms", "expected an integer"),
        ("[inline]\ndebounce_ms = -3\n", "inline.debounce_ms", "negative"),
        ("[inline]\ndebounce_ms = true\n", "inline.debounce_ms", "expected an integer"),
        ("[providers.openai]\nlocal = 1\n", "providers.openai.local", "true or false"),
        ('exclude = "*.lock"\n', "exclude", "list of strings"),
        ('[tiers.inline]\nchain = "codestral"\n', "tiers.inline.chain", "list of strings"),
        ("budget = 3\n", "budget", "expected a table"),
        ("[budget]\ndaily_usd = inf\n", "budget.daily_usd", "finite"),
        ("[budget]\ndaily_usd = nan\n", "budget.daily_usd", "finite"),
    ],
)
def test_wrong_types_fall_back_and_name_the_key(env: dict[str, str], ws: Path, text: str, key: str,
                                                words: str) -> None:
    (ws / ".codeswitch.toml").write_text(text + "[team]\nmax_turns = 7\n")
    config, problems = load_config(ws, None, env=env)
    assert [p.key for p in problems] == [key]
    assert problems[0].source == str(ws / ".codeswitch.toml")
    assert words in problems[0].message
    assert config.team.max_turns == 7          # the rest of the file still applies
    defaults = Config()
    assert (config.budget, config.inline, config.exclude, config.tiers) == (
        defaults.budget, defaults.inline, defaults.exclude, defaults.tiers)
    assert config.providers["openai"].local is False


@pytest.mark.parametrize(
    ("layer", "key"),
    [
        ({"colour": "blue"}, "colour"),
        ({"budget": {"monthly_usd": 3}}, "budget.monthly_usd"),
        ({"providers": {"acme": {"base_url": "http://x"}}}, "providers.acme"),
        ({"tiers": {"galaxy": {"chain": []}}}, "tiers.galaxy"),
        ({"providers": {"openai": "sk"}}, "providers.openai"),
        ({"sources": ["x"]}, "sources"),
    ],
)
def test_unknown_keys_are_reported(env: dict[str, str], ws: Path, layer: dict[str, object], key: str) -> None:
    config, problems = load_config(ws, layer, env=env)
    assert [(p.source, p.key) for p in problems] == [("initializationOptions", key)]
    assert config.providers.keys() == Config().providers.keys()
    assert config.tiers == Config().tiers


def test_unknown_model_in_chain_is_dropped(env: dict[str, str], ws: Path) -> None:
    config, problems = load_config(ws, {"tiers": {"function": {"chain": ["gpt-9", "claude-opus-4-6"]}}},
                                   env=env)
    assert config.tiers["function"].chain == ("claude-opus-4-6",)
    assert [(p.source, p.key) for p in problems] == [("initializationOptions", "tiers.function.chain")]
    assert "gpt-9" in problems[0].message


def test_chain_of_only_unknown_models_uses_default(env: dict[str, str], ws: Path) -> None:
    (ws / ".codeswitch.toml").write_text('[tiers.workspace]\nchain = ["a", "b"]\n')
    config, problems = load_config(ws, None, env=env)
    assert config.tiers["workspace"].chain == Config().tiers["workspace"].chain
    assert len(problems) == 3 and all(p.source == str(ws / ".codeswitch.toml") for p in problems)


def test_client_options_not_an_object(env: dict[str, str], ws: Path) -> None:
    config, problems = load_config(ws, ["x"], env=env)
    assert config == Config() and problems[0].source == "initializationOptions"


def test_bad_catalog_path_falls_back(env: dict[str, str], ws: Path) -> None:
    config, problems = load_config(ws, {"catalog_path": str(ws / "none.toml")}, env=env, trusted=True)
    assert config.tiers == Config().tiers
    assert [p.key for p in problems] == ["catalog_path"]


def test_base_url_env_honoured_only_when_config_sets_none(env: dict[str, str], ws: Path) -> None:
    env = env | {"OPENAI_BASE_URL": "http://127.0.0.1:1/v1/", "ANTHROPIC_BASE_URL": "http://127.0.0.1:2"}
    config, _ = load_config(ws, {"providers": {"anthropic": {"base_url": "http://127.0.0.1:3"}}}, env=env,
                            trusted=True)
    assert config.providers["openai"].base_url == "http://127.0.0.1:1/v1"
    assert config.providers["anthropic"].base_url == "http://127.0.0.1:3"
    assert config.providers["cerebras"].base_url == "https://api.cerebras.ai/v1"  # not OpenAI's gateway
    assert config.providers["deepseek"].base_url is None


def test_api_key_from_env_and_never_in_repr(env: dict[str, str], ws: Path) -> None:
    config, _ = load_config(ws, None, env=env)
    openai = config.providers["openai"]
    assert openai.api_key(env | {"OPENAI_API_KEY": "sk-test-123"}) == "sk-test-123"
    assert openai.api_key(env) is None
    assert "sk-test" not in repr(config)


def test_api_key_from_command(tmp_path: Path) -> None:
    script = tmp_path / "key.py"
    script.write_text("print('cmd-key-456')\nprint('second line ignored')\n")
    provider = ProviderConfig(api_key_env="NOPE", api_key_cmd=f"{sys.executable} {script}")
    assert provider.api_key({}) == "cmd-key-456"
    assert "cmd-key" not in repr(provider) and str(script) not in repr(provider)
    failing = ProviderConfig(api_key_cmd=f"{sys.executable} -c 'import sys; print(1); sys.exit(3)'")
    assert failing.api_key({}) is None
    assert ProviderConfig(api_key_cmd="/nonexistent/binary").api_key({}) is None
    slow = ProviderConfig(api_key_cmd=f"{sys.executable} -c 'import time; time.sleep(5)'",
                          key_cmd_timeout_s=0.2)
    assert slow.api_key({}) is None
    assert ProviderConfig(api_key_cmd='unbalanced "quote').api_key({}) is None


def test_available_providers(env: dict[str, str], ws: Path) -> None:
    config, _ = load_config(ws, None, env=env)
    assert available_providers(config, env) == {"llamacpp", "ollama"}
    assert available_providers(config, env | {"OPENAI_API_KEY": "k"}) == {"openai", "llamacpp", "ollama"}
    assert available_providers(config, env | {"ANTHROPIC_API_KEY": " ", "CEREBRAS_API_KEY": "c"}) == {
        "cerebras", "llamacpp", "ollama"}


def test_data_dir_follows_xdg(env: dict[str, str]) -> None:
    assert data_dir(env) == Path(env["XDG_DATA_HOME"]) / "codeswitch"
    assert data_dir({}).parts[-3:] == (".local", "share", "codeswitch")


KNOWN = ["providers", "tiers", "budget", "exclude", "inline", "team", "catalog_path", "openai", "inline",
         "function", "chain", "latency_budget_ms", "per_request_usd", "debounce_ms", "base_url", "timeouts",
         "idle_s", "local", "api_key_cmd", "max_teammates", "codeswitch"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10**6) | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(KNOWN) | st.text(max_size=5), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=120, deadline=None)
@given(options=st.dictionaries(st.sampled_from(KNOWN), json_values, max_size=5))
def test_any_client_settings_never_raise(options: dict[str, object]) -> None:
    env = {"XDG_CONFIG_HOME": "/nonexistent-codeswitch-test"}
    config, problems = load_config(None, options, env=env)
    for tier in config.tiers.values():
        assert tier.chain and all(isinstance(k, str) for k in tier.chain)
        assert isinstance(tier.latency_budget_ms, int) and tier.latency_budget_ms >= 0
    for provider in config.providers.values():
        assert provider.base_url is None or isinstance(provider.base_url, str)
        assert isinstance(provider.local, bool)
    assert all(p.source == "initializationOptions" for p in problems)
    for value in (config.budget.per_request_usd, config.budget.daily_usd, config.team.max_usd):
        assert value is None or 0 <= value < float("inf")
