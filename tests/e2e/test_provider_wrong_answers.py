"""A provider that answers with something other than a stream (a captive portal's HTML page, a
redirect, one plain JSON object) is named for what it sent, in the error the user sees. A real
server over stdio, the emulator over loopback HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from test_edit_helpers import CODEX, FAKE_KEY, EditSession, start_edit_session

from codeswitch.testing import Emulator

AREA = "import math\n\n\ndef area(r):\n    x = r * r\n    return x\n"


@pytest_asyncio.fixture
async def lsp(emulator: Emulator, tmp_path: Path) -> AsyncIterator[EditSession]:
    async for s in start_edit_session(emulator, tmp_path):
        yield s


@pytest.mark.parametrize(("fault", "says"), [
    ("html", "got an HTML page titled 'Network login required'"),
    ("redirect", "got a redirect (HTTP 302) to https://login.example.com/sso?next=/v1"),
    ("plain_json", "got one JSON body: {"),
])
async def test_a_non_stream_answer_is_described(lsp: EditSession, emulator: Emulator, fault: str,
                                                says: str) -> None:
    emulator.fault("*", fault, times=None)  # every model of the chain answers the same way
    uri = lsp.open("m.py", "python", AREA)
    result = await lsp.edit(uri, 4, 4, "multiply by pi")
    assert result["edit"] is None and result["error"]["kind"] == "all_models_failed", result["error"]
    message = result["error"]["message"]
    assert says in message and CODEX in message, message
    assert FAKE_KEY not in message
    assert all(r.fault == fault for r in emulator.requests)
