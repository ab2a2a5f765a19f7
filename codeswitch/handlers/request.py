"""One pipeline for requests that call models in the background: edit, quick edit, refactor.

:func:`background_request` runs a request's body between the steps every such request shares:
the route is kept as the server's last route, a refusal decided before any model call is answered
at once, progress begins (``$/progress`` on the client's ``workDoneToken`` or one the server
creates) and is wired to cancellation (``window/workDoneProgress/cancel`` cancels the request's
task like ``$/cancelRequest``), app errors become the result's ``error`` (:mod:`.errors`), and at
the end progress ends and the model that served is recorded and told to the client
(``codeswitch/status``).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from lsprotocol import types

from codeswitch.routing import RouteDecision

from .errors import APP_ERRORS, Failure, failure
from .last_route import mark_served, remember_route, status_params
from .protocol import ErrorInfo, RouteRecord

if TYPE_CHECKING:
    from codeswitch.lsp_server import CodeswitchServer

log = logging.getLogger(__name__)

R = TypeVar("R")


class Progress:
    """``$/progress`` for one request: begun once, ended once; never fails the request."""

    def __init__(self, ls: CodeswitchServer, token: int | str | None, title: str, *,
                 create_as: str | None = None, cancellable: bool = True) -> None:
        self.ls, self.token, self.title, self.create_as = ls, token, title, create_as
        self.cancellable = cancellable
        self.active = False

    async def begin(self, message: str | None = None, percentage: int | None = None) -> None:
        """Begin on the client's token, or on one the server asks for (``create_as``, named
        ``codeswitch-<create_as>-...``, when the client supports server-initiated progress); the
        client cancelling it cancels the current task."""
        ls = self.ls
        if self.token is None and self.create_as is not None:
            window = ls.client_capabilities.window
            if window is None or not window.work_done_progress:
                return
            token = f"codeswitch-{self.create_as}-{uuid.uuid4().hex[:8]}"
            try:
                await ls.work_done_progress.create_async(token)
            except Exception as exc:
                log.info("progress: %s", exc)
                return
            self.token = token
        if self.token is None:
            return
        try:
            ls.work_done_progress.begin(self.token, types.WorkDoneProgressBegin(
                title=self.title, message=message, percentage=percentage, cancellable=self.cancellable))
        except Exception as exc:
            log.info("progress: %s", exc)
            return
        self.active = True
        task = asyncio.current_task()
        future = ls.work_done_progress.tokens.get(self.token)
        if self.cancellable and future is not None and task is not None:
            future.add_done_callback(lambda f: task.cancel() if f.cancelled() and self.active else None)

    def report(self, message: str, percentage: int | None = None) -> None:
        if not self.active or self.token is None:
            return
        try:
            self.ls.work_done_progress.report(self.token, types.WorkDoneProgressReport(
                message=message, percentage=percentage))
        except Exception as exc:
            log.info("progress: %s", exc)

    def end(self, message: str | None) -> None:
        if not self.active or self.token is None:
            return
        self.active = False
        # forget the token: a client may use the same one again for its next request
        self.ls.work_done_progress.tokens.pop(self.token, None)
        try:
            self.ls.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))
        except Exception as exc:
            log.info("progress: %s", exc)


def served(ls: CodeswitchServer, record: RouteRecord, model: str | None) -> None:
    """A request was served: keep its model as the last route's server and tell the client."""
    mark_served(ls.state, record, model)
    if model is not None:
        ls.state.status.post(ls.protocol.notify, status_params(ls.state.ledger, model, record.tier), now=True)


@dataclass(slots=True)
class Job:
    """One background request in flight; its body fills ``served_by`` and ``outcome``."""

    ls: CodeswitchServer
    record: RouteRecord
    progress: Progress
    #: the model that answered (the status notification and lastRoute's served_by)
    served_by: str | None = None
    #: the message progress ends with
    outcome: str | None = None


async def background_request(ls: CodeswitchServer, method: str, uri: str | None, decision: RouteDecision,
                             reasons: tuple[str, ...], progress: Progress,
                             body: Callable[[Job], Awaitable[R]], failed: Callable[[Failure], R], *,
                             refuse: ErrorInfo | None = None,
                             begin: tuple[str | None, int | None] = (None, None)) -> R:
    """route kept -> refusal -> progress -> body (cancellable) -> app errors as ``failed(...)`` ->
    progress end and the served model recorded."""
    record = remember_route(ls.state, method, uri, decision, reasons)
    if refuse is not None:
        return failed(Failure(refuse))
    job = Job(ls, record, progress)
    await progress.begin(*begin)
    try:
        return await body(job)
    except APP_ERRORS as exc:
        failed_with = failure(exc)
        job.outcome = job.outcome or failed_with.error.message
        return failed(failed_with)
    except asyncio.CancelledError:
        job.outcome = job.outcome or "cancelled"
        raise
    finally:
        progress.end(job.outcome)
        served(ls, record, job.served_by)
