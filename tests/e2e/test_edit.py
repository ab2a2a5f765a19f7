"""codeswitch/edit end to end: a real server over stdio, the emulator over loopback HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from test_edit_helpers import CODEX, FAKE_KEY, EditSession, edit_caps, search_replace, start_edit_session

from codeswitch.ledger import LEDGER_FILE, Ledger
from codeswitch.testing import Emulator

PY = ("import math\n"
      "\n"
      "\n"
      "def area(r):\n"
      "    x = r * r\n"
      "    return x\n"
      "\n"
      "\n"
      "def other(r):\n"
      "    x = r * r\n"
      "    return x\n")
TS = ("import { PI } from './consts';\n"
      "\n"
      "export function area(r: number): number {\n"
      "  const x = r * r;\n"
      "  return x;\n"
      "}\n"
      "\n"
      "export function other(r: number): number {\n"
      "  return r;\n"
      "}\n")


@pytest_asyncio.fixture
async def lsp(emulator: Emulator, tmp_path: Path) -> AsyncIterator[EditSession]:
    async for s in start_edit_session(emulator, tmp_path, files={"consts.ts": "export const PI = 3.14;\n"}):
        yield s


def _only_edits(result: dict[str, Any]) -> tuple[int | None, list[dict[str, Any]]]:
    (doc,) = result["edit"]["documentChanges"]
    return doc["textDocument"]["version"], doc["edits"]


CASES = [
    ("m.py", "python", PY, 4, 6, "    return x\n", "    return x * math.pi\n",
     [{"range": {"start": {"line": 5, "character": 12}, "end": {"line": 5, "character": 12}},
       "newText": " * math.pi"}]),
    ("m.ts", "typescript", TS, 3, 4, "  return x;\n", "  return x * PI;\n",
     [{"range": {"start": {"line": 4, "character": 10}, "end": {"line": 4, "character": 10}},
       "newText": " * PI"}]),
]


@pytest.mark.parametrize(("name", "lang", "text", "line", "char", "search", "replace", "expected"), CASES,
                         ids=["python", "typescript"])
async def test_function_edit_gives_minimal_edits(lsp: EditSession, emulator: Emulator, name: str, lang: str,
                                                 text: str, line: int, char: int, search: str, replace: str,
                                                 expected: list[dict[str, Any]]) -> None:
    emulator.script(CODEX, search_replace(search, replace))
    uri = lsp.open(name, lang, text)
    result = await lsp.edit(uri, line, char, "multiply the result by pi")
    assert result["error"] is None, result["error"]
    assert (result["model"], result["scope"], result["tier"]) == (CODEX, "function", "function")
    version, edits = _only_edits(result)
    assert version == 1
    assert edits == expected
    assert result["applied"] is False
    assert f"-{search}" in result["diff"] and f"+{replace}" in result["diff"]
    assert result["usage"]["input_tokens"] > 0 and result["usage"]["output_tokens"] > 0
    assert isinstance(result["usage"]["cost_usd"], float)
    assert any("anchored to function `area`" in r for r in result["reasons"])
    # the prompt: the anchor and the file's imports, the edit format; never the other function's body
    (req,) = emulator.requests
    prompt = str(req.body)
    assert "<<<<<<< SEARCH" in prompt and "multiply the result by pi" in prompt
    assert ("import math" if lang == "python" else "import { PI }") in prompt
    assert "def other" not in prompt and "function other" not in prompt
    assert FAKE_KEY not in prompt


async def test_apply_true_sends_workspace_apply_edit_and_records_the_ledger(lsp: EditSession,
                                                                              emulator: Emulator,
                                                                              tmp_path: Path) -> None:
    emulator.script(CODEX, search_replace("    x = r * r\n", "    x = r ** 2\n"))
    uri = lsp.open("m.py", "python", PY)
    reports = lsp.progress("tok-1")
    result = await lsp.edit(uri, 4, 4, "use the power operator", apply=True, workDoneToken="tok-1")
    assert result["error"] is None and result["applied"] is True
    (params,) = lsp.applied
    assert params.edit.document_changes is not None
    kinds = [r.kind for r in reports]
    assert kinds[0] == "begin" and kinds[-1] == "end"
    assert CODEX in reports[0].title
    with Ledger(tmp_path / "data" / "codeswitch" / LEDGER_FILE) as ledger:
        rows = [r for r in ledger.rows() if r.kind == "edit"]
    assert [(r.model_key, r.outcome, r.tier) for r in rows] == [(CODEX, "ok", "function")]
    # the client's status bar hears who served it and today's spend
    (status,) = lsp.status
    assert (status.model, status.tier) == (CODEX, "function") and status.spentTodayUsd > 0
    # visible in codeswitch/stats (the same Stats as `codeswitch stats`) and codeswitch/lastRoute
    stats = await lsp.raw_request("codeswitch/stats", {})
    tiers = {t["name"]: t for t in stats["by_tier"]}
    assert tiers["function"]["requests"] == 1 and tiers["function"]["cost_usd"] > 0
    assert CODEX in {m["name"] for m in stats["by_model"]}
    last = await lsp.raw_request("codeswitch/lastRoute", {})
    assert (last["method"], last["tier"], last["served_by"]) == ("codeswitch/edit", "function", CODEX)


async def test_changes_without_document_changes_support(emulator: Emulator, tmp_path: Path) -> None:

    async for lsp in start_edit_session(emulator, tmp_path, caps=edit_caps(document_changes=False)):
        emulator.script(CODEX, search_replace("    return x\n", "    return -x\n"))
        uri = lsp.open("m.py", "python", PY)
        result = await lsp.edit(uri, 4, 4, "negate", apply=True)
        expected = {"range": {"start": {"line": 5, "character": 11}, "end": {"line": 5, "character": 11}},
                    "newText": "-"}
        assert "documentChanges" not in result["edit"]
        # (the test client's JSON reader renames the URI key; the applied edit shows it typed)
        assert list(result["edit"]["changes"].values()) == [[expected]]
        (params,) = lsp.applied
        assert params.edit.document_changes is None and params.edit.changes is not None
        assert [(e.range.start.line, e.range.start.character, e.new_text)
                for e in params.edit.changes[uri]] == [(5, 11, "-")]


REJECTED = [
    ("syntax", search_replace("    return x\n", "    return (x\n")),
    ("outside_anchor", search_replace("import math\n", "import cmath\n")),
    ("outside_anchor", search_replace("    x = r * r\n    return x\n", "    return 0\n")
     .replace("def", "def") + search_replace("def other(r):\n", "def other(r, s):\n")),
    ("outside_workspace", search_replace("    return x\n", "    return 1\n", path="../elsewhere/m.py")),
    ("git_dir", search_replace("    return x\n", "    return 1\n", path=".git/config")),
    ("format", "I would multiply by pi, but here is no edit."),
    ("not_found", search_replace("    return y\n", "    return 1\n")),
]


@pytest.mark.parametrize(("kind", "answer"), REJECTED,
                         ids=["syntax", "outside-anchor", "outside-anchor-second-block", "outside-workspace",
                              "git-dir", "no-edit", "not-found"])
async def test_rejected_edits_say_why_and_change_nothing(lsp: EditSession, emulator: Emulator, kind: str,
                                                         answer: str) -> None:
    emulator.script(CODEX, answer)
    uri = lsp.open("m.py", "python", PY)
    result = await lsp.edit(uri, 4, 4, "change it in this function", apply=True)
    assert result["edit"] is None and result["applied"] is False and result["diff"] == ""
    assert result["error"]["kind"] == kind, result["error"]
    assert result["error"]["message"]
    assert result["model"] == CODEX  # the model answered; its answer was refused
    assert lsp.applied == []
    assert (lsp.root / "m.py").read_text() == PY


async def test_workspace_scope_is_sent_to_refactor_without_a_model_call(lsp: EditSession,
                                                                         emulator: Emulator) -> None:
    uri = lsp.open("m.py", "python", PY)
    result = await lsp.edit(uri, 4, 4, "rename area to disc_area everywhere in the project")
    assert result["error"]["kind"] == "workspace_scope"
    assert "codeswitch/refactor" in result["error"]["message"]
    assert result["scope"] == "workspace" and result["tier"] == "workspace"
    assert emulator.requests == []


async def test_secret_files_never_reach_a_model(lsp: EditSession, emulator: Emulator) -> None:
    uri = lsp.open(".env", "python", "def token():\n    return 'abc'\n")
    result = await lsp.edit(uri, 1, 4, "return upper case")
    assert result["error"]["kind"] == "secret"
    assert emulator.requests == []


async def test_malformed_params_and_unknown_documents_are_invalid_params(lsp: EditSession) -> None:
    from pygls.exceptions import JsonRpcException

    uri = lsp.open("m.py", "python", PY)
    pos = {"line": 4, "character": 4}
    here = {"start": pos, "end": pos}
    far = {"start": {"line": 99, "character": 0}, "end": {"line": 99, "character": 0}}
    bad = [
        {"textDocument": {"uri": uri}, "range": here},  # no instruction
        {"textDocument": {"uri": uri}, "instruction": "x"},  # no range
        {"textDocument": {"uri": uri}, "range": here, "instruction": "x", "apply": "yes"},
        {"textDocument": {"uri": lsp.uri("missing.py")}, "range": here, "instruction": "x"},
        {"textDocument": {"uri": uri}, "range": far, "instruction": "x"},
    ]
    for params in bad:
        try:
            await lsp.raw_request("codeswitch/edit", params)
        except JsonRpcException as exc:
            assert exc.code == -32602, (params, exc)
        else:
            raise AssertionError(f"accepted {params}")


async def test_a_file_that_is_not_open_is_edited_from_disk(lsp: EditSession, emulator: Emulator) -> None:
    (lsp.root / "disk.py").write_text(PY, encoding="utf-8")
    emulator.script(CODEX, search_replace("    return x\n", "    return -x\n"))
    pos = {"line": 4, "character": 4}
    result = await lsp.raw_request("codeswitch/edit", {
        "textDocument": {"uri": lsp.uri("disk.py")}, "range": {"start": pos, "end": pos},
        "instruction": "negate"})
    assert result["error"] is None
    (doc,) = result["edit"]["documentChanges"]
    assert doc["textDocument"]["version"] is None  # not open: no version to check against
    assert doc["edits"][0]["newText"] == "-"
