"""Credential files by name, and credential-shaped text by content, never reach a provider."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from pathlib import Path

import pytest

from codeswitch.catalog import ModelInfo, load_catalog
from codeswitch.config import Config
from codeswitch.dispatch import Dispatcher
from codeswitch.providers import CompletionRequest, Message, StreamEvent, TextBlock, ToolResultBlock
from codeswitch.routing import RouteDecision
from codeswitch.secret_scan import SecretInPrompt, check_request, find_secret
from codeswitch.secrets import is_secret

CODESWITCH = Path(__file__).resolve().parents[2] / "codeswitch"


@pytest.mark.parametrize("rel", [
    ".git-credentials", "home/.docker/config.json", "infra/terraform.tfstate",
    "infra/terraform.tfstate.backup",
    "kubeconfig", "ops/prod.kubeconfig", "home/.kube/config", ".npmrc", ".pypirc", ".netrc",
    "home/.aws/credentials", "home/.config/gcloud/application_default_credentials.json",
    "home/.config/gcloud/credentials.db", "home/.config/gcloud/legacy_credentials/me@x.com/adc.json",
    "keys/credentials.json", "deploy/service-account-prod.json", "home/.azure/accessTokens.json",
    "home/.azure/msal_token_cache.json", "cert.p12", "cert.pfx", "tls/server.key", "putty.ppk",
])
def test_credential_files_are_secret_by_name(tmp_path: Path, rel: str) -> None:
    assert is_secret(rel, tmp_path)


@pytest.mark.parametrize("rel", ["src/kubeconfig.go", "docker/Dockerfile", "infra/main.tf",
                                 "kube/deploy.yaml", "gcloud/client.py", "src/config.json"])
def test_ordinary_neighbours_are_not(tmp_path: Path, rel: str) -> None:
    assert not is_secret(rel, tmp_path)


FAKE = {  # shaped like the real thing, built at run time so this file holds no literal credential
    "a private key": "-----BEGIN " + "OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA",
    "an AWS access key": "aws_access_key_id = " + "AKIA" + "Z" * 16,
    "a GitHub token": "token: gh" + "p_" + "a1B2" * 9,
    "a Slack token": "SLACK=" + "xox" + "b-1234567890-abcdefghij",
    "an Anthropic key": "key = 'sk-" + "ant-api03-" + "x" * 40 + "'",
    "an OpenAI key": "OPENAI_API_KEY=sk-" + "proj-" + "Ab1" * 20,
    "a Stripe key": "sk_" + "live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "a Google API key": "AI" + "za" + "S" * 35,
}


@pytest.mark.parametrize(("what", "text"), FAKE.items())
def test_token_shapes_are_found_inside_code(what: str, text: str) -> None:
    code = "def setup():\n    # the value below\n    " + text + "\n    return None\n"
    assert find_secret(code) == what
    long_code = "x = 1\n" * 200 + code + "y = 2\n" * 200  # the line-by-line path
    assert find_secret(long_code) == what


def test_ordinary_code_is_not_flagged() -> None:
    for path in sorted(CODESWITCH.rglob("*.py")):
        if path.name != "secret_scan.py":
            assert find_secret(path.read_text(encoding="utf-8")) is None, path
    for text in ("task-queue", "sk-learn", "AKIA is a prefix", "ghp_short", "-----BEGIN PUBLIC KEY-----"):
        assert find_secret(text) is None


def test_every_text_of_a_request_is_checked() -> None:
    key = FAKE["an AWS access key"]
    for req in (
        CompletionRequest("m", system=key),
        CompletionRequest("m", prompt="def f():\n", suffix=key),
        CompletionRequest("m", messages=(Message("user", key),)),
        CompletionRequest("m", messages=(Message("user", [TextBlock("read it")]),
                                         Message("user", [ToolResultBlock("t1", "file:\n" + key)]))),
    ):
        with pytest.raises(SecretInPrompt) as err:
            check_request(req)
        assert err.value.kind == "secret_content" and "AKIA" not in str(err.value)
    check_request(CompletionRequest("m", prompt="def f():\n", suffix="    return 1\n"))


class Recording:
    """A provider that records what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[CompletionRequest] = []

    async def stream(self, req: CompletionRequest) -> AsyncGenerator[StreamEvent, None]:
        self.sent.append(req)
        raise AssertionError("a request holding a credential was sent")
        yield  # pragma: no cover

    async def aclose(self) -> None:
        return None


def test_the_dispatcher_refuses_before_any_provider_call() -> None:
    catalog = load_catalog()
    provider = Recording()
    dispatcher = Dispatcher(Config(), catalog, None, provider_factory=lambda m: provider)  # type: ignore[arg-type,return-value]
    chain = ("gpt-5.3-codex", "claude-sonnet-4-5")
    decision = RouteDecision("function", "function", chain, 512, 60_000, None, "test", {}, (), None)
    built: list[str] = []

    def build(model: ModelInfo) -> CompletionRequest:
        built.append(model.key)
        text = "config = {\n    'key': '" + FAKE["a GitHub token"] + "'\n"
        return CompletionRequest(model.model_id, prompt=text)

    async def run() -> None:
        with pytest.raises(SecretInPrompt) as err:
            await dispatcher.complete(decision, build, request_kind="edit", scope="function")
        assert "a GitHub token" in str(err.value)
        await dispatcher.aclose()

    asyncio.run(run())
    assert provider.sent == [] and built == ["gpt-5.3-codex"]
