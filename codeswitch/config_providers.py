"""Providers in the config: one named endpoint each, of a ``kind`` that gives its defaults.

The shipped providers are named after their kind (``openai``, ``anthropic``, ``cerebras``,
``mistral``, ``deepseek``, ``llamacpp``, ``ollama``). The user's own config file (or a workspace the
user trusted) may add more under any name, with a ``kind`` saying what they are — a second
llama.cpp server on another machine, a company gateway that speaks OpenAI's API::

    [providers.gpu-box]
    kind = "llamacpp"
    base_url = "http://10.0.0.7:8080/v1"

An untrusted workspace or the editor's settings can add no provider (that would choose where a
request goes) and cannot change a provider's ``kind``.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field


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
    #: what the endpoint is (``KINDS``); the shipped providers' kind is their name
    kind: str = "openai_compatible"

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
class Kind:
    """Defaults for one kind of endpoint."""

    api_key_env: str | None = None
    base_url: str | None = None
    #: a server on the user's machine or network: no key needed, free, probed by ``doctor``
    local: bool = False
    #: no vendor default: the provider is unusable until ``base_url`` is set
    needs_base_url: bool = False


#: base_url None = the wire format's default (``providers.default_base_url``). Local servers are
#: addressed OpenAI-style (``.../v1``); their ``/infill`` and ``/api/generate`` live at the root.
KINDS: dict[str, Kind] = {
    "openai": Kind("OPENAI_API_KEY"),
    "anthropic": Kind("ANTHROPIC_API_KEY"),
    "cerebras": Kind("CEREBRAS_API_KEY", "https://api.cerebras.ai/v1"),
    "mistral": Kind("MISTRAL_API_KEY", "https://api.mistral.ai/v1"),
    "deepseek": Kind("DEEPSEEK_API_KEY"),
    "llamacpp": Kind(None, "http://127.0.0.1:8080/v1", local=True),
    "ollama": Kind(None, "http://127.0.0.1:11434/v1", local=True),
    "openai_compatible": Kind(None, None, needs_base_url=True),
}


def provider_of_kind(kind: str) -> ProviderConfig:
    """A provider with ``kind``'s defaults (KeyError for an unknown kind)."""
    k = KINDS[kind]
    return ProviderConfig(base_url=k.base_url, api_key_env=k.api_key_env, local=k.local, kind=kind)


def default_providers() -> dict[str, ProviderConfig]:
    """The shipped providers: one per kind, named after it (``openai_compatible`` needs a URL)."""
    return {name: provider_of_kind(name) for name, k in KINDS.items() if not k.needs_base_url}


def kind_problem(provider: ProviderConfig) -> str | None:
    """Why a provider cannot be used as configured (None: it can)."""
    k = KINDS.get(provider.kind)
    if k is None:
        return f"unknown kind {provider.kind!r}; expected one of {', '.join(KINDS)}"
    if k.needs_base_url and not provider.base_url:
        return f"a provider of kind {provider.kind!r} needs a base_url"
    return None
