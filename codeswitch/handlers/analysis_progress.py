"""``$/progress`` for a long request that carries a ``workDoneToken``: begin, reports, end once.

The client's ``window/workDoneProgress/cancel`` for the token cancels the request's task, like
``$/cancelRequest``. Without a token (or when the client refuses progress) every call is a no-op:
progress never fails a request.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from lsprotocol import types

log = logging.getLogger(__name__)


class Progress:
    def __init__(self, ls: Any, token: object, title: str) -> None:
        self.ls, self.token = ls, token
        self.done = not (isinstance(token, str | int) and not isinstance(token, bool))
        if self.done:
            return
        try:
            ls.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=title, cancellable=True))
        except Exception as exc:
            log.info("progress: %s", exc)
            self.done = True
            return
        task = asyncio.current_task()
        future = ls.work_done_progress.tokens.get(token)
        if future is not None and task is not None:
            future.add_done_callback(lambda f: task.cancel() if f.cancelled() and not self.done else None)

    def report(self, message: str) -> None:
        if self.done:
            return
        try:
            self.ls.work_done_progress.report(self.token, types.WorkDoneProgressReport(message=message))
        except Exception as exc:
            log.info("progress: %s", exc)

    def end(self, message: str | None) -> None:
        if self.done:
            return
        self.done = True
        try:
            self.ls.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))
        except Exception as exc:
            log.info("progress: %s", exc)
