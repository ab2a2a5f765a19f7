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

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInternalError, JsonRpcInvalidParams

from codeswitch.dispatch import AllModelsFailed
from codeswitch.documents import PositionError, Snapshot, Span
from codeswitch.edits import EditRejected, TextEdit, apply_edits, unified_diff
from codeswitch.features.edit import EditOutcome, EditTarget, onto
from codeswitch.features.prompts_edit import QUICK_KINDS, Diagnostic, QuickKind, quick_instruction
from codeswitch.protected import protected_reason
from codeswitch.wording import plural

from . import analysis
from .edit_plan import Plan, engine, plan, rel_path, secret, why, workspace_plan
from .info import remember_route, served
from .scope_request import apply_param, get, instruction_param, lsp_range, snapshot_for, span_of

if TYPE_CHECKING:
    from codeswitch.server import State

log = logging.getLogger(__name__)

EDIT_METHOD = "codeswitch/edit"
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

def _document_changes(ls: Any) -> bool:
    ws = getattr(getattr(ls, "client_capabilities", None), "workspace", None)
    we = getattr(ws, "workspace_edit", None)
    return bool(getattr(we, "document_changes", False))


def workspace_edit(snap: Snapshot, edits: tuple[TextEdit, ...], document_changes: bool,
                   open_version: int | None) -> types.WorkspaceEdit:
    """One file's edits as a WorkspaceEdit (positions converted to the negotiated encoding)."""
    lsp_edits = [types.TextEdit(range=lsp_range(snap, e.span), new_text=e.new_text) for e in edits]
    if document_changes:
        ident = types.OptionalVersionedTextDocumentIdentifier(uri=snap.uri, version=open_version)
        return types.WorkspaceEdit(document_changes=[
            types.TextDocumentEdit(text_document=ident, edits=list(lsp_edits))])
    return types.WorkspaceEdit(changes={snap.uri: list(lsp_edits)})


def _result(p: Plan | None, *, model: str | None = None, outcome: EditOutcome | None = None,
            error: tuple[str, str] | None = None, extra_reasons: tuple[str, ...] = ()) -> dict[str, Any]:
    reasons = [*list(p.scope.reasons), p.decision.cause] if p is not None else []
    reasons.extend(extra_reasons)
    usage: dict[str, Any] = {"input_tokens": 0, "output_tokens": 0, "cost_usd": None}
    fallbacks: list[dict[str, str]] = []
    if outcome is not None:
        usage = {"input_tokens": outcome.input_tokens, "output_tokens": outcome.output_tokens,
                 "cost_usd": outcome.cost_usd}
        fallbacks = [{"model": k, "error": e} for k, e in outcome.fallbacks]
        model = outcome.model
        reasons.extend(r for r in outcome.reasons if r not in reasons)
    return {"edit": None, "diff": "", "applied": False, "model": model,
            "scope": p.scope.scope if p is not None else "function",
            "tier": p.decision.tier if p is not None else "function", "reasons": reasons, "usage": usage,
            "fallbacks": fallbacks,
            "error": None if error is None else {"kind": error[0], "message": error[1]}}


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


async def run_edit(ls: Any, snap: Snapshot, span: Span, instruction: str, *,
                   diagnostics: tuple[Diagnostic, ...] = (), token: object = None,
                   p: Plan | None = None) -> tuple[dict[str, Any], Finished | None]:
    """Plan, call the model, validate, rebase: the codeswitch/edit result and the finished edit
    (``snap``: the document the request's ``span`` was read from)."""
    state: State = ls.state
    uri = snap.uri
    if p is None:
        p = plan(state, snap, span, instruction)
    record = remember_route(state, EDIT_METHOD, uri, p.decision, p.scope.reasons)
    if secret(state, snap):
        why_not = f"{rel_path(state, snap)} is a secret, ignored or excluded file: never sent to a model"
        return _result(p, error=("secret", why_not)), None
    rel = rel_path(state, snap)
    guarded = protected_reason(rel) if rel is not None and snap.path is not None else None
    if guarded is not None:
        return _result(p, error=("protected", f"refusing to edit {rel}: it is a protected file ({guarded}); "
                                 "models never change it, edit it by hand")), None
    if p.scope.scope == "workspace":
        told = [r for r in p.scope.reasons if not r.startswith("anchored to")]
        because = "; ".join(told[:2]) or "workspace scope"
        msg = (f"this request reaches other files ({because}); run it as a workspace refactor "
               "(codeswitch/refactor)")
        return _result(p, error=("workspace_scope", msg)), None
    dispatcher = state.dispatcher
    if dispatcher is None:
        raise JsonRpcInternalError("the server is not initialized")
    progress = _Progress(ls, token, f"codeswitch: {p.target.label} with {why(state, p.decision, p.scope)}")
    try:
        try:
            outcome = await engine(state, snap.uri).run(snap, p.target, instruction, decision=p.decision,
                                              complete=dispatcher.complete, rel_path=rel_path(state, snap),
                                              path=snap.path, diagnostics=diagnostics)
        except AllModelsFailed as exc:
            tried = tuple((a.model_key, a.kind) for a in exc.attempts)
            failed = EditOutcome(snap.version, "", "", (), p.target, None, tried)
            # all_models_failed, deadline, secret_content: the kind says which
            return _result(p, outcome=failed, error=(exc.kind, str(exc))), None
        served(ls, record, outcome.model)
        if outcome.error is not None:
            if outcome.error[0] == "workspace_scope" and outcome.edits:
                remember_first_attempt(state, snap, instruction, outcome)
            progress.end(f"refused: {outcome.error[1]}")
            return _result(p, outcome=outcome, error=outcome.error), None
        current = snapshot_for(state, uri)
        try:
            edits = onto(outcome, current.version, current.text)
        except EditRejected as exc:
            progress.end(f"refused: {exc.message}")
            return _result(p, outcome=outcome, error=(exc.kind, exc.message)), None
        rebased = _rebase_reason(state, uri, snap, current)
        new_text = apply_edits(current.text, edits)
        rel = rel_path(state, current) or uri
        diff = unified_diff(rel, current.text, new_text)
        progress.end(f"{plural(len(edits), 'edit')} by {outcome.model}")
        return _result(p, outcome=outcome, extra_reasons=rebased), Finished(current, edits, diff)
    finally:
        progress.end(None)


def _rebase_reason(state: State, uri: str, seen: Snapshot, current: Snapshot) -> tuple[str, ...]:
    """Why the edits moved (or did not): a newer version, or a document closed meanwhile."""
    if state.documents.version(uri) is None and seen.version != current.version:
        same = "" if current.text == seen.text else ", rebased onto it"
        return (f"the document was closed while the model worked: the edit is for the file on disk{same}",)
    if current.version == seen.version:
        return ()
    return (f"rebased onto version {current.version} (the document changed while the model worked)",)


class _Progress:
    """$/progress for a request that carries a workDoneToken (begin now, end once); the client's
    window/workDoneProgress/cancel for that token cancels the request like $/cancelRequest."""

    def __init__(self, ls: Any, token: object, title: str) -> None:
        self.ls, self.token, self.done = ls, token, token is None
        if isinstance(token, str | int) and not isinstance(token, bool):
            try:
                ls.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=title, cancellable=True))
            except Exception as exc:  # a progress failure must not fail the edit
                log.info("progress: %s", exc)
                self.done = True
                return
            task = asyncio.current_task()
            future = ls.work_done_progress.tokens.get(token)
            if future is not None and task is not None:
                future.add_done_callback(lambda f: task.cancel() if f.cancelled() and not self.done else None)
        else:
            self.done = True

    def end(self, message: str | None) -> None:
        if self.done:
            return
        self.done = True
        try:
            self.ls.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))
        except Exception as exc:
            log.info("progress: %s", exc)


# --- pygls handlers ---------------------------------------------------------------------------------

async def edit(ls: Any, params: object) -> dict[str, Any]:
    """codeswitch/edit ``{textDocument: {uri}, range, instruction, apply?}``."""
    uri = get(get(params, "textDocument"), "uri")
    if not isinstance(uri, str):
        raise JsonRpcInvalidParams("missing textDocument.uri")
    instruction, apply = instruction_param(params), apply_param(params)
    snap = snapshot_for(ls.state, uri)
    span = span_of(snap, get(params, "range"))
    result, done = await run_edit(ls, snap, span, instruction, token=get(params, "workDoneToken"))
    if done is None:
        return result
    open_version = ls.state.documents.version(uri)
    wedit = workspace_edit(done.snap, done.edits, _document_changes(ls), open_version)
    result["edit"] = ls.protocol._converter.unstructure(wedit)
    result["diff"] = done.diff
    if apply:
        answer = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(
            edit=wedit, label=f"codeswitch: {instruction[:60]}"))
        result["applied"] = bool(answer.applied)
        if not answer.applied:
            result["error"] = {"kind": "not_applied",
                               "message": answer.failure_reason or "the client did not apply the edit"}
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


def _resolve_support(ls: Any) -> bool:
    td = getattr(getattr(ls, "client_capabilities", None), "text_document", None)
    ca = getattr(td, "code_action", None)
    support = getattr(ca, "resolve_support", None)
    return support is not None and "edit" in (support.properties or [])


def code_action(ls: Any, params: types.CodeActionParams) -> list[types.CodeAction] | None:
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
    where = {"textDocument": {"uri": uri}, "range": ls.protocol._converter.unstructure(params.range)}
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
                    "range": ls.protocol._converter.unstructure(params.range),
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


async def resolve_code_action(ls: Any, action: types.CodeAction) -> types.CodeAction:
    """Run a quick edit's model call (cancellable) and fill the action's ``edit``."""
    data = action.data
    quick = get(data, "quick")
    uri = get(data, "uri")
    if quick not in QUICK_KINDS or not isinstance(uri, str):
        return action  # not ours, or nothing to resolve
    kind: QuickKind = quick
    snap = snapshot_for(ls.state, uri)
    span = span_of(snap, get(data, "range"))
    diagnostics = tuple(Diagnostic(int(d[0]), int(d[1]), str(d[2]), str(d[3]), d[4] if d[4] else None)
                        for d in (get(data, "diagnostics") or ()))
    p, instruction = _quick_plan(ls.state, snap, span, plan(ls.state, snap, span, None), kind, diagnostics)
    result, done = await run_edit(ls, snap, span, instruction, diagnostics=diagnostics, p=p)
    if done is None:
        err = result["error"] or {"kind": "no_change", "message": "no change"}
        raise EditRefused(f"codeswitch: {err['message']}", data={"kind": err["kind"]})
    version = ls.state.documents.version(uri)
    action.edit = workspace_edit(done.snap, done.edits, _document_changes(ls), version)
    return action


class EditRefused(JsonRpcException):
    """A quick edit that produced nothing to apply (LSP RequestFailed); the message says why."""

    CODE = -32803
