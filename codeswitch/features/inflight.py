"""Supersession of inline requests: the newest request for a document wins.

Neovim never cancels a superseded inline request and draws whichever answer arrives last, so
the server does it: when a newer inline request (or a ``didChange``) arrives for a document,
the older request's task is cancelled. Cancelling the task closes its upstream HTTP stream at
once (the provider iterator is closed by the cancellation) and pygls answers a cancelled
request with RequestCancelled (-32800), which clients drop silently. Every request therefore
gets exactly one answer, and an old answer can never arrive after a newer one.

A global cap keeps a few requests in flight at most: past it the oldest is cancelled.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import OrderedDict
from dataclasses import dataclass, field

SUPERSEDED = "superseded by a newer inline request"
DOCUMENT_CHANGED = "superseded by a document change"
OVER_CAP = "too many inline requests in flight"


@dataclass(slots=True)
class Ticket:
    """One running inline request, bound to the asyncio task that serves it."""

    seq: int
    uri: str
    task: asyncio.Task[object] | None
    cancelled_because: str | None = None
    done: bool = field(default=False)

    @property
    def superseded(self) -> bool:
        return self.cancelled_because is not None


class InflightRequests:
    """Tracks running inline requests per document; cancels the ones a newer event makes stale."""

    def __init__(self, max_in_flight: int = 3) -> None:
        self.max_in_flight = max(1, max_in_flight)
        self._by_seq: OrderedDict[int, Ticket] = OrderedDict()
        self._by_uri: dict[str, Ticket] = {}
        self._seq = itertools.count(1)
        self.superseded_total = 0

    def __len__(self) -> int:
        return len(self._by_seq)

    def begin(self, uri: str, task: asyncio.Task[object] | None = None) -> Ticket:
        """Register the current task as the newest request for ``uri``, cancelling older ones."""
        if task is None:
            task = asyncio.current_task()
        older = self._by_uri.get(uri)
        if older is not None:
            self._cancel(older, SUPERSEDED)
        while len(self._by_seq) >= self.max_in_flight:
            _, oldest = next(iter(self._by_seq.items()))
            self._cancel(oldest, OVER_CAP)
        ticket = Ticket(next(self._seq), uri, task)
        self._by_seq[ticket.seq] = ticket
        self._by_uri[uri] = ticket
        return ticket

    def end(self, ticket: Ticket) -> None:
        """Forget a finished request (call from a ``finally``)."""
        ticket.done = True
        self._by_seq.pop(ticket.seq, None)
        if self._by_uri.get(ticket.uri) is ticket:
            del self._by_uri[ticket.uri]

    def document_changed(self, uri: str) -> int:
        """A didChange for ``uri``: the request in flight for it is stale. Returns how many were cancelled."""
        ticket = self._by_uri.get(uri)
        if ticket is None:
            return 0
        self._cancel(ticket, DOCUMENT_CHANGED)
        return 1

    def _cancel(self, ticket: Ticket, why: str) -> None:
        self.end(ticket)
        ticket.cancelled_because = why
        self.superseded_total += 1
        if ticket.task is not None and ticket.task is not asyncio.current_task() and not ticket.task.done():
            ticket.task.cancel(why)
