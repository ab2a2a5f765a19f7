"""A minimal LSP client over a child's stdio, for benchmarks that drive servers not written in Python.

Frames JSON-RPC with Content-Length headers, matches responses to requests, answers the server's
own requests (``workspace/configuration`` with empty sections, everything else with null) and
drops its notifications except those a caller waits for. Deliberately small, so the time it adds
to a round trip is the same for every server it drives.
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_clock(pid: int) -> int | None:
    """The id of ``pid``'s CPU-time clock (all its threads, nanosecond resolution), or None where
    the C library has no ``clock_getcpuclockid``."""
    try:
        libc = ctypes.CDLL(None)
        clock = ctypes.c_int()
        if libc.clock_getcpuclockid(pid, ctypes.byref(clock)) == 0:
            return clock.value
    except (OSError, AttributeError):
        pass
    return None


class LspError(Exception):
    def __init__(self, error: Mapping[str, Any]) -> None:
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.code = error.get("code")


class StdioClient:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self._ids = 0
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._reader = asyncio.get_running_loop().create_task(self._read())
        self.notifications: list[tuple[str, Any]] = []
        self._clock = _cpu_clock(proc.pid)

    @classmethod
    async def start(cls, cmd: Sequence[str], env: Mapping[str, str], cwd: str | None = None) -> StdioClient:
        proc = await asyncio.create_subprocess_exec(
            *cmd, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL, env=dict(env), cwd=cwd, limit=2**26)
        return cls(proc)

    def _send(self, msg: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        data = json.dumps(msg, separators=(",", ":")).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(data) + data)

    async def request(self, method: str, params: Any) -> Any:
        self._ids += 1
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[self._ids] = fut
        self._send({"jsonrpc": "2.0", "id": self._ids, "method": method, "params": params})
        return await fut

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    async def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        try:
            while True:
                length = 0
                while (line := await out.readline()) not in (b"\r\n", b""):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                if line == b"":
                    break
                msg = json.loads(await out.readexactly(length))
                if "id" in msg and "method" in msg:
                    self._answer(msg)
                elif "id" in msg:
                    fut = self._pending.pop(msg["id"], None)
                    if fut is not None and not fut.done():
                        if "error" in msg and msg["error"] is not None:
                            fut.set_exception(LspError(msg["error"]))
                        else:
                            fut.set_result(msg.get("result"))
                else:
                    self.notifications.append((msg.get("method", ""), msg.get("params")))
                    del self.notifications[:-50]
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(ConnectionError("the server closed its output"))

    def _answer(self, msg: dict[str, Any]) -> None:
        result: Any = None
        if msg["method"] == "workspace/configuration":
            result = [None for _ in (msg.get("params") or {}).get("items", [])]
        self._send({"jsonrpc": "2.0", "id": msg["id"], "result": result})

    def cpu_ms(self) -> float:
        """CPU time (user + system, all threads) the server process used so far, in ms. Unlike
        wall time it hardly changes when other programs load the machine. Read from the process's
        CPU clock (nanoseconds); where there is none, from /proc, whose resolution is a clock tick
        (10 ms), so only sums over many keys are meaningful."""
        if self._clock is not None:
            try:
                return time.clock_gettime(self._clock) * 1000
            except OSError:
                return float("nan")
        try:
            with open(f"/proc/{self.proc.pid}/stat", encoding="ascii") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) * 1000 / _TICKS

    def peak_rss_mb(self) -> float | None:
        """The server process's peak resident set (VmHWM), in MB; None when it cannot be read."""
        try:
            with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as fh:
                for line in fh:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            return None
        return None

    async def stop(self) -> None:
        try:
            await asyncio.wait_for(self.request("shutdown", None), 10)
            self.notify("exit", None)
            await asyncio.wait_for(self.proc.wait(), 10)
        except (TimeoutError, ConnectionError, LspError):
            pass
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        self._reader.cancel()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True
