"""Reading request params against a document: fields of untyped data, ranges, the document itself.

The typed params of the custom methods are structured at the edge (:mod:`.protocol`); what they and
LSP's own params name still has to be checked against the document: :func:`span_of` turns a range
into a :class:`Span` of a snapshot (InvalidParams when it does not fit), :func:`lsp_range` is the
inverse, :func:`snapshot_for` finds the document (open, or read from disk). :func:`get` reads a
field of data that stays untyped on the wire (a code action's ``data``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from codeswitch.documents import PositionError, Snapshot, UnknownDocument, path_from_uri
from codeswitch.limits import MAX_FILE_BYTES
from codeswitch.text import Span

if TYPE_CHECKING:
    from .state import State

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
