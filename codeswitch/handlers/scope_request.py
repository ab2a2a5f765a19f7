"""``codeswitch/scope``: the scope estimate and route for a position or selection, as the CLI prints it.

Params ``{textDocument: {uri}, range | position, instruction?, kind?}``; the result is the same
object as ``codeswitch scope --json`` (positions in the negotiated encoding). A document that is
not open is read from disk when its URI is a file; otherwise, and for positions outside the
document, the answer is InvalidParams.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from codeswitch.cli.pipeline import KINDS, Case, Routed
from codeswitch.cli.scope import result_json
from codeswitch.documents import PositionError, Snapshot, Span, UnknownDocument, path_from_uri
from codeswitch.limits import MAX_FILE_BYTES
from codeswitch.routing import Budget, Health, route
from codeswitch.scope import RequestKind, ScopeRequest, estimate_scope

if TYPE_CHECKING:
    from codeswitch.server import CodeswitchServer, State

METHOD = "codeswitch/scope"
#: files read from disk for a request on a document that is not open
MAX_DISK_BYTES = MAX_FILE_BYTES


def get(obj: object, key: str) -> Any:
    """A field of params that may arrive as JSON (a dict) or as an lsprotocol object."""
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def _int(obj: object, key: str, what: str) -> int:
    value = get(obj, key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise JsonRpcInvalidParams(f"{what}.{key} must be an integer")
    return value


def _position(obj: object, what: str) -> tuple[int, int]:
    if obj is None:
        raise JsonRpcInvalidParams(f"missing {what}")
    return _int(obj, "line", what), _int(obj, "character", what)


def instruction_param(params: object) -> str:
    """An edit or refactor request's instruction, stripped; InvalidParams when missing or blank."""
    instruction = get(params, "instruction")
    if not isinstance(instruction, str) or not instruction.strip():
        raise JsonRpcInvalidParams("instruction must be a non-empty string")
    return instruction.strip()


def apply_param(params: object) -> bool:
    """Whether the server itself should send workspace/applyEdit (``apply``, default false)."""
    apply = get(params, "apply")
    if apply is not None and not isinstance(apply, bool):
        raise JsonRpcInvalidParams("apply must be a boolean")
    return bool(apply)


def span_of(snap: Snapshot, rng: object, what: str = "range") -> Span:
    """An LSP range of a request as a Span in ``snap`` (start first); InvalidParams when unusable."""
    start = _position(get(rng, "start") if rng is not None else None, f"{what}.start")
    end = _position(get(rng, "end"), f"{what}.end")
    try:
        span = Span(snap.to_pos(*start), snap.to_pos(*end))
    except PositionError as exc:
        raise JsonRpcInvalidParams(str(exc)) from None
    if (span.end.line, span.end.col) < (span.start.line, span.start.col):
        span = Span(span.end, span.start)
    return span


def lsp_range(snap: Snapshot, span: Span) -> types.Range:
    """A Span of ``snap`` as an LSP range in the negotiated encoding (the inverse of span_of)."""
    (sl, sc), (el, ec) = snap.to_lsp(span.start), snap.to_lsp(span.end)
    return types.Range(types.Position(sl, sc), types.Position(el, ec))


def snapshot_for(state: State, uri: str) -> Snapshot:
    """The open document, or the file on disk when it is not open; InvalidParams otherwise."""
    try:
        return state.documents.snapshot(uri)
    except UnknownDocument:
        pass
    path = path_from_uri(uri)
    if path is None or not path.is_file():
        raise JsonRpcInvalidParams(f"unknown document: {uri}")
    try:
        if path.stat().st_size > MAX_DISK_BYTES:
            raise JsonRpcInvalidParams(f"{uri}: file too large")
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise JsonRpcInvalidParams(f"{uri}: cannot read: {exc.strerror}") from None
    return Snapshot.from_text(text, uri=uri, path=path, encoding=state.documents.encoding)


def scope_result(state: State, params: object) -> dict[str, object]:
    """The scope JSON for one request (plain data; raises InvalidParams on bad input)."""
    uri = get(get(params, "textDocument"), "uri")
    if not isinstance(uri, str):
        raise JsonRpcInvalidParams("missing textDocument.uri")
    kind: RequestKind = get(params, "kind") or "auto"
    if kind not in KINDS:
        raise JsonRpcInvalidParams(f"kind must be one of {', '.join(KINDS)}")
    instruction = get(params, "instruction")
    if instruction is not None and not isinstance(instruction, str):
        raise JsonRpcInvalidParams("instruction must be a string")
    rng = get(params, "range")
    if rng is None:
        position = get(params, "position")
        if position is None:
            raise JsonRpcInvalidParams("missing range or position")
        rng = {"start": position, "end": position}
    start, end = _position(get(rng, "start"), "range.start"), _position(get(rng, "end"), "range.end")
    snap = snapshot_for(state, uri)
    span = span_of(snap, rng)
    scope = estimate_scope(snap, ScopeRequest(kind, span, instruction), state.index_for(snap.uri))
    spent = state.ledger.spent_today() if state.ledger is not None else 0.0
    health = state.dispatcher.health() if state.dispatcher is not None else Health()
    decision = route(scope, state.config, state.catalog, health, Budget.from_config(state.config, spent),
                     state.keys())
    root = str(state.root) if state.root is not None else "."
    rel = _relative(snap.path, state.root) if snap.path is not None else uri
    case = Case(root, rel, start, end, instruction, kind)
    out = result_json(Routed(case, snap, scope, decision, keys_assumed=False))
    del out["id"]
    out["uri"] = uri
    out["version"] = snap.version
    return out


def _relative(path: Path, root: Path | None) -> str:
    if root is not None and path.is_relative_to(root):
        return path.relative_to(root).as_posix()
    return path.as_posix()


def scope(ls: CodeswitchServer, params: object) -> dict[str, object]:
    return scope_result(ls.state, params)

