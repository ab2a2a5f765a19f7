"""Reading workspace files without hanging on what is not a regular file.

A named pipe, socket or device in a workspace must never be read: opening a FIFO for reading blocks
until some other process opens it for writing, and reading a character device may never end.
:func:`read_regular` checks the path is a regular file without opening it, then opens with
``O_NONBLOCK`` (so a FIFO swapped in meanwhile does not block the open) and checks the opened
descriptor again before reading.
Every place that reads a workspace file from disk goes through it: the index build, the agent
team's reads, the harness's ``--apply`` and the refactor's stale check.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

__all__ = ["NotRegularFile", "TooLarge", "is_regular", "read_regular"]


class NotRegularFile(OSError):
    """The path is a named pipe, socket, device or directory: its contents are never read."""

    def __init__(self, path: str | Path, what: str) -> None:
        super().__init__(errno.EINVAL, f"not a regular file ({what})", str(path))
        self.what = what


class TooLarge(OSError):
    """The file is larger than the reader's limit."""

    def __init__(self, path: str | Path, size: int, limit: int) -> None:
        super().__init__(errno.EFBIG, f"the file is too large ({size} bytes, limit {limit})", str(path))
        self.size = size


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


def is_regular(path: str | Path) -> bool:
    """True for a regular file (symlinks followed); never opens the file."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def read_regular(path: str | Path, limit: int | None = None) -> bytes:
    """The bytes of a regular file; NotRegularFile for anything else, TooLarge over ``limit``.

    Other OSErrors (missing, permission denied, name too long) pass through unchanged.
    """
    mode = os.stat(path).st_mode  # a pipe is not even opened: that would wake a writer waiting on it
    if not stat.S_ISREG(mode):
        raise NotRegularFile(path, _kind(mode))
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(path, _kind(st.st_mode))
        if limit is not None and st.st_size > limit:
            raise TooLarge(path, st.st_size, limit)
        chunks = []
        while True:
            chunk = os.read(fd, max(st.st_size + 1, 65536))
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)
