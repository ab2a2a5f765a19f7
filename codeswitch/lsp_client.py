"""A small LSP client of ``codeswitch serve``, used by the headless harness and the demo.

The harness is a third editor, not a shortcut: it starts the real server as a subprocess,
initializes it like an editor would (UTF-16 positions, inline completion, work-done progress),
opens documents and sends the same requests. Results come back as plain JSON data.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar, cast

import cattrs
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.client import LanguageClient
from pygls.protocol import (
    JsonRPCNotification,
    JsonRPCRequestMessage,
    JsonRPCResponseMessage,
    default_converter,
)

from codeswitch import __version__
from codeswitch.scope.syntax import language_for

#: (token, value) of each $/progress notification: value is the LSP WorkDoneProgress* as JSON
ProgressHandler = Callable[[str, Mapping[str, Any]], None]
#: (method, params as JSON) of a notification the server sent (window/showMessage, codeswitch/status)
NotificationHandler = Callable[[str, Any], None]
#: lines of the server's stderr kept to explain a crash
STDERR_TAIL = 40
#: seconds a server gets to exit after ``exit`` (and its stdin closed) before it is terminated
EXIT_GRACE_S = 5.0
#: the default server: ``-P`` keeps the current directory off ``sys.path``, so a workspace holding a
#: package named like one of codeswitch's dependencies (``pygls``, ``httpx``, ...) cannot shadow it
DEFAULT_COMMAND = (sys.executable, "-P", "-m", "codeswitch", "serve")

T = TypeVar("T")


class ServerGone(Exception):
    """The server process exited or could not be started; ``message`` says why (with its stderr)."""


class RequestFailed(Exception):
    """The server answered a request with a JSON-RPC error (bad params, unknown document, ...)."""

    def __init__(self, method: str, code: int | None, message: str) -> None:
        super().__init__(f"{method}: {message}" + (f" (JSON-RPC error {code})" if code is not None else ""))
        self.method = method
        self.code = code


def _keep_raw(obj: dict[str, Any], cls: type[Any]) -> Any:
    return cls(**obj)


def raw_converter() -> cattrs.Converter:
    """pygls's converter, except that custom results and params stay plain JSON.

    pygls turns untyped JSON objects into namedtuples with ``rename=True``, which mangles keys
    that are not identifiers — the URIs keying ``WorkspaceEdit.changes`` among them.
    """
    converter = cast(Callable[[], cattrs.Converter], default_converter)()
    for cls in (JsonRPCResponseMessage, JsonRPCNotification, JsonRPCRequestMessage):
        converter.register_structure_hook(cls, _keep_raw)
    return converter


def to_json(value: Any, client: LanguageClient) -> Any:
    """lsprotocol objects (and any namedtuple left) -> JSON data."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {k: to_json(v, client) for k, v in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [to_json(v, client) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v, client) for k, v in value.items()}
    return client.protocol._converter.unstructure(value)


def language_id(path: Path) -> str:
    """The LSP languageId editors use for a file (the canonical grammar name fits for most)."""
    name = language_for(None, path)
    return {"tsx": "typescriptreact", None: "plaintext"}.get(name, name or "plaintext")


class ServerClient:
    """``async with ServerClient(root) as c:`` — a started, initialized server for that workspace."""

    def __init__(self, root: Path, *, command: Sequence[str] | None = None,
                 env: Mapping[str, str] | None = None, on_progress: ProgressHandler | None = None,
                 on_notification: NotificationHandler | None = None,
                 initialization_options: object = None) -> None:
        self.root = root.resolve()
        self.command = list(command or DEFAULT_COMMAND)
        self.env = dict(env) if env is not None else None
        self.initialization_options = initialization_options
        self.client = LanguageClient("codeswitch-cli", __version__, converter_factory=raw_converter)
        self.stderr_tail: deque[str] = deque(maxlen=STDERR_TAIL)
        self._stderr_task: asyncio.Task[None] | None = None
        self._on_progress = on_progress
        self._on_notification = on_notification
        self._register()

    def _on(self, method: str, handler: Callable[[Any], Any]) -> None:
        # pygls's client decorator is untyped; register through Any to keep mypy strict
        cast(Any, self.client).feature(method)(handler)

    def _notify(self, method: str, params: Any) -> None:
        if self._on_notification is not None:
            self._on_notification(method, to_json(params, self.client))

    def _progress(self, params: types.ProgressParams) -> None:
        if self._on_progress is not None:
            value = to_json(params.value, self.client)
            self._on_progress(str(params.token), value if isinstance(value, Mapping) else {})

    def _register(self) -> None:
        self._on(types.WINDOW_WORK_DONE_PROGRESS_CREATE, lambda params: None)
        self._on(types.PROGRESS, lambda params: self._progress(params))
        self._on(types.WINDOW_SHOW_MESSAGE, lambda params: self._notify(types.WINDOW_SHOW_MESSAGE, params))
        self._on(types.WINDOW_LOG_MESSAGE, lambda params: self._notify(types.WINDOW_LOG_MESSAGE, params))
        self._on("codeswitch/status", lambda params: self._notify("codeswitch/status", params))
        # The harness applies the edit a request returns itself (and only with --apply).
        self._on(types.WORKSPACE_APPLY_EDIT, lambda params: types.ApplyWorkspaceEditResult(
            applied=False, failure_reason="the headless client applies returned edits itself"))

    async def _drain_stderr(self, stream: asyncio.StreamReader) -> None:
        # The server's stderr is a pipe: read it, or a chatty server would block on a full pipe.
        while line := await stream.readline():
            self.stderr_tail.append(line.decode("utf-8", "replace").rstrip())

    def _gone(self, what: str) -> ServerGone:
        tail = "\n".join(self.stderr_tail)
        return ServerGone(f"{what}" + (f"\n{tail}" if tail else ""))

    async def __aenter__(self) -> ServerClient:
        try:
            await self.client.start_io(self.command[0], *self.command[1:], env=self.env)
        except OSError as exc:
            raise ServerGone(f"cannot start the server ({' '.join(self.command)}): "
                             f"{exc.strerror or exc}") from None
        process = self._process
        if process is not None and process.stderr is not None:
            self._stderr_task = asyncio.create_task(self._drain_stderr(process.stderr))
        caps = types.ClientCapabilities(
            general=types.GeneralClientCapabilities(
                position_encodings=[types.PositionEncodingKind.Utf16]),
            text_document=types.TextDocumentClientCapabilities(
                synchronization=types.TextDocumentSyncClientCapabilities(did_save=True),
                inline_completion=types.InlineCompletionClientCapabilities(),
                code_action=types.CodeActionClientCapabilities(),
            ),
            workspace=types.WorkspaceClientCapabilities(
                apply_edit=True,
                workspace_edit=types.WorkspaceEditClientCapabilities(
                    document_changes=True,
                    resource_operations=[types.ResourceOperationKind.Create],
                    change_annotation_support=types.ChangeAnnotationsSupportOptions(groups_on_label=True)),
            ),
            window=types.WindowClientCapabilities(work_done_progress=True),
        )
        uri = self.root.as_uri()
        try:
            await self.client.initialize_async(types.InitializeParams(
                capabilities=caps, root_uri=uri, process_id=None,
                initialization_options=self.initialization_options,
                workspace_folders=[types.WorkspaceFolder(uri=uri, name=self.root.name)]))
        except RuntimeError as exc:  # pygls fails pending requests this way when the process exits
            await self._close()
            raise self._gone(f"the server exited during initialize: {exc}") from None
        self.client.initialized(types.InitializedParams())
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if exc_type is not None and issubclass(exc_type, asyncio.CancelledError | KeyboardInterrupt):
            self._terminate()  # interrupted (Ctrl-C): stop the server now, do not wait for its work
        try:
            if not self.client.stopped and self._running():
                with contextlib.suppress(RuntimeError, OSError):
                    await self.client.shutdown_async(None)
                    self.client.exit(None)
        except asyncio.CancelledError:
            self._terminate()  # interrupted during shutdown: the interruption still ends the command
            raise
        finally:
            await self._close()

    @property
    def _process(self) -> asyncio.subprocess.Process | None:
        """The server process pygls started (its ``_server``: not public API)."""
        process: asyncio.subprocess.Process | None = cast(Any, self.client)._server
        return process

    def _running(self) -> bool:
        process = self._process
        return process is not None and process.returncode is None

    def _terminate(self) -> None:
        process = self._process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()

    async def _close(self) -> None:
        """Close the server's stdin (a server that missed ``exit`` stops at end of input), give it
        EXIT_GRACE_S to exit, then terminate it; stop the client."""
        process = self._process
        if process is not None:
            if process.stdin is not None and not process.stdin.is_closing():
                process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), EXIT_GRACE_S)
            except TimeoutError:
                self._terminate()
        await cast(Any, self.client).stop()
        if self._stderr_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._stderr_task

    async def _call(self, method: str, send: Callable[[], Awaitable[T]]) -> T:
        """Send a request and await it: a dead server -> ServerGone, a JSON-RPC error -> RequestFailed."""
        try:
            return await send()
        except RuntimeError as exc:  # pygls fails pending requests this way when the process exits
            raise self._gone(str(exc)) from None
        except JsonRpcException as exc:
            raise RequestFailed(method, exc.code, exc.message) from None

    def open(self, path: Path, text: str) -> str:
        """didOpen a file with the given text; returns its URI."""
        uri = path.resolve().as_uri()
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
            uri=uri, language_id=language_id(path), version=1, text=text)))
        return uri

    async def inline(self, uri: str, line: int, character: int, *,
                     several: bool = False) -> list[dict[str, Any]]:
        """textDocument/inlineCompletion at an LSP position: the items as JSON. ``several`` asks as an
        editor's next-suggestion command does (Invoked: up to ``inline.max_items`` items, more model
        calls); otherwise as while typing (Automatic: one item)."""
        kinds = types.InlineCompletionTriggerKind
        kind = kinds.Invoked if several else kinds.Automatic
        params = types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=character),
            context=types.InlineCompletionContext(trigger_kind=kind))
        result = await self._call(types.TEXT_DOCUMENT_INLINE_COMPLETION,
                                  lambda: self.client.text_document_inline_completion_async(params))
        if result is None:
            return []
        items = result.items if isinstance(result, types.InlineCompletionList) else result
        data = to_json(list(items), self.client)
        return data if isinstance(data, list) else []

    async def request(self, method: str, params: Mapping[str, Any]) -> Any:
        """A custom request (codeswitch/edit, codeswitch/refactor, ...): the result as JSON."""
        send = self.client.protocol.send_request_async
        result = await self._call(method, lambda: send(method, dict(params)))
        return to_json(result, self.client)

    async def execute_command(self, command: str, arguments: Sequence[Any] = ()) -> Any:
        """workspace/executeCommand (e.g. the accept command an inline item carries)."""
        params = types.ExecuteCommandParams(command=command, arguments=list(arguments))
        result = await self._call(types.WORKSPACE_EXECUTE_COMMAND,
                                  lambda: self.client.workspace_execute_command_async(params))
        return to_json(result, self.client)
