"""Is a local model server up? ``GET {base}/models``, as ``codeswitch doctor`` asks it.

llama.cpp's ``llama-server``, llama-cpp-python's server, Ollama and vLLM all list their models
on the OpenAI-style ``/v1/models``. Only local providers are probed (no key is sent, nothing is
billed); a probe never raises.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx


@dataclass(frozen=True, slots=True)
class Probe:
    """What the server answered: the model ids it serves, or why it could not be asked."""

    url: str
    models: tuple[str, ...] = ()
    error: str | None = None

    @property
    def up(self) -> bool:
        return self.error is None


def probe_models(base_url: str, timeout_s: float = 2.0) -> Probe:
    """The models an OpenAI-compatible server at ``base_url`` (``http://host:port/v1``) lists."""
    url = base_url.rstrip("/") + "/models"
    try:
        with httpx.Client(timeout=timeout_s, trust_env=False, follow_redirects=False) as client:
            response = client.get(url)
    except httpx.ConnectError:
        return Probe(url, error="not reachable (connection refused or no such host)")
    except httpx.TimeoutException:
        return Probe(url, error=f"no answer within {timeout_s:g} s")
    except (httpx.HTTPError, ValueError) as exc:
        return Probe(url, error=f"cannot be asked ({type(exc).__name__})")
    if response.status_code != 200:
        return Probe(url, error=f"answered HTTP {response.status_code}")
    try:
        data = response.json().get("data")
    except (ValueError, AttributeError):
        return Probe(url, error="answered something that is not a model list")
    if not isinstance(data, list):
        return Probe(url, error="answered something that is not a model list")
    ids = tuple(str(m.get("id")) for m in data if isinstance(m, dict) and m.get("id") is not None)
    return Probe(url, ids)
