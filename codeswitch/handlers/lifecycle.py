"""Lifecycle: initialize, initialized (background index build), configuration, watched files, shutdown, exit.

``initialize`` loads the layered config with the client's ``initializationOptions``, opens the
ledger and builds the dispatcher; bad settings never stop the server, they are reported once the
client is listening (``initialized``). The workspace index is built in a background task (a
worker thread, see ``indexing.py``) so the first keystrokes are answered while it runs;
``$/progress`` shows how far it got. ``shutdown`` and ``exit`` stop it and all other background
work (``background.py``).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from codeswitch.config import WORKSPACE_FILE, ConfigProblem, config_catalog, load_config
from codeswitch.dispatch import Dispatcher
from codeswitch.documents import path_from_uri
from codeswitch.handlers.indexing import build_index
from codeswitch.ledger import Ledger, LedgerError

if TYPE_CHECKING:
    from codeswitch.server import CodeswitchServer, State

log = logging.getLogger(__name__)

WATCH_REGISTRATION_ID = "codeswitch-watch"


def _roots_of(params: types.InitializeParams) -> list[Path]:
    """Every workspace folder, in the client's order (else ``rootUri``, else ``rootPath``)."""
    if params.workspace_folders:
        paths = [path_from_uri(f.uri) for f in params.workspace_folders]
        return [p for p in paths if p is not None]
    if params.root_uri:
        path = path_from_uri(params.root_uri)
        return [path] if path is not None else []
    return [Path(params.root_path)] if params.root_path else []


def _load(state: State) -> list[ConfigProblem]:
    config, problems = load_config(state.root, state.init_options)
    state.set_config(config, problems)
    state.catalog = config_catalog(config)  # a broken catalog file: load_config reported it
    return problems


def initialize(ls: CodeswitchServer, params: types.InitializeParams) -> None:
    state = ls.state
    roots = _roots_of(params)
    state.root = roots[0] if roots else None
    state.documents.encoding = ls.workspace.position_encoding or types.PositionEncodingKind.Utf16
    state.init_options = params.initialization_options
    _load(state)
    try:
        state.ledger = Ledger()
    except LedgerError as exc:  # shown to the user once the client listens (initialized)
        state.ledger_error = f"usage ledger disabled (no spend tracking or daily budget): {exc}"
        log.warning("%s", state.ledger_error)
    state.dispatcher = Dispatcher(state.config, state.catalog, state.ledger)
    state.folders.set_roots(roots)
    state.index = state.folders.index(state.root) if state.root is not None else None
    log.info("initialized: root=%s encoding=%s", state.root, state.documents.encoding)


def report_problems(ls: CodeswitchServer, problems: list[ConfigProblem] | tuple[ConfigProblem, ...]) -> None:
    """Bad settings: one window/showMessage the user sees, each problem in the log (file and key named).

    Once: a settings change or a config file save that leaves a problem as it was does not show it
    again; only problems not shown before make a new message.
    """
    lines = [str(p) for p in problems]
    new = [line for line in lines if line not in ls.state.reported_problems]
    ls.state.reported_problems = frozenset(lines)
    if not new:
        return
    for line in new:
        ls.window_log_message(types.LogMessageParams(types.MessageType.Warning, f"codeswitch config: {line}"))
    more = f" (and {len(new) - 1} more, see the log)" if len(new) > 1 else ""
    ls.window_show_message(types.ShowMessageParams(
        types.MessageType.Warning, f"codeswitch: bad configuration, using defaults for it: {new[0]}{more}"))


async def initialized(ls: CodeswitchServer, params: types.InitializedParams) -> None:
    report_problems(ls, ls.state.problems)
    if ls.state.ledger_error is not None:
        ls.window_show_message(types.ShowMessageParams(
            types.MessageType.Warning, f"codeswitch: {ls.state.ledger_error}"))
    await _watch_files(ls)
    if len(ls.state.folders):
        ls.state.background.spawn(_build_all(ls), "workspace index build")


async def _build_all(ls: CodeswitchServer) -> None:
    """Each folder's index in turn (one build at a time: the machine stays responsive)."""
    for root, index in ls.state.folders:
        if await build_index(ls, index, root) is None:
            return  # the server is stopping


async def _watch_files(ls: CodeswitchServer) -> None:
    caps = ls.client_capabilities.workspace
    watched = caps.did_change_watched_files if caps is not None else None
    if watched is None or not watched.dynamic_registration:
        return
    options = types.DidChangeWatchedFilesRegistrationOptions(
        watchers=[types.FileSystemWatcher(glob_pattern="**/*")])
    method = types.WORKSPACE_DID_CHANGE_WATCHED_FILES
    registration = types.Registration(id=WATCH_REGISTRATION_ID, method=method, register_options=options)
    try:
        await ls.client_register_capability_async(types.RegistrationParams(registrations=[registration]))
    except Exception as exc:  # a client that refuses only loses file watching
        log.info("file watching not registered: %s", exc)


async def did_change_configuration(ls: CodeswitchServer, params: types.DidChangeConfigurationParams) -> None:
    """New client settings replace the initializationOptions layer; the config is swapped whole."""
    state = ls.state
    if params.settings is not None:
        state.init_options = params.settings
    report_problems(ls, _load(state))
    if state.dispatcher is not None:
        await state.dispatcher.reconfigure(state.config)


async def did_change_watched_files(ls: CodeswitchServer, params: types.DidChangeWatchedFilesParams) -> None:
    state = ls.state
    reload = False
    for change in params.changes:
        path = path_from_uri(change.uri)
        if path is None:
            continue
        if path.name == WORKSPACE_FILE:
            reload = True
        folder = state.folders.folder_of(path)
        if folder is None or change.uri in state.documents:
            continue  # an open document's text is the truth, not the disk
        if change.type == types.FileChangeType.Deleted:
            folder[1].remove(path)
        else:
            await asyncio.to_thread(folder[1].update_file, path)
    if reload:
        report_problems(ls, _load(state))
        if state.dispatcher is not None:
            await state.dispatcher.reconfigure(state.config)


def _stop_timers(state: State) -> None:
    for timer in state.index_timers.values():
        timer.cancel()
    state.index_timers.clear()


async def shutdown(ls: CodeswitchServer, params: None) -> None:
    """Stop all background work (the index build included) and wait for it; close providers and ledger."""
    state = ls.state
    _stop_timers(state)
    await state.background.stop()
    if state.dispatcher is not None:
        try:
            await state.dispatcher.aclose()
        except Exception as exc:
            log.warning("closing providers: %s", exc)
    if state.ledger is not None:
        state.ledger.close()
        state.ledger = None


def exit_server(ls: CodeswitchServer, params: None) -> None:
    """``exit`` (after shutdown or not): stop background work now; pygls then closes the writer and
    ends the process, and nothing is sent after this."""
    _stop_timers(ls.state)
    ls.state.background.cancel()
