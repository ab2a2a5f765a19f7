"""The language server: one table of LSP methods and the state the handlers share.

No feature logic lives here. ``FEATURES`` and ``COMMANDS`` list every method the server
answers; the handler modules hold the functions and their capability options next to them, so
adding a feature is one import and one row. :class:`CodeswitchProtocol` adjusts pygls where the
defaults do not fit: text sync goes to our own :class:`DocumentStore` (pygls's store rebuilds the
whole text on every change), requests before ``initialize`` get ServerNotInitialized, requests
after ``shutdown`` get InvalidRequest, a request whose params do not deserialize gets
InvalidParams instead of no answer, the position encoding is utf-8 when the client offers it,
utf-16 otherwise, and nothing is written once the client is gone (after ``exit`` or a failed
write: :mod:`codeswitch.client_writer`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple, cast

from lsprotocol import types
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcServerNotInitialized,
)
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, default_converter
from pygls.protocol.language_server import lsp_method

from codeswitch import __version__
from codeswitch.catalog import Catalog, load_catalog
from codeswitch.client_writer import ClientWriter
from codeswitch.config import Config, ConfigProblem
from codeswitch.dispatch import Dispatcher
from codeswitch.documents import DocumentStore
from codeswitch.features.edit import EditEngine
from codeswitch.handlers import (
    actions,
    analysis,
    info,
    inline,
    inline_switch,
    lifecycle,
    refactor,
    scope_request,
    text_sync,
)
from codeswitch.handlers.background import Background
from codeswitch.handlers.files import FileJudge
from codeswitch.handlers.folders import WorkspaceFolders
from codeswitch.handlers.status import StatusReporter
from codeswitch.keys import KeyCache
from codeswitch.ledger import Ledger
from codeswitch.scope.index import WorkspaceIndex
from codeswitch.transport import serve_stdio

log = logging.getLogger(__name__)

NAME = "codeswitch"


class Feature(NamedTuple):
    method: str
    handler: Callable[..., Any]
    options: object | None = None


#: every LSP method the server answers: (method, handler(ls, params), capability options)
FEATURES: list[Feature] = [
    Feature(types.INITIALIZE, lifecycle.initialize),
    Feature(types.INITIALIZED, lifecycle.initialized),
    Feature(types.SHUTDOWN, lifecycle.shutdown),
    Feature(types.EXIT, lifecycle.exit_server),
    Feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION, lifecycle.did_change_configuration),
    Feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES, lifecycle.did_change_watched_files),
    Feature(types.TEXT_DOCUMENT_DID_OPEN, text_sync.did_open),
    Feature(types.TEXT_DOCUMENT_DID_CHANGE, text_sync.did_change),
    Feature(types.TEXT_DOCUMENT_DID_SAVE, text_sync.did_save, text_sync.SAVE_OPTIONS),
    Feature(types.TEXT_DOCUMENT_DID_CLOSE, text_sync.did_close),
    Feature(scope_request.METHOD, scope_request.scope),
    Feature(inline.INLINE_METHOD, inline.inline_completion, inline.INLINE_OPTIONS),
    Feature(inline.COMPLETION_METHOD, inline.completion, inline.COMPLETION_OPTIONS),
    Feature(actions.EDIT_METHOD, actions.edit),
    Feature(actions.CODE_ACTION_METHOD, actions.code_action, actions.CODE_ACTION_OPTIONS),
    Feature(actions.RESOLVE_METHOD, actions.resolve_code_action),
    Feature(refactor.METHOD, refactor.refactor),
    Feature(analysis.EXPLAIN_METHOD, analysis.explain),
    Feature(analysis.REVIEW_METHOD, analysis.review),
    Feature(info.STATS_METHOD, info.stats),
    Feature(info.LAST_ROUTE_METHOD, info.last_route),
]

#: workspace/executeCommand names: (command, handler(ls, *arguments))
COMMANDS: list[tuple[str, Callable[..., Any]]] = [
    (inline.ACCEPT_COMMAND, inline.accept_inline),
    (inline_switch.TOGGLE_COMMAND, inline_switch.toggle),
    (inline_switch.SNOOZE_COMMAND, inline_switch.snooze),
    (inline_switch.STATUS_COMMAND, inline_switch.status),
]


@dataclass(slots=True)
class State:
    """What the handlers share. ``config`` is replaced as a whole (never mutated in place)."""

    documents: DocumentStore = field(default_factory=DocumentStore)
    config: Config = field(default_factory=Config)
    catalog: Catalog = field(default_factory=load_catalog)
    problems: tuple[ConfigProblem, ...] = ()
    #: the config problems last shown to the user (each is shown once while it lasts)
    reported_problems: frozenset[str] = frozenset()
    index: WorkspaceIndex | None = None
    dispatcher: Dispatcher | None = None
    ledger: Ledger | None = None
    root: Path | None = None
    provider_keys: frozenset[str] = frozenset()
    init_options: object = None
    #: the last routing decision (codeswitch/lastRoute); handlers set it via info.remember_route
    last_route: info.RouteRecord | None = None
    #: where each open document sits and whether it is secret, by URI
    files: FileJudge = field(default_factory=FileJudge)
    edit_engine: EditEngine | None = None
    #: why the usage ledger could not be opened (told to the client once, after initialize)
    ledger_error: str | None = None
    #: pending index refreshes of open documents, by URI
    index_timers: dict[str, asyncio.TimerHandle] = field(default_factory=dict)
    #: the last function edit per URI that was escalated to the workspace tier: (instruction, what
    #: the first attempt did), handed to the team when the user runs the refactor it suggested
    escalations: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: work outside any request (the first index build); shutdown and exit stop it
    background: Background = field(default_factory=Background)
    #: every workspace folder with its index (``index``/``root`` are the first one's)
    folders: WorkspaceFolders = field(default_factory=WorkspaceFolders)

    def index_for(self, uri: str) -> WorkspaceIndex | None:
        """The index of the folder holding the document (the first folder's for one outside all)."""
        found = self.folders.for_uri(uri)
        return found[1] if found is not None else self.index

    def root_for(self, uri: str) -> Path | None:
        """The folder holding the document (the first folder for one outside all)."""
        found = self.folders.for_uri(uri)
        return found[0] if found is not None else self.root
    #: API keys, resolved off the event loop (key commands run in a worker thread, cached)
    api_keys: KeyCache = field(default_factory=lambda: KeyCache(Config()))
    #: codeswitch/status notifications, coalesced
    status: StatusReporter = field(default_factory=StatusReporter)

    def keys(self) -> frozenset[str]:
        """Providers that can be called (resolved when the config is loaded, not per request)."""
        return self.provider_keys

    def set_config(self, config: Config, problems: list[ConfigProblem]) -> None:
        """Swap the config; ``refresh_keys`` then finds which providers have a key."""
        self.config = config
        self.problems = tuple(problems)
        self.files.exclude = tuple(config.exclude)  # an excluded document is never sent either
        self.api_keys.set_config(config)

    async def refresh_keys(self) -> None:
        """Which providers can be called: key commands run in a worker thread, never on the loop."""
        self.provider_keys = await self.api_keys.resolve_all()


class _BadRequest(NamedTuple):
    """A request whose params failed to deserialize: answered with an error, never dropped."""

    id: int | str
    method: str
    error: JsonRpcException


def _preferred_encoding(offered: list[str] | None) -> str:
    if not offered:
        return types.PositionEncodingKind.Utf16
    for choice in (types.PositionEncodingKind.Utf8, types.PositionEncodingKind.Utf16):
        if choice in offered:
            return choice
    return types.PositionEncodingKind.Utf32 if types.PositionEncodingKind.Utf32 in offered \
        else types.PositionEncodingKind.Utf16


class CodeswitchProtocol(LanguageServerProtocol):
    """pygls's protocol with our own text sync and stricter answers to bad input."""

    initialized = False

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams) -> Generator[Any, Any, types.InitializeResult]:
        general = params.capabilities.general
        if general is not None and general.position_encodings:
            chosen = _preferred_encoding([str(e) for e in general.position_encodings])
            # pygls takes the client's first supported encoding: put ours first
            general.position_encodings = [chosen, *(e for e in general.position_encodings if e != chosen)]
        result = yield from super().lsp_initialize(params)
        self.initialized = True
        return result

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams
                                    ) -> Generator[Any, Any, None]:
        yield from self._user(types.TEXT_DOCUMENT_DID_OPEN, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams
                                      ) -> Generator[Any, Any, None]:
        yield from self._user(types.TEXT_DOCUMENT_DID_CHANGE, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams
                                     ) -> Generator[Any, Any, None]:
        yield from self._user(types.TEXT_DOCUMENT_DID_CLOSE, params)

    def _user(self, method: str, params: object) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(method)) is not None:
            yield handler, (params,), None

    def set_writer(self, writer: Any, include_headers: bool = True) -> None:
        super().set_writer(cast(Any, ClientWriter(writer)), include_headers)

    @property
    def connected(self) -> bool:
        """A client to write to: not before the transport starts, nor after exit or a failed write."""
        return isinstance(self.writer, ClientWriter) and not self.writer.closed

    def _run_generator(self, future: Any, *, gen: Generator[Any, Any, Any], result_future: Any) -> None:
        """pygls runs its built-in handlers (shutdown, initialized, ...) as generators over ours; when
        the event loop ends (end of input) while one of ours awaits, that task is cancelled and pygls
        would log a CancelledError traceback. The built-in handler is cancelled with it instead."""
        if future is not None and future.cancelled():
            gen.close()
            if not result_future.done():
                result_future.cancel()
            return
        super()._run_generator(future, gen=gen, result_future=result_future)

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if "id" in data and "method" in data:
                return _BadRequest(data["id"], str(data["method"]), exc)
            raise

    def _send_response(self, msg_id: Any, result: Any = None, error: Any = None) -> None:
        """Internal errors go to the client without pygls's traceback (it is in the server's log)."""
        data = getattr(error, "data", None)
        if isinstance(data, dict) and "traceback" in data:
            log.warning("request %s failed: %s", msg_id, getattr(error, "message", error))
            error.data = None
        super()._send_response(msg_id, result, error)

    def handle_message(self, message: Any) -> None:
        if isinstance(message, _BadRequest):
            log.warning("invalid params for %s", message.method)
            bad = JsonRpcInvalidParams(f"invalid params for {message.method}")
            self._send_response(message.id, None, bad.to_response_error())
            return
        method = getattr(message, "method", None)
        if not self.initialized and method not in (None, types.INITIALIZE, types.EXIT):
            if getattr(message, "id", None) is not None:
                error = JsonRpcServerNotInitialized(f"{method}: the server is not initialized yet")
                self._send_response(message.id, None, error.to_response_error())
            return  # notifications before initialize are dropped (LSP)
        if self._shutdown and method not in (None, types.EXIT):
            if getattr(message, "id", None) is not None:  # LSP: InvalidRequest after shutdown
                late = JsonRpcInvalidRequest(f"{method}: the server is shutting down")
                self._send_response(message.id, None, late.to_response_error())
            return
        super().handle_message(message)


class CodeswitchServer(LanguageServer):
    """A pygls server carrying :class:`State`; the attributes below read through to it."""

    def __init__(self, state: State | None = None) -> None:
        super().__init__(NAME, __version__, types.TextDocumentSyncKind.Incremental,
                         protocol_cls=CodeswitchProtocol, converter_factory=default_converter)
        self.state = state or State()

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """Serve over stdio, reading with codeswitch.transport (size cap, strict JSON-RPC shape)."""
        serve_stdio(self, stdin, stdout)

    @property
    def documents(self) -> DocumentStore:
        return self.state.documents

    def report_server_error(self, error: Exception, source: Any) -> None:
        """pygls shows unexpected errors with window/showMessage: never once the client is gone."""
        protocol = self.protocol
        if isinstance(protocol, CodeswitchProtocol) and not protocol.connected:
            log.warning("%s", error)
            return
        super().report_server_error(error, source)

    @property
    def settings(self) -> Config:
        return self.state.config

    @property
    def catalog(self) -> Catalog:
        return self.state.catalog

    @property
    def index(self) -> WorkspaceIndex | None:
        return self.state.index

    @property
    def dispatcher(self) -> Dispatcher | None:
        return self.state.dispatcher

    @property
    def ledger(self) -> Ledger | None:
        return self.state.ledger

    @property
    def root(self) -> Path | None:
        return self.state.root


class ClientLogHandler(logging.Handler):
    """Forwards codeswitch warnings to the client as window/logMessage (from the event loop only)."""

    def __init__(self, server: CodeswitchServer) -> None:
        super().__init__(logging.WARNING)
        self.server = server

    def emit(self, record: logging.LogRecord) -> None:
        protocol = self.server.protocol
        if not record.name.startswith("codeswitch") or not isinstance(protocol, CodeswitchProtocol):
            return
        if not protocol.initialized or not protocol.connected:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # worker threads log to stderr only
        kind = types.MessageType.Error if record.levelno >= logging.ERROR else types.MessageType.Warning
        try:
            self.server.window_log_message(types.LogMessageParams(kind, self.format(record)))
        except Exception:
            self.handleError(record)


def create_server(state: State | None = None) -> CodeswitchServer:
    """A server with every row of FEATURES and COMMANDS registered."""
    server = CodeswitchServer(state)
    for method, handler, options in FEATURES:
        server.feature(method, options)(handler)
    for name, command in COMMANDS:
        server.command(name)(command)
    return server
