"""``codeswitch/explain`` and ``codeswitch/review``: Markdown explanations and reviews, routed by size.

``codeswitch/explain`` params ``{textDocument: {uri}, range, question?, workDoneToken?}``: a
selection is explained as it is; a cursor explains the definition around it (or the lines around
it outside any). ``codeswitch/review`` params ``{question?, workDoneToken?}``: the working-tree
diff against ``HEAD`` with the definitions it touches. Both gather context with the workspace
index, route it as an ``analysis`` request (``features.analysis``) and answer ``{task, title,
markdown, answer, model, scope, tier, context_tokens, files, left_out, reasons, usage, fallbacks,
error}``; ``markdown`` is the document editors show read-only. Secret, ignored and excluded files
are never read into the context. Both are async handlers: ``$/cancelRequest`` (and
``window/workDoneProgress/cancel``) cancels them and closes the provider stream; ``$/progress``
tells what is happening; the dispatcher records each call in the ledger.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInternalError, JsonRpcInvalidParams

from codeswitch.dispatch import AllModelsFailed
from codeswitch.documents import Snapshot, Span
from codeswitch.features import analysis
from codeswitch.features.analysis_context import Context, explain_context
from codeswitch.features.analysis_review import review_context
from codeswitch.features.git_changes import GitError, working_tree_changes
from codeswitch.routing import Budget, Health, RouteDecision, route
from codeswitch.scope import enclosing_definition

from .analysis_source import WorkspaceSource
from .edit_plan import rel_path, secret
from .last_route import remember_route
from .params import get, snapshot_for, span_of
from .request import Progress, served

if TYPE_CHECKING:
    from codeswitch.lsp_server import CodeswitchServer

    from .state import State

EXPLAIN_METHOD = "codeswitch/explain"
REVIEW_METHOD = "codeswitch/review"
#: client commands the code actions carry (the client sends the request and shows the document)
EXPLAIN_COMMAND = "codeswitch.explain"
REVIEW_COMMAND = "codeswitch.reviewChanges"
#: the background task that builds the first index (handlers.lifecycle)
INDEX_BUILD = "workspace index build"
#: lines explained around a cursor that is in no definition
AROUND_LINES = 15


def _result(task: str, *, ctx: Context | None = None, decision: RouteDecision | None = None,
            error: tuple[str, str] | None = None, **fields: object) -> dict[str, Any]:
    out: dict[str, Any] = {
        "task": task, "title": analysis.title(ctx) if ctx is not None else task.capitalize(),
        "markdown": "", "answer": "", "model": None, "scope": analysis.TIER, "tier": analysis.TIER,
        "context_tokens": ctx.tokens if ctx is not None else 0,
        "files": list(ctx.files) if ctx is not None else [],
        "left_out": list(ctx.left_out) if ctx is not None else [],
        "reasons": [decision.cause] if decision is not None else [],
        "usage": {"input_tokens": 0, "output_tokens": 0, "cost_usd": None}, "fallbacks": [],
        "error": None if error is None else {"kind": error[0], "message": error[1]}}
    out.update(fields)
    return out


def _decide(state: State, tokens: int) -> RouteDecision:
    ledger = state.ledger
    budget = ledger.budget(state.config) if ledger is not None else Budget.from_config(state.config)
    health = state.dispatcher.health() if state.dispatcher is not None else Health()
    return route(analysis.AnalysisScope(tokens), state.config, state.catalog, health, budget, state.keys())


def _limit(state: State) -> int:
    health = state.dispatcher.health() if state.dispatcher is not None else Health()
    keys = state.provider_keys
    callable_models = {m.key for m in state.catalog.models.values()
                       if m.provider in keys and m.key not in health.unavailable}
    return analysis.context_limit(state.config, state.catalog, callable_models)


def _target(snap: Snapshot, span: Span, rel: str) -> tuple[int, int, str, str | None]:
    """(first line, last line, subject, definition name) of what to explain."""
    if span.start != span.end:
        last = span.end.line - 1 if span.end.col == 0 and span.end.line > span.start.line else span.end.line
        return span.start.line, last, f"the selection at {rel}:{span.start.line + 1}-{last + 1}", None
    found = enclosing_definition(snap, span.start)
    if found is not None and found.span.end.line >= found.span.start.line:
        name = found.name
        what = f"{found.kind} `{name}`" if name else f"the {found.kind}"
        return found.span.start.line, found.span.end.line, f"{what} ({rel}:{found.span.start.line + 1})", name
    last = snap.line_count - 1
    if last > 0 and not snap.line(last).strip("\r\n"):
        last -= 1  # the empty "line" after a final newline
    lo = max(span.start.line - AROUND_LINES, 0)
    hi = max(min(span.start.line + AROUND_LINES, last), lo)
    return lo, hi, f"lines {lo + 1}-{hi + 1} of {rel}", None


async def _index_ready(state: State, progress: Progress) -> None:
    """Wait for the first index build (the context is found with it); never cancels the build."""
    building = state.background.pending(INDEX_BUILD)
    if building:
        progress.report("waiting for the workspace index")
        await asyncio.wait(building)


async def _answer(ls: CodeswitchServer, ctx: Context, method: str, uri: str | None, progress: Progress,
                  question: str | None) -> dict[str, Any]:
    state = ls.state
    decision = _decide(state, ctx.tokens)
    record = remember_route(state, method, uri, decision, (f"{ctx.tokens} tokens of context",))
    dispatcher = state.dispatcher
    if dispatcher is None:
        raise JsonRpcInternalError("the server is not initialized")
    if not decision.chain:  # too long for every window, over the budget, or no key
        progress.end("no model can serve it")
        return _result(ctx.task, ctx=ctx, decision=decision, error=("no_model", decision.cause))
    first = decision.chain[0]
    progress.report(f"{ctx.tokens:,} tokens of context from {len(ctx.files)} file(s) -> {first}")
    try:
        done = await analysis.run(ctx, decision, dispatcher.complete, question=question,
                                  on_attempt=lambda key: progress.report(f"asking {key}"))
    except AllModelsFailed as exc:
        progress.end(f"failed: {exc.kind}")
        fallbacks = [{"model": a.model_key, "error": a.kind} for a in exc.attempts]
        return _result(ctx.task, ctx=ctx, decision=decision, fallbacks=fallbacks, error=(exc.kind, str(exc)))
    served(ls, record, done.model)
    progress.end(f"{analysis.title(ctx)} by {done.model}")
    return _result(ctx.task, ctx=ctx, decision=decision, model=done.model, answer=done.text,
                   markdown=analysis.document(ctx, done.text, done.model, decision),
                   usage={"input_tokens": done.input_tokens, "output_tokens": done.output_tokens,
                          "cost_usd": done.cost_usd},
                   fallbacks=[{"model": k, "error": e} for k, e in done.fallbacks])


def _token(params: object) -> int | str | None:
    """The client's ``workDoneToken`` (no progress without one)."""
    token = get(params, "workDoneToken")
    return token if isinstance(token, str | int) and not isinstance(token, bool) else None


def _question(params: object) -> str | None:
    question = get(params, "question")
    if question is not None and not isinstance(question, str):
        raise JsonRpcInvalidParams("question must be a string")
    return (question.strip() or None) if question else None


async def explain(ls: CodeswitchServer, params: object) -> dict[str, Any]:
    """codeswitch/explain: the selection or the definition at the cursor, explained."""
    state = ls.state
    uri = get(get(params, "textDocument"), "uri")
    if not isinstance(uri, str):
        raise JsonRpcInvalidParams("missing textDocument.uri")
    question = _question(params)
    snap = snapshot_for(state, uri)
    span = span_of(snap, get(params, "range"))
    rel = rel_path(state, snap) or uri
    if secret(state, snap):
        return _result("explain", error=("secret", f"{rel} is a secret, ignored or excluded file: "
                                         "never sent to a model"))
    start, end, subject, name = _target(snap, span, rel)
    progress = Progress(ls, _token(params), f"codeswitch: explain {subject}")
    try:
        await progress.begin()
        await _index_ready(state, progress)
        progress.report("gathering context")
        root, path = state.root_for(uri), snap.path
        read = WorkspaceSource(state, root)
        inside = root is not None and path is not None and path.resolve().is_relative_to(root.resolve())
        # a file outside the workspace (or unsaved) is explained alone: the index knows other files.
        # Reading and parsing other files takes a while on a big workspace: off the event loop
        ctx = await asyncio.to_thread(explain_context, read, state.index_for(uri) if inside else None,
                                      path=rel, text=snap.text, start_line=start, end_line=end,
                                      subject=subject, name=name, limit=_limit(state), language=snap.language)
        if not ctx.pieces:
            return _result("explain", ctx=ctx, error=("too_large", "; ".join(ctx.left_out)))
        return await _answer(ls, ctx, EXPLAIN_METHOD, uri, progress, question)
    finally:
        progress.end(None)


async def review(ls: CodeswitchServer, params: object) -> dict[str, Any]:
    """codeswitch/review: the working-tree changes against HEAD, reviewed (of the workspace folder
    holding ``textDocument`` when given, else of the first folder)."""
    state = ls.state
    question = _question(params)
    uri = get(get(params, "textDocument"), "uri")
    if uri is not None and not isinstance(uri, str):
        raise JsonRpcInvalidParams("textDocument.uri must be a string")
    root: Path | None = state.root_for(uri) if uri is not None else state.root
    index = state.index_for(uri) if uri is not None else state.index
    if root is None:
        return _result("review", error=("no_workspace", "no workspace folder: nothing to review"))
    progress = Progress(ls, _token(params), "codeswitch: review my changes")
    try:
        await progress.begin()
        progress.report("reading the changes against HEAD")
        try:
            files = await working_tree_changes(root, trusted=state.config.trusted)
        except GitError as exc:
            return _result("review", error=(exc.kind, exc.message))
        await _index_ready(state, progress)
        progress.report("gathering context")
        read = WorkspaceSource(state, root)
        ctx = await asyncio.to_thread(review_context, files, read, read.may_send, index, limit=_limit(state))
        if not any(p.kind == "diff" for p in ctx.pieces):
            why = "no changes against HEAD to review" if not files else "; ".join(ctx.left_out)
            return _result("review", ctx=ctx, error=("no_changes", why))
        return await _answer(ls, ctx, REVIEW_METHOD, None, progress, question)
    finally:
        progress.end(None)


def code_actions(state: State, snap: Snapshot, span: Span, where: dict[str, Any],
                 only: list[str] | None) -> list[types.CodeAction]:
    """"Explain this" and "Review my changes" (no model is called, nothing is read: the client
    command sends codeswitch/explain or codeswitch/review and shows the document)."""
    if only:
        return []
    rel = rel_path(state, snap) or snap.uri
    _, _, subject, _ = _target(snap, span, rel)
    actions = [types.CodeAction(
        title=f"Explain {subject.split(' (')[0]} (model chosen by context size)",
        kind=types.CodeActionKind.Empty,
        command=types.Command(title="codeswitch: explain", command=EXPLAIN_COMMAND, arguments=[where]))]
    if state.root_for(snap.uri) is not None:
        actions.append(types.CodeAction(
            title="Review my changes against HEAD (model chosen by context size)",
            kind=types.CodeActionKind.Empty,
            command=types.Command(title="codeswitch: review my changes", command=REVIEW_COMMAND,
                                  arguments=[{"textDocument": {"uri": snap.uri}}])))
    return actions
