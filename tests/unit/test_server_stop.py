"""Stopping the server's own work: the cancellable index build, throttled progress, the client writer,
background tasks."""

from __future__ import annotations

import asyncio
import io
import logging
import threading
from pathlib import Path

import pytest

from codeswitch.client_writer import ClientWriter
from codeswitch.handlers.background import Background
from codeswitch.handlers.indexing import IndexCancelled, Throttle, build_in_thread, cancellable
from codeswitch.scope.index import WorkspaceIndex
from codeswitch.testing.workspace import generate_workspace


def index_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "codeswitch-index"]


def test_throttle_lets_one_report_through_per_interval() -> None:
    now = [100.0]
    throttle = Throttle(0.25, clock=lambda: now[0])
    seen = []
    for step in range(20):  # 20 files parsed 50 ms apart: 1 s
        now[0] = 100.0 + step * 0.05
        seen.append(throttle.due())
    assert seen[0] is True  # the first report goes out at once
    assert sum(seen) == 4  # then one per 250 ms, not one per file


def test_cancellable_progress_raises_once_a_stop_event_is_set() -> None:
    stop, other = threading.Event(), threading.Event()
    reported: list[tuple[int, int]] = []
    progress = cancellable((stop, other), lambda d, t: reported.append((d, t)))
    progress(1, 10)
    other.set()
    with pytest.raises(IndexCancelled) as info:
        progress(2, 10)
    assert (info.value.done, info.value.total) == (2, 10)
    assert reported == [(1, 10)]


async def test_cancelling_the_awaiting_task_stops_the_build_thread(tmp_path: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    generate_workspace(tmp_path, files=300)
    index = WorkspaceIndex(tmp_path)
    loop = asyncio.get_running_loop()
    started = asyncio.Event()
    reported: list[int] = []

    def report(done: int, total: int) -> None:
        reported.append(done)
        loop.call_soon_threadsafe(started.set)

    caplog.set_level(logging.INFO, "codeswitch")
    build = build_in_thread(index, tmp_path, (), stopping=threading.Event(), report=report)
    task = asyncio.create_task(build)
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    seen = len(reported)
    for thread in index_threads():
        thread.join()
    assert len(reported) == seen  # nothing was parsed after the CancelledError came out
    assert not index.ready and len(index) == 0
    cancelled = [r.getMessage() for r in caplog.records if "index build cancelled after" in r.getMessage()]
    want = f"workspace index of {tmp_path}: index build cancelled after {seen + 1} of 304 files"
    assert cancelled == [want]


async def test_a_stopping_server_stops_the_build_with_index_cancelled(tmp_path: Path) -> None:
    generate_workspace(tmp_path, files=50)
    stopping = threading.Event()

    def report(done: int, total: int) -> None:
        if done == 3:
            stopping.set()

    with pytest.raises(IndexCancelled) as info:
        await build_in_thread(WorkspaceIndex(tmp_path), tmp_path, (), stopping=stopping, report=report)
    assert info.value.done == 4 and info.value.total > 50  # stopped at the next file


async def test_an_uncancelled_build_returns_the_file_count(tmp_path: Path) -> None:
    generate_workspace(tmp_path, files=20)
    index = WorkspaceIndex(tmp_path)
    assert await build_in_thread(index, tmp_path, (), stopping=threading.Event()) == 20 + 1 + 1
    assert index.ready and index.definitions("f3_0")


class _Failing:
    def __init__(self) -> None:
        self.writes = 0

    def write(self, data: bytes) -> None:
        self.writes += 1
        raise ValueError("I/O operation on closed file.")

    def close(self) -> None:
        pass


def test_client_writer_drops_everything_after_close() -> None:
    out = io.BytesIO()
    writer = ClientWriter(out)
    writer.write(b"one")
    writer.close()
    writer.write(b"two")  # after exit: dropped, no error
    assert out.closed and writer.closed and writer.dropped == 1


def test_a_failed_write_is_logged_once_and_never_raised(caplog: pytest.LogCaptureFixture) -> None:
    inner = _Failing()
    writer = ClientWriter(inner)
    for _ in range(5):
        assert writer.write(b"{}") is None
    assert inner.writes == 1  # the first failure closes the connection for good
    gone = [r for r in caplog.records if "client connection is gone" in r.getMessage()]
    assert len(gone) == 1 and gone[0].exc_info is None
    assert writer.dropped == 5


async def test_an_async_write_that_fails_closes_the_writer() -> None:
    class Broken:
        async def write(self, data: bytes) -> None:
            raise ConnectionResetError("peer gone")

        async def close(self) -> None:
            pass

    writer = ClientWriter(Broken())
    pending = writer.write(b"{}")
    assert pending is not None
    await pending  # never raises
    assert writer.closed and writer.write(b"{}") is None


async def test_background_stop_cancels_and_waits_for_every_task() -> None:
    background = Background()
    finished: list[str] = []

    async def work(name: str) -> None:
        try:
            await asyncio.Event().wait()
        finally:
            await asyncio.sleep(0)  # clean-up that itself awaits
            finished.append(name)

    background.spawn(work("a"), "a")
    background.spawn(work("b"), "b")
    await asyncio.sleep(0)
    await background.stop()
    assert sorted(finished) == ["a", "b"] and background.running == 0
    assert background.stopping.is_set()
    assert background.spawn(work("late"), "late") is None  # closed, never started (no warning)
