"""Reusable end-to-end fixtures: a real ``codeswitch serve`` over stdio, driven by pytest-lsp.

``start_server`` is a factory: ``session = await start_server(encodings=..., init_options=...,
env=..., files=..., args=..., trusted=True)`` starts the server as ``sys.executable -m codeswitch
serve [args]`` with XDG_CONFIG_HOME / XDG_DATA_HOME in the test's tmp dir, no real provider keys or
base URLs from the environment (pass ``env`` to add fake keys, and ``init_options`` to point
providers at a loopback emulator: the workspace is trusted unless ``trusted=False``), initializes
it with a workspace folder, and shuts it down afterwards.
``lsp`` is one such session with the defaults (utf-16); ``lsp_caps(encodings, progress=...,
watch_files=..., inline=...)`` builds client capabilities. A session (:class:`LspSession`) has
``open``, ``change``, ``request`` and ``scope`` helpers and the pytest-lsp ``client``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsp_raw import plain, raw_request
from lsp_start import server_env, start_client, write_files
from lsprotocol import types
from pytest_lsp import LanguageClient

from codeswitch import trust

#: an LSP range as (start line, start character, end line, end character), or None for full text
Edit = tuple[tuple[int, int, int, int] | None, str]


def capabilities(encodings: Sequence[str] | None = ("utf-16",), *, progress: bool = False,
                 watch_files: bool = False, inline: bool = True) -> types.ClientCapabilities:
    """Client capabilities of a typical editor, with the position encodings it offers."""
    return types.ClientCapabilities(
        general=types.GeneralClientCapabilities(position_encodings=list(encodings))
        if encodings is not None else None,
        text_document=types.TextDocumentClientCapabilities(
            synchronization=types.TextDocumentSyncClientCapabilities(did_save=True),
            inline_completion=types.InlineCompletionClientCapabilities() if inline else None,
            completion=types.CompletionClientCapabilities(),
            code_action=types.CodeActionClientCapabilities(),
        ),
        workspace=types.WorkspaceClientCapabilities(
            execute_command=types.ExecuteCommandClientCapabilities(),
            apply_edit=True,
            did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(
                dynamic_registration=True) if watch_files else None,
        ),
        window=types.WindowClientCapabilities(work_done_progress=progress),
    )


@dataclass
class LspSession:
    """A started client, its workspace and the initialize result, with small typed helpers."""

    client: LanguageClient
    root: Path
    result: types.InitializeResult | None = None
    versions: dict[str, int] = field(default_factory=dict)

    @property
    def encoding(self) -> str:
        assert self.result is not None
        return str(self.result.capabilities.position_encoding or "utf-16")

    def uri(self, name: str) -> str:
        return (self.root / name).as_uri()

    def open(self, name: str, text: str, language_id: str = "python", *, write: bool = True) -> str:
        """didOpen a workspace file (also written to disk unless write=False)."""
        path = self.root / name
        if write:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="")
        uri = path.as_uri()
        self.versions[uri] = 1
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id=language_id, version=1, text=text)))
        return uri

    def change(self, uri: str, edits: Sequence[Edit]) -> None:
        """One didChange with these content changes, in order (ranges in the negotiated encoding)."""
        self.versions[uri] = self.versions.get(uri, 0) + 1
        changes: list[types.TextDocumentContentChangeEvent] = []
        for rng, text in edits:
            if rng is None:
                changes.append(types.TextDocumentContentChangeWholeDocument(text=text))
            else:
                r = types.Range(types.Position(rng[0], rng[1]), types.Position(rng[2], rng[3]))
                changes.append(types.TextDocumentContentChangePartial(range=r, text=text))
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]), changes))

    async def request(self, method: str, params: object) -> Any:
        """A custom request; the result as plain JSON data (pygls hands back namedtuples)."""
        return plain(await self.client.protocol.send_request_async(method, params))

    async def raw_request(self, method: str, params: object) -> Any:
        """A request sent as is: pytest-lsp's client-side checks (capabilities, "not initialized")
        are skipped, so bad-input tests can send what a misbehaving client would."""
        return await raw_request(self.client, method, params)

    async def scope(self, uri: str, line: int, character: int, *, kind: str = "inline",
                    end: tuple[int, int] | None = None, instruction: str | None = None) -> dict[str, Any]:
        """The codeswitch/scope result for a position or selection."""
        end_line, end_char = end if end is not None else (line, character)
        params: dict[str, Any] = {
            "textDocument": {"uri": uri}, "kind": kind,
            "range": {"start": {"line": line, "character": character},
                      "end": {"line": end_line, "character": end_char}},
        }
        if instruction is not None:
            params["instruction"] = instruction
        result: dict[str, Any] = await self.request("codeswitch/scope", params)
        return result


StartServer = Callable[..., Awaitable[LspSession]]


@pytest_asyncio.fixture
async def start_server(tmp_path: Path) -> AsyncIterator[StartServer]:
    """Factory fixture: start (and afterwards shut down) real servers over stdio."""
    sessions: list[LspSession] = []

    async def start(*, encodings: Sequence[str] | None = ("utf-16",), init_options: object = None,
                    env: Mapping[str, str] | None = None, files: Mapping[str, str] | None = None,
                    caps: types.ClientCapabilities | None = None, initialize: bool = True,
                    root: Path | None = None, args: Sequence[str] = (), trusted: bool = True) -> LspSession:
        n = len(sessions)
        home = tmp_path / f"server{n}"
        workspace = root or home / "ws"
        workspace.mkdir(parents=True, exist_ok=True)
        if trusted:  # the user ran `codeswitch trust`: the client's settings may pick the endpoints
            trust.add(workspace, {"XDG_CONFIG_HOME": server_env(home)["XDG_CONFIG_HOME"]})
        write_files(workspace, files or {})
        client = await start_client(server_env(home, env), tuple(args))
        session = LspSession(client, workspace)
        sessions.append(session)
        if initialize:
            session.result = await client.initialize_session(types.InitializeParams(
                capabilities=caps or capabilities(encodings), root_uri=workspace.as_uri(),
                initialization_options=init_options,
                workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name=workspace.name)]))
        return session

    yield start
    for session in sessions:
        if session.result is not None:
            await session.client.shutdown_session()
        else:  # never initialized: `exit` alone ends the server (LSP), or stop() would wait forever
            session.client.protocol.notify(types.EXIT)
        await session.client.stop()


@pytest_asyncio.fixture
async def lsp(start_server: StartServer) -> LspSession:
    """A server initialized with utf-16 positions and an empty workspace."""
    return await start_server()


@pytest.fixture
def lsp_caps() -> Callable[..., types.ClientCapabilities]:
    """The :func:`capabilities` factory, for tests (conftest modules are not importable by name)."""
    return capabilities
