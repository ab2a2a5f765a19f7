"""The agent team in process: a real Dispatcher over loopback HTTP to the emulator, the overlay,
the caps. (The LSP side, WorkspaceEdit and cancellation over the wire are in tests/e2e/test_refactor*.)"""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import AsyncIterator
from dataclasses import asdict
from pathlib import Path

import pytest
import pytest_asyncio

from codeswitch.catalog import load_catalog
from codeswitch.cli.stats import render
from codeswitch.config import Config, TeamConfig
from codeswitch.dispatch import Dispatcher
from codeswitch.edits import EditRejected
from codeswitch.ledger import Ledger, RequestRow
from codeswitch.providers import make_provider
from codeswitch.routing import Budget, Health, route
from codeswitch.scope.index import WorkspaceIndex
from codeswitch.team import Caps, Overlay, Team, TeamError, TeamRuntime
from codeswitch.testing import Conversations, Emulator, Reply, ToolCall
from codeswitch.testing.conversation import rename_edits, rename_team, tool_results

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
OPUS = "claude-opus-4-6"
LEAD = "[codeswitch-team:lead]"
CALLERS = ("orders.py", "billing.py", "api.py")
OLD, NEW = "reserve_stock", "hold_stock"
MATE1 = "[codeswitch-team:teammate 1]"
DONE = Reply(tool_calls=[ToolCall("done", {})])


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root)
    return root


@pytest_asyncio.fixture
async def dispatcher(emulator: Emulator, tmp_path: Path) -> AsyncIterator[Dispatcher]:
    catalog = load_catalog()
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    d = Dispatcher(Config(), catalog, ledger,
                   lambda m: make_provider(m.provider, m.api, emulator.base_url(m.api), "test-key"))
    yield d
    await d.aclose()
    ledger.close()


def _team(dispatcher: Dispatcher, root: Path, limits: TeamConfig | None = None, **kw: object) -> Team:
    config = Config()
    decision = route(_Workspace(), config, dispatcher.catalog, Health(), Budget(), frozenset({"anthropic"}))
    assert decision.chain[0] == OPUS
    caps = Caps(limits or TeamConfig())
    index = WorkspaceIndex(root)
    index.build(root)
    rt = TeamRuntime(dispatcher, decision, caps, "run-1", 4096)
    overlay = Overlay([root], (), None, can_create=bool(kw.pop("can_create", False)))
    return Team(rt, overlay, index, "rename reserve_stock to hold_stock everywhere", **kw)  # type: ignore[arg-type]


class _Workspace:
    scope = "workspace"
    context_tokens = 0
    confidence = 1.0


async def test_rename_across_files_edits_only_the_overlay(emulator: Emulator, dispatcher: Dispatcher,
                                                          shop: Path) -> None:
    conv = rename_team(shop, [["inventory.py"], ["orders.py", "billing.py"], ["api.py"]], OLD, NEW)
    emulator.respond(OPUS, conv)
    before = {p.name: p.read_text() for p in shop.glob("*.py")}
    progress: list[str] = []
    team = _team(dispatcher, shop, progress=lambda m, _p: progress.append(m))
    result = await team.run()
    assert sorted(c.rel for c in result.changes) == sorted(["inventory.py", *CALLERS])
    for c in result.changes:
        assert c.new_text == before[c.rel].replace("reserve_stock", "hold_stock")
        assert all(e.new_text == "hold" for e in c.edits)
    assert {p.name: p.read_text() for p in shop.glob("*.py")} == before  # nothing touched disk
    assert progress[0] == "planning" and "reviewing" in progress and "editing 4/4 files" in progress
    # the lead saw the index's references, then the combined diff in a user turn
    lead_requests = [r for r in emulator.requests if LEAD in str(r.body)]
    assert "orders.py:" in tool_results(lead_requests[1].body)[0]
    assert "+from inventory import Inventory, hold_stock" in str(lead_requests[2].body)
    # one tool list and a cached system prompt for every lead call: the prompt-cache prefix stays put
    bodies = [r.body for r in lead_requests if isinstance(r.body, dict)]
    assert len({json.dumps(b["tools"]) for b in bodies}) == 1
    assert all(b["system"][0]["cache_control"] == {"type": "ephemeral"} for b in bodies)
    spend = team.rt.caps.agents
    assert sorted(spend) == ["lead", "teammate 1", "teammate 2", "teammate 3"]
    assert spend["lead"].turns == 3 and all(spend[f"teammate {n}"].turns == 2 for n in (1, 2, 3))
    assert dispatcher.ledger is not None
    rows = dispatcher.ledger.rows()
    assert {r.role for r in rows} == set(spend) and {r.parent_id for r in rows} == {"run-1"}
    # `codeswitch stats` shows the spend per agent next to the totals
    stats = dispatcher.ledger.stats(dispatcher.catalog, OPUS)
    assert [a.name for a in stats.by_agent] == sorted(spend)
    assert stats.by_agent[0].calls == 3 and sum(a.calls for a in stats.by_agent) == stats.totals.calls
    assert stats.to_json()["by_agent"] == [asdict(a) for a in stats.by_agent]
    report = render(stats, "ledger.sqlite3")
    assert "agent" in report and "teammate 3" in report


def test_stats_without_team_calls_have_no_agent_section(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite3") as ledger:
        row = RequestRow(1.0, "r1", "inline", "inline", "inline", "openai", "gpt-5.3-codex-spark", 10, 0, 5)
        ledger.record(row)
        stats = ledger.stats(load_catalog(), OPUS)
    assert stats.by_agent == () and "by_agent" not in stats.to_json()
    assert "agent" not in render(stats, "l")


async def test_history_alternates_and_never_ends_with_assistant(emulator: Emulator, dispatcher: Dispatcher,
                                                                shop: Path) -> None:
    emulator.respond(OPUS, rename_team(shop, [["inventory.py", *CALLERS]], OLD, NEW))
    await _team(dispatcher, shop).run()
    for r in emulator.requests:
        assert isinstance(r.body, dict)
        roles = [m["role"] for m in r.body["messages"]]
        assert roles[0] == "user" and roles[-1] == "user"
        assert all(a != b for a, b in itertools.pairwise(roles))


async def test_review_fix_request_reaches_the_teammate(emulator: Emulator, dispatcher: Dispatcher,
                                                       shop: Path) -> None:
    conv = Conversations()
    tasks = [{"files": ["api.py"], "instruction": "rename"}]
    conv.add(LEAD, Reply(tool_calls=[ToolCall("assign_tasks", {"tasks": tasks})]),
             Reply(tool_calls=[ToolCall("request_fix", {"file": "api.py", "message": "also the call site"})]),
             Reply(tool_calls=[ToolCall("approve", {})]))
    text = (shop / "api.py").read_text()
    calls = rename_edits("api.py", text, "reserve_stock", "hold_stock")
    conv.add(MATE1, Reply(tool_calls=calls[:1]), DONE, Reply(tool_calls=calls[1:]), DONE)
    emulator.respond(OPUS, conv)
    result = await _team(dispatcher, shop).run()
    assert result.review_rounds == 2
    (change,) = result.changes
    assert change.new_text == text.replace("reserve_stock", "hold_stock")
    fix_turn = [r for r in emulator.requests if "teammate 1]" in str(r.body)][2]
    assert "Message from the lead: also the call site" in str(fix_turn.body)


async def test_refused_edits_are_reported_to_the_agent_and_the_lead(
        emulator: Emulator, dispatcher: Dispatcher, shop: Path, tmp_path: Path) -> None:
    (shop / ".git").mkdir()
    (shop / ".git" / "config").write_text("[core]\n")
    (tmp_path / "outside.py").write_text("x = 1\n")
    conv = Conversations()
    conv.add(LEAD, Reply(tool_calls=[ToolCall("assign_tasks", {"tasks": [
        {"files": ["api.py"], "instruction": "rename"}]})]), Reply(tool_calls=[ToolCall("approve", {})]))
    bad = [ToolCall("edit_file", {"path": "../outside.py", "search": "x = 1", "replace": "x = 2"}),
           ToolCall("edit_file", {"path": ".git/config", "search": "[core]", "replace": "[x]"}),
           ToolCall("edit_file", {"path": "orders.py", "search": "import", "replace": "x"})]
    calls = rename_edits("api.py", (shop / "api.py").read_text(), "reserve_stock", "hold_stock")
    conv.add(MATE1, Reply(tool_calls=bad + calls), DONE)
    emulator.respond(OPUS, conv)
    team = _team(dispatcher, shop)
    result = await team.run()
    assert [c.rel for c in result.changes] == ["api.py"]
    assert [k for _a, k, _m in team.overlay.refusals] == ["outside_workspace", "git_dir", "not_owned"]
    second = [r for r in emulator.requests if "teammate 1]" in str(r.body)][1]
    results = tool_results(second.body)
    assert results[0].startswith("refused (outside_workspace)") and results[1].startswith("refused (git_dir)")
    review = [r for r in emulator.requests if LEAD in str(r.body)][1]
    assert "Edits that were refused" in str(review.body) and ".git/config" in str(review.body)
    assert (tmp_path / "outside.py").read_text() == "x = 1\n"


async def test_plan_refuses_shared_and_forbidden_files(emulator: Emulator, dispatcher: Dispatcher,
                                                       shop: Path) -> None:
    (shop / ".git").mkdir()
    conv = Conversations()
    conv.add(LEAD, Reply(tool_calls=[ToolCall("assign_tasks", {"tasks": [
                {"files": ["api.py"], "instruction": "a"}, {"files": ["api.py"], "instruction": "b"}]})]),
             Reply(tool_calls=[ToolCall("assign_tasks", {"tasks": [
                 {"files": [".git/HEAD"], "instruction": "a"}]})]),
             Reply(text="I give up."))
    emulator.respond(OPUS, conv)
    with pytest.raises(TeamError) as err:
        await _team(dispatcher, shop).run()
    assert err.value.kind == "no_plan"
    lead = [r for r in emulator.requests if LEAD in str(r.body)]
    assert "a file belongs to one task" in tool_results(lead[1].body)[0]
    assert "refused (git_dir)" in tool_results(lead[2].body)[1]


async def test_runaway_lead_is_stopped_by_the_cost_cap(emulator: Emulator, dispatcher: Dispatcher,
                                                       shop: Path) -> None:
    conv = Conversations().add(LEAD, Reply(tool_calls=[ToolCall("list_files", {})], output_tokens=2000))
    emulator.respond(OPUS, conv)
    team = _team(dispatcher, shop, TeamConfig(max_turns=10_000, max_usd=0.2))
    with pytest.raises(TeamError) as err:
        await team.run()
    assert err.value.kind == "cost_cap" and "team.max_usd" in err.value.message
    calls = len(emulator.requests)
    assert 4 <= calls <= 5  # each call costs at least 2000 * $25/M = $0.05
    assert team.rt.caps.cost_usd >= 0.2


async def test_turn_cap_per_agent(emulator: Emulator, dispatcher: Dispatcher, shop: Path) -> None:
    emulator.respond(OPUS, Conversations().add(LEAD, Reply(tool_calls=[ToolCall("list_files", {})])))
    with pytest.raises(TeamError) as err:
        await _team(dispatcher, shop, TeamConfig(max_turns=3)).run()
    assert err.value.kind == "turn_cap" and len(emulator.requests) == 3


def test_overlay_ownership_and_targets(shop: Path) -> None:
    overlay = Overlay([shop], ("web/**",),
                      lambda p: ("LIVE reserve_stock\n", 7) if p.name == "api.py" else None)
    overlay.own("api.py", "teammate 1")
    with pytest.raises(EditRejected) as err:
        overlay.own("api.py", "teammate 2")
    assert err.value.kind == "not_owned"
    overlay.replace("teammate 1", "api.py", "LIVE reserve_stock", "LIVE hold_stock")
    (change,) = overlay.changes()
    assert change.version == 7 and change.old_text == "LIVE reserve_stock\n"
    for path, kind in (("web/cart.ts", "excluded"), ("/etc/passwd", "outside_workspace"), (".env", "secret")):
        with pytest.raises(EditRejected) as err:
            overlay.read(path)
        assert err.value.kind == kind
    with pytest.raises(EditRejected) as err:
        overlay.create("teammate 1", "new.py", "x = 1\n")
    assert err.value.kind == "resource_op"


def test_overlay_syntax_problems(shop: Path) -> None:
    overlay = Overlay([shop])
    overlay.own("api.py", "t")
    overlay.replace("t", "api.py", "from inventory import", "from inventory import (")
    (problem,) = overlay.syntax_problems()
    assert problem.startswith("api.py: the edit introduces a syntax error")


def test_workspace_edit_creates_files_only_through_resource_operations(tmp_path: Path) -> None:
    from lsprotocol import types

    from codeswitch.edits import file_change
    from codeswitch.handlers.workspace_edit import ANNOTATION_ID, EditCaps, workspace_edit

    new = file_change(tmp_path / "new.py", "new.py", None, "x = 1\n")
    old = file_change(tmp_path / "a.py", "a.py", "é = 1\ny = 2\n", "é = 1\ny = 3\n", version=4)
    edit = workspace_edit([new, old], EditCaps(True, True, True), "utf-16", "add new.py")
    ops = edit.document_changes or []
    assert isinstance(ops[0], types.CreateFile) and ops[0].uri == (tmp_path / "new.py").as_uri()
    assert isinstance(ops[1], types.TextDocumentEdit) and ops[1].text_document.version is None
    assert isinstance(ops[2], types.TextDocumentEdit) and ops[2].text_document.version == 4
    (change,) = ops[2].edits
    assert isinstance(change, types.AnnotatedTextEdit) and change.annotation_id == ANNOTATION_ID
    assert (change.range.start.line, change.range.start.character, change.new_text) == (1, 4, "3")
    assert edit.change_annotations is not None and edit.change_annotations[ANNOTATION_ID].needs_confirmation
    with pytest.raises(EditRejected) as err:
        workspace_edit([new], EditCaps(), "utf-16", "x")
    assert err.value.kind == "resource_op"
    plain = workspace_edit([old], EditCaps(), "utf-16", "x")
    assert plain.document_changes is None and plain.changes is not None
    assert [e.new_text for e in plain.changes[(tmp_path / "a.py").as_uri()]] == ["3"]


def test_overlay_creates_owned_files_when_the_client_accepts_it(shop: Path) -> None:
    overlay = Overlay([shop], can_create=True)
    overlay.own("stock/holds.py", "teammate 1")
    assert overlay.create("teammate 1", "stock/holds.py", "HOLDS = {}\n") == "stock/holds.py"
    with pytest.raises(EditRejected) as err:
        overlay.create("teammate 1", "api.py", "x\n")
    assert err.value.kind == "resource_op"  # exists already
    (change,) = overlay.changes()
    assert change.old_text is None and change.new_text == "HOLDS = {}\n"
    assert not (shop / "stock").exists()


def test_overlay_renames_owned_files_when_the_client_accepts_it(shop: Path) -> None:
    overlay = Overlay([shop], can_rename=True)
    overlay.own("billing.py", "teammate 1")
    with pytest.raises(EditRejected) as err:
        overlay.rename("teammate 2", "billing.py", "payments.py")
    assert err.value.kind == "not_owned"
    with pytest.raises(EditRejected) as err:
        overlay.rename("teammate 1", "billing.py", "api.py")
    assert err.value.kind == "resource_op"  # the target exists
    assert overlay.rename("teammate 1", "billing.py", "payments.py") == "payments.py"
    overlay.replace("teammate 1", "payments.py", "reserve_stock(inventory", "hold_stock(inventory")
    with pytest.raises(EditRejected) as err:
        overlay.read("billing.py")
    assert err.value.kind == "not_found"
    (change,) = overlay.changes()
    assert change.rel == "payments.py" and change.rename_from == shop / "billing.py"
    assert change.old_text == (shop / "billing.py").read_text() and len(change.edits) == 1
    assert Overlay([shop]).can_rename is False


async def test_a_syntax_error_reaches_the_review_and_fails_the_refactor(
        emulator: Emulator, dispatcher: Dispatcher, shop: Path) -> None:
    conv = Conversations()
    conv.add(LEAD, Reply(tool_calls=[ToolCall("assign_tasks", {"tasks": [
        {"files": ["api.py"], "instruction": "rename"}]})]), Reply(tool_calls=[ToolCall("approve", {})]))
    broken = ToolCall("edit_file", {"path": "api.py", "search": "from inventory import",
                                    "replace": "from inventory import ("})
    conv.add(MATE1, Reply(tool_calls=[broken]), DONE)
    emulator.respond(OPUS, conv)
    with pytest.raises(TeamError) as err:
        await _team(dispatcher, shop).run()
    assert err.value.kind == "syntax" and "api.py" in err.value.message
    review = [r for r in emulator.requests if LEAD in str(r.body)][-1]
    assert "Syntax check failed" in str(review.body)


async def test_fallback_model_serves_the_team_when_opus_is_down(emulator: Emulator, dispatcher: Dispatcher,
                                                                 shop: Path) -> None:
    emulator.fault(OPUS, "model_not_found", times=None)
    sonnet = "claude-sonnet-4-5"
    emulator.respond(sonnet, rename_team(shop, [["inventory.py", *CALLERS]], OLD, NEW))
    team = _team(dispatcher, shop)
    result = await team.run()
    assert len(result.changes) == 4
    assert {a.model for a in team.rt.caps.agents.values()} == {sonnet}
    assert (OPUS, "model_not_found") in team.rt.caps.fallbacks
    assert len(emulator.requests_for(OPUS)) == 1  # unavailable for the session after the first 404
