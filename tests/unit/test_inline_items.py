"""LSP items built from a suggestion: ranges in the negotiated encoding, plain text, the accept
command, and the completion-item fallback replacing the word being typed."""

from __future__ import annotations

from lsprotocol import types

from codeswitch.documents import Snapshot
from codeswitch.features.inline import Suggestion
from codeswitch.handlers.inline import ACCEPT_COMMAND, client_has_inline, completion_items, inline_items

LINE = 'label = "😀 ok" + fmt'  # an astral character: 2 UTF-16 units, 4 UTF-8 bytes


def _suggestion(text: str, col: int, typed: int = 0) -> Suggestion:
    return Suggestion(text, 0, col, "inl-1", "gpt-5.3-codex-spark", "inline", False, (), typed)


def test_inline_item_range_is_the_cursor_in_utf16() -> None:
    snap = Snapshot.from_text(LINE + "\n", language_id="python", encoding="utf-16")
    s = _suggestion("(x)", len(LINE))
    (item,) = inline_items(snap, s).items
    end = len(LINE) + 1  # one extra unit for the surrogate pair
    assert item.range == types.Range(types.Position(0, end), types.Position(0, end))
    assert item.insert_text == "(x)"
    assert item.command is not None and item.command.command == ACCEPT_COMMAND
    assert item.command.arguments == [{"id": "inl-1", "model": "gpt-5.3-codex-spark", "accepted_chars": 3,
                                       "full": True}]


def test_inline_item_range_in_utf8_bytes() -> None:
    snap = Snapshot.from_text(LINE + "\n", language_id="python", encoding="utf-8")
    (item,) = inline_items(snap, _suggestion("(x)", len(LINE))).items
    assert item.range is not None and item.range.start.character == len(LINE.encode("utf-8"))


def test_typed_through_characters_count_as_accepted() -> None:
    snap = Snapshot.from_text(LINE + "\n", language_id="python")
    (item,) = inline_items(snap, _suggestion("x)", len(LINE), typed=1)).items
    assert item.command is not None and item.command.arguments is not None
    assert item.command.arguments[0]["accepted_chars"] == 3


def test_completion_item_replaces_the_word_being_typed() -> None:
    snap = Snapshot.from_text(LINE + "\n", language_id="python", encoding="utf-16")
    (item,) = completion_items(snap, _suggestion("_name(user)\nprint(label)", len(LINE))).items
    assert isinstance(item.text_edit, types.TextEdit)
    assert item.text_edit.new_text == "fmt_name(user)\nprint(label)"
    start = len(LINE) - 3 + 1
    assert item.text_edit.range == types.Range(types.Position(0, start), types.Position(0, start + 3))
    assert item.filter_text == item.text_edit.new_text
    assert item.label == "fmt_name(user)"
    assert item.insert_text_format == types.InsertTextFormat.PlainText


def test_client_capability_decides_the_surface() -> None:
    with_inline = types.ClientCapabilities(text_document=types.TextDocumentClientCapabilities(
        inline_completion=types.InlineCompletionClientCapabilities()))
    assert client_has_inline(with_inline)
    assert not client_has_inline(types.ClientCapabilities())
    assert not client_has_inline(None)
