"""The state one server's handlers share: documents, config, index, dispatcher, ledger, services.

Everything a server keeps between requests lives here, so :func:`codeswitch.server.create_server`
with a fresh :class:`State` is a fresh server (nothing is kept in module globals).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from codeswitch.catalog import Catalog, load_catalog
from codeswitch.config import Config, ConfigProblem
from codeswitch.dispatch import Dispatcher
from codeswitch.documents import DocumentStore
from codeswitch.keys import KeyCache
from codeswitch.ledger import Ledger
from codeswitch.scope.index import WorkspaceIndex

from .background import Background
from .file_facts import FileFactsCache
from .folders import WorkspaceFolders
from .inline import InlineService
from .last_route import RouteRecord
from .status import StatusReporter


@dataclass(slots=True)
class State:
    """What the handlers share. ``config`` is replaced as a whole (never mutated in place)."""

    documents: DocumentStore = field(default_factory=DocumentStore)
    config: Config = field(default_factory=Config)
    catalog: Catalog = field(default_factory=load_catalog)
    problems: tuple[ConfigProblem, ...] = ()
    #: the config problems last shown to the user (each is shown once while it lasts)
    reported_problems: frozenset[str] = frozenset()
    index: WorkspaceIndex | None = None
    dispatcher: Dispatcher | None = None
    ledger: Ledger | None = None
    root: Path | None = None
    provider_keys: frozenset[str] = frozenset()
    init_options: object = None
    #: the last routing decision (codeswitch/lastRoute); handlers set it via last_route.remember_route
    last_route: RouteRecord | None = None
    #: where each open document sits and whether it is secret, by URI
    files: FileFactsCache = field(default_factory=FileFactsCache)
    #: the inline completion service (its cache, requests in flight), made on first use
    inline: InlineService | None = None
    #: why the usage ledger could not be opened (told to the client once, after initialize)
    ledger_error: str | None = None
    #: pending index refreshes of open documents, by URI
    index_timers: dict[str, asyncio.TimerHandle] = field(default_factory=dict)
    #: the last function edit per URI that was escalated to the workspace tier: (instruction, what
    #: the first attempt did), handed to the team when the user runs the refactor it suggested
    escalations: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: work outside any request (the first index build); shutdown and exit stop it
    background: Background = field(default_factory=Background)
    #: every workspace folder with its index (``index``/``root`` are the first one's)
    folders: WorkspaceFolders = field(default_factory=WorkspaceFolders)
    #: API keys, resolved off the event loop (key commands run in a worker thread, cached)
    api_keys: KeyCache = field(default_factory=lambda: KeyCache(Config()))
    #: codeswitch/status notifications, coalesced
    status: StatusReporter = field(default_factory=StatusReporter)

    def index_for(self, uri: str) -> WorkspaceIndex | None:
        """The index of the folder holding the document (the first folder's for one outside all)."""
        found = self.folders.for_uri(uri)
        return found[1] if found is not None else self.index

    def root_for(self, uri: str) -> Path | None:
        """The folder holding the document (the first folder for one outside all)."""
        found = self.folders.for_uri(uri)
        return found[0] if found is not None else self.root

    def keys(self) -> frozenset[str]:
        """Providers that can be called (resolved when the config is loaded, not per request)."""
        return self.provider_keys

    def set_config(self, config: Config, problems: list[ConfigProblem]) -> None:
        """Swap the config; ``refresh_keys`` then finds which providers have a key."""
        self.config = config
        self.problems = tuple(problems)
        self.files.exclude = tuple(config.exclude)  # an excluded document is never sent either
        self.api_keys.set_config(config)

    async def refresh_keys(self) -> None:
        """Which providers can be called: key commands run in a worker thread, never on the loop."""
        self.provider_keys = await self.api_keys.resolve_all()
