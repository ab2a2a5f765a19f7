"""Starting a real ``codeswitch serve`` over stdio for a pytest-lsp client, on a workspace folder.

The session helpers (edit, analysis, inline) differ in their capabilities, settings and what the
client answers; the environment, the workspace files, the server command and the
initialize/shutdown pair are the same for all of them and live here.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient


def server_env(tmp: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a hermetic server: no real keys or endpoints, XDG dirs under tmp."""
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env.update(XDG_CONFIG_HOME=str(tmp / "config"), XDG_DATA_HOME=str(tmp / "data"))
    env.update(extra or {})
    return env


def write_files(root: Path, files: Mapping[str, str]) -> None:
    """Write ``files`` (relative name -> text) below ``root``, making their folders."""
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


async def start_client(env: Mapping[str, str], args: tuple[str, ...] = ()) -> LanguageClient:
    """``sys.executable -m codeswitch serve [args]`` with ``env``, its client not yet initialized."""
    config = ClientServerConfig(server_command=[sys.executable, "-m", "codeswitch", "serve", *args],
                                server_env=dict(env))
    client: LanguageClient = await config.start()  # type: ignore[assignment]
    return client


@contextlib.asynccontextmanager
async def initialized(client: LanguageClient, root: Path, caps: types.ClientCapabilities,
                      options: object) -> AsyncIterator[None]:
    """Initialize with the one workspace folder ``root``; afterwards shut the server down."""
    await client.initialize_session(types.InitializeParams(
        capabilities=caps, root_uri=root.as_uri(), initialization_options=options,
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")]))
    try:
        yield
    finally:
        await client.shutdown_session()
        await client.stop()
