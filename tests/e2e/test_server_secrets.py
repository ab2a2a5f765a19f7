"""Secrets end to end through the real server: API keys never reach logs, the ledger or the client,
and secret files never reach a provider.

The server runs as ``codeswitch serve --log-level debug --log-file ...`` with distinctive fake keys
in its environment, pointed at the loopback emulator. It serves inline requests that succeed and
that fail (429, 500, a 500 whose body echoes the key as some gateways do, 401), then is shut down;
only then are its log file, its stderr, every file of its data directory (the ledger and its
journal) and every message it sent the client searched for the keys. Inline requests on secret
files are refused before any provider call, and definitions from secret files never enter a prompt.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from codeswitch.testing import Emulator, RecordedRequest

#: tests/e2e/conftest.py's start_server fixture and the LspSession it returns (conftest modules
#: are not importable by name)
StartServer = Callable[..., Awaitable[Any]]
LspSession = Any

# Not shaped like an `sk-` key on purpose: the generic key pattern must not be what hides it.
OPENAI_KEY = "cswfake-OPENAI-7c41e9b2d05f-a8k3"
ANTHROPIC_KEY = "cswfake-ANTHRO-19fd3e6a7b20-q2m9"
#: what must never show up: the keys, and their distinctive middles (a masked key still leaks them)
FORBIDDEN = (OPENAI_KEY, ANTHROPIC_KEY, "7c41e9b2d05f", "19fd3e6a7b20")

ENV_TEXT = "DATABASE_PASSWORD=envfile-secret-5f2c\nTOKEN=\n"
RSA_TEXT = "-----BEGIN OPENSSH PRIVATE KEY-----\nrsafile-secret-91aa\n"
PEM_TEXT = "-----BEGIN CERTIFICATE-----\npemfile-secret-3b7d\n"
SECRET_PY = 'def load_token():\n    return "pyfile-secret-c0de"\n'
IGNORED_PY = 'def private_salt():\n    return "ignored-secret-77ef"\n'
SECRET_MARKERS = ("envfile-secret", "rsafile-secret", "pemfile-secret", "pyfile-secret", "ignored-secret",
                  "DATABASE_PASSWORD", "BEGIN OPENSSH", "BEGIN CERTIFICATE")
MAIN_PY = "from secrets import load_token\nfrom vault.salt import private_salt\n\n" \
          "def connect(host):\n    token = load_token()\n    salt = private_salt()\n    return \n"


def _fill(text: str) -> str:
    return f"<FILL>{text}</FILL>"


class Received:
    """Every message the server sent the client, as text (wrapped around pygls's dispatch)."""

    def __init__(self, session: LspSession) -> None:
        self.texts: list[str] = [repr(session.result)]
        protocol = session.client.protocol
        handle = protocol.handle_message

        def record(message: Any) -> Any:
            self.texts.append(repr(message))
            return handle(message)

        protocol.handle_message = record


async def _inline(session: LspSession, uri: str, line: int, character: int) -> list[str]:
    result = await session.client.text_document_inline_completion_async(types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri), position=types.Position(line, character),
        context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Automatic)))
    if result is None:
        return []
    items = result.items if isinstance(result, types.InlineCompletionList) else result
    return [str(i.insert_text) for i in items]


def _echo_the_key(rec: RecordedRequest) -> str:
    """A gateway that answers 500 with the key it was sent in the message."""
    sent = rec.headers.get("authorization") or rec.headers.get("x-api-key") or ""
    raise ValueError(f"Incorrect API key provided: {sent}")


def _leaks(text: str) -> list[str]:
    return [f for f in FORBIDDEN if f in text]


async def _start(start_server: StartServer, emulator: Emulator, log_file: Path,
                 caps: types.ClientCapabilities | None = None) -> LspSession:
    return await start_server(caps=caps,
        env={"OPENAI_API_KEY": OPENAI_KEY, "ANTHROPIC_API_KEY": ANTHROPIC_KEY},
        init_options={"providers": {
            "openai": {"base_url": emulator.base_url("openai_responses")},
            "anthropic": {"base_url": emulator.base_url("anthropic")},
        }, "inline": {"context_ms": 5000}},  # context from other files even on a loaded machine
        files={".env": ENV_TEXT, "id_rsa": RSA_TEXT, "certs/server.pem": PEM_TEXT,
               "secrets.py": SECRET_PY, "vault/salt.py": IGNORED_PY, "main.py": MAIN_PY,
               "helpers.py": "def helper_total(items):\n    return sum(items)\n",
               ".codeswitchignore": "vault/\n"},
        args=["--log-level", "debug", "--log-file", str(log_file)],
    )


async def _wait_indexed(session: LspSession) -> None:
    """Until the first index build reported its end ($/progress; the session offers progress)."""
    def done() -> bool:
        return any(str(token).startswith("codeswitch-index") and any(
            isinstance(v, types.WorkDoneProgressEnd) for v in values)
            for token, values in session.client.progress_reports.items())

    while not done():  # look again at every notification, and twice a second should one slip past
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(session.client.wait_for_notification(types.PROGRESS), timeout=0.5)


async def _stop(session: LspSession) -> None:
    """Shut the server down now (so everything it logs on the way out is searched too)."""
    await session.client.shutdown_session()
    forwarder = getattr(session.client, "_stderr_forwarder", None)
    if isinstance(forwarder, asyncio.Task):
        await asyncio.wait([forwarder], timeout=30)  # stderr forwarded to the end
    session.result = None  # the fixture only has `exit` and stop left to do


class Typist:
    """Types one character at a time at the end of main.py's `return` line and asks for a suggestion.

    `return h++-value_3` stays valid Python at every step (the engine checks the syntax).
    """

    def __init__(self, session: LspSession, emulator: Emulator) -> None:
        self.session, self.emulator = session, emulator
        self.uri = session.open("main.py", MAIN_PY)
        self.typed = ""
        self.seen: list[RecordedRequest] = []

    async def step(self, char: str, *, fault: str | None = None, echo: bool = False,
                   everywhere: bool = False) -> list[str]:
        """The first attempt fails as asked (one failure per request keeps the breakers closed, so
        every kind reaches the server); `everywhere`: every model and every retry fails."""
        emulator, answer = self.emulator, f"value_{len(self.typed)}"
        emulator.reset()  # "*" below: any model of the chain, on any provider
        failed: list[int] = []

        def reply(rec: RecordedRequest) -> str:
            if echo and (everywhere or not failed):
                failed.append(rec.id)
                _echo_the_key(rec)
            return _fill(answer)

        emulator.respond("*", reply)
        if fault is not None:
            emulator.fault("*", fault, times=None if everywhere else 1, retry_after_s=0.0)  # type: ignore[arg-type]
        col = len(MAIN_PY.split("\n")[6] + self.typed)
        self.session.change(self.uri, [((6, col, 6, col), char)])
        self.typed += char
        items = await _inline(self.session, self.uri, 6, col + 1)
        self.seen.extend(emulator.requests)
        return items


async def test_keys_never_reach_logs_ledger_or_client(start_server: StartServer, emulator: Emulator,
                                                      tmp_path: Path,
                                                      capfd: pytest.CaptureFixture[str]) -> None:
    logs = [tmp_path / "serve0.log", tmp_path / "serve1.log"]
    # one server meets each kind of failure once, and finally a 401 from every provider
    first = await _start(start_server, emulator, logs[0])
    received = [Received(first)]
    typist = Typist(first, emulator)
    assert await typist.step("h") == ["value_0"]  # served at once: a ledger row with usage
    assert await typist.step("+", fault="rate_limit") == ["value_1"]  # 429, then served anyway
    assert await typist.step("+", fault="server_error") == ["value_2"]  # 500
    assert await typist.step("-", echo=True) == ["value_3"]  # a 500 whose message quotes the key
    assert await typist.step("-", fault="auth", everywhere=True) == []  # 401 everywhere: it fails
    seen = typist.seen
    await _stop(first)
    # another meets only upstreams that quote the key back, until the request fails as a whole
    second = await _start(start_server, emulator, logs[1])
    received.append(Received(second))
    typist = Typist(second, emulator)
    assert await typist.step("h", echo=True, everywhere=True) == []
    seen += typist.seen
    await _stop(second)

    assert {200, 401, 429, 500} <= {r.status for r in seen}, [r.status for r in seen]
    for r in seen:  # each key went to its own provider, in its auth header only
        expected = ({"x-api-key": ANTHROPIC_KEY} if r.api == "anthropic"
                    else {"authorization": f"Bearer {OPENAI_KEY}"})
        assert {k: v for k, v in r.headers.items() if k in ("authorization", "x-api-key")} == expected
    stderr = capfd.readouterr().err
    assert "codeswitch.dispatch" in stderr  # the server's own log reached stderr
    assert _leaks(stderr) == []
    for log_file in logs:
        log = log_file.read_text(encoding="utf-8")
        assert "codeswitch.dispatch" in log and "failed" in log  # the failures were logged
        assert _leaks(log) == []
    stored = [p for p in tmp_path.glob("server*/data/**/*") if p.is_file()]
    assert len([p for p in stored if p.name.startswith("ledger")]) >= 2  # both servers' ledgers
    for path in stored:
        raw = path.read_bytes()
        assert [f for f in FORBIDDEN if f.encode() in raw] == [], path
    for session, got in zip((first, second), received, strict=True):
        shown = [m.message for m in session.client.messages + session.client.log_messages]
        assert shown, "the failures were reported to the user"
        assert _leaks("\n".join(shown)) == []
        assert _leaks("\n".join(got.texts)) == []
        assert any("showMessage" in t for t in got.texts)


@pytest.mark.parametrize("name", [".env", "id_rsa", "certs/server.pem", "secrets.py", "vault/salt.py"])
async def test_secret_files_are_refused(start_server: StartServer, emulator: Emulator, tmp_path: Path,
                                        name: str) -> None:
    session = await _start(start_server, emulator, tmp_path / "serve.log")
    text = (session.root / name).read_text(encoding="utf-8")
    uri = session.open(name, text, "plaintext" if not name.endswith(".py") else "python")
    last = text.rstrip("\n").split("\n")
    assert await _inline(session, uri, len(last) - 1, len(last[-1])) == []
    assert emulator.requests == []


async def test_context_from_other_files_never_includes_secret_files(
        start_server: StartServer, emulator: Emulator, tmp_path: Path,
        lsp_caps: Callable[..., types.ClientCapabilities]) -> None:
    session = await _start(start_server, emulator, tmp_path / "serve.log", lsp_caps(progress=True))
    await _wait_indexed(session)  # definitions from other files come from the index
    for name, text in ((".env", ENV_TEXT), ("id_rsa", RSA_TEXT), ("certs/server.pem", PEM_TEXT)):
        session.open(name, text, "plaintext", write=False)  # open in the editor too
    text = MAIN_PY.replace("    return \n", "    total = helper_total([1])\n    return \n")
    uri = session.open("main.py", text)
    emulator.script("*", _fill("host"))
    assert await _inline(session, uri, 7, 11) == ["host"]
    (req,) = emulator.requests
    body = req.raw_body.decode("utf-8")
    assert "load_token" in body and "helper_total" in body  # the prompt does carry context
    assert "def helper_total" in body  # definitions from ordinary files are included
    assert [m for m in SECRET_MARKERS if m in body] == []


async def test_a_file_ignored_while_open_is_refused_from_then_on(
        start_server: StartServer, emulator: Emulator, tmp_path: Path) -> None:
    session = await _start(start_server, emulator, tmp_path / "serve.log")
    uri = session.open("main.py", MAIN_PY)
    emulator.script("*", _fill("host"))
    assert await _inline(session, uri, 6, 11) == ["host"]
    ignore = session.root / ".codeswitchignore"
    ignore.write_text(ignore.read_text(encoding="utf-8") + "main.py\n", encoding="utf-8")
    os.utime(ignore, ns=(time.time_ns() + 10**9,) * 2)  # a new stamp even on a coarse clock
    assert await _inline(session, uri, 6, 11) == []
    assert len(emulator.requests) == 1
