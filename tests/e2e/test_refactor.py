"""codeswitch/refactor end to end: a real server over stdio, the agent team against the emulator over
loopback HTTP (Claude Opus 4.6 on the Messages API), one WorkspaceEdit back."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest
from lsp_edits import apply_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from codeswitch.ledger import LEDGER_FILE, Ledger
from codeswitch.testing import Conversations, Emulator, LatencyProfile, Reply, ToolCall
from codeswitch.testing.conversation import rename_edits, rename_team, tool_results

LspSession = Any  # tests/e2e/conftest.py's LspSession (conftest modules are not importable)
StartServer = Any

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
OPUS = "claude-opus-4-6"
LEAD = "[codeswitch-team:lead]"
FAKE_KEY = "sk-ant-test-refactor-0000"
OLD, NEW = "reserve_stock", "hold_stock"
FILES = ("inventory.py", "orders.py", "billing.py", "api.py")
DONE = Reply(tool_calls=[ToolCall("done", {"summary": "renamed"})])


def refactor_caps(*, create: bool = True, document_changes: bool = True) -> types.ClientCapabilities:
    ops = [types.ResourceOperationKind.Create, types.ResourceOperationKind.Rename] if create else []
    return types.ClientCapabilities(
        general=types.GeneralClientCapabilities(position_encodings=["utf-16"]),
        text_document=types.TextDocumentClientCapabilities(
            synchronization=types.TextDocumentSyncClientCapabilities(did_save=True)),
        workspace=types.WorkspaceClientCapabilities(
            apply_edit=True,
            workspace_edit=types.WorkspaceEditClientCapabilities(
                document_changes=document_changes, resource_operations=ops,
                change_annotation_support=types.ChangeAnnotationsSupportOptions(groups_on_label=True))),
        window=types.WindowClientCapabilities(work_done_progress=True),
    )


async def start(start_server: StartServer, emulator: Emulator, tmp_path: Path, *,
                team: dict[str, object] | None = None, caps: types.ClientCapabilities | None = None,
                refuse: str | None = None) -> LspSession:
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root)
    options: dict[str, object] = {"providers": {"anthropic": {"base_url": emulator.base_url("anthropic")}}}
    if team:
        options["team"] = team
    session = await start_server(caps=caps or refactor_caps(), env={"ANTHROPIC_API_KEY": FAKE_KEY},
                                 init_options=options, root=root)
    session.applied = []

    @session.client.feature(types.WORKSPACE_APPLY_EDIT)  # type: ignore[untyped-decorator]
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        session.applied.append(params)
        return types.ApplyWorkspaceEditResult(applied=refuse is None, failure_reason=refuse)

    return session


def ledger_path(tmp_path: Path) -> Path:
    """The first server's ledger (start_server puts XDG_DATA_HOME under tmp_path/server0)."""
    path = tmp_path / "server0" / "data" / "codeswitch" / LEDGER_FILE
    assert path.exists()
    return path


def refactor_params(instruction: str, **extra: object) -> dict[str, object]:
    return {"instruction": instruction, **extra}


async def test_three_file_rename_gives_one_exact_workspace_edit(start_server: StartServer, emulator: Emulator,
                                                                tmp_path: Path) -> None:
    lsp = await start(start_server, emulator, tmp_path)
    before = {f: (lsp.root / f).read_text() for f in FILES}
    groups = [["inventory.py"], ["orders.py", "billing.py"], ["api.py"]]
    emulator.respond(OPUS, rename_team(lsp.root, groups, OLD, NEW))
    uri = lsp.open("orders.py", before["orders.py"])  # open in the editor: edited from its live snapshot
    lsp.change(uri, [((0, 0, 0, 0), "")])  # version 2, same text
    lsp.client.progress_reports["refactor-1"] = []
    line = next(i for i, x in enumerate(before["inventory.py"].splitlines()) if x.startswith(f"def {OLD}"))
    result = await lsp.request("codeswitch/refactor", refactor_params(
        f"rename {OLD} to {NEW} everywhere", textDocument={"uri": lsp.uri("inventory.py")},
        range={"start": {"line": line, "character": 4}, "end": {"line": line, "character": 4}},
        apply=True, workDoneToken="refactor-1"))
    assert result["error"] is None, result["error"]
    assert result["model"] == OPUS and result["scope"] == "workspace" and result["tier"] == "workspace"
    assert result["applied"] is True and sorted(result["files"]) == sorted(FILES)
    edit = result["edit"]
    annotation = edit["changeAnnotations"]["codeswitchRefactor"]
    assert annotation["needsConfirmation"] is True
    docs = {d["textDocument"]["uri"]: d for d in edit["documentChanges"]}
    assert set(docs) == {lsp.uri(f) for f in FILES}
    for f in FILES:
        doc = docs[lsp.uri(f)]
        assert doc["textDocument"]["version"] == (2 if f == "orders.py" else None)
        assert all(e["annotationId"] == "codeswitchRefactor" for e in doc["edits"])
        # exactly the occurrences: each edit turns "reserve" into "hold" where reserve_stock was
        want = sorted((i, line.index(OLD, col)) for i, line in enumerate(before[f].split("\n"))
                      for col in range(len(line)) if line.startswith(OLD, col))
        got = sorted((e["range"]["start"]["line"], e["range"]["start"]["character"]) for e in doc["edits"])
        assert got == want
        widths = [e["range"]["end"]["character"] - e["range"]["start"]["character"] for e in doc["edits"]]
        assert all(e["newText"] == "hold" for e in doc["edits"]) and set(widths) == {len("reserve")}
        assert apply_lsp(before[f], doc["edits"]) == before[f].replace(OLD, NEW)
        assert (lsp.root / f).read_text() == before[f]  # the server never writes files itself
    assert f"+from inventory import Inventory, {NEW}" in result["diff"]
    (applied,) = lsp.applied
    assert len(applied.edit.document_changes or []) == len(FILES)
    # progress: planning, editing n/m files, reviewing, end
    reports = lsp.client.progress_reports["refactor-1"]
    messages = [getattr(r, "message", None) for r in reports]
    assert isinstance(reports[0], types.WorkDoneProgressBegin) and reports[0].cancellable is True
    assert "editing 4/4 files" in messages and "reviewing" in messages
    assert isinstance(reports[-1], types.WorkDoneProgressEnd)
    # the ledger: one row per model call, the agent in `role`, the run in `parent_id`
    ledger = Ledger(ledger_path(tmp_path))
    rows = [r for r in ledger.rows() if r.kind == "refactor"]
    ledger.close()
    assert sorted({r.role or "" for r in rows}) == ["lead", "teammate 1", "teammate 2", "teammate 3"]
    assert len({r.parent_id for r in rows}) == 1 and len(rows) == 3 + 2 * 3
    agents = {a["role"]: a for a in result["agents"]}
    assert agents["lead"]["turns"] == 3 and agents["teammate 2"]["turns"] == 2
    assert result["usage"]["input_tokens"] == sum(r.input_tokens for r in rows)
    assert result["usage"]["cost_usd"] == pytest.approx(sum(r.cost_usd or 0 for r in rows), abs=1e-5)
    last = await lsp.request("codeswitch/lastRoute", {})
    assert last["method"] == "codeswitch/refactor" and last["tier"] == "workspace"
    assert last["model_chain"][0] == OPUS and last["served_by"] == OPUS
    stats = await lsp.request("codeswitch/stats", {})
    by_agent = {a["name"]: a for a in stats["by_agent"]}
    assert sorted(by_agent) == ["lead", "teammate 1", "teammate 2", "teammate 3"]
    assert by_agent["lead"]["calls"] == 3 and by_agent["teammate 1"]["calls"] == 2
    assert not emulator.find_secret(FAKE_KEY) or all(
        where == ["header:x-api-key"] for _r, where in emulator.find_secret(FAKE_KEY))


async def test_without_document_changes_the_edit_uses_changes(start_server: StartServer, emulator: Emulator,
                                                              tmp_path: Path) -> None:
    caps = refactor_caps(create=False, document_changes=False)
    lsp = await start(start_server, emulator, tmp_path, caps=caps)
    before = {f: (lsp.root / f).read_text() for f in FILES}
    emulator.respond(OPUS, rename_team(lsp.root, [list(FILES)], OLD, NEW))
    result = await lsp.request("codeswitch/refactor", refactor_params(f"rename {OLD} to {NEW}", apply=True))
    assert result["error"] is None and result["applied"] is True
    assert result["edit"].get("documentChanges") is None
    # the result's `changes` map is keyed by URI, which the test client's JSON decoding mangles:
    # read the same edit as the editor received it through workspace/applyEdit
    (applied,) = lsp.applied
    changes = applied.edit.changes
    assert applied.edit.document_changes is None and changes is not None
    assert set(changes) == {lsp.uri(f) for f in FILES}
    # no resource operations without documentChanges: the teammates get no create/rename tools
    offered = {t["name"] for r in emulator.requests if isinstance(r.body, dict) for t in r.body["tools"]}
    assert not offered & {"create_file", "rename_file"}
    for f in FILES:
        edits = [{"range": {"start": {"line": e.range.start.line, "character": e.range.start.character},
                            "end": {"line": e.range.end.line, "character": e.range.end.character}},
                  "newText": e.new_text} for e in changes[lsp.uri(f)]]
        assert apply_lsp(before[f], edits) == before[f].replace(OLD, NEW)


async def test_runaway_lead_is_stopped_by_the_cost_cap(start_server: StartServer, emulator: Emulator,
                                                       tmp_path: Path) -> None:
    lsp = await start(start_server, emulator, tmp_path, team={"max_usd": 0.2, "max_turns": 10_000})
    emulator.respond(OPUS, Conversations().add(
        LEAD, Reply(tool_calls=[ToolCall("list_files", {})], output_tokens=2000)))
    result = await lsp.request("codeswitch/refactor", refactor_params("rewrite everything", apply=True))
    assert result["edit"] is None and result["applied"] is False and not lsp.applied
    assert result["error"]["kind"] == "cost_cap"
    assert "team.max_usd" in result["error"]["message"] and "$0.20" in result["error"]["message"]
    assert 4 <= len(emulator.requests) <= 5  # at least $0.05 a call
    assert result["usage"]["cost_usd"] >= 0.2
    assert "inventory.py" in tool_results(emulator.requests[-1].body)[-1]  # list_files did run


async def test_teammate_edits_outside_the_workspace_or_in_git_are_refused(
        start_server: StartServer, emulator: Emulator, tmp_path: Path) -> None:
    lsp = await start(start_server, emulator, tmp_path)
    (lsp.root / ".git").mkdir()
    (lsp.root / ".git" / "config").write_text("[core]\n")
    outside = tmp_path / "outside.py"
    outside.write_text("x = 1\n")
    api = (lsp.root / "api.py").read_text()
    conv = Conversations()
    conv.add(LEAD, Reply(tool_calls=[ToolCall("assign_tasks", {"tasks": [
        {"files": ["api.py"], "instruction": "rename"}]})]), Reply(tool_calls=[ToolCall("approve", {})]))
    bad = [ToolCall("edit_file", {"path": str(outside), "search": "x = 1", "replace": "x = 2"}),
           ToolCall("edit_file", {"path": ".git/config", "search": "[core]", "replace": "[hooks]"})]
    good = rename_edits("api.py", api, OLD, NEW)
    conv.add("[codeswitch-team:teammate 1]", Reply(tool_calls=bad + good), DONE)
    emulator.respond(OPUS, conv)
    result = await lsp.request("codeswitch/refactor", refactor_params(f"rename {OLD} in api.py", apply=True))
    assert result["error"] is None
    (doc,) = result["edit"]["documentChanges"]
    assert doc["textDocument"]["uri"] == lsp.uri("api.py")
    assert apply_lsp(api, doc["edits"]) == api.replace(OLD, NEW)
    mate = [r for r in emulator.requests if "teammate 1]" in str(r.body)]
    results = tool_results(mate[1].body)
    assert results[0].startswith("refused (outside_workspace)") and results[1].startswith("refused (git_dir)")
    assert outside.read_text() == "x = 1\n" and (lsp.root / ".git" / "config").read_text() == "[core]\n"
    review = [r for r in emulator.requests if LEAD in str(r.body)][-1]
    assert "Edits that were refused" in str(review.body)


@pytest.mark.parametrize("how", ["cancelRequest", "workDoneProgress/cancel", "server token cancel"])
async def test_cancel_mid_run_applies_nothing_and_closes_streams(
        start_server: StartServer, emulator: Emulator, tmp_path: Path, how: str) -> None:
    lsp = await start(start_server, emulator, tmp_path)
    before = {f: (lsp.root / f).read_text() for f in FILES}
    conv = rename_team(lsp.root, [["inventory.py"], ["orders.py", "billing.py"], ["api.py"]], OLD, NEW)
    slow = Reply(text="thinking " * 2000)  # teammate 3 streams slowly: the team is mid-run
    conv.scripts.insert(0, ("[codeswitch-team:teammate 3]", (slow,)))
    emulator.respond(OPUS, conv)
    emulator.set_profile(OPUS, LatencyProfile(ttft_s=0.0, tokens_per_second=200.0))
    token = "cancel-me"
    extra: dict[str, object] = {}
    if how == "server token cancel":  # no token in the params: the server creates one (window capability)
        token = ""
    else:
        lsp.client.progress_reports[token] = []
        extra["workDoneToken"] = token
    pending = asyncio.ensure_future(lsp.client.protocol.send_request_async(
        "codeswitch/refactor", refactor_params(f"rename {OLD} to {NEW}", apply=True, **extra),
        msg_id="refactor-to-cancel"))
    while not any("teammate 3]" in str(r.body) and r.tokens_sent > 0 for r in emulator.requests):
        await asyncio.sleep(0.01)
    if not token:
        (token,) = [t for t in lsp.client.progress_reports if str(t).startswith("codeswitch-refactor-")]
    if how == "cancelRequest":
        lsp.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="refactor-to-cancel"))
    else:
        lsp.client.protocol.notify(types.WINDOW_WORK_DONE_PROGRESS_CANCEL,
                                   types.WorkDoneProgressCancelParams(token=token))
    with pytest.raises(JsonRpcException) as err:
        await pending
    assert err.value.code == -32800
    for record in list(emulator.requests):
        await emulator.wait_closed(record)
    streaming = [r for r in emulator.requests if "teammate 3]" in str(r.body)]
    assert streaming and all(r.disconnected_at is not None for r in streaming)
    assert not lsp.applied
    assert {f: (lsp.root / f).read_text() for f in FILES} == before
    assert isinstance(lsp.client.progress_reports[token][-1], types.WorkDoneProgressEnd)
    # the server still answers, and the cancelled calls are in the ledger as cancelled
    emulator.respond(OPUS, rename_team(lsp.root, [list(FILES)], OLD, NEW))
    emulator.set_profile(OPUS, "instant")
    again = await lsp.request("codeswitch/refactor", refactor_params(f"rename {OLD} to {NEW}"))
    assert again["error"] is None and len(again["files"]) == len(FILES)
    ledger = Ledger(ledger_path(tmp_path))
    outcomes = {r.outcome for r in ledger.rows() if r.role == "teammate 3"}
    ledger.close()
    assert "cancelled" in outcomes


async def test_bad_params_are_invalid_params(start_server: StartServer, emulator: Emulator,
                                             tmp_path: Path) -> None:
    lsp = await start(start_server, emulator, tmp_path)
    with pytest.raises(JsonRpcException) as err:
        await lsp.request("codeswitch/refactor", {"instruction": ""})
    assert err.value.code == -32602
    with pytest.raises(JsonRpcException) as err:
        await lsp.request("codeswitch/refactor",
                          {"instruction": "x", "textDocument": {"uri": lsp.uri("nope.py")}})
    assert err.value.code == -32602
    assert emulator.requests == []


async def test_file_rename_is_a_rename_file_operation(start_server: StartServer, emulator: Emulator,
                                                      tmp_path: Path) -> None:
    lsp = await start(start_server, emulator, tmp_path)
    billing = (lsp.root / "billing.py").read_text()
    conv = Conversations()
    conv.add(LEAD, Reply(tool_calls=[ToolCall("assign_tasks", {"tasks": [
        {"files": ["billing.py", "payments.py"], "instruction": "move billing.py to payments.py"}]})]),
        Reply(tool_calls=[ToolCall("approve", {})]))
    moved = [ToolCall("rename_file", {"path": "billing.py", "new_path": "payments.py"}),
             *rename_edits("payments.py", billing, OLD, NEW),
             ToolCall("edit_file", {"path": "billing.py", "search": "import", "replace": "x"})]
    conv.add("[codeswitch-team:teammate 1]", Reply(tool_calls=moved), DONE)
    emulator.respond(OPUS, conv)
    result = await lsp.request("codeswitch/refactor", refactor_params("move billing.py to payments.py"))
    assert result["error"] is None and result["files"] == ["payments.py"]
    rename, doc = result["edit"]["documentChanges"]
    assert rename["kind"] == "rename" and rename["annotationId"] == "codeswitchRefactor"
    assert (rename["oldUri"], rename["newUri"]) == (lsp.uri("billing.py"), lsp.uri("payments.py"))
    assert doc["textDocument"] == {"uri": lsp.uri("payments.py"), "version": None}
    assert apply_lsp(billing, doc["edits"]) == billing.replace(OLD, NEW)
    assert "rename from billing.py\nrename to payments.py" in result["diff"]
    # the old path is gone for the team: editing it was refused
    results = tool_results([r for r in emulator.requests if "teammate 1]" in str(r.body)][1].body)
    assert results[-1].startswith("refused (not_found): billing.py was renamed to payments.py")
    assert (lsp.root / "billing.py").read_text() == billing and not (lsp.root / "payments.py").exists()
    # the client accepts renames and creation: the teammate had both tools
    names = {t["name"] for t in emulator.requests[-2].body["tools"]}
    assert {"rename_file", "create_file"} <= names


async def test_editor_declining_the_edit_is_reported(start_server: StartServer, emulator: Emulator,
                                                     tmp_path: Path) -> None:
    lsp = await start(start_server, emulator, tmp_path, refuse="the user closed the refactor preview")
    emulator.respond(OPUS, rename_team(lsp.root, [list(FILES)], OLD, NEW))
    result = await lsp.request("codeswitch/refactor", refactor_params(f"rename {OLD} to {NEW}", apply=True))
    assert result["error"] is None and result["edit"] is not None and len(lsp.applied) == 1
    assert result["applied"] is False
    assert "the editor did not apply the edit: the user closed the refactor preview" in result["reasons"]
