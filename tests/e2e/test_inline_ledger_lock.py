"""A keystroke is answered while another process holds the ledger's write lock, and nothing is lost.

Another codeswitch window (or `codeswitch stats`, or a backup tool) may hold the SQLite ledger's
write lock. The server writes its ledger rows from a writer thread, so the completion is answered
at once; the rows reach the file once the lock is released (at the latest when the server shuts
down). Real server over stdio, real HTTP to the emulator, a real second process holding the lock.
"""

from __future__ import annotations

import asyncio
import sys
import textwrap
from pathlib import Path

from lsp_start import server_env
from stdio_peer import StdioPeer
from test_inline import INLINE_CAPS, SPARK, _fill, _start

from codeswitch import trust
from codeswitch.ledger import LEDGER_FILE, Ledger
from codeswitch.testing import Emulator

#: a loaded machine must neither start the hedge model (it would answer with another text) nor
#: run out of the inline latency budget
NO_HEDGE: dict[str, object] = {
    "tiers": {"inline": {"hedge_after_ms": 3_600_000, "latency_budget_ms": 600_000}}}

LOCKER = textwrap.dedent(
    """
    import sqlite3, sys
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    db.execute("INSERT INTO acceptances (ts, request_id, model_key, accepted_chars, full)"
               " VALUES (0, 'locker', 'm', 0, 0)")
    print("locked", flush=True)
    sys.stdin.readline()
    db.execute("COMMIT")
    print("released", flush=True)
    """
)


async def test_a_keystroke_is_answered_while_another_process_holds_the_ledger_lock(
    emulator: Emulator, tmp_path: Path,
) -> None:
    emulator.script(SPARK, _fill(" * h"), _fill(" + 1"))
    ledger_path = tmp_path / "data" / "codeswitch" / LEDGER_FILE
    answers: list[list[str]] = []
    async for lsp in _start(emulator, tmp_path, INLINE_CAPS, NO_HEDGE):
        assert ledger_path.exists()  # the server opened (and created) it at initialize
        locker = await asyncio.create_subprocess_exec(
            sys.executable, "-c", LOCKER, str(ledger_path),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        assert locker.stdin is not None and locker.stdout is not None
        assert await locker.stdout.readline() == b"locked\n"
        try:
            uri = lsp.open("calc.py", "python", "def area(w, h):\n    return w\n")
            answers.append([i.insert_text for i in await lsp.inline(uri, 1, 12)])  # type: ignore[misc]
            lsp.type_at(uri, 1, 12, "x")
            answers.append([i.insert_text for i in await lsp.inline(uri, 1, 13)])  # type: ignore[misc]
            assert locker.returncode is None  # both keystrokes were answered while the lock was held
        finally:
            locker.stdin.write(b"go\n")
            await locker.stdin.drain()
            assert await locker.stdout.readline() == b"released\n"
            await locker.wait()
    assert answers == [[" * h"], [" + 1"]]
    with Ledger(ledger_path) as ledger:  # the server shut down: every queued row was committed
        rows = [r for r in ledger.rows() if r.model_key == SPARK]
    assert [r.outcome for r in rows] == ["ok", "ok"]


async def test_rows_still_queued_when_the_client_exits_without_shutdown_are_committed(
    emulator: Emulator, tmp_path: Path,
) -> None:
    emulator.script(SPARK, _fill(" * h"))
    root = tmp_path / "ws"
    root.mkdir()
    env = server_env(tmp_path)
    env["OPENAI_API_KEY"] = "sk-test-inline-0000"
    trust.add(root, env)
    peer = await StdioPeer.start([], env, root)
    options = {"providers": {"openai": {"base_url": emulator.base_url("openai_responses")}}, **NO_HEDGE}
    await peer.answer(peer.request("initialize", {
        "processId": None, "rootUri": root.as_uri(), "initializationOptions": options,
        "capabilities": {"textDocument": {"inlineCompletion": {}},
                         "general": {"positionEncodings": ["utf-16"]}}}))
    peer.notify("initialized", {})
    text = "def area(w, h):\n    return w\n"
    (root / "calc.py").write_text(text, encoding="utf-8")
    uri = (root / "calc.py").as_uri()
    peer.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "python", "version": 1, "text": text}})
    _, answer = await peer.answer(peer.request("textDocument/inlineCompletion", {
        "textDocument": {"uri": uri}, "position": {"line": 1, "character": 12},
        "context": {"triggerKind": 2}}))
    assert [i["insertText"] for i in answer["result"]["items"]] == [" * h"]
    peer.notify("exit")  # no shutdown: the ledger was never closed
    await peer.read_to_end()
    await peer.process.wait()
    with Ledger(tmp_path / "data" / "codeswitch" / LEDGER_FILE) as ledger:
        assert [r.outcome for r in ledger.rows() if r.outcome == "ok"] == ["ok"]
