"""A stand-in language server for the Neovim plugin's command tests.

It answers the custom requests the plugin sends (codeswitch/edit, codeswitch/refactor,
codeswitch/stats) with fixed, recognisable results, reports $/progress on the token the plugin
passes, and writes every request it got to the file named by $STUB_LOG (one JSON per line), so
a test checks what the plugin sent and what it did with the answer.
"""

from __future__ import annotations

import json
import os
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

server = LanguageServer("codeswitch", "0-stub",
                        text_document_sync_kind=types.TextDocumentSyncKind.Incremental)


def _log(method: str, params: Any) -> None:
    path = os.environ.get("STUB_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"method": method, "params": server.protocol._converter.unstructure(params)
                                 if hasattr(params, "__attrs_attrs__") else _plain(params)}) + "\n")


def _plain(obj: Any) -> Any:
    if isinstance(obj, list | tuple) and not hasattr(obj, "_fields"):
        return [_plain(x) for x in obj]
    if hasattr(obj, "_asdict"):
        return {k: _plain(v) for k, v in obj._asdict().items()}
    return obj


def _progress(token: object, message: str) -> None:
    if isinstance(token, str | int):
        begin = types.WorkDoneProgressBegin(title="codeswitch", message="working")
        server.work_done_progress.begin(token, begin)
        server.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))


@server.feature(types.INITIALIZE)
def initialize(ls: LanguageServer, params: types.InitializeParams) -> None:
    _log("initialize", {"initializationOptions": params.initialization_options})


@server.feature("codeswitch/edit")
def edit(ls: LanguageServer, params: Any) -> dict[str, object]:
    _log("codeswitch/edit", params)
    _progress(getattr(params, "workDoneToken", None), "edit done")
    rng = _plain(params.range)
    text = f"# {params.instruction.upper()}"
    change = {"range": {"start": rng["start"], "end": rng["end"]}, "newText": text}
    return {"edit": {"changes": {params.textDocument.uri: [change]}}, "diff": "", "model": "gpt-5.3-codex",
            "scope": "function", "tier": "function",
            "usage": {"input_tokens": 10, "output_tokens": 5, "cost_usd": 0.0012}, "fallbacks": [],
            "error": None}


@server.feature("codeswitch/refactor")
def refactor(ls: LanguageServer, params: Any) -> dict[str, object]:
    _log("codeswitch/refactor", params)
    return {"edit": None, "diff": "", "model": "claude-opus-4-6", "scope": "workspace", "tier": "workspace",
            "usage": None, "fallbacks": [], "error": {"kind": "refused", "message": "nothing to refactor"}}


@server.feature("codeswitch/stats")
def stats(ls: LanguageServer, params: Any) -> dict[str, object]:
    _log("codeswitch/stats", params)
    model = {"name": "gpt-5.3-codex-spark", "requests": 12, "cost_usd": 0.0, "unknown_cost_calls": 12,
             "inline_served": 10, "accepted": 4, "acceptance_rate": 0.4}
    return {"since": None, "totals": {"cost_usd": 0.5}, "by_tier": [{"name": "inline", "requests": 12,
                                                                       "cost_usd": 0.0}],
            "by_model": [model], "premium": None}


if __name__ == "__main__":
    server.start_io()
