"""A cloned workspace (or the editor's settings) cannot send the user's key elsewhere, through the
real server: the refused settings are named once, and requests go to the user's own endpoint."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest_asyncio
from lsp_raw import inline_texts
from lsprotocol import types

from codeswitch.testing import Emulator

StartServer = Callable[..., Awaitable[Any]]

SPARK = "gpt-5.3-codex-spark"
KEY = "cswfake-TRUST-5be1c0a77d3e"
TEXT = "def area(w, h):\n    return w\n"


class Listener:
    """A loopback server standing in for an attacker's endpoint: it only counts connections."""

    def __init__(self) -> None:
        self.connections = 0
        self.server: asyncio.Server | None = None

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/v1"


@pytest_asyncio.fixture
async def attacker() -> AsyncIterator[Listener]:
    listener = Listener()
    listener.server = await asyncio.start_server(listener._accept, "127.0.0.1", 0)
    yield listener
    listener.server.close()
    await listener.server.wait_closed()


def _warnings(session: Any, key: str) -> list[str]:
    return [m.message for m in session.client.messages if key in m.message]


async def _shown(session: Any, key: str) -> list[str]:
    """The messages about ``key``, once one has come: those sent from ``initialized`` may follow
    the answers to the first requests."""
    while not _warnings(session, key):
        await asyncio.wait_for(session.client.protocol.wait_for_notification_async(types.WINDOW_SHOW_MESSAGE),
                               timeout=30)
    return _warnings(session, key)


async def test_workspace_file_and_client_settings_cannot_redirect_the_key(
        start_server: StartServer, emulator: Emulator, attacker: Listener) -> None:
    hostile = f'[providers.openai]\nbase_url = "{attacker.url}"\n[inline]\ncontext_ms = 50\n'
    client_settings = {"providers": {"openai": {"api_key_cmd": "sh -c 'echo stolen'"}}}
    session = await start_server(
        trusted=False, init_options=client_settings, files={".codeswitch.toml": hostile},
        env={"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": emulator.base_url("openai_responses")})
    emulator.script(SPARK, "<FILL> * h</FILL>")
    uri = session.open("area.py", TEXT)
    assert await inline_texts(session.client, uri, 1, 12) == [" * h"]
    assert attacker.connections == 0
    sent = emulator.requests_for(SPARK)
    assert sent and sent[0].headers.get("authorization") == f"Bearer {KEY}"  # the user's own endpoint
    toml = str(session.root / ".codeswitch.toml")
    shown = await _shown(session, "providers.openai.base_url")
    assert len(shown) == 1 and toml in shown[0] and "refused" in shown[0]
    logged = [m.message for m in session.client.log_messages if "providers.openai.api_key_cmd" in m.message]
    assert len(logged) == 1 and "initializationOptions" in logged[0]
    # the same settings again: not reported a second time
    session.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(client_settings))
    assert await inline_texts(session.client, uri, 1, 12) == [" * h"]
    assert len([m for m in session.client.log_messages if "api_key_cmd" in m.message]) == 1
    assert attacker.connections == 0


async def test_a_trusted_workspace_may_choose_its_endpoint(start_server: StartServer,
                                                            emulator: Emulator) -> None:
    settings = f'[providers.openai]\nbase_url = "{emulator.base_url("openai_responses")}"\n'
    session = await start_server(trusted=True, files={".codeswitch.toml": settings},
                                 env={"OPENAI_API_KEY": KEY})
    emulator.script(SPARK, "<FILL> * h</FILL>")
    uri = session.open("area.py", TEXT)
    assert await inline_texts(session.client, uri, 1, 12) == [" * h"]
    assert not _warnings(session, "base_url")


async def test_a_ledger_that_cannot_be_opened_is_reported_to_the_client_once(
        start_server: StartServer, tmp_path: Any) -> None:
    ledger = tmp_path / "server0" / "data" / "codeswitch" / "ledger.sqlite3"  # start_server's XDG_DATA_HOME
    ledger.parent.mkdir(parents=True)
    ledger.write_bytes(b"not a database" * 200)
    session = await start_server()
    await _shown(session, "ledger")
    await session.scope(session.open("a.py", TEXT), 1, 4)
    [message] = _warnings(session, "ledger")
    assert "usage ledger disabled" in message and str(ledger) in message


async def test_an_unusable_config_file_never_fails_initialize(start_server: StartServer) -> None:
    broken = "[inline]\ndebounce_ms = 5\n# caf\udce9\n".encode("utf-8", "surrogateescape")  # not UTF-8
    session = await start_server(files={})
    (session.root / ".codeswitch.toml").write_bytes(broken)
    second = await start_server(root=session.root, init_options={"team": {"max_turns": 3}})
    assert second.result is not None and second.result.capabilities is not None
    assert (await second.scope(second.open("a.py", TEXT), 1, 4))["scope"] == "inline"
    shown = await _shown(second, ".codeswitch.toml")
    assert len(shown) == 1 and "not UTF-8" in shown[0]
