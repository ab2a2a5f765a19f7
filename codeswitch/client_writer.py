"""The server's side of the connection to its client: once the client is gone, nothing more is sent.

pygls writes every message through ``protocol.writer``. :class:`ClientWriter` wraps that writer:
after ``close()`` (pygls closes it on ``exit``) a message is dropped, not written; the first write
that fails (the client closed the pipe, stdout is closed) marks the connection gone, logs one line
and drops that message and every later one. A failed write never raises into pygls, which would
report it to the client with ``window/showMessage``, that is with another write that fails.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable
from typing import Any

log = logging.getLogger(__name__)


class ClientWriter:
    """A pygls writer (sync or async) that goes quiet for good once closed or broken."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.closed = False
        self.dropped = 0

    def _gone(self, exc: BaseException) -> None:
        if not self.closed:
            self.closed = True
            why = str(exc) or type(exc).__name__
            log.warning("the client connection is gone (%s): nothing more is sent", why)
        self.dropped += 1

    def write(self, data: bytes) -> Awaitable[None] | None:
        if self.closed:
            self.dropped += 1
            return None
        try:
            result = self.inner.write(data)
        except (OSError, ValueError) as exc:  # BrokenPipeError, "I/O operation on closed file"
            self._gone(exc)
            return None
        if inspect.isawaitable(result):
            return self._settle(result)
        return None

    async def _settle(self, pending: Awaitable[Any]) -> None:
        try:
            await pending
        except (OSError, ValueError, ConnectionError) as exc:
            self._gone(exc)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # websockets raise their own ConnectionClosed
            self._gone(exc)

    def close(self) -> Awaitable[None] | None:
        """Close the connection; every later write is dropped."""
        if self.closed:
            return None
        self.closed = True
        try:
            result = self.inner.close()
        except (OSError, ValueError) as exc:
            log.debug("closing the client connection: %s", exc)
            return None
        if inspect.isawaitable(result):
            return self._settle(result)
        return None
