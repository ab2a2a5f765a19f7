"""The tier's latency budget is a total deadline per request: a provider that drips tokens is cut off
when it runs out, its stream is closed, and the error kind says deadline. A real server over stdio,
the emulator over loopback HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from test_edit_helpers import CODEX, EditSession, search_replace, start_edit_session

from codeswitch.ledger import LEDGER_FILE, Ledger
from codeswitch.testing import Emulator, LatencyProfile

AREA = "import math\n\n\ndef area(r):\n    x = r * r\n    return x\n"
BUDGET_MS = 1500


@pytest_asyncio.fixture
async def lsp(emulator: Emulator, tmp_path: Path) -> AsyncIterator[EditSession]:
    settings = {"tiers": {"function": {"latency_budget_ms": BUDGET_MS}}}
    async for s in start_edit_session(emulator, tmp_path, settings=settings):
        yield s


async def test_a_dripping_provider_is_stopped_at_the_tiers_deadline(lsp: EditSession, emulator: Emulator,
                                                                    tmp_path: Path) -> None:
    # the first token comes at once, then four pieces a second: ~30 s for the whole answer
    emulator.set_profile(CODEX, LatencyProfile(ttft_s=0.0, tokens_per_second=4.0))
    answer = search_replace("    return x\n", "    return x * math.pi\n")
    emulator.script(CODEX, "Let me think. " * 60 + answer)
    uri = lsp.open("m.py", "python", AREA)
    result = await lsp.edit(uri, 4, 4, "multiply by pi")
    assert result["edit"] is None and result["error"]["kind"] == "deadline", result["error"]
    assert f"latency budget of {BUDGET_MS} ms" in result["error"]["message"]
    assert "tiers.function.latency_budget_ms" in result["error"]["message"]
    assert {"model": CODEX, "error": "deadline"} in result["fallbacks"]
    (request,) = emulator.requests  # the budget is spent: no fallback is started
    await emulator.wait_closed(request, timeout=60.0)  # the upstream stream was closed (billing stops)
    assert 0 < request.tokens_sent < 60
    ledger = Ledger(tmp_path / "data" / "codeswitch" / LEDGER_FILE)
    (row,) = [r for r in ledger.rows() if r.kind == "edit"]
    ledger.close()
    assert (row.model_key, row.outcome, row.error_kind) == (CODEX, "error", "deadline")
