"""The one Server-Sent Events reader every streaming client shares.

Follows the WHATWG event-stream rules that matter for model APIs: `field: value` lines, one
optional space after the colon, multi-line `data` joined with newlines, comments (`:`) ignored
(Anthropic and proxies send them as keep-alives), an event dispatched at a blank line. Line
splitting (\\n, \\r\\n, \\r) is done by httpx before lines reach this reader.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SSEEvent:
    event: str | None
    data: str

    def json(self) -> dict[str, object]:
        """The data as a JSON object; ValueError if it is not one."""
        value = json.loads(self.data)
        if not isinstance(value, dict):
            raise ValueError("SSE data is not a JSON object")
        return value


def iter_sse(lines: AsyncIterator[str]) -> AsyncIterator[SSEEvent]:
    """Group lines into events. A trailing event without a final blank line is still delivered.

    An iterator object, not a generator: a parser closed early leaves nothing of it suspended.
    """
    return _SSEReader(lines)


class _SSEReader:
    def __init__(self, lines: AsyncIterator[str]) -> None:
        self._lines = lines
        self._first = True
        self._ended = False

    def __aiter__(self) -> _SSEReader:
        return self

    async def __anext__(self) -> SSEEvent:
        event: str | None = None
        data: list[str] = []
        while not self._ended:
            try:
                line = await anext(self._lines)
            except StopAsyncIteration:
                self._ended = True
                break
            if self._first:
                line, self._first = line.removeprefix("\ufeff"), False  # the spec allows one leading BOM
            if not line:
                if data or event is not None:
                    return SSEEvent(event, "\n".join(data))
                continue
            if line.startswith(":"):
                continue
            name, sep, value = line.partition(":")
            if sep and value.startswith(" "):
                value = value[1:]
            if name == "data":
                data.append(value)
            elif name == "event":
                event = value
            # id / retry / unknown fields are ignored, as the spec says.
        if data:
            return SSEEvent(event, "\n".join(data))
        raise StopAsyncIteration
