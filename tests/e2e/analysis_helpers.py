"""Helpers (no tests): a real `codeswitch serve` with an OpenAI and an Anthropic key (both fake),
both providers pointed at the loopback emulator, for explain and review."""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from lsp_raw import plain
from lsp_start import initialized, server_env, start_client, write_files
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
    write_files(root, files)
    env = server_env(tmp_path, {"OPENAI_API_KEY": "sk-test-analysis-openai",
                                "ANTHROPIC_API_KEY": "sk-ant-test-analysis"})
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
    client = await start_client(env)
    session = AnalysisSession(client, root)
    client.feature("codeswitch/status")(lambda params: session.status.append(params))
    async with initialized(client, root, edit_caps(), options):
        yield session
