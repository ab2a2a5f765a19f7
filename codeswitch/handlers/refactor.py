"""``codeswitch/refactor``: a workspace change by the agent team, answered with one WorkspaceEdit.

Params ``{instruction, textDocument?: {uri}, range?, apply?, workDoneToken?}``. The request always
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

import asyncio
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.protocol import default_converter

from codeswitch.diskio import read_regular
from codeswitch.dispatch import AllModelsFailed
from codeswitch.documents import Pos, Snapshot, Span, UnknownDocument, path_from_uri
from codeswitch.edits import (
    EditRejected,
    FileChange,
    apply_edits,
    check_syntax,
    rebase,
    text_digest,
    unified_diff,
)
from codeswitch.providers import ProviderError
from codeswitch.routing import Budget, Health, route
from codeswitch.scope import ScopeRequest, estimate_scope
from codeswitch.scope.index import WorkspaceIndex
from codeswitch.scope.syntax import language_for
from codeswitch.team import Caps, Overlay, Team, TeamError, TeamRuntime
from codeswitch.team.overlay import LiveReader
from codeswitch.wording import plural

from .indexing import build_in_thread
from .info import remember_route, served
from .scope_request import apply_param, get, instruction_param, lsp_range, snapshot_for, span_of

if TYPE_CHECKING:
    from codeswitch.server import CodeswitchServer, State

log = logging.getLogger(__name__)

METHOD = "codeswitch/refactor"
ANNOTATION_ID = "codeswitchRefactor"
_CONVERTER = default_converter()  # type: ignore[no-untyped-call]


@dataclass(frozen=True, slots=True)
class _WorkspaceScope:
    """What routing reads of a scope: a refactor is always a workspace request."""

    scope: str = "workspace"
    context_tokens: int = 0
    confidence: float = 1.0


@dataclass(frozen=True, slots=True)
class EditCaps:
    """What the client accepts in a WorkspaceEdit."""

    document_changes: bool = False
    create: bool = False
    annotations: bool = False
    rename: bool = False

    @classmethod
    def of(cls, caps: types.ClientCapabilities) -> EditCaps:
        ws = caps.workspace.workspace_edit if caps.workspace is not None else None
        if ws is None:
            return cls()
        ops = [str(getattr(o, "value", o)) for o in ws.resource_operations or ()]
        doc = bool(ws.document_changes)
        return cls(doc, doc and "create" in ops, doc and ws.change_annotation_support is not None,
                   doc and "rename" in ops)


def _result(**fields: object) -> dict[str, object]:
    out: dict[str, object] = {"edit": None, "diff": "", "applied": False, "model": None, "scope": "workspace",
                              "tier": "workspace", "reasons": [], "files": [], "agents": [],
                              "usage": {"input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0},
                              "fallbacks": [], "refused": [], "bases": [], "error": None}
    out.update(fields)
    return out


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


def _where(state: State, params: object, root: Path) -> tuple[str, list[str]]:
    """Context for the lead (where the user asked from) and the scope estimator's reasons."""
    doc = get(params, "textDocument")
    if doc is None:
        return "", []
    uri = get(doc, "uri")
    if not isinstance(uri, str):
        raise JsonRpcInvalidParams("textDocument.uri must be a string")
    snap = snapshot_for(state, uri)
    rng = get(params, "range")
    span = span_of(snap, rng) if rng is not None else Span(Pos(0, 0), Pos(0, 0))
    instruction = str(get(params, "instruction"))
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


class _Progress:
    """$/progress for one refactor; window/workDoneProgress/cancel cancels the request's task."""

    def __init__(self, ls: CodeswitchServer, token: str | int | None) -> None:
        self.ls, self.token = ls, token

    async def begin(self, task: asyncio.Task[Any] | None) -> None:
        ls = self.ls
        if self.token is None:
            window = ls.client_capabilities.window
            if window is None or not window.work_done_progress:
                return
            token = f"codeswitch-refactor-{uuid.uuid4().hex[:8]}"
            try:
                await ls.work_done_progress.create_async(token)
            except Exception:
                return
            self.token = token
        ls.work_done_progress.begin(self.token, types.WorkDoneProgressBegin(
            title="codeswitch: refactor", message="planning", percentage=0, cancellable=True))
        future = ls.work_done_progress.tokens.get(self.token)
        if future is not None and task is not None:
            future.add_done_callback(lambda f: task.cancel() if f.cancelled() else None)

    def report(self, message: str, percentage: int | None) -> None:
        if self.token is not None:
            self.ls.work_done_progress.report(self.token, types.WorkDoneProgressReport(
                message=message, percentage=percentage))

    def end(self, message: str) -> None:
        if self.token is not None:
            self.ls.work_done_progress.tokens.pop(self.token, None)
            self.ls.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))


async def refactor(ls: CodeswitchServer, params: object) -> dict[str, object]:
    state = ls.state
    instruction, apply = instruction_param(params), apply_param(params)
    roots = _roots(ls)
    if not roots:
        return _result(error={"kind": "no_workspace", "message": "a refactor needs a workspace folder"})
    context, scope_reasons = _where(state, params, roots[0])
    ledger = state.ledger
    budget = ledger.budget(state.config) if ledger is not None else Budget.from_config(state.config)
    health = state.dispatcher.health() if state.dispatcher is not None else Health()
    decision = route(_WorkspaceScope(), state.config, state.catalog, health, budget, state.keys())
    reasons = ["codeswitch/refactor runs at workspace scope (agent team)", *scope_reasons]
    doc_uri = get(get(params, "textDocument"), "uri")
    route_record = remember_route(state, METHOD, doc_uri if isinstance(doc_uri, str) else None, decision,
                                  tuple(reasons))
    base: dict[str, object] = {"tier": decision.tier, "reasons": reasons}
    if not decision.chain or state.dispatcher is None:
        return _result(**base, error={"kind": "no_model", "message": decision.cause})
    limits = state.config.team
    if decision.cost_ceiling_usd is not None:
        limits = replace(limits, max_usd=min(limits.max_usd, decision.cost_ceiling_usd))
    caps = Caps(limits)
    edit_caps = EditCaps.of(ls.client_capabilities)
    overlay = Overlay(roots, state.config.exclude, _live(state), can_create=edit_caps.create,
                      can_rename=edit_caps.rename)
    run_id = uuid.uuid4().hex
    rt = TeamRuntime(state.dispatcher, decision, caps, run_id, decision.max_output_tokens)
    progress = _Progress(ls, get(params, "workDoneToken"))
    await progress.begin(asyncio.current_task())
    outcome = "cancelled"
    try:
        index = await _index(state, roots[0])
        team = Team(rt, overlay, index, instruction, context=context, concurrency=limits.max_teammates,
                    progress=progress.report)
        try:
            result = await team.run()
            changes = [_current(state, c) for c in result.changes]
            edit = workspace_edit(changes, edit_caps, state.documents.encoding, result.summary or instruction,
                                  refused=overlay.refusals)
        except (TeamError, EditRejected) as err:
            outcome = err.message
            return _result(**base, **_spend(caps), **_refused(overlay),
                           error={"kind": err.kind, "message": err.message})
        except ProviderError as err:  # AllModelsFailed, DeadlineExceeded, secret_content: the kind says which
            outcome = "every model failed" if isinstance(err, AllModelsFailed) else err.message
            return _result(**base, **_spend(caps), **_refused(overlay),
                           error={"kind": err.kind, "message": str(err)})
        if not changes:
            outcome = "no changes"
            return _result(**base, **_spend(caps), **_refused(overlay),
                           error={"kind": "no_change", "message": "the team made no changes"})
        edit_json = _CONVERTER.unstructure(edit, types.WorkspaceEdit)
        diff = "".join(_diff(c, roots[0]) for c in changes)
        applied = False
        if apply:
            answer = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(
                edit=edit, label=f"codeswitch: {instruction[:60]}"))
            applied = bool(answer.applied)
            if not applied:
                why = answer.failure_reason or "no reason given"
                result.notes.append(f"the editor did not apply the edit: {why}")
        outcome = f"{plural(len(changes), 'file')} changed"
        refused = _refused(overlay)
        if overlay.refusals:
            outcome += f", {plural(len(overlay.refusals), 'edit')} refused"
        base["reasons"] = reasons + result.notes + [f"refused: {a}: {m}" for a, _k, m in overlay.refusals]
        return _result(**base, **_spend(caps), **refused, edit=edit_json, diff=diff, applied=applied,
                       files=[c.rel for c in changes], bases=_bases(changes))
    finally:
        progress.end(outcome)
        lead = caps.agents.get("lead")
        served(ls, route_record, lead.model if lead is not None else None)


def _spend(caps: Caps) -> dict[str, object]:
    agents = list(caps.agents.values())
    lead = caps.agents.get("lead")
    return {
        "model": lead.model if lead is not None else None,
        "agents": [a.to_json() for a in agents],
        "usage": {"input_tokens": sum(a.input_tokens for a in agents),
                  "output_tokens": sum(a.output_tokens for a in agents),
                  "cost_usd": round(caps.cost_usd, 6) if caps.cost_known else None},
        "fallbacks": [{"model": m, "error": e} for m, e in caps.fallbacks],
    }


def _refused(overlay: Overlay) -> dict[str, object]:
    """Every edit the team's tools refused, in order: who, what kind, why."""
    return {"refused": [{"agent": a, "kind": k, "message": m} for a, k, m in overlay.refusals]}


def _bases(changes: list[FileChange]) -> list[dict[str, str | None]]:
    """Per file, the SHA-256 of the text its edits were computed against (None: a new file), so
    whoever writes the edit to disk can refuse a file that changed since (``stale``). A list, not
    an object keyed by URI: JSON-RPC clients may mangle keys that are not identifiers."""
    return [{"uri": c.path.as_uri(), "sha256": None if c.old_text is None else text_digest(c.old_text)}
            for c in changes]


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


def _diff(c: FileChange, root: Path) -> str:
    if c.rename_from is None:
        return unified_diff(c.rel, c.old_text, c.new_text)
    old = c.rename_from.relative_to(root).as_posix() if c.rename_from.is_relative_to(root) \
        else str(c.rename_from)
    head = f"diff --git a/{old} b/{c.rel}\nrename from {old}\nrename to {c.rel}\n"
    return head + (unified_diff(c.rel, c.old_text, c.new_text) if c.old_text != c.new_text else "")


TextEdits = list[types.TextEdit | types.AnnotatedTextEdit | types.SnippetTextEdit]


def _text_edits(change: FileChange, encoding: str) -> list[types.TextEdit]:
    snap = Snapshot.from_text(change.old_text or "", encoding=encoding)
    return [types.TextEdit(range=lsp_range(snap, e.span), new_text=e.new_text) for e in change.edits]


def _annotated(edits: list[types.TextEdit]) -> TextEdits:
    return [types.AnnotatedTextEdit(range=e.range, new_text=e.new_text, annotation_id=ANNOTATION_ID)
            for e in edits]


def workspace_edit(changes: list[FileChange], caps: EditCaps, encoding: str, label: str,
                   refused: Sequence[tuple[str, str, str]] = ()) -> types.WorkspaceEdit:
    """One WorkspaceEdit for the whole refactor (plain ``changes`` for clients without
    ``documentChanges``; created files need resource operations). ``refused`` (agent, kind, why)
    are named in the change annotation's description, which the editor's preview shows."""
    if not caps.document_changes:
        if any(c.old_text is None or c.rename_from is not None for c in changes):
            raise EditRejected("resource_op", "the editor cannot create or rename files through a "
                               "workspace edit")
        return types.WorkspaceEdit(changes={c.path.as_uri(): _text_edits(c, encoding) for c in changes})
    ops: list[types.TextDocumentEdit | types.CreateFile | types.RenameFile | types.DeleteFile] = []
    annotation = ANNOTATION_ID if caps.annotations else None
    for c in changes:
        uri = c.path.as_uri()
        if c.old_text is None:
            options = types.CreateFileOptions(overwrite=False, ignore_if_exists=False)
            ops.append(types.CreateFile(uri=uri, annotation_id=annotation, options=options))
        if c.rename_from is not None:
            moved = types.RenameFileOptions(overwrite=False, ignore_if_exists=False)
            ops.append(types.RenameFile(old_uri=c.rename_from.as_uri(), new_uri=uri, annotation_id=annotation,
                                        options=moved))
            if not c.edits:
                continue
        doc = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=c.version)
        edits = _text_edits(c, encoding)
        ops.append(types.TextDocumentEdit(doc, _annotated(edits) if caps.annotations else list(edits)))
    description = "changes made by the agent team"
    if refused:
        description += "; refused: " + "; ".join(f"{a}: {m}" for a, _k, m in refused)
    annotations = {ANNOTATION_ID: types.ChangeAnnotation(label=f"codeswitch refactor: {label[:80]}",
                                                         needs_confirmation=True,
                                                         description=description)} \
        if caps.annotations else None
    return types.WorkspaceEdit(document_changes=ops, change_annotations=annotations)
