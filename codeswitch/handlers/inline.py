"""textDocument/inlineCompletion, textDocument/completion and the codeswitch.acceptInline command.

Clients that declare ``inlineCompletion`` get ghost text through it; the others get the same
suggestion as one ``CompletionItem`` (multi-line ``insertText`` with a ``textEdit`` over the
word being typed). Both answer from :class:`InlineService`, which ties the feature to the
server: supersession (a newer request or a didChange cancels the older request, which pygls
answers with RequestCancelled -32800), routing, the dispatcher, the status notification and
acceptance telemetry.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from codeswitch.catalog import Catalog
from codeswitch.config import Config, data_dir
from codeswitch.dispatch import AllModelsFailed, Dispatcher
from codeswitch.documents import DocumentStore, Pos, PositionError, Snapshot, Span, UnknownDocument
from codeswitch.features.inflight import InflightRequests
from codeswitch.features.inline import InlineEngine, InlineOutcome, Suggestion
from codeswitch.features.inline_items import ItemsCache, more_items
from codeswitch.features.inline_switch import InlineSwitch, switch_path
from codeswitch.features.prompts_inline import DefinitionSite
from codeswitch.handlers.file_facts import FileFactsCache
from codeswitch.handlers.last_route import (
    RouteRecord,
    mark_served,
    remember_route,
    status_params,
)
from codeswitch.handlers.status import StatusReporter
from codeswitch.ledger import Ledger
from codeswitch.routing import RouteDecision
from codeswitch.scope import ScopeRequest, WorkspaceIndex, estimate_scope

from .routes import route_for

log = logging.getLogger(__name__)

INLINE_METHOD = types.TEXT_DOCUMENT_INLINE_COMPLETION
COMPLETION_METHOD = types.TEXT_DOCUMENT_COMPLETION
ACCEPT_COMMAND = "codeswitch.acceptInline"
INLINE_OPTIONS = types.InlineCompletionOptions()
COMPLETION_OPTIONS = types.CompletionOptions(resolve_provider=False)
_WORD_TAIL = re.compile(r"[A-Za-z0-9_]*$")


class InlineHost(Protocol):
    """What the server state offers this handler (``handlers.state.State`` fits)."""

    documents: DocumentStore
    config: Config
    catalog: Catalog
    dispatcher: Dispatcher | None
    ledger: Ledger | None
    index: WorkspaceIndex | None
    root: Path | None
    last_route: RouteRecord | None
    files: FileFactsCache
    inline: InlineService | None
    status: StatusReporter

    def keys(self) -> frozenset[str]: ...
    def index_for(self, uri: str) -> WorkspaceIndex | None: ...
    def root_for(self, uri: str) -> Path | None: ...


@dataclass(slots=True)
class ServedInfo:
    """The last served request, for the status bar."""

    model: str
    tier: str
    spent_today_usd: float | None


@dataclass(slots=True)
class InlineService:
    """Per-server inline state: the engine (cache), requests in flight, failures already shown."""

    host: InlineHost
    engine: InlineEngine = field(init=False)
    inflight: InflightRequests = field(default_factory=InflightRequests)
    last: ServedInfo | None = None
    shown_failures: set[str] = field(default_factory=set)
    #: the index of the folder holding the document being completed (definitions come from it)
    lookup: WorkspaceIndex | None = None
    items: ItemsCache = field(default_factory=ItemsCache)
    switch: InlineSwitch = field(default_factory=lambda: InlineSwitch(switch_path(data_dir())))

    def __post_init__(self) -> None:
        host = self.host
        self.engine = InlineEngine(host.config, host.catalog, root=host.root, definitions=self._definitions)
        host.documents.subscribe(self._changed)

    def _changed(self, uri: str, _version: int) -> None:
        self.inflight.document_changed(uri)

    def _definitions(self, name: str) -> list[DefinitionSite]:
        index = self.lookup
        if index is None:
            return []
        return [DefinitionSite(s.path, s.span.start.line, s.span.end.line) for s in index.definitions(name)]

    def refresh(self) -> None:
        """Follow a configuration change (the state replaces its Config as a whole)."""
        host, engine = self.host, self.engine
        if engine.config is not host.config:  # the root is set per request (the document's folder)
            fresh = InlineEngine(host.config, host.catalog, root=host.root, definitions=self._definitions)
            fresh.cache, fresh.upstream_calls = engine.cache, engine.upstream_calls
            fresh.cache.size = max(1, host.config.inline.cache_size)  # shrinks on the next put
            self.engine = fresh
        self.inflight.max_in_flight = max(1, host.config.inline.max_in_flight)

    def plan(self, snap: Snapshot, pos: Pos, dispatcher: Dispatcher,
             method: str = INLINE_METHOD) -> tuple[str | None, RouteDecision, RouteRecord]:
        """The inline shape at ``pos`` and the route for it, kept as the server's last route."""
        host = self.host
        scope = estimate_scope(snap, ScopeRequest("inline", Span(pos, pos)), host.index_for(snap.uri))
        decision = route_for(host, scope)
        record = remember_route(host, method, snap.uri, decision, scope.reasons)
        return scope.inline_shape, decision, record

    async def suggest(self, uri: str, line: int, character: int, notify: Callable[[str, object], None],
                      method: str = INLINE_METHOD) -> Suggestion | None:
        """The suggestion for one request, or None; raises CancelledError when superseded or stale."""
        items = await self.suggest_items(uri, line, character, notify, method)
        return items[0] if items else None

    async def suggest_items(self, uri: str, line: int, character: int, notify: Callable[[str, object], None],
                            method: str = INLINE_METHOD, want: int = 1) -> list[Suggestion]:
        """Up to ``want`` distinct suggestions (one upstream call when ``want`` is 1; see
        ``features.inline_items``); raises CancelledError when superseded or stale."""
        store, dispatcher = self.host.documents, self.host.dispatcher
        if dispatcher is None:
            return []  # not initialized yet
        self.refresh()
        try:
            snap = store.snapshot(uri)
        except UnknownDocument:
            return []
        try:
            pos = snap.to_pos(line, character)
        except PositionError as exc:
            raise JsonRpcInvalidParams(str(exc)) from None
        root = self.host.root_for(uri)
        facts = self.host.files.facts(snap, root)
        if facts.secret:
            return []  # a secret file's text never goes to a provider
        if not self.switched_on(snap, facts.rel_path):
            return []  # turned off, snoozed or disabled here: nothing leaves the machine
        ticket = self.inflight.begin(uri)
        try:
            listed = self.items.get(snap, pos.line, pos.col) if want > 1 else None
            if listed is not None:
                return list(listed)
            cached = self.engine.cached(snap, pos.line, pos.col)
            if cached is not None and want <= 1:
                return [cached]
            debounce = self.host.config.inline.debounce_ms
            if debounce > 0 and cached is None:  # for clients that do not debounce: a newer request
                await asyncio.sleep(debounce / 1000)  # cancels this wait
            shape, decision, record = self.plan(snap, pos, dispatcher, method)
            # the engine reads the prompt's context before its first wait: set for this document
            self.engine.root, self.lookup = root, self.host.index_for(uri)
            try:
                outcome = await self.engine.complete(snap, pos.line, pos.col, shape=shape, decision=decision,
                                                     complete=dispatcher.complete,
                                                     rel_path=facts.rel_path, choices=want)
            except AllModelsFailed as exc:
                if not self._show_dispatch_notices(dispatcher, notify):
                    self._show_once(notify, exc.kind, f"codeswitch: inline completion failed: {exc}")
                return []
            found = [s for s in (outcome.suggestion, *outcome.alternatives) if s is not None]
            if want > 1:
                asked = [outcome.model] if outcome.model and cached is None else []
                found = await more_items(self.engine, snap, pos.line, pos.col, have=found, want=want,
                                         shape=shape, decision=decision, complete=dispatcher.complete,
                                         rel_path=facts.rel_path, asked=asked)
            if ticket.superseded or store.version(uri) != snap.version:
                raise asyncio.CancelledError("the document changed while the model was answering")
            if want > 1:
                self.items.put(snap, pos.line, pos.col, found)
            if self._show_dispatch_notices(dispatcher, notify):
                outcome = replace(outcome, notice=None)  # the dispatcher already said it
            self._report(outcome, notify)
            mark_served(self.host, record, outcome.model)
            return found
        finally:
            self.inflight.end(ticket)

    def switched_on(self, snap: Snapshot, rel_path: str | None) -> bool:
        """The user's switch, the snooze and ``inline.enable`` for this document."""
        paths = tuple(p for p in (rel_path, snap.path.as_posix() if snap.path is not None else None) if p)
        language = self.host.documents.language_id(snap.uri) or snap.language
        return self.switch.verdict(self.host.config.inline.enable, language, paths).allowed

    def _show_once(self, notify: Callable[[str, object], None], key: str, message: str) -> None:
        if key in self.shown_failures:
            return
        self.shown_failures.add(key)
        notify("window/showMessage", types.ShowMessageParams(types.MessageType.Warning, message))

    def _show_dispatch_notices(self, dispatcher: Dispatcher, notify: Callable[[str, object], None]) -> bool:
        """Show what the dispatcher wants the user to hear once (bad key, quota, missing model)."""
        notices = dispatcher.take_notices()
        for n in notices:
            self._show_once(notify, f"{n.provider}:{n.model_key}:{n.kind}", f"codeswitch: {n.message}")
        return bool(notices)

    def _report(self, outcome: InlineOutcome, notify: Callable[[str, object], None]) -> None:
        if outcome.notice:
            self._show_once(notify, outcome.notice, outcome.notice)
        if outcome.model is None:
            return
        params = status_params(self.host.ledger, outcome.model, outcome.tier)
        self.last = ServedInfo(outcome.model, outcome.tier, params.spent_today_usd)
        self.host.status.post(notify, params)

    async def accept(self, arguments: object) -> None:
        """codeswitch.acceptInline: record ``[{id, model, accepted_chars, full}]`` in the ledger."""
        items = arguments if isinstance(arguments, list | tuple) else [arguments]
        for arg in items:
            if not isinstance(arg, Mapping):
                raise JsonRpcInvalidParams(f"{ACCEPT_COMMAND} expects [{{id, model, accepted_chars, full}}]")
            rid, model = arg.get("id"), arg.get("model")
            chars, full = arg.get("accepted_chars", 0), arg.get("full", True)
            if not isinstance(rid, str) or not isinstance(model, str) or not isinstance(chars, int):
                raise JsonRpcInvalidParams("codeswitch.acceptInline: id and model must be strings")
            if self.host.ledger is not None:
                self.host.ledger.record_acceptance(rid, model, max(0, chars), bool(full))
        if self.host.ledger is not None:
            await self.host.ledger.settle()  # in the file when the command returns (stats see it)


# --- LSP conversion ------------------------------------------------------------------------------

def _accept_command(s: Suggestion) -> types.Command:
    return types.Command(title="codeswitch: suggestion accepted", command=ACCEPT_COMMAND,
                         arguments=[{"id": s.item_id, "model": s.model, "accepted_chars": s.full_length,
                                     "full": True}])


def _lsp_position(snap: Snapshot, pos: Pos) -> types.Position:
    line, character = snap.to_lsp(pos)
    return types.Position(line=line, character=character)


def inline_items(snap: Snapshot, s: Suggestion) -> types.InlineCompletionList:
    """One plain-text item whose range is the cursor (never a snippet: clients would duplicate text)."""
    at = _lsp_position(snap, Pos(s.line, s.col))
    item = types.InlineCompletionItem(insert_text=s.text, range=types.Range(start=at, end=at),
                                      command=_accept_command(s))
    return types.InlineCompletionList(items=[item])


def completion_items(snap: Snapshot, s: Suggestion) -> types.CompletionList:
    """The suggestion as a completion item replacing the word being typed (so filtering matches)."""
    row = snap.line(s.line)
    word = _WORD_TAIL.search(row[:s.col])
    start_col = s.col - (len(word.group()) if word else 0)
    typed = row[start_col:s.col]
    new_text = typed + s.text
    rng = types.Range(start=_lsp_position(snap, Pos(s.line, start_col)),
                      end=_lsp_position(snap, Pos(s.line, s.col)))
    first = new_text.strip().split("\n", 1)[0]
    label = first if len(first) <= 60 else first[:57] + "..."
    item = types.CompletionItem(
        label=label or new_text.strip()[:60], kind=types.CompletionItemKind.Text,
        detail=f"codeswitch · {s.model}",
        documentation=new_text,
        insert_text_format=types.InsertTextFormat.PlainText, filter_text=new_text, sort_text="0",
        text_edit=types.TextEdit(range=rng, new_text=new_text), command=_accept_command(s),
    )
    return types.CompletionList(is_incomplete=True, items=[item])


def client_has_inline(caps: types.ClientCapabilities | None) -> bool:
    """Whether the client declared textDocument.inlineCompletion (LSP 3.18)."""
    td = caps.text_document if caps is not None else None
    return td is not None and td.inline_completion is not None


# --- pygls handlers --------------------------------------------------------------------------------

def service(host: InlineHost) -> InlineService:
    """The InlineService of a server state (made on first use, kept in the state)."""
    if host.inline is None:
        host.inline = InlineService(host)
    return host.inline


class _Notifies(Protocol):
    def notify(self, method: str, params: Any | None = None) -> Any: ...


class InlineServer(Protocol):
    """What these handlers use of the pygls server (``lsp_server.CodeswitchServer`` fits; named
    structurally so this module does not import the server, which imports the state that holds the
    inline service)."""

    @property
    def state(self) -> InlineHost: ...

    @property
    def protocol(self) -> _Notifies: ...

    @property
    def client_capabilities(self) -> types.ClientCapabilities: ...

    def window_show_message(self, params: types.ShowMessageParams) -> None: ...


def _notifier(ls: InlineServer) -> Callable[[str, object], None]:
    def notify(method: str, params: object) -> None:
        if method == "window/showMessage" and isinstance(params, types.ShowMessageParams):
            ls.window_show_message(params)
        else:
            ls.protocol.notify(method, params)

    return notify


def host_of(ls: InlineServer) -> InlineHost:
    """The server state behind a pygls server (``ls.state``)."""
    return ls.state


def items_wanted(params: types.InlineCompletionParams, config: Config) -> int:
    """Several items when the user asked (Invoked: next/previous suggestion), else one."""
    invoked = params.context.trigger_kind == types.InlineCompletionTriggerKind.Invoked
    return max(1, config.inline.max_items) if invoked else 1


async def inline_completion(ls: InlineServer,
                            params: types.InlineCompletionParams) -> types.InlineCompletionList:
    svc = service(host_of(ls))
    uri = params.text_document.uri
    found = await svc.suggest_items(uri, params.position.line, params.position.character, _notifier(ls),
                                    want=items_wanted(params, svc.host.config))
    if not found:
        return types.InlineCompletionList(items=[])
    snap = svc.host.documents.snapshot(uri)
    return types.InlineCompletionList(items=[item for s in found for item in inline_items(snap, s).items])


async def completion(ls: InlineServer, params: types.CompletionParams) -> types.CompletionList | None:
    if client_has_inline(ls.client_capabilities):
        return None  # ghost text comes through inlineCompletion; no duplicate in the popup
    svc = service(host_of(ls))
    uri = params.text_document.uri
    s = await svc.suggest(uri, params.position.line, params.position.character, _notifier(ls),
                          COMPLETION_METHOD)
    if s is None:
        return types.CompletionList(is_incomplete=True, items=[])
    return completion_items(svc.host.documents.snapshot(uri), s)


async def accept_inline(ls: InlineServer, *arguments: object) -> None:
    """workspace/executeCommand codeswitch.acceptInline: ``{id, model, accepted_chars, full}`` objects."""
    args: object = arguments[0] if len(arguments) == 1 and isinstance(arguments[0], list) else list(arguments)
    await service(host_of(ls)).accept(args)
