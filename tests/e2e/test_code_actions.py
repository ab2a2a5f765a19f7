"""textDocument/codeAction and codeAction/resolve against a real server and the emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from test_edit_helpers import CODEX, EditSession, edit_caps, search_replace, start_edit_session

from codeswitch.testing import Emulator

PY = ("import math\n"
      "\n"
      "\n"
      "def area(r):\n"
      "    return math.pi * r * r\n"
      "\n"
      "\n"
      "LIMIT = 3\n")
OPUS = "claude-opus-4-6"


@pytest_asyncio.fixture
async def lsp(emulator: Emulator, tmp_path: Path) -> AsyncIterator[EditSession]:
    async for s in start_edit_session(emulator, tmp_path):
        yield s


def _diag(line: int, message: str) -> types.Diagnostic:
    return types.Diagnostic(range=types.Range(types.Position(line, 4), types.Position(line, 10)),
                            message=message, severity=types.DiagnosticSeverity.Error, source="pyright")


async def _actions(lsp: EditSession, uri: str, line: int, character: int,
                   diagnostics: list[types.Diagnostic] | None = None,
                   only: list[str] | None = None) -> list[types.CodeAction]:
    """The actions, read as CodeAction literals (the test client would take some for Commands)."""
    pos = types.Position(line, character)
    params = types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri), range=types.Range(pos, pos),
        context=types.CodeActionContext(diagnostics=diagnostics or [], only=only))
    converter = lsp.client.protocol._converter
    result = await lsp.raw_request(types.TEXT_DOCUMENT_CODE_ACTION, converter.unstructure(params))
    assert isinstance(result, list)
    return [converter.structure(a, types.CodeAction) for a in result]


async def test_actions_name_the_model_and_why_without_calling_it(lsp: EditSession,
                                                                 emulator: Emulator) -> None:
    uri = lsp.open("m.py", "python", PY)
    actions = await _actions(lsp, uri, 4, 8)
    titles = [a.title for a in actions]
    assert titles[0].startswith(f"Edit with instruction… ({CODEX}: function scope")
    assert titles[1].startswith(f"Add docstring to function `area` ({CODEX}: ")
    assert titles[2].startswith(f"Add type annotations to function `area` ({CODEX}: ")
    # only an OpenAI key: the workspace tier's primary (Opus) is skipped and the title says so
    assert titles[3].startswith("Refactor across the workspace… (")
    assert f"{OPUS} skipped: no API key" in titles[3]
    assert titles[4:] == ["Explain function `area` (model chosen by context size)",
                          "Review my changes against HEAD (model chosen by context size)"]
    assert len(actions) == 6  # no "Fix diagnostics": the client sent none
    edit, doc, _annotate, refactor, _explain, _review = actions
    assert edit.kind == types.CodeActionKind.RefactorRewrite and edit.edit is None
    assert edit.command is not None and edit.command.command == "codeswitch.editWithInstruction"
    assert list(edit.command.arguments or ()) == [{"textDocument": {"uri": uri}, "range": {
        "start": {"line": 4, "character": 8}, "end": {"line": 4, "character": 8}}}]
    assert refactor.command is not None and refactor.command.command == "codeswitch.refactorWorkspace"
    assert doc.edit is None and doc.data is not None
    assert emulator.requests == []


async def test_fix_diagnostics_only_with_diagnostics_inside_the_anchor(lsp: EditSession) -> None:
    uri = lsp.open("m.py", "python", PY)
    outside = await _actions(lsp, uri, 4, 8, [_diag(7, "LIMIT is unused")])
    assert not any(a.title.startswith("Fix diagnostics") for a in outside)
    inside = await _actions(lsp, uri, 4, 8, [_diag(4, "r is possibly None")])
    (fix,) = [a for a in inside if a.title.startswith("Fix diagnostics in function `area`")]
    assert fix.kind == types.CodeActionKind.QuickFix and fix.diagnostics
    only = await _actions(lsp, uri, 4, 8, [_diag(4, "r is possibly None")], only=["quickfix"])
    assert [a.title.split(" (")[0] for a in only] == ["Fix diagnostics in function `area`"]


async def test_top_level_statement_gets_no_quick_edits(lsp: EditSession) -> None:
    uri = lsp.open("m.py", "python", PY)
    titles = [a.title for a in await _actions(lsp, uri, 7, 2)]
    assert titles[0].startswith("Edit with instruction…") and titles[1].startswith("Refactor across")
    explain, review = [t.split(" (")[0] for t in titles[2:]]
    assert (explain, review) == ("Explain lines 1-8 of m.py", "Review my changes against HEAD")
    assert len(titles) == 4


async def test_resolve_fills_the_edit(lsp: EditSession, emulator: Emulator) -> None:
    doc_line = '    """The area of a circle of radius r."""\n'
    emulator.script(CODEX, search_replace("def area(r):\n", "def area(r):\n" + doc_line))
    uri = lsp.open("m.py", "python", PY)
    actions = await _actions(lsp, uri, 4, 8)
    (doc,) = [a for a in actions if a.title.startswith("Add docstring")]
    resolved = await lsp.client.code_action_resolve_async(doc)
    assert resolved.edit is not None and resolved.edit.document_changes is not None
    (change,) = resolved.edit.document_changes
    assert isinstance(change, types.TextDocumentEdit) and change.text_document.version == 1
    assert [(e.range.start.line, e.range.start.character, e.new_text) for e in change.edits] == [
        (4, 0, '    """The area of a circle of radius r."""\n')]
    prompt = str(emulator.requests[0].body)
    assert "Add a docstring to function `area`" in prompt


async def test_resolve_of_fix_sends_the_diagnostics(lsp: EditSession, emulator: Emulator) -> None:
    emulator.script(CODEX, search_replace("    return math.pi * r * r\n", "    return math.pi * r ** 2\n"))
    uri = lsp.open("m.py", "python", PY)
    actions = await _actions(lsp, uri, 4, 8, [_diag(4, "prefer the power operator")])
    (fix,) = [a for a in actions if a.title.startswith("Fix diagnostics")]
    resolved = await lsp.client.code_action_resolve_async(fix)
    assert resolved.edit is not None
    prompt = str(emulator.requests[0].body)
    assert "line 5, column 5: error: prefer the power operator [pyright]" in prompt


async def test_resolve_refusal_is_an_error_with_the_reason(lsp: EditSession, emulator: Emulator) -> None:
    emulator.script(CODEX, search_replace("    return math.pi * r * r\n", "    return (math.pi\n"))
    uri = lsp.open("m.py", "python", PY)
    (doc,) = [a for a in await _actions(lsp, uri, 4, 8) if a.title.startswith("Add docstring")]
    try:
        await lsp.client.code_action_resolve_async(doc)
    except JsonRpcException as exc:
        assert exc.code == -32803 and "syntax error" in exc.message
    else:
        raise AssertionError("a refused quick edit must answer with an error")


async def test_clients_without_resolve_get_no_quick_edits(emulator: Emulator, tmp_path: Path) -> None:
    async for lsp in start_edit_session(emulator, tmp_path, caps=edit_caps(resolve=False)):
        uri = lsp.open("m.py", "python", PY)
        titles = [a.title for a in await _actions(lsp, uri, 4, 8)]
        assert [t.split(" (")[0] for t in titles] == ["Edit with instruction…",
                                                      "Refactor across the workspace…",
                                                      "Explain function `area`",
                                                      "Review my changes against HEAD"]


TS = ("export class Shape {\n"
      "  area(r) {\n"
      "    return r * r;\n"
      "  }\n"
      "}\n")


async def test_type_annotations_on_a_typescript_method(lsp: EditSession, emulator: Emulator) -> None:
    # the model quotes the method without the class indentation: the block is re-indented
    emulator.script(CODEX, search_replace("area(r) {\n", "area(r: number): number {\n"))
    uri = lsp.open("shape.ts", "typescript", TS)
    actions = await _actions(lsp, uri, 2, 6)
    (annotate,) = [a for a in actions if a.title.startswith("Add type annotations to method `area`")]
    resolved = await lsp.client.code_action_resolve_async(annotate)
    assert resolved.edit is not None and resolved.edit.document_changes is not None
    (change,) = resolved.edit.document_changes
    assert isinstance(change, types.TextDocumentEdit)
    assert [(e.range.start.line, e.range.start.character, e.range.end.character, e.new_text)
            for e in change.edits] == [(1, 8, 9, ": number): number")]
    prompt = str(emulator.requests[0].body)
    assert "Add type annotations to method `area`" in prompt and "export class Shape" not in prompt


async def test_cancelling_a_resolve_closes_the_upstream_stream(lsp: EditSession, emulator: Emulator) -> None:
    import asyncio

    from codeswitch.testing import Fault

    emulator.fault(CODEX, Fault("stall_first", stall_s=60.0))
    uri = lsp.open("m.py", "python", PY)
    (doc,) = [a for a in await _actions(lsp, uri, 4, 8) if a.title.startswith("Add docstring")]
    pending = asyncio.ensure_future(lsp.client.protocol.send_request_async(
        types.CODE_ACTION_RESOLVE, doc, msg_id="resolve-to-cancel"))
    (req,) = await emulator.wait_requests(1)
    lsp.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="resolve-to-cancel"))
    try:
        await pending
    except JsonRpcException as exc:
        assert exc.code == -32800
    else:
        raise AssertionError("a cancelled resolve must answer RequestCancelled")
    rec = await emulator.wait_closed(req)
    assert rec.disconnected_at is not None and not rec.completed


async def test_quick_edits_stay_on_the_function_even_when_other_files_call_it(
        emulator: Emulator, tmp_path: Path) -> None:
    """"Add type annotations" reads like a signature change, but a quick edit edits the anchor it
    is listed for: its title (and its model) is the function tier's, not the workspace team's."""
    files = {"m.py": PY, "use.py": "from m import area\n\nprint(area(2))\n"}
    async for lsp in start_edit_session(emulator, tmp_path, files=files):
        await lsp.wait_indexed()
        uri = lsp.open("m.py", "python", PY)
        titles = [a.title for a in await _actions(lsp, uri, 4, 8)]
        (annotate,) = [t for t in titles if t.startswith("Add type annotations to function `area`")]
        assert f"({CODEX}: function scope" in annotate
