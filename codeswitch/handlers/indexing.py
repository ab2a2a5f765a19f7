"""Building the workspace index off the event loop, cancellably, with throttled ``$/progress``.

``WorkspaceIndex.build`` parses file after file in a worker thread and calls its progress callback
after each one; the callback given here raises :class:`IndexCancelled` once the build is to stop
(the awaiting task was cancelled, or the server is stopping), so a build never outlives the
request or the server that started it. Progress goes to the client at most every
``REPORT_INTERVAL_S`` (a few times a second, not once per percent), and never once the server is
stopping.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from codeswitch.scope.index import WorkspaceIndex
from codeswitch.wording import plural

from .request import Progress as RequestProgress

if TYPE_CHECKING:
    from codeswitch.lsp_server import CodeswitchServer

log = logging.getLogger(__name__)

#: the least time between two index progress reports
REPORT_INTERVAL_S = 0.25
Progress = Callable[[int, int], None]


class IndexCancelled(Exception):
    """The build stopped before its end: ``done`` of ``total`` files were parsed."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__(f"index build cancelled after {done} of {plural(total, 'file')}")
        self.done = done
        self.total = total


class Throttle:
    """True at most once per ``interval`` seconds (and always for the first call)."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self._last: float | None = None

    def due(self) -> bool:
        now = self.clock()
        if self._last is not None and now - self._last < self.interval:
            return False
        self._last = now
        return True


def cancellable(stop: Sequence[threading.Event], report: Progress | None = None) -> Progress:
    """A progress callback for ``WorkspaceIndex.build``: raises IndexCancelled once any of ``stop`` is set."""
    def progress(done: int, total: int) -> None:
        if any(event.is_set() for event in stop):
            raise IndexCancelled(done, total)
        if report is not None:
            report(done, total)

    return progress


async def build_in_thread(index: WorkspaceIndex, root: Path, exclude: Sequence[str], *,
                          stopping: threading.Event, report: Progress | None = None) -> int:
    """``index.build`` in a daemon thread; returns the files indexed.

    Cancelling the awaiting task stops the build at its next file and waits for the thread to let
    go before the CancelledError goes on; ``stopping`` set (the server is stopping) does the same
    and raises IndexCancelled. Either is logged once, with how far the build got.
    """
    loop = asyncio.get_running_loop()
    cancel = threading.Event()
    done: asyncio.Future[int] = loop.create_future()

    def settle(count: int | None, error: BaseException | None) -> None:
        if done.done():
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(count or 0)

    def run() -> None:
        count, error = None, None
        try:
            count = index.build(root, exclude, cancellable((cancel, stopping), report))
        except Exception as exc:  # handed to the awaiting side
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting any more
            loop.call_soon_threadsafe(settle, count, error)

    threading.Thread(target=run, name="codeswitch-index", daemon=True).start()
    try:
        return await asyncio.shield(done)
    except IndexCancelled as exc:
        log.info("workspace index of %s: %s", root, exc)
        raise
    except asyncio.CancelledError:
        cancel.set()
        await _let_go(done, root)
        raise


async def _let_go(done: asyncio.Future[int], root: Path) -> None:
    """Wait until the build thread has stopped (after the file it is parsing), through further
    cancellations (the event loop ending cancels every task once more), and log how far it got."""
    while not done.done():
        try:
            await asyncio.shield(done)
        except asyncio.CancelledError:
            continue
        except Exception:  # IndexCancelled, or the build failed on its own meanwhile
            break
    if not done.cancelled() and isinstance(done.exception(), IndexCancelled):
        log.info("workspace index of %s: %s", root, done.exception())


async def build_index(ls: CodeswitchServer, index: WorkspaceIndex, root: Path) -> int | None:
    """The first build of the workspace index, reporting ``$/progress``; the files indexed, or None
    when the server stopped it."""
    loop = asyncio.get_running_loop()
    stopping = ls.state.background.stopping
    progress = RequestProgress(ls, None, "codeswitch: indexing", create_as="index", cancellable=False)
    if not stopping.is_set():
        try:
            await progress.begin(percentage=0)
        except asyncio.CancelledError:
            log.info("workspace index of %s: build cancelled before it began", root)
            raise
    throttle = Throttle(REPORT_INTERVAL_S)

    def send(done: int, total: int) -> None:  # on the event loop
        if not stopping.is_set():
            progress.report(f"{done}/{total} files", done * 100 // max(total, 1))

    def report(done: int, total: int) -> None:  # in the build thread
        if done < total and throttle.due():
            try:
                loop.call_soon_threadsafe(send, done, total)
            except RuntimeError:  # the loop is closed: the server is gone
                raise IndexCancelled(done, total) from None

    try:
        count = await build_in_thread(index, root, ls.state.config.exclude, stopping=stopping,
                                      report=report if progress.active else None)
    except IndexCancelled:
        return None
    except Exception as exc:
        log.warning("workspace index failed: %s", exc)
        count = 0
    if not stopping.is_set():
        progress.end(f"{plural(count, 'file')} indexed")
    log.info("workspace index: %d files", count)
    return count
