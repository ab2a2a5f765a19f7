"""The ledger's writer thread, and today's spend kept in memory.

Every write to the ledger file goes through one thread with a queue, so a caller (the server's
event loop on a keystroke) never waits on the disk or on another process's lock: ``put`` appends
to the queue and returns. The thread commits whatever has queued up in one transaction; when
another process holds the file's write lock it waits for it (the busy timeout) and tries again,
keeping the rows, so nothing is lost while a lock is held. ``flush`` waits until everything put
before it is committed; ``close`` flushes and stops the thread (also at interpreter exit).

Today's spend is a number in memory: the costs of this process's rows are added when they are put
(before they reach the disk), and the thread re-reads the day's sum from the file when another
process has written to it (SQLite's ``data_version``) or the day changed. ``spent_today`` reads
the number and, at most once a second, asks the thread to look for other writers; it never
touches the file. The thread waits a moment after a row arrives so that a burst of keystrokes
is one transaction.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import queue
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

#: how many times a batch is tried while closing before its rows are given up (and logged)
CLOSE_ATTEMPTS = 2
#: after a row arrives the thread waits this long for more, so a burst of keystrokes is one
#: transaction and one wake-up of the thread instead of one per keystroke
COALESCE_S = 0.05
#: how often ``spent_today`` asks the thread to look for other processes' writes
REFRESH_EVERY_S = 1.0


@dataclass(frozen=True, slots=True)
class Insert:
    """Rows for one table: ``sql`` with ``?`` placeholders, one tuple of values per row; `costs` are
    (timestamp, dollars) of the rows that count towards today's spend."""

    sql: str
    values: Sequence[tuple[object, ...]]
    costs: tuple[tuple[float, float], ...] = ()


@dataclass(slots=True)
class _Barrier:
    done: Future[None] = field(default_factory=Future)


class _Refresh:
    """Look for other processes' writes (data_version) and re-read today's spend if there were any."""


_STOP = object()
_open_writers: weakref.WeakSet[LedgerWriter] = weakref.WeakSet()


class LedgerWriter:
    """One thread that owns all writes to a ledger file."""

    def __init__(self, path: Path, *, busy_timeout_ms: int, now: Callable[[], float],
                 start_of_day: Callable[[float], float],
                 spent_since: Callable[[sqlite3.Connection, float], float], spent_today: float) -> None:
        self.path = path
        self._busy_ms = busy_timeout_ms
        self._now = now
        self._start_of_day = start_of_day
        self._spent_since = spent_since
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._lock = threading.Lock()  # guards the numbers below (held for microseconds)
        self._day = start_of_day(now())
        self._disk_today = spent_today  # today's sum as last read or committed
        self._pending_today = 0.0  # this process's rows queued, not yet committed
        self._refresh_queued = False
        self._refresh_asked = float("-inf")  # monotonic time of the last request for a refresh
        self._reread = False  # the day changed: read the file even if no other process wrote
        self._closed = False
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._urgent = threading.Event()  # someone waits for the queue: commit now
        self.lost_rows = 0
        _open_writers.add(self)

    # -- callers' side (any thread, never blocks on the disk) -----------------------------------

    def put(self, insert: Insert) -> None:
        if self._closed:
            raise RuntimeError("the ledger is closed")
        with self._lock:
            day = self._day
            self._pending_today += sum(c for ts, c in insert.costs if ts >= day)
        self._queue.put(insert)
        self._ensure_thread()

    def spent_today(self) -> float:
        """This process's rows (queued or written) plus other processes' rows as last seen."""
        day = self._start_of_day(self._now())
        with self._lock:
            if day != self._day:  # midnight passed: start from nothing, the thread re-reads
                self._day, self._disk_today, self._reread = day, 0.0, True
            total = self._disk_today + self._pending_today
            now = time.monotonic()
            ask = not self._refresh_queued and not self._closed and (
                self._reread or now - self._refresh_asked >= REFRESH_EVERY_S)
            if ask:
                self._refresh_queued, self._refresh_asked = True, now
        if ask:
            self._queue.put(_Refresh())
            self._ensure_thread()
        return total

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything put so far is committed (or given up); False on timeout."""
        if self._thread is None or self._closed:
            return True
        barrier = _Barrier()
        self._queue.put(barrier)
        self._urgent.set()
        try:
            barrier.done.result(timeout)
        except TimeoutError:
            return False
        return True

    async def settle(self) -> None:
        """``flush`` for a coroutine: waits without blocking the event loop."""
        if self._thread is None or self._closed:
            return
        barrier = _Barrier()
        self._queue.put(barrier)
        self._urgent.set()
        await asyncio.wrap_future(barrier.done)

    def close(self) -> None:
        """Commit what is queued (waiting for another process's lock a bounded time), stop the thread."""
        if self._closed:
            return
        self._closed = True
        thread = self._thread
        if thread is not None:
            self._queue.put(_STOP)
            self._urgent.set()
            thread.join()
        _open_writers.discard(self)

    def _ensure_thread(self) -> None:
        if self._thread is not None:
            return
        with self._start_lock:
            if self._thread is None:
                thread = threading.Thread(target=self._run, name=f"ledger {self.path.name}", daemon=True)
                thread.start()
                self._thread = thread

    # -- the thread -------------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            db = sqlite3.connect(self.path, timeout=self._busy_ms / 1000, isolation_level=None)
            db.execute(f"PRAGMA busy_timeout = {self._busy_ms}")
        except sqlite3.Error as exc:
            log.warning("%s: the ledger writer cannot open the file: %s", self.path, exc)
            self._drain_without_db()
            return
        seen_version = self._data_version(db)
        try:
            while True:
                jobs = [self._queue.get()]
                if isinstance(jobs[0], Insert) and not self._closed:
                    self._urgent.wait(COALESCE_S)  # unless a flush is waiting
                self._urgent.clear()
                while True:  # everything that queued up meanwhile goes in the same transaction
                    try:
                        jobs.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                stop = any(j is _STOP for j in jobs)
                inserts = [j for j in jobs if isinstance(j, Insert)]
                if inserts:
                    self._commit(db, inserts, closing=stop or self._closed)
                if any(isinstance(j, _Refresh) for j in jobs) or inserts:
                    seen_version = self._refresh(db, seen_version)
                for j in jobs:
                    if isinstance(j, _Barrier):
                        j.done.set_result(None)
                if stop:
                    return
        finally:
            db.close()

    def _commit(self, db: sqlite3.Connection, inserts: list[Insert], *, closing: bool) -> None:
        attempts = 0
        while True:
            attempts += 1
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    for ins in inserts:
                        db.executemany(ins.sql, ins.values)
                    db.execute("COMMIT")
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                break
            except sqlite3.OperationalError as exc:
                busy = "locked" in str(exc) or "busy" in str(exc)
                if (busy and not (closing or self._closed)) or (busy and attempts < CLOSE_ATTEMPTS):
                    time.sleep(0.05)  # another process holds the lock: keep the rows, try again
                    continue
                self._give_up(inserts, exc)
                return
            except sqlite3.Error as exc:
                self._give_up(inserts, exc)
                return
        committed = [c for ins in inserts for c in ins.costs]
        with self._lock:
            for ts, cost in committed:
                if ts >= self._day:
                    self._pending_today -= cost
                    self._disk_today += cost
            if abs(self._pending_today) < 1e-12:
                self._pending_today = 0.0

    def _give_up(self, inserts: list[Insert], exc: sqlite3.Error) -> None:
        lost = sum(len(i.values) for i in inserts)
        self.lost_rows += lost
        log.warning("%s: cannot write %d ledger row(s): %s", self.path, lost, exc)
        with self._lock:
            self._pending_today -= sum(c for i in inserts for ts, c in i.costs if ts >= self._day)

    def _refresh(self, db: sqlite3.Connection, seen_version: int | None) -> int | None:
        with self._lock:
            self._refresh_queued = False
            day, reread, self._reread = self._day, self._reread, False
        version = self._data_version(db)
        stale_day = self._start_of_day(self._now()) != day
        if version == seen_version and not stale_day and not reread and version is not None:
            return version
        try:
            day = self._start_of_day(self._now())
            total = self._spent_since(db, day)
        except sqlite3.Error as exc:
            log.warning("%s: cannot read today's spend: %s", self.path, exc)
            return seen_version
        with self._lock:  # our own rows still queued are not in the file yet: _pending_today keeps them
            self._day, self._disk_today = day, total
        return version

    @staticmethod
    def _data_version(db: sqlite3.Connection) -> int | None:
        try:
            return int(db.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error:
            return None

    def _drain_without_db(self) -> None:
        while True:
            job = self._queue.get()
            if isinstance(job, Insert):
                self.lost_rows += len(job.values)
            elif isinstance(job, _Barrier):
                job.done.set_result(None)
            elif job is _STOP:
                return


@atexit.register
def close_all() -> None:
    """Commit and close every open writer: a process that ends without closing its ledger still
    commits what it queued (at interpreter exit, and before ``codeswitch serve`` ends with
    ``os._exit``)."""
    for writer in list(_open_writers):
        try:
            writer.close()
        except Exception as exc:  # pragma: no cover - interpreter shutdown
            log.warning("ledger: %s", exc)
