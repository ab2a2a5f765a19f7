"""Work the server does on its own, outside any request: tracked so that it can be stopped.

The first workspace index build runs this way. ``shutdown`` awaits :meth:`Background.stop`
(every task cancelled and finished, ``stopping`` set so worker threads let go at their next step);
``exit`` calls :meth:`Background.cancel` (it cannot wait); a closed stdin ends the event loop,
which cancels the tasks itself. Nothing is started once the server is stopping.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class Background:
    """Background tasks of one server, and the event that tells worker threads to stop."""

    def __init__(self) -> None:
        #: set once the server is stopping; worker threads check it between steps
        self.stopping = threading.Event()
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, work: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any] | None:
        """Run ``work`` as a tracked task; None (and ``work`` closed) once the server is stopping."""
        if self.stopping.is_set():
            work.close()
            return None
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.warning("%s failed: %s", task.get_name(), exc)

    def pending(self, name: str) -> list[asyncio.Task[Any]]:
        """The tasks named ``name`` that have not finished."""
        return [t for t in self._tasks if t.get_name() == name and not t.done()]

    @property
    def running(self) -> int:
        return len(self._tasks)

    def cancel(self) -> list[asyncio.Task[Any]]:
        """Set ``stopping`` and cancel every task; returns them (they may not have finished yet)."""
        self.stopping.set()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        return tasks

    async def stop(self) -> None:
        """Cancel every task and wait until each has finished (worker threads included)."""
        tasks = self.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
