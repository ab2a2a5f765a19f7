"""Text sync: didOpen / didChange / didSave / didClose into the incremental DocumentStore.

Per keystroke only the store is touched (cost follows the edit). The workspace index is
refreshed from an open document once typing pauses (``INDEX_DELAY_S``), in a worker thread,
from a frozen snapshot; on close the index goes back to what is on disk.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from lsprotocol import types

from codeswitch.documents import Change, UnknownDocument

if TYPE_CHECKING:
    from codeswitch.lsp_server import CodeswitchServer

log = logging.getLogger(__name__)

SAVE_OPTIONS = types.SaveOptions(include_text=False)
#: seconds of quiet before an open document's definitions are re-indexed
INDEX_DELAY_S = 0.5


def did_open(ls: CodeswitchServer, params: types.DidOpenTextDocumentParams) -> None:
    doc = params.text_document
    ls.state.documents.open(doc.uri, doc.language_id, doc.version, doc.text)
    _schedule_index(ls, doc.uri, 0.0)


def _change(c: types.TextDocumentContentChangeEvent) -> Change:
    rng = getattr(c, "range", None)
    if rng is None:
        return None, c.text
    return (rng.start.line, rng.start.character, rng.end.line, rng.end.character), c.text


def did_change(ls: CodeswitchServer, params: types.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    try:
        ls.state.documents.change(uri, params.text_document.version,
                                  [_change(c) for c in params.content_changes])
    except UnknownDocument:
        log.warning("didChange for a document that is not open: %s", uri)
        return
    _schedule_index(ls, uri, INDEX_DELAY_S)


def did_save(ls: CodeswitchServer, params: types.DidSaveTextDocumentParams) -> None:
    if params.text_document.uri in ls.state.documents:
        _schedule_index(ls, params.text_document.uri, 0.0)


def did_close(ls: CodeswitchServer, params: types.DidCloseTextDocumentParams) -> None:
    state = ls.state
    uri = params.text_document.uri
    timer = state.index_timers.pop(uri, None)
    if timer is not None:
        timer.cancel()
    try:
        path = state.documents.snapshot(uri).path
    except UnknownDocument:
        return
    state.documents.close(uri)
    folder = state.folders.folder_of(path)
    if folder is not None and path is not None:
        asyncio.get_running_loop().run_in_executor(None, folder[1].update_file, path)


def _schedule_index(ls: CodeswitchServer, uri: str, delay: float) -> None:
    state = ls.state
    if not len(state.folders):
        return
    old = state.index_timers.pop(uri, None)
    if old is not None:
        old.cancel()
    loop = asyncio.get_running_loop()
    state.index_timers[uri] = loop.call_later(delay, _refresh_index, ls, uri)


def _refresh_index(ls: CodeswitchServer, uri: str) -> None:
    state = ls.state
    state.index_timers.pop(uri, None)
    try:
        snap = state.documents.snapshot(uri)
    except UnknownDocument:
        return
    path = snap.path
    folder = state.folders.folder_of(path)
    if folder is None or path is None or snap.plain_reason == "binary":
        return
    index = folder[1]

    def work() -> None:
        try:
            index.update_text(path, snap.text, snap.language, tree=snap.kept_syntax)
        except Exception as exc:  # the index is a hint; a failure must not reach the client
            log.warning("re-indexing %s failed: %s", uri, exc)

    asyncio.get_running_loop().run_in_executor(None, work)
