"""``codeswitch/refactor``: a workspace change by the agent team, answered with one WorkspaceEdit.

Params :class:`.protocol.RefactorParams` ``{instruction, textDocument?: {uri}, range?, apply?,
workDoneToken?}``; the result is a :class:`.protocol.RefactorResult`. The request always
runs at workspace scope (the workspace tier's chain from routing; the document and range, when
given, tell the lead where the user was). The team edits an in-memory overlay; at the end every
changed file is re-parsed (no new syntax errors), open documents are rebased onto their current
version, and the result is one WorkspaceEdit (``documentChanges`` with versions and change
annotations that ask the user to confirm, when the client supports them; created files as
CreateFile operations only when ``resourceOperations`` allows it). With ``apply`` the server sends
``workspace/applyEdit`` itself. Failures go in the result's ``error``; malformed params are
InvalidParams. Cancellable with ``$/cancelRequest`` and ``window/workDoneProgress/cancel``;
progress goes to ``$/progress`` (planning, editing n/m files, reviewing).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from lsprotocol import types

from codeswitch.diskio import read_regular
from codeswitch.documents import Pos, Span, UnknownDocument, path_from_uri
from codeswitch.edits import (
    EditRejected,
    FileChange,
    apply_edits,
    check_syntax,
    rebase,
    text_digest,
    workspace_diff,
)
from codeswitch.scope import ScopeRequest, estimate_scope
from codeswitch.scope.index import WorkspaceIndex
from codeswitch.scope.syntax import language_for
from codeswitch.team import Caps, Overlay, Team, TeamRuntime
from codeswitch.team.overlay import LiveReader
from codeswitch.wording import plural

from .errors import Failure
from .indexing import build_in_thread
from .params import snapshot_for, span_of
from .protocol import (
    REFACTOR_METHOD,
    AgentUsage,
    Base,
    ErrorInfo,
    Fallback,
    RefactorParams,
    RefactorResult,
    Refusal,
    Usage,
)
from .request import Job, Progress, background_request
from .routes import route_for
from .workspace_edit import EditCaps, workspace_edit

if TYPE_CHECKING:
    from codeswitch.lsp_server import CodeswitchServer

    from .state import State

log = logging.getLogger(__name__)

METHOD = REFACTOR_METHOD


@dataclass(frozen=True, slots=True)
class _WorkspaceScope:
    """What routing reads of a scope: a refactor is always a workspace request."""

    scope: str = "workspace"
    context_tokens: int = 0
    confidence: float = 1.0


def _roots(ls: CodeswitchServer) -> list[Path]:
    roots = [p for f in ls.workspace.folders.values() if (p := path_from_uri(f.uri)) is not None]
    if not roots and ls.state.root is not None:
        roots = [ls.state.root]
    return roots


def _live(state: State) -> LiveReader:
    def read(path: Path) -> tuple[str, int] | None:
        try:
            snap = state.documents.snapshot(path.as_uri())
        except UnknownDocument:
            return None
        return snap.text, snap.version

    return read


async def _index(state: State, root: Path) -> WorkspaceIndex:
    if state.index is not None and state.index.ready:
        return state.index
    index = WorkspaceIndex(root)  # the background build has not finished: build one for this request
    # cancelling the request (or stopping the server) stops this build at its next file
    await build_in_thread(index, root, state.config.exclude, stopping=state.background.stopping)
    return index


def _where(state: State, params: RefactorParams, root: Path) -> tuple[str, list[str]]:
    """Context for the lead (where the user asked from) and the scope estimator's reasons."""
    if params.text_document is None:
        return "", []
    uri = params.text_document.uri
    snap = snapshot_for(state, uri)
    span = span_of(snap, params.range) if params.range is not None else Span(Pos(0, 0), Pos(0, 0))
    instruction = params.instruction
    scope = estimate_scope(snap, ScopeRequest("edit", span, instruction), state.index_for(snap.uri))
    rel = snap.path.relative_to(root).as_posix() if snap.path is not None and snap.path.is_relative_to(root) \
        else uri
    where = f"The user asked from {rel}, line {span.start.line + 1}"
    if scope.anchor_name:
        where += f", in {scope.anchor_kind or 'definition'} {scope.anchor_name}"
    where += "."
    first = state.escalations.pop(uri, None)
    if first is not None and first[0].strip() == instruction.strip():
        where += "\n" + first[1]  # the escalated function edit this refactor continues
    return where, list(scope.reasons)


class _Spend(NamedTuple):
    model: str | None
    agents: list[AgentUsage]
    usage: Usage
    fallbacks: list[Fallback]


def _spend(caps: Caps) -> _Spend:
    agents = list(caps.agents.values())
    lead = caps.agents.get("lead")
    return _Spend(
        lead.model if lead is not None else None,
        [AgentUsage(a.role, a.model, a.turns, a.input_tokens, a.output_tokens,
                    None if a.cost_usd is None else round(a.cost_usd, 6)) for a in agents],
        Usage(sum(a.input_tokens for a in agents), sum(a.output_tokens for a in agents),
              round(caps.cost_usd, 6) if caps.cost_known else None),
        [Fallback(m, e) for m, e in caps.fallbacks])


def _refused(overlay: Overlay) -> list[Refusal]:
    """Every edit the team's tools refused, in order: who, what kind, why."""
    return [Refusal(a, k, m) for a, k, m in overlay.refusals]


async def refactor(ls: CodeswitchServer, params: RefactorParams) -> RefactorResult:
    state = ls.state
    instruction = params.instruction
    roots = _roots(ls)
    if not roots:
        return RefactorResult(error=ErrorInfo("no_workspace", "a refactor needs a workspace folder"))
    context, scope_reasons = _where(state, params, roots[0])
    decision = route_for(state, _WorkspaceScope())
    reasons = ["codeswitch/refactor runs at workspace scope (agent team)", *scope_reasons]
    refuse = ErrorInfo("no_model", decision.cause) if not decision.chain or state.dispatcher is None else None
    limits = state.config.team
    if decision.cost_ceiling_usd is not None:
        limits = replace(limits, max_usd=min(limits.max_usd, decision.cost_ceiling_usd))
    caps = Caps(limits)
    edit_caps = EditCaps.of(ls.client_capabilities)
    overlay = Overlay(roots, state.config.exclude, _live(state), can_create=edit_caps.create,
                      can_rename=edit_caps.rename)

    def reply(told: list[str], **fields: Any) -> RefactorResult:
        spend = _spend(caps)
        return RefactorResult(tier=decision.tier, reasons=told, model=spend.model, agents=spend.agents,
                              usage=spend.usage, fallbacks=spend.fallbacks, refused=_refused(overlay),
                              **fields)

    def failed(failure: Failure) -> RefactorResult:
        return reply(reasons, error=failure.error)

    async def body(job: Job) -> RefactorResult:
        assert state.dispatcher is not None
        rt = TeamRuntime(state.dispatcher, decision, caps, uuid.uuid4().hex, decision.max_output_tokens)
        try:
            index = await _index(state, roots[0])
            team = Team(rt, overlay, index, instruction, context=context, concurrency=limits.max_teammates,
                        progress=job.progress.report)
            result = await team.run()
            changes = [_current(state, c) for c in result.changes]
            edit = workspace_edit(changes, edit_caps, state.documents.encoding, result.summary or instruction,
                                  refused=overlay.refusals)
        finally:
            lead = caps.agents.get("lead")
            job.served_by = lead.model if lead is not None else None
        if not changes:
            job.outcome = "no changes"
            return failed(Failure(ErrorInfo("no_change", "the team made no changes")))
        applied = False
        if params.apply:
            answer = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(
                edit=edit, label=f"codeswitch: {instruction[:60]}"))
            applied = bool(answer.applied)
            if not applied:
                why = answer.failure_reason or "no reason given"
                result.notes.append(f"the editor did not apply the edit: {why}")
        job.outcome = f"{plural(len(changes), 'file')} changed"
        if overlay.refusals:
            job.outcome += f", {plural(len(overlay.refusals), 'edit')} refused"
        told = reasons + result.notes + [f"refused: {a}: {m}" for a, _k, m in overlay.refusals]
        return reply(told, edit=edit, diff=workspace_diff(changes, roots[0]), applied=applied,
                      files=[c.rel for c in changes], bases=_bases(changes))

    uri = params.text_document.uri if params.text_document is not None else None
    progress = Progress(ls, params.work_done_token, "codeswitch: refactor", create_as="refactor")
    return await background_request(ls, METHOD, uri, decision, tuple(reasons), progress, body, failed,
                                     refuse=refuse, begin=("planning", 0))


def _bases(changes: list[FileChange]) -> list[Base]:
    """Per file, the SHA-256 of the text its edits were computed against (None: a new file), so
    whoever writes the edit to disk can refuse a file that changed since (``stale``). A list, not
    an object keyed by URI: JSON-RPC clients may mangle keys that are not identifiers."""
    return [Base(c.path.as_uri(), None if c.old_text is None else text_digest(c.old_text)) for c in changes]


def _current(state: State, change: FileChange) -> FileChange:
    """The change against the file as it is now: rebased onto an open document's new version,
    refused when a closed file changed on disk while the team worked."""
    source = change.rename_from or change.path
    if change.rename_from is not None and change.path.exists():
        raise EditRejected("stale", f"{change.rel} was created while the team worked")
    uri = source.as_uri()
    live = state.documents.version(uri)
    if live is not None:
        # after a rename the edits go to the new URI, which has no version yet
        version = live if change.rename_from is None else None
        if change.version == live or change.old_text is None:
            return replace(change, version=version)
        now = state.documents.snapshot(uri).text
        edits = rebase(change.edits, change.old_text, now)
        new = apply_edits(now, edits)
        check_syntax(language_for(None, change.path), now, new)  # re-parsed against what the user has now
        return replace(change, old_text=now, new_text=new, edits=tuple(edits), version=version)
    if change.old_text is not None:
        try:
            disk: str | None = read_regular(source).decode("utf-8", errors="replace")
        except OSError:
            disk = None
        if disk != change.old_text:
            raise EditRejected("stale", f"{change.rel} changed on disk while the team worked; run the "
                               "refactor again")
    elif change.path.exists():
        raise EditRejected("stale", f"{change.rel} was created while the team worked")
    return replace(change, version=None)


