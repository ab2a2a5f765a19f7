"""A bare pygls 2.1 language server: the baseline the benchmarks compare codeswitch with.

    .venv/bin/python bench/echo_server.py          # speaks LSP on stdin/stdout

Incremental text sync through pygls's own document store (pygls applies every didChange to its
``TextDocument``), and ``textDocument/inlineCompletion`` answered at once with an empty list: what
any pygls server pays per keystroke before doing any work of its own. The benchmarks start it with
``command()`` and drive it exactly like ``codeswitch serve``.
"""

from __future__ import annotations

import sys
from pathlib import Path

PATH = Path(__file__).resolve()


def command() -> list[str]:
    """How to start this server as a subprocess (stdio)."""
    return [sys.executable, str(PATH)]


def main() -> None:
    from lsprotocol import types
    from pygls.lsp.server import LanguageServer

    server = LanguageServer("echo", "0", text_document_sync_kind=types.TextDocumentSyncKind.Incremental)

    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION)
    def inline(ls: LanguageServer, params: types.InlineCompletionParams) -> types.InlineCompletionList:
        return types.InlineCompletionList(items=[])

    server.start_io()


if __name__ == "__main__":
    main()
