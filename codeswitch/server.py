"""The language server: one table of LSP methods, and :func:`create_server`.

No feature logic lives here. ``FEATURES`` and ``COMMANDS`` list every method the server
answers; the handler modules hold the functions and their capability options next to them, so
adding a feature is one import and one row. The pygls server and protocol classes are in
:mod:`codeswitch.lsp_server`, the state the handlers share in :mod:`codeswitch.handlers.state`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from lsprotocol import types

from codeswitch.handlers import (
    actions,
    analysis,
    info,
    inline,
    inline_switch,
    lifecycle,
    protocol,
    refactor,
    scope_request,
    text_sync,
)
from codeswitch.handlers.state import State
from codeswitch.lsp_server import ClientLogHandler, CodeswitchProtocol, CodeswitchServer

__all__ = ["COMMANDS", "FEATURES", "ClientLogHandler", "CodeswitchProtocol", "CodeswitchServer", "Feature",
           "State", "create_server"]


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
    Feature(protocol.EDIT_METHOD, actions.edit),
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


def create_server(state: State | None = None) -> CodeswitchServer:
    """A server with every row of FEATURES and COMMANDS registered."""
    server = CodeswitchServer(state)
    for method, handler, options in FEATURES:
        server.feature(method, options)(handler)
    for name, command in COMMANDS:
        server.command(name)(command)
    return server


if TYPE_CHECKING:
    def _fits(server: CodeswitchServer) -> inline.InlineServer:
        return server  # mypy checks that the server is what the inline handlers take
