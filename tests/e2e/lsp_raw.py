"""Results as plain JSON data, and requests sent past pytest-lsp's client-side checks."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import Future
from typing import Any

from lsprotocol import types
from pygls.protocol import JsonRPCProtocol
from pygls.protocol.json_rpc import JsonRPCRequestMessage
from pytest_lsp import LanguageClient


def plain(value: Any) -> Any:
    """pygls turns custom results into namedtuples; tests compare JSON data."""
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


async def raw_request(client: LanguageClient, method: str, params: object) -> Any:
    """A request sent as is (no capability or "not initialized" checks), its result as JSON."""
    protocol = client.protocol
    msg_id = str(uuid.uuid4())
    future: Future[Any] = Future()
    protocol._request_futures[msg_id] = future
    protocol._result_types[msg_id] = None
    protocol._send_data(JsonRPCRequestMessage(id=msg_id, method=method, params=params,
                                              jsonrpc=JsonRPCProtocol.VERSION))
    return plain(await asyncio.wrap_future(future))


async def inline_texts(client: LanguageClient, uri: str, line: int, character: int) -> list[str]:
    """The insert texts of an automatic textDocument/inlineCompletion (as while typing: one item) at
    ``line``:``character``."""
    result = await client.text_document_inline_completion_async(types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri), position=types.Position(line, character),
        context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Automatic)))
    items = result.items if isinstance(result, types.InlineCompletionList) else (result or [])
    return [str(i.insert_text) for i in items]
