"""``codeswitch/scope``: the scope estimate and route for a position or selection, as the CLI prints it.

Params :class:`.protocol.ScopeParams` ``{textDocument: {uri}, range | position, instruction?,
kind?}``; the result (:class:`.protocol.ScopeResult`) is the ``codeswitch scope --json`` object
(:mod:`codeswitch.scope_report`, positions in the negotiated encoding) plus the document's ``uri``
and ``version``. A document that is not open is read from disk when its URI is a file; otherwise,
and for positions outside the document, the answer is InvalidParams.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pygls.exceptions import JsonRpcInvalidParams

from codeswitch.scope import RequestKind, ScopeRequest, estimate_scope
from codeswitch.scope_report import KINDS, scope_json

from .params import snapshot_for, span_of
from .protocol import CONVERTER, SCOPE_METHOD, RangeParam, ScopeParams, ScopeResult
from .routes import route_for

if TYPE_CHECKING:
    from codeswitch.lsp_server import CodeswitchServer

    from .state import State

METHOD = SCOPE_METHOD


def scope_result(state: State, params: ScopeParams) -> ScopeResult:
    """The scope of one request (raises InvalidParams on bad input)."""
    kind = params.kind or "auto"
    if kind not in KINDS:
        raise JsonRpcInvalidParams(f"kind must be one of {', '.join(KINDS)}")
    rng = params.range
    if rng is None:
        if params.position is None:
            raise JsonRpcInvalidParams("missing range or position")
        rng = RangeParam(params.position, params.position)
    uri = params.text_document.uri
    snap = snapshot_for(state, uri)
    request_kind: RequestKind = kind  # type: ignore[assignment]
    request = ScopeRequest(request_kind, span_of(snap, rng), params.instruction)
    scope = estimate_scope(snap, request, state.index_for(snap.uri),
                           under_penalty=state.config.scope.under_penalty)
    root = str(state.root) if state.root is not None else "."
    body = scope_json(snap, scope, route_for(state, scope), root)
    return CONVERTER.structure({**body, "uri": uri, "version": snap.version}, ScopeResult)


def scope(ls: CodeswitchServer, params: ScopeParams) -> ScopeResult:
    return scope_result(ls.state, params)
