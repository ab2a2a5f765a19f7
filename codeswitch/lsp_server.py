"""The pygls server and protocol codeswitch runs, carrying one :class:`State`.

:class:`CodeswitchProtocol` adjusts pygls where the defaults do not fit: text sync goes to our own
:class:`DocumentStore` (pygls's store rebuilds the whole text on every change), requests before
``initialize`` get ServerNotInitialized, requests after ``shutdown`` get InvalidRequest, a request
whose params do not deserialize gets InvalidParams instead of no answer, the position encoding is
utf-8 when the client offers it, utf-16 otherwise, and nothing is written once the client is gone
(after ``exit`` or a failed write: :mod:`codeswitch.client_writer`). The table of methods is in
:mod:`codeswitch.server`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Generator
from functools import partial
from typing import Any, BinaryIO, NamedTuple, cast

from lsprotocol import types
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcServerNotInitialized,
)
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from codeswitch import __version__
from codeswitch.client_writer import ClientWriter
from codeswitch.handlers.protocol import REQUEST_TYPES, describe_error, make_converter
from codeswitch.handlers.state import State
from codeswitch.transport import serve_stdio

log = logging.getLogger(__name__)

NAME = "codeswitch"


class _BadRequest(NamedTuple):
    """A request whose params failed to deserialize: answered with an error, never dropped."""

    id: int | str
    method: str
    error: JsonRpcException
    #: the error already says what was wrong (else a generic InvalidParams is answered)
    told: bool = False


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

    def _execute_handler(self, msg_id: Any, handler: Any, callback: Any, args: Any = None,
                         kwargs: Any = None) -> None:
        """pygls files the future of a notification, and of each step of its built-in generator
        handlers, under a made-up id that nobody can cancel and nothing removes: a future (a lock,
        a condition, callbacks) kept for every ``didChange`` of a session. Those are forgotten
        once done; a request's own future stays until pygls answers it (and can be cancelled)."""
        super()._execute_handler(msg_id, handler, callback, args, kwargs)
        if isinstance(callback, partial) and callback.func == self._send_handler_result:
            return
        future = self._request_futures.get(msg_id)
        if future is None:
            return
        if future.done():
            self._request_futures.pop(msg_id, None)
        else:
            future.add_done_callback(lambda _done: self._request_futures.pop(msg_id, None))

    def structure_message(self, data: dict[str, Any]) -> Any:
        """The custom methods' params are structured into their classes (:mod:`.handlers.protocol`)
        here, at the edge; params that do not fit are InvalidParams naming the field."""
        method = data.get("method")
        typed = REQUEST_TYPES.get(method) if isinstance(method, str) and "id" in data else None
        if typed is not None and data.get("jsonrpc") == "2.0":
            try:
                return self._converter.structure(data, typed)
            except Exception as exc:  # params that do not fit the method's class: say which field
                told = JsonRpcInvalidParams(f"{method}: {describe_error(exc)}")
                return _BadRequest(data["id"], str(method), told, told=True)
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
            bad = message.error if message.told else \
                JsonRpcInvalidParams(f"invalid params for {message.method}")
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
                         protocol_cls=CodeswitchProtocol, converter_factory=make_converter)
        self.state = state or State()

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """Serve over stdio, reading with codeswitch.transport (size cap, strict JSON-RPC shape)."""
        serve_stdio(self, stdin, stdout)


    def report_server_error(self, error: Exception, source: Any) -> None:
        """pygls shows unexpected errors with window/showMessage: never once the client is gone."""
        protocol = self.protocol
        if isinstance(protocol, CodeswitchProtocol) and not protocol.connected:
            log.warning("%s", error)
            return
        super().report_server_error(error, source)








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
