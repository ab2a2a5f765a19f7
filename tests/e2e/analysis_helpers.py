"""Helpers (no tests): a real `codeswitch serve` with an OpenAI and an Anthropic key (both fake),
both providers pointed at the loopback emulator, for explain and review."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from lsp_raw import plain
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from test_edit_helpers import EditSession, edit_caps

from codeswitch import trust
from codeswitch.testing import Emulator

MINI = "gpt-5.1-codex-mini"
OPUS = "claude-opus-4-6"
SECRET_VALUE = "sk-live-analysis-0000000000000000000000"


class AnalysisSession(EditSession):
    async def explain(self, uri: str, line: int, character: int, end: tuple[int, int] | None = None,
                      **extra: object) -> Any:
        el, ec = end if end is not None else (line, character)
        params = {"textDocument": {"uri": uri}, "range": {"start": {"line": line, "character": character},
                                                          "end": {"line": el, "character": ec}}, **extra}
        return plain(await self.client.protocol.send_request_async("codeswitch/explain", params))

    async def review(self, **extra: object) -> Any:
        return plain(await self.client.protocol.send_request_async("codeswitch/review", dict(extra)))


def git(root: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


async def start_analysis_session(emulator: Emulator, tmp_path: Path, files: dict[str, str], *,
                                 settings: dict[str, object] | None = None,
                                 trusted: bool = True) -> AsyncIterator[AnalysisSession]:
    root = tmp_path / "ws"
    root.mkdir()
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env.update(OPENAI_API_KEY="sk-test-analysis-openai", ANTHROPIC_API_KEY="sk-ant-test-analysis",
               XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"))
    options: dict[str, object] = {"providers": {"openai": {"base_url": emulator.base_url("openai_responses")},
                                                "anthropic": {"base_url": emulator.base_url("anthropic")}}}
    if trusted:
        trust.add(root, env)
    else:  # endpoints only from the user's own file
        (tmp_path / "config" / "codeswitch").mkdir(parents=True)
        (tmp_path / "config" / "codeswitch" / "config.toml").write_text(
            f'[providers.openai]\nbase_url = "{emulator.base_url("openai_responses")}"\n'
            f'[providers.anthropic]\nbase_url = "{emulator.base_url("anthropic")}"\n')
        options = {}
    options.update(settings or {})
    config = ClientServerConfig(server_command=[sys.executable, "-m", "codeswitch", "serve"], server_env=env)
    client: LanguageClient = await config.start()  # type: ignore[assignment]
    session = AnalysisSession(client, root)
    client.feature("codeswitch/status")(lambda params: session.status.append(params))
    await client.initialize_session(types.InitializeParams(
        capabilities=edit_caps(), root_uri=root.as_uri(), initialization_options=options,
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")]))
    try:
        yield session
    finally:
        await client.shutdown_session()
        await client.stop()
