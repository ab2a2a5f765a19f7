"""Helpers (no tests): a real `codeswitch serve` over stdio for edit tests, pointed at the loopback emulator.

Only an OpenAI key (fake) is configured, so the function tier's chain is gpt-5.3-codex, then
gpt-5.1-codex-mini. The client declares documentChanges, applyEdit and codeAction resolve support
and answers workspace/applyEdit by recording the edit (and applying nothing).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from lsp_raw import plain, raw_request
from lsp_start import initialized, server_env, start_client, write_files
from lsprotocol import types
from pytest_lsp import LanguageClient

from codeswitch import trust
from codeswitch.testing import Emulator

CODEX = "gpt-5.3-codex"
FAKE_KEY = "sk-test-edit-0000"


def edit_caps(*, document_changes: bool = True, resolve: bool = True) -> types.ClientCapabilities:
    return types.ClientCapabilities(
        general=types.GeneralClientCapabilities(position_encodings=["utf-16"]),
        text_document=types.TextDocumentClientCapabilities(
            synchronization=types.TextDocumentSyncClientCapabilities(),
            code_action=types.CodeActionClientCapabilities(
                code_action_literal_support=types.ClientCodeActionLiteralOptions(
                    code_action_kind=types.ClientCodeActionKindOptions(value_set=["refactor", "quickfix"])),
                resolve_support=types.ClientCodeActionResolveOptions(properties=["edit"])
                if resolve else None,
                data_support=True),
        ),
        workspace=types.WorkspaceClientCapabilities(
            apply_edit=True,
            workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=document_changes),
        ),
        window=types.WindowClientCapabilities(work_done_progress=True),
    )


class EditSession:
    """A started client, its workspace, and what the server asked it to apply."""

    def __init__(self, client: LanguageClient, root: Path) -> None:
        self.client = client
        self.root = root
        self.versions: dict[str, int] = {}
        self.applied: list[types.ApplyWorkspaceEditParams] = []
        self.status: list[Any] = []  # codeswitch/status notifications

    def uri(self, name: str) -> str:
        return (self.root / name).as_uri()

    def open(self, name: str, language: str, text: str) -> str:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        uri = path.as_uri()
        self.versions[uri] = 1
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)))
        return uri

    def replace(self, uri: str, line: int, start: int, end: int, text: str) -> None:
        """didChange replacing characters [start, end) of one line."""
        self.versions[uri] += 1
        rng = types.Range(types.Position(line, start), types.Position(line, end))
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            [types.TextDocumentContentChangePartial(range=rng, text=text)]))

    def edit_params(self, uri: str, line: int, character: int, instruction: str,
                    **extra: object) -> dict[str, Any]:
        pos = {"line": line, "character": character}
        return {"textDocument": {"uri": uri}, "range": {"start": pos, "end": pos},
                "instruction": instruction, **extra}

    def progress(self, token: str) -> list[Any]:
        """Where the client collects $/progress values for a client-made token."""
        return self.client.progress_reports.setdefault(token, [])

    async def wait_first_progress(self, reports: list[Any]) -> None:
        """Until ``reports`` (a token's list from :meth:`progress`) holds its first report."""
        while not reports:
            await asyncio.wait_for(self.client.wait_for_notification(types.PROGRESS), timeout=30)

    async def wait_indexed(self) -> None:
        """Until the server's workspace index build reported its end ($/progress)."""
        def done() -> bool:
            return any(str(token).startswith("codeswitch-index") and any(
                getattr(v, "kind", None) == "end" for v in values)
                for token, values in self.client.progress_reports.items())

        # the client may record the last report just after it wakes a waiter: look again at
        # every notification and, should the last one slip past, every half second, for a minute
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while not done():
            assert loop.time() < deadline, "the workspace index never reported its end"
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.client.wait_for_notification(types.PROGRESS), timeout=0.5)

    async def raw_request(self, method: str, params: object) -> Any:
        """A request whose result is kept as JSON (the test client would pick a type for it)."""
        return await raw_request(self.client, method, params)

    async def edit(self, uri: str, line: int, character: int, instruction: str, **extra: object) -> Any:
        return plain(await self.client.protocol.send_request_async(
            "codeswitch/edit", self.edit_params(uri, line, character, instruction, **extra)))


async def start_edit_session(emulator: Emulator, tmp_path: Path, *,
                             caps: types.ClientCapabilities | None = None,
                             files: dict[str, str] | None = None,
                             settings: dict[str, object] | None = None) -> AsyncIterator[EditSession]:
    root = tmp_path / "ws"
    root.mkdir()
    write_files(root, files or {})
    env = server_env(tmp_path, {"OPENAI_API_KEY": FAKE_KEY})
    trust.add(root, env)  # the user trusted the workspace: its settings may pick the endpoint
    client = await start_client(env)
    session = EditSession(client, root)

    client.feature("codeswitch/status")(lambda params: session.status.append(params))

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        session.applied.append(params)
        return types.ApplyWorkspaceEditResult(applied=True)

    base_url = emulator.base_url("openai_responses")
    options: dict[str, object] = {"providers": {"openai": {"base_url": base_url}}}
    options.update(settings or {})
    async with initialized(client, root, caps or edit_caps(), options):
        yield session


def search_replace(search: str, replace: str, path: str | None = None) -> str:
    """A model answer with one search/replace block, in prose and a fence as models write it."""
    head = f"{path}\n" if path else ""
    return (f"Here is the change.\n```\n{head}<<<<<<< SEARCH\n{search}=======\n{replace}"
            ">>>>>>> REPLACE\n```\n")
