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


async def iter_sse(lines: AsyncIterator[str]) -> AsyncIterator[SSEEvent]:
    """Group lines into events. A trailing event without a final blank line is still delivered."""
    event: str | None = None
    data: list[str] = []
    first = True
    async for line in lines:
        if first:
            line, first = line.removeprefix("\ufeff"), False  # the spec allows one leading BOM
        if not line:
            if data or event is not None:
                yield SSEEvent(event, "\n".join(data))
            event, data = None, []
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
        yield SSEEvent(event, "\n".join(data))
