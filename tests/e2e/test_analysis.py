"""codeswitch/explain and codeswitch/review end to end: the real server over stdio, the emulator over
loopback HTTP (OpenAI and Anthropic formats), routed by how much context the request needs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from analysis_helpers import MINI, OPUS, SECRET_VALUE, AnalysisSession, git, start_analysis_session
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from codeswitch.ledger import LEDGER_FILE, Ledger
from codeswitch.testing import Emulator, Fault

GEO = ('from units import scale\n\n\ndef area(w, h):\n    """The area of a w x h rectangle."""\n'
       "    return scale(w * h)\n")
FILES = {
    "geo.py": GEO,
    "units.py": "def scale(x):\n    return x * 2\n",
    "app.py": "from geo import area\n\n\ndef report(rows):\n    return [area(w, h) for w, h in rows]\n",
    ".codeswitchignore": "private/\n",
    "private/notes.py": "from geo import area\n\nPRIVATE_MARKER = area(1, 2)\n",
}


@pytest_asyncio.fixture
async def lsp(emulator: Emulator, tmp_path: Path) -> AsyncIterator[AnalysisSession]:
    async for s in start_analysis_session(emulator, tmp_path, FILES):
        yield s


def _ledger(tmp_path: Path) -> Ledger:
    return Ledger(tmp_path / "data" / "codeswitch" / LEDGER_FILE)


async def test_short_explanation_goes_to_the_cheap_fast_model(lsp: AnalysisSession, emulator: Emulator,
                                                             tmp_path: Path) -> None:
    uri = lsp.open("geo.py", "python", GEO)  # right away: the request waits for the index
    reports = lsp.progress("explain-1")
    result = await lsp.explain(uri, 5, 8, workDoneToken="explain-1")
    assert result["error"] is None, result["error"]
    assert (result["model"], result["tier"], result["task"]) == (MINI, "analysis", "explain")
    assert result["title"] == "Explanation: function `area` (geo.py:4)"
    assert result["markdown"].startswith("# Explanation: function `area` (geo.py:4)\n")
    assert "## Who uses it" in result["markdown"] and "app.py:" in result["markdown"]
    (cause,) = result["reasons"]
    assert cause.startswith(f"analysis request -> analysis tier: {MINI} (est. $")
    assert "needs 8K tokens" in cause  # the context plus the tier's output allowance
    assert 0 < result["context_tokens"] < 1000 and result["files"] == ["geo.py", "units.py", "app.py"]
    # the prompt: the definition, what it uses, who uses it; never an ignored file
    (req,) = emulator.requests
    sent = json.dumps(req.body)
    assert req.model == MINI and "def scale(x)" in sent and "def report(rows)" in sent
    assert "PRIVATE_MARKER" not in sent
    kinds = [r.kind for r in reports]
    assert kinds[0] == "begin" and kinds[-1] == "end" and "report" in kinds
    assert any("tokens of context" in (getattr(r, "message", "") or "") for r in reports)
    with _ledger(tmp_path) as ledger:
        (row,) = [r for r in ledger.rows() if r.kind == "explain"]
    assert (row.tier, row.scope, row.model_key, row.outcome) == ("analysis", "analysis", MINI, "ok")


def _callers(i: int, count: int) -> str:
    rows = ["from geo import area\n"]
    rows += [f"\n\ndef use_{i}_{j}(w):\n    # the area of a {j} by w rectangle, doubled for the margin\n"
             f"    return area(w, {j}) * 2\n" for j in range(count)]
    return "".join(rows)


async def test_long_explanation_goes_to_the_1m_context_model(emulator: Emulator, tmp_path: Path) -> None:
    files = dict(FILES) | {f"callers_{i}.py": _callers(i, 2300) for i in range(4)}
    async for lsp in start_analysis_session(emulator, tmp_path, files):
        await lsp.wait_indexed()
        uri = lsp.open("geo.py", "python", GEO)
        result = await lsp.explain(uri, 3, 4)
        assert result["error"] is None, result["error"]
        assert result["model"] == OPUS
        assert 200_000 < result["context_tokens"] < 300_000
        (cause,) = result["reasons"]
        needed = f"{(result['context_tokens'] + 8192) / 1000:.0f}K"
        assert cause.startswith(f"analysis request -> analysis tier: {OPUS} (est. $")
        assert f"needs {needed} tokens" in cause
        assert (f"skipped {MINI} (context window 400K holds 200K at this tier's 50% fill < needed {needed})"
                in cause)
        assert [r.model for r in emulator.requests] == [OPUS]
        assert "callers_3.py" in result["files"]
        assert "It is used in" in result["markdown"]


async def test_a_selection_is_explained_as_selected(lsp: AnalysisSession, emulator: Emulator) -> None:
    uri = lsp.open("geo.py", "python", GEO)
    result = await lsp.explain(uri, 4, 0, end=(6, 0), question="why double it?")
    assert result["error"] is None
    assert result["title"] == "Explanation: the selection at geo.py:5-6"
    sent = json.dumps(emulator.requests[0].body)
    assert "The user asks: why double it?" in sent


async def test_cancel_closes_the_upstream_stream_and_the_ledger_says_so(lsp: AnalysisSession,
                                                                        emulator: Emulator,
                                                                        tmp_path: Path) -> None:
    emulator.fault(MINI, Fault("stall_first", stall_s=60.0))
    uri = lsp.open("geo.py", "python", GEO)
    params = {"textDocument": {"uri": uri}, "range": {"start": {"line": 3, "character": 4},
                                                      "end": {"line": 3, "character": 4}}}
    pending = asyncio.ensure_future(lsp.client.protocol.send_request_async(
        "codeswitch/explain", params, msg_id="explain-to-cancel"))
    (req,) = await emulator.wait_requests(1)
    lsp.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="explain-to-cancel"))
    with pytest.raises(JsonRpcException) as err:
        await pending
    assert err.value.code == -32800
    rec = await emulator.wait_closed(req)
    assert rec.disconnected_at is not None and not rec.completed
    await lsp.raw_request("codeswitch/stats", {})  # a later request: the row is written by then
    with _ledger(tmp_path) as ledger:
        (row,) = [r for r in ledger.rows() if r.kind == "explain"]
    assert (row.outcome, row.tier) == ("cancelled", "analysis")


async def test_code_actions_offer_explain_and_review(lsp: AnalysisSession) -> None:
    uri = lsp.open("geo.py", "python", GEO)
    where = {"textDocument": {"uri": uri},
             "range": {"start": {"line": 4, "character": 4}, "end": {"line": 4, "character": 4}}}
    actions = await lsp.raw_request("textDocument/codeAction", {**where, "context": {"diagnostics": []}})
    by_title = {a["title"]: a for a in actions}
    explain = by_title["Explain function `area` (model chosen by context size)"]
    review = by_title["Review my changes against HEAD (model chosen by context size)"]
    assert explain["command"]["command"] == "codeswitch.explain"
    assert explain["command"]["arguments"] == [where]
    assert review["command"]["command"] == "codeswitch.reviewChanges"


async def test_review_sends_the_diff_and_touched_definitions_never_a_secret(emulator: Emulator,
                                                                            tmp_path: Path) -> None:
    files = dict(FILES) | {".env": f"API_TOKEN={SECRET_VALUE}\n"}
    async for lsp in start_analysis_session(emulator, tmp_path, files):
        git(lsp.root, "init", "-q")
        git(lsp.root, "add", "-A")
        git(lsp.root, "add", "-f", ".env")
        git(lsp.root, "commit", "-qm", "start")
        (lsp.root / "geo.py").write_text(GEO.replace("    return scale(w * h)\n",
                                                     "    # TODO: negative sides\n    return scale(w * h)\n"))
        (lsp.root / ".env").write_text(f"API_TOKEN={SECRET_VALUE}\nOTHER={SECRET_VALUE}\n")
        shapes = "from geo import area\n\n\ndef square(s):\n    return area(s, s)\n"
        (lsp.root / "shapes.py").write_text(shapes)
        await lsp.wait_indexed()
        result = await lsp.review(workDoneToken="review-1")
        assert result["error"] is None, result["error"]
        assert (result["model"], result["task"]) == (MINI, "review")
        assert result["title"] == "Review: changes in 2 files"
        assert result["markdown"].startswith("# Review: changes in 2 files\n")
        assert "**Verdict:** Needs changes." in result["markdown"]
        assert "`area` (geo.py:4-7)" in result["markdown"]  # the changed definition
        assert any(".env" in why and "never sent" in why for why in result["left_out"])
        (req,) = emulator.requests
        sent = json.dumps(req.body)
        assert "+    # TODO: negative sides" in sent and "def square(s)" in sent
        assert "def report(rows)" in sent  # a caller of the changed definition
        assert SECRET_VALUE not in sent and ".env" not in sent.split("## Not included")[0]


async def test_review_refuses_a_repository_with_filter_commands_in_an_untrusted_workspace(
        emulator: Emulator, tmp_path: Path) -> None:
    async for lsp in start_analysis_session(emulator, tmp_path, FILES, trusted=False):
        git(lsp.root, "init", "-q")
        git(lsp.root, "add", "-A")
        git(lsp.root, "commit", "-qm", "start")
        marker = tmp_path / "filter-ran"
        git(lsp.root, "config", "filter.evil.clean", f"touch {marker}; cat")
        (lsp.root / ".gitattributes").write_text("*.py filter=evil\n")
        (lsp.root / "geo.py").write_text(GEO + "\n")
        result = await lsp.review()
        assert result["error"]["kind"] == "untrusted"
        assert "filter.evil.clean" in result["error"]["message"]
        assert not marker.exists() and emulator.requests == []


async def test_explaining_a_secret_file_sends_nothing(lsp: AnalysisSession, emulator: Emulator) -> None:
    uri = lsp.open(".env", "dotenv", f"API_TOKEN={SECRET_VALUE}\n")
    result = await lsp.explain(uri, 0, 0)
    assert result["error"]["kind"] == "secret"
    assert emulator.requests == []


async def test_cancel_from_the_progress_closes_the_upstream_stream(lsp: AnalysisSession,
                                                                   emulator: Emulator) -> None:
    emulator.fault(MINI, Fault("stall_first", stall_s=60.0))
    uri = lsp.open("geo.py", "python", GEO)
    reports = lsp.progress("explain-cancel")
    pending = asyncio.ensure_future(lsp.explain(uri, 3, 4, workDoneToken="explain-cancel"))
    (req,) = await emulator.wait_requests(1)
    await lsp.wait_first_progress(reports)
    assert reports[0].kind == "begin" and reports[0].cancellable
    lsp.client.protocol.notify(types.WINDOW_WORK_DONE_PROGRESS_CANCEL,
                               types.WorkDoneProgressCancelParams(token="explain-cancel"))
    with pytest.raises(JsonRpcException) as err:
        await pending
    assert err.value.code == -32800
    rec = await emulator.wait_closed(req)
    assert rec.disconnected_at is not None and not rec.completed


async def test_a_file_outside_the_workspace_is_explained_alone(lsp: AnalysisSession, emulator: Emulator,
                                                              tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "geo.py"  # the same name as a workspace file
    outside.parent.mkdir()
    outside.write_text("def area(w, h):\n    return w * h\n")
    uri = outside.as_uri()
    lsp.client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="python", version=1, text=outside.read_text())))
    result = await lsp.explain(uri, 1, 4)
    assert result["error"] is None and result["files"] == ["geo.py"]
    sent = json.dumps(emulator.requests[0].body)
    assert "return w * h" in sent and "def report(rows)" not in sent and "def scale(x)" not in sent


async def test_over_the_budget_no_model_is_called_and_the_reason_says_why(emulator: Emulator,
                                                                          tmp_path: Path) -> None:
    settings: dict[str, object] = {"budget": {"per_request_usd": 0.001}}
    async for lsp in start_analysis_session(emulator, tmp_path, FILES, settings=settings):
        uri = lsp.open("geo.py", "python", GEO)
        result = await lsp.explain(uri, 3, 4)
        assert result["error"]["kind"] == "no_model"
        assert "no model can serve it" in result["error"]["message"]
        assert "exceeds the per-request ceiling $0.00" in result["error"]["message"]
        assert result["model"] is None and emulator.requests == []
