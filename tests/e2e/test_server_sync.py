"""Incremental sync over real stdio with multi-byte and astral characters, in each position encoding.

The server's view of the text is read back through ``codeswitch/scope``: the anchor of a request
inside ``f`` ends at the end of ``f``'s last line, counted in the negotiated encoding, and a
position is accepted only if that line exists in the server's copy.
"""

from __future__ import annotations

from typing import Any

import pytest
from pygls.exceptions import JsonRpcException


def units(s: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(s.encode("utf-8"))
    if encoding == "utf-16":
        return len(s.encode("utf-16-le")) // 2
    return len(s)


def lsp_pos(text: str, offset: int, encoding: str) -> tuple[int, int]:
    """Code point offset -> LSP position (lines split on \\n only in these tests)."""
    before = text[:offset]
    line = before.count("\n")
    return line, units(before[before.rfind("\n") + 1 :], encoding)


class Doc:
    """The test's reference copy, producing LSP ranges for edits given as code point offsets."""

    def __init__(self, text: str, encoding: str) -> None:
        self.text = text
        self.encoding = encoding

    def edit(self, start: int, end: int, new: str) -> tuple[tuple[int, int, int, int], str]:
        (sl, sc), (el, ec) = lsp_pos(self.text, start, self.encoding), lsp_pos(self.text, end, self.encoding)
        self.text = self.text[:start] + new + self.text[end:]
        return (sl, sc, el, ec), new

    def line_end(self, line: int) -> dict[str, int]:
        return {"line": line, "character": units(self.text.split("\n")[line], self.encoding)}


ENCODINGS = [(["utf-16"], "utf-16"), (["utf-16", "utf-8"], "utf-8"), (["utf-32"], "utf-32")]


async def expect_function_end(session: Any, uri: str, doc: Doc, last_line: int) -> None:
    """f spans from its `def` line to the end of last_line, in the negotiated encoding."""
    first = doc.text[: doc.text.index("def f")].count("\n")
    end = doc.line_end(last_line)
    result = await session.scope(uri, last_line, end["character"])
    assert result["anchor"] == {"start": {"line": first, "character": 0}, "end": end}, doc.text


@pytest.mark.parametrize(("offered", "encoding"), ENCODINGS, ids=[e for _, e in ENCODINGS])
async def test_incremental_edits_with_astral_characters(start_server: Any, offered: list[str],
                                                       encoding: str) -> None:
    session = await start_server(encodings=offered)
    assert session.encoding == encoding
    doc = Doc("def f(a):\n    return a\n\n\nx = 1\n", encoding)
    uri = session.open("m.py", doc.text)
    await expect_function_end(session, uri, doc, 1)

    at = doc.text.index("return a") + len("return a")
    session.change(uri, [doc.edit(at, at, ' + "é😀"')])
    await expect_function_end(session, uri, doc, 1)

    after_emoji = doc.text.index("😀") + 1  # a position the encodings disagree on
    session.change(uri, [doc.edit(after_emoji, after_emoji, "日本𝄞")])
    await expect_function_end(session, uri, doc, 1)

    # several changes in one notification, each against the text left by the previous one
    a = doc.text.index("return a") + len("return ")
    batch = [doc.edit(a, a + 1, "b𝄞c")]
    tail = doc.text.index('"', doc.text.index("😀"))
    batch.append(doc.edit(tail, tail, "ü"))
    batch.append(doc.edit(0, 0, "# 😀 header\n"))
    session.change(uri, batch)
    await expect_function_end(session, uri, doc, 2)

    # a deletion across lines, then a new body line with more astral characters
    start = doc.text.index("# 😀")
    session.change(uri, [doc.edit(start, doc.text.index("def f"), "")])
    body_end = doc.text.index("\n", doc.text.index("return"))
    session.change(uri, [doc.edit(body_end, body_end, "\n    y = '🙂🙂'")])
    await expect_function_end(session, uri, doc, 2)
    assert doc.text.startswith("def f(a):\n    return b𝄞c")


@pytest.mark.parametrize(("offered", "encoding"), ENCODINGS, ids=[e for _, e in ENCODINGS])
async def test_positions_past_the_new_end_are_rejected(start_server: Any, offered: list[str],
                                                      encoding: str) -> None:
    session = await start_server(encodings=offered)
    doc = Doc("a = '😀'\nb = 2\n", encoding)
    uri = session.open("p.py", doc.text)
    session.change(uri, [doc.edit(len("a = '😀'"), len(doc.text), "")])  # drop the last two lines
    assert doc.text == "a = '😀'"
    ok = await session.scope(uri, 0, units(doc.text, encoding))
    assert ok["scope"] == "inline"
    with pytest.raises(JsonRpcException) as err:
        await session.scope(uri, 1, 0)
    assert err.value.code == -32602


async def test_full_text_change_and_reopen(lsp: Any) -> None:
    uri = lsp.open("r.py", "x = 1\n")
    lsp.change(uri, [(None, "def g():\n    pass\n")])
    result = await lsp.scope(uri, 1, 8)
    assert result["anchor"]["end"] == {"line": 1, "character": 8}
    assert result["version"] == 2
    lsp.client.text_document_did_close(_close(uri))
    uri = lsp.open("r.py", "z = 3\n")
    result = await lsp.scope(uri, 0, 5)
    assert result["version"] == 1


def _close(uri: str) -> Any:
    from lsprotocol import types

    return types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri))
