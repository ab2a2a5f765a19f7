"""Named providers with a kind, models added by the config, and which layers may add them."""

from __future__ import annotations

from pathlib import Path

from config_helpers import write_user

from codeswitch import trust
from codeswitch.config import Config, available_providers, config_catalog, load_config
from codeswitch.dispatch import config_provider_factory
from codeswitch.providers.base import HttpProvider

GPU_BOX = """
[providers.gpu-box]
kind = "llamacpp"
base_url = "http://10.0.0.7:8080/v1"

[providers.gateway]
kind = "openai_compatible"
base_url = "https://llm.example.com/v1"
api_key_env = "GATEWAY_KEY"

[models.box-coder]
provider = "gpu-box"
model_id = "qwen2.5-coder-7b"
api = "openai_completions"
context_window = 32768
max_output = 256
fim = true

[models.gateway-chat]
provider = "gateway"
model_id = "gpt-oss-120b"
api = "openai_chat"
context_window = 131072
max_output = 4096

[tiers.inline]
chain = ["box-coder", "gateway-chat"]
"""


def test_user_config_adds_providers_of_a_kind_and_models_on_them(env: dict[str, str], ws: Path) -> None:
    write_user(env, GPU_BOX)
    config, problems = load_config(ws, None, env=env)
    assert problems == []
    box, gateway = config.providers["gpu-box"], config.providers["gateway"]
    assert (box.kind, box.local, box.base_url) == ("llamacpp", True, "http://10.0.0.7:8080/v1")
    assert (gateway.kind, gateway.local, gateway.api_key_env) == ("openai_compatible", False, "GATEWAY_KEY")
    assert config.tiers["inline"].chain == ("box-coder", "gateway-chat")
    catalog = config_catalog(config)
    assert catalog.get("box-coder").provider == "gpu-box" and "gpt-5.3-codex" in catalog
    assert available_providers(config, env) >= {"gpu-box"}
    assert "gateway" not in available_providers(config, env)
    assert "gateway" in available_providers(config, env | {"GATEWAY_KEY": "k"})
    make = config_provider_factory(config)
    p = make(catalog.get("box-coder"))
    assert isinstance(p, HttpProvider) and p.base_url == "http://10.0.0.7:8080/v1" and p.name == "gpu-box"


def test_local_kinds_default_to_their_servers_not_to_a_vendor(env: dict[str, str], ws: Path) -> None:
    config, _ = load_config(ws, None, env=env)
    catalog = config_catalog(config)
    make = config_provider_factory(config)
    completion = make(catalog.get("llamacpp-completion"))
    infill = make(catalog.get("llamacpp-infill"))
    ollama = make(catalog.get("ollama-qwen2.5-coder"))
    assert isinstance(completion, HttpProvider) and completion.base_url == "http://127.0.0.1:8080/v1"
    assert isinstance(infill, HttpProvider) and infill.base_url == "http://127.0.0.1:8080"
    assert isinstance(ollama, HttpProvider) and ollama.base_url == "http://127.0.0.1:11434"


def test_a_new_provider_needs_a_known_kind_and_its_base_url(env: dict[str, str], ws: Path) -> None:
    write_user(env, '[providers.a]\nbase_url = "http://h:1/v1"\n[providers.b]\nkind = "vllm"\n'
                    '[providers.c]\nkind = "openai_compatible"\n[providers.openai]\nkind = "nope"\n')
    config, problems = load_config(ws, None, env=env)
    assert [p.key for p in problems] == ["providers.a.kind", "providers.b.kind", "providers.c",
                                         "providers.openai"]
    assert "needs a base_url" in problems[2].message and "unknown kind 'nope'" in problems[3].message
    assert set(config.providers) == set(Config().providers)
    assert config.providers["openai"].kind == "openai"


def test_a_model_on_an_unknown_provider_is_dropped(env: dict[str, str], ws: Path) -> None:
    write_user(env, '[models.x]\nprovider = "nowhere"\nmodel_id = "x"\napi = "openai_chat"\n'
                    'context_window = 1000\nmax_output = 10\n[models.y]\nprovider = "openai"\n'
                    '[tiers.inline]\nchain = ["x", "gpt-5.3-codex-spark"]\n')
    config, problems = load_config(ws, None, env=env)
    keys = [p.key for p in problems]
    assert "models.y" in keys and "models.x.provider" in keys
    assert "missing" in next(p.message for p in problems if p.key == "models.y")
    assert config.models == {} and config.tiers["inline"].chain == ("gpt-5.3-codex-spark",)


def test_a_workspace_cannot_add_a_provider_a_model_or_change_a_kind(env: dict[str, str], ws: Path) -> None:
    (ws / ".codeswitch.toml").write_text(GPU_BOX.replace("[tiers.inline]", "[providers.openai]\nkind = "
                                                         '"llamacpp"\n[tiers.inline]'))
    config, problems = load_config(ws, None, env=env)
    refused = {p.key: p.message for p in problems}
    assert {"providers.gpu-box", "providers.gateway", "models", "providers.openai.kind"} <= set(refused)
    assert all("refused" in refused[k] for k in ("providers.gpu-box", "models", "providers.openai.kind"))
    assert "gpu-box" not in config.providers and config.models == {}
    assert config.providers["openai"].kind == "openai"
    settings = {"providers": {"mine": {"kind": "ollama", "base_url": "http://evil:1/v1"}}}
    config, problems = load_config(ws, settings, env=env)
    assert "mine" not in config.providers
    assert any(p.key == "providers.mine" and p.source == "initializationOptions" for p in problems)


def test_a_trusted_workspace_may_add_them(env: dict[str, str], ws: Path) -> None:
    (ws / ".codeswitch.toml").write_text(GPU_BOX)
    trust.add(ws, env)
    config, problems = load_config(ws, None, env=env)
    assert problems == [] and config.trusted
    assert config.providers["gpu-box"].base_url == "http://10.0.0.7:8080/v1"
    assert config.tiers["inline"].chain == ("box-coder", "gateway-chat")
