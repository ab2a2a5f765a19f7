"""A stand-in server for the harness's --apply tests: it answers codeswitch/edit and codeswitch/refactor
with the result object stored in the JSON file named by $STUB_RESULT, so a test can hand the harness
edits the real server would never produce (out of bounds, outside the workspace, keyed by URI), or
with a JSON-RPC error when that object is ``{"rpc_error": message}``."""

from __future__ import annotations

import json
import os
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer

server = LanguageServer("codeswitch", "0-stub",
                        text_document_sync_kind=types.TextDocumentSyncKind.Incremental)


def _result() -> Any:
    with open(os.environ["STUB_RESULT"], encoding="utf-8") as fh:
        data = json.load(fh)
    if isinstance(data, dict) and "rpc_error" in data:  # answer with a JSON-RPC error instead
        raise JsonRpcInvalidParams(data["rpc_error"])
    return data


@server.feature("codeswitch/edit")
def edit(ls: LanguageServer, params: Any) -> Any:
    return _result()


@server.feature("codeswitch/refactor")
def refactor(ls: LanguageServer, params: Any) -> Any:
    return _result()


if __name__ == "__main__":
    server.start_io()
