"""Code actions, codeAction/resolve and the ``codeswitch/edit`` request.

``textDocument/codeAction`` lists, without calling any model: "Edit with instruction…" (the
client command ``codeswitch.editWithInstruction`` asks for the instruction, then sends
``codeswitch/edit``), the quick edits "Add docstring", "Add type annotations" and "Fix
diagnostics in …" (the last only when the client sent diagnostics inside the anchor), returned
without an edit but with ``data``, and "Refactor across the workspace…" (client command
``codeswitch.refactorWorkspace``). Every title names the model the route picks and why.

The model runs in cancellable requests only (``codeAction/resolve`` and ``codeswitch/edit`` are
async handlers, so ``$/cancelRequest`` cancels them and closes the upstream stream), never in
``workspace/executeCommand``. The edit pipeline is :class:`codeswitch.features.edit.EditEngine`;
this module turns its plain data into LSP (WorkspaceEdit with ``documentChanges`` when the
client supports them) and rebases the result onto the document if the user typed meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import attrs
from lsprotocol import types

from codeswitch.documents import PositionError, Snapshot, Span
from codeswitch.edits import EditRejected, TextEdit, apply_edits, unified_diff
from codeswitch.features.edit import EditOutcome, EditTarget, onto
from codeswitch.features.prompts_edit import QUICK_KINDS, Diagnostic, QuickKind, quick_instruction
from codeswitch.protected import protected_reason
from codeswitch.wording import plural

from . import analysis
from .edit_plan import Plan, engine, plan, rel_path, secret, why, workspace_plan
from .errors import Failure, not_ready, request_failed
from .params import get, snapshot_for, span_of
from .protocol import EDIT_METHOD, EditParams, EditResult, ErrorInfo, Fallback, Usage, to_json
from .request import Job, Progress, background_request
from .workspace_edit import EditCaps, document_edit

if TYPE_CHECKING:
    from codeswitch.lsp_server import CodeswitchServer

    from .state import State

log = logging.getLogger(__name__)

CODE_ACTION_METHOD = types.TEXT_DOCUMENT_CODE_ACTION
RESOLVE_METHOD = types.CODE_ACTION_RESOLVE
EDIT_COMMAND = "codeswitch.editWithInstruction"
REFACTOR_COMMAND = "codeswitch.refactorWorkspace"
CODE_ACTION_OPTIONS = types.CodeActionOptions(
    code_action_kinds=[types.CodeActionKind.RefactorRewrite, types.CodeActionKind.QuickFix,
                       types.CodeActionKind.Refactor],
    resolve_provider=True)
_QUICK_TITLES = {"docstring": "Add docstring to", "annotate": "Add type annotations to",
                 "fix": "Fix diagnostics in"}


# --- results --------------------------------------------------------------------------------------

def _result(p: Plan, *, outcome: EditOutcome | None = None, error: ErrorInfo | None = None,
            failure: Failure | None = None, extra_reasons: tuple[str, ...] = ()) -> EditResult:
    reasons = [*p.scope.reasons, p.decision.cause, *extra_reasons]
    model, usage, fallbacks = None, Usage(), []
    if failure is not None:
        error, fallbacks = failure.error, list(failure.tried)
        if failure.tried:  # models were called: what they cost is in the ledger, not known here
            usage = Usage(cost_usd=None)
    if outcome is not None:
        model = outcome.model
        usage = Usage(outcome.input_tokens, outcome.output_tokens, outcome.cost_usd)
        fallbacks = [Fallback(k, e) for k, e in outcome.fallbacks]
        reasons.extend(r for r in outcome.reasons if r not in reasons)
    return EditResult(model=model, scope=p.scope.scope, tier=p.decision.tier, reasons=reasons, usage=usage,
                      fallbacks=fallbacks, error=error)


#: how much of a first attempt's diff is carried to the team
FIRST_ATTEMPT_CHARS = 6000


def remember_first_attempt(state: State, snap: Snapshot, instruction: str, outcome: EditOutcome) -> None:
    """Keep what an escalated function edit did, so the workspace run starts from it."""
    name = rel_path(state, snap) or snap.uri
    diff = unified_diff(name, outcome.old_text, outcome.new_text)
    if len(diff) > FIRST_ATTEMPT_CHARS:
        diff = diff[:FIRST_ATTEMPT_CHARS] + "\n... (cut)\n"
    why_wider = outcome.error[1] if outcome.error is not None else "it reaches other files"
    state.escalations[snap.uri] = (instruction, (
        f"A first attempt limited to {outcome.target.label} in {name} was stopped before anything was "
        f"applied, because {why_wider}. Its change to that file was:\n{diff}\nStart from it: keep or "
        "adjust that change and make the rest of the change in the other files."))


@dataclass(frozen=True, slots=True)
class Finished:
    """An edit ready for the client: the current snapshot and the edits against it."""

    snap: Snapshot
    edits: tuple[TextEdit, ...]
    diff: str


def _refusal(state: State, snap: Snapshot, p: Plan) -> ErrorInfo | None:
    """Why this edit is refused before any model call: a secret or protected file, or a request
    that reaches other files."""
    rel = rel_path(state, snap)
    if secret(state, snap):
        return ErrorInfo("secret", f"{rel} is a secret, ignored or excluded file: never sent to a model")
    guarded = protected_reason(rel) if rel is not None and snap.path is not None else None
    if guarded is not None:
        return ErrorInfo("protected", f"refusing to edit {rel}: it is a protected file ({guarded}); "
                         "models never change it, edit it by hand")
    if p.scope.scope == "workspace":
        told = [r for r in p.scope.reasons if not r.startswith("anchored to")]
        because = "; ".join(told[:2]) or "workspace scope"
        return ErrorInfo("workspace_scope", f"this request reaches other files ({because}); run it as a "
                         "workspace refactor (codeswitch/refactor)")
    return None


async def run_edit(ls: CodeswitchServer, snap: Snapshot, span: Span, instruction: str, *,
                   diagnostics: tuple[Diagnostic, ...] = (), token: int | str | None = None,
                   p: Plan | None = None) -> tuple[EditResult, Finished | None]:
    """Plan, call the model, validate, rebase: the codeswitch/edit result and the finished edit
    (``snap``: the document the request's ``span`` was read from)."""
    state = ls.state
    uri = snap.uri
    the_plan = p if p is not None else plan(state, snap, span, instruction)
    refuse = _refusal(state, snap, the_plan)
    dispatcher = state.dispatcher
    if refuse is None and dispatcher is None:
        raise not_ready()
    finished: list[Finished] = []

    def failed(failure: Failure) -> EditResult:
        return _result(the_plan, failure=failure)

    async def body(job: Job) -> EditResult:
        assert dispatcher is not None
        outcome = await engine(state, uri).run(snap, the_plan.target, instruction, decision=the_plan.decision,
                                               complete=dispatcher.complete, rel_path=rel_path(state, snap),
                                               path=snap.path, diagnostics=diagnostics)
        job.served_by = outcome.model
        if outcome.error is not None:
            if outcome.error[0] == "workspace_scope" and outcome.edits:
                remember_first_attempt(state, snap, instruction, outcome)
            job.outcome = f"refused: {outcome.error[1]}"
            return _result(the_plan, outcome=outcome, error=ErrorInfo(*outcome.error))
        current = snapshot_for(state, uri)
        try:
            edits = onto(outcome, current.version, current.text)
        except EditRejected as exc:
            job.outcome = f"refused: {exc.message}"
            return _result(the_plan, outcome=outcome, error=ErrorInfo(exc.kind, exc.message))
        rebased = _rebase_reason(state, uri, snap, current)
        new_text = apply_edits(current.text, edits)
        diff = unified_diff(rel_path(state, current) or uri, current.text, new_text)
        job.outcome = f"{plural(len(edits), 'edit')} by {outcome.model}"
        finished.append(Finished(current, edits, diff))
        return _result(the_plan, outcome=outcome, extra_reasons=rebased)

    title = f"codeswitch: {the_plan.target.label} with {why(state, the_plan.decision, the_plan.scope)}"
    result = await background_request(ls, EDIT_METHOD, uri, the_plan.decision, tuple(the_plan.scope.reasons),
                                      Progress(ls, token, title), body, failed, refuse=refuse)
    return result, (finished[0] if finished else None)


def _rebase_reason(state: State, uri: str, seen: Snapshot, current: Snapshot) -> tuple[str, ...]:
    """Why the edits moved (or did not): a newer version, or a document closed meanwhile."""
    if state.documents.version(uri) is None and seen.version != current.version:
        same = "" if current.text == seen.text else ", rebased onto it"
        return (f"the document was closed while the model worked: the edit is for the file on disk{same}",)
    if current.version == seen.version:
        return ()
    return (f"rebased onto version {current.version} (the document changed while the model worked)",)


# --- pygls handlers ---------------------------------------------------------------------------------

async def edit(ls: CodeswitchServer, params: EditParams) -> EditResult:
    """codeswitch/edit ``{textDocument: {uri}, range, instruction, apply?, workDoneToken?}``."""
    uri = params.text_document.uri
    snap = snapshot_for(ls.state, uri)
    span = span_of(snap, params.range)
    result, done = await run_edit(ls, snap, span, params.instruction, token=params.work_done_token)
    if done is None:
        return result
    open_version = ls.state.documents.version(uri)
    wedit = document_edit(done.snap, done.edits, EditCaps.of(ls.client_capabilities), open_version)
    result = attrs.evolve(result, edit=wedit, diff=done.diff)
    if params.apply:
        answer = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(
            edit=wedit, label=f"codeswitch: {params.instruction[:60]}"))
        result = attrs.evolve(result, applied=bool(answer.applied))
        if not answer.applied:
            why_not = answer.failure_reason or "the client did not apply the edit"
            result = attrs.evolve(result, error=ErrorInfo("not_applied", why_not))
    return result


def _diagnostics(snap: Snapshot, context: types.CodeActionContext,
                 target: EditTarget) -> tuple[Diagnostic, ...]:
    out: list[Diagnostic] = []
    for d in context.diagnostics or ():
        try:
            pos = snap.to_pos(d.range.start.line, d.range.start.character)
        except PositionError:
            continue
        if target.region.start.line <= pos.line <= target.region.end.line:
            sev = {1: "error", 2: "warning", 3: "information", 4: "hint"}.get(int(d.severity or 1), "error")
            out.append(Diagnostic(pos.line, pos.col, d.message, sev, d.source))
    return tuple(out)


def _wants(only: list[str] | None, kind: str) -> bool:
    return not only or any(kind == k or kind.startswith(k + ".") for k in only)


def _resolve_support(ls: CodeswitchServer) -> bool:
    td = ls.client_capabilities.text_document
    ca = getattr(td, "code_action", None)
    support = getattr(ca, "resolve_support", None)
    return support is not None and "edit" in (support.properties or [])


def code_action(ls: CodeswitchServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
    """The actions at a cursor or selection; no model is called here."""
    state: State = ls.state
    uri = params.text_document.uri
    try:
        snap = state.documents.snapshot(uri)
    except Exception:
        return None
    if secret(state, snap):
        return []
    span = span_of(snap, params.range)
    p = plan(state, snap, span, None)
    only = [str(k) for k in params.context.only] if params.context.only else None
    where = {"textDocument": {"uri": uri}, "range": to_json(params.range)}
    actions: list[types.CodeAction] = []
    if _wants(only, types.CodeActionKind.RefactorRewrite):
        actions.append(types.CodeAction(
            title=f"Edit with instruction… ({why(state, p.decision, p.scope)})",
            kind=types.CodeActionKind.RefactorRewrite,
            command=types.Command(title="codeswitch: edit with instruction", command=EDIT_COMMAND,
                                  arguments=[where])))
    if p.scope.anchor is not None and _resolve_support(ls):
        diagnostics = _diagnostics(snap, params.context, p.target)
        for quick in QUICK_KINDS:
            if quick == "fix" and not diagnostics:
                continue
            kind = types.CodeActionKind.QuickFix if quick == "fix" else types.CodeActionKind.RefactorRewrite
            if not _wants(only, kind):
                continue
            data = {"uri": uri, "version": snap.version, "quick": quick,
                    "range": to_json(params.range),
                    "diagnostics": [[d.line, d.col, d.message, d.severity, d.source] for d in diagnostics]}
            quick_plan, _ = _quick_plan(state, snap, span, p, quick, diagnostics)
            actions.append(types.CodeAction(
                title=(f"{_QUICK_TITLES[quick]} {p.target.label} "
                       f"({why(state, quick_plan.decision, quick_plan.scope)})"),
                kind=kind, data=data,
                diagnostics=[d for d in params.context.diagnostics if quick == "fix"] or None))
    if _wants(only, types.CodeActionKind.Refactor):
        wide = workspace_plan(state, p)
        actions.append(types.CodeAction(
            title=f"Refactor across the workspace… ({why(state, wide, replace(p.scope, scope='workspace'))})",
            kind=types.CodeActionKind.Refactor,
            command=types.Command(title="codeswitch: refactor across the workspace", command=REFACTOR_COMMAND,
                                  arguments=[where])))
    actions.extend(analysis.code_actions(state, snap, span, where, only))
    return actions


def _quick_plan(state: State, snap: Snapshot, span: Span, p0: Plan, kind: QuickKind,
                diagnostics: Sequence[Diagnostic]) -> tuple[Plan, str]:
    """A quick edit's plan and instruction. Its wording may read wider than the function ("type
    annotations" and "return type" suggest signature changes), but it edits the anchor it is
    listed for, so it keeps the cursor's plan whenever the wording would move it elsewhere."""
    instruction = quick_instruction(kind, p0.target.label, snap.language, diagnostics)
    p = plan(state, snap, span, instruction)
    if p.scope.scope == "workspace" or p.target != p0.target:
        p = p0
    return p, instruction


async def resolve_code_action(ls: CodeswitchServer, action: types.CodeAction) -> types.CodeAction:
    """Run a quick edit's model call (cancellable) and fill the action's ``edit``; nothing to apply
    is RequestFailed with the reason."""
    data = action.data
    quick = get(data, "quick")
    uri = get(data, "uri")
    if quick not in QUICK_KINDS or not isinstance(uri, str):
        return action  # not ours, or nothing to resolve
    kind: QuickKind = quick
    state = ls.state
    snap = snapshot_for(state, uri)
    span = span_of(snap, get(data, "range"))
    diagnostics = tuple(Diagnostic(int(d[0]), int(d[1]), str(d[2]), str(d[3]), d[4] if d[4] else None)
                        for d in (get(data, "diagnostics") or ()))
    p, instruction = _quick_plan(state, snap, span, plan(state, snap, span, None), kind, diagnostics)
    result, done = await run_edit(ls, snap, span, instruction, diagnostics=diagnostics, p=p)
    if done is None:
        raise request_failed(result.error or ErrorInfo("no_change", "no change"))
    version = state.documents.version(uri)
    action.edit = document_edit(done.snap, done.edits, EditCaps.of(ls.client_capabilities), version)
    return action
