"""A server that answers initialize and shutdown but never exits: not on ``exit``, not at end of input.

The harness must not wait for it forever (lsp_client.EXIT_GRACE_S, then terminate)."""

from __future__ import annotations

import threading

from lsprotocol import types
from pygls.lsp.server import LanguageServer

server = LanguageServer("stuck", "0-stub", text_document_sync_kind=types.TextDocumentSyncKind.Incremental)

if __name__ == "__main__":
    server.start_io()  # returns on exit (pygls swallows its SystemExit) or at end of input
    threading.Event().wait()  # ... and then hangs
