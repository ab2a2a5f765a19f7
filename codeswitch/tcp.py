"""``codeswitch serve --tcp``: loopback only, one authenticated client, strict LSP framing.

Anything on the machine can connect to a loopback port, and any web page can make the browser
send an HTTP POST to one; so the TCP server

- binds a loopback address only (``127.0.0.1``, ``::1``, ``localhost``; anything else is refused);
- requires a token: the first message must be ``initialize`` whose ``initializationOptions``
  carry ``"token": "<token>"`` (the token is removed before the options are read as settings);
  anything else is answered with an error and the connection is closed. The token is read from
  ``--token-file`` (which must be readable by its owner only, mode 0600; a missing file is created
  with a fresh token), or generated and printed on stderr;
- reads strict LSP framing (:mod:`codeswitch.transport`): an HTTP request, another header or an
  oversized message closes the connection before anything is parsed as JSON-RPC;
- serves one client: while a client is connected, another connection is refused (closed with an
  error), never handed the session. When the client disconnects, the server exits.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import secrets
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from codeswitch.transport import INVALID_REQUEST, Connection, StreamSource, error_payload, frame

log = logging.getLogger(__name__)

#: seconds a new connection has to send its initialize (a silent one must not hold the port)
HANDSHAKE_S = 10.0
MIN_TOKEN_CHARS = 16


class TokenError(Exception):
    """The token file cannot be used (the message says why)."""


def new_token() -> str:
    return secrets.token_urlsafe(32)


def read_token_file(path: Path) -> str:
    """The token in ``path``; a missing file is created (mode 0600) with a new token."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except OSError as exc:
        raise TokenError(f"{path}: cannot create: {exc.strerror or exc}") from None
    else:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(new_token() + "\n")
    try:
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode):
            raise TokenError(f"{path}: not a regular file")
        if info.st_mode & 0o077:
            raise TokenError(f"{path}: others can read it (mode {stat.S_IMODE(info.st_mode):o}); "
                             f"run chmod 600 {path}")
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            raise TokenError(f"{path}: owned by another user")
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise TokenError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise TokenError(f"{path}: not text") from None
    if len(token) < MIN_TOKEN_CHARS or any(ch.isspace() for ch in token):
        raise TokenError(f"{path}: the token must be one word of at least {MIN_TOKEN_CHARS} characters")
    return token


def token_gate(token: str) -> Callable[[dict[str, Any]], str | None]:
    """The first-message check: ``initialize`` with ``initializationOptions.token`` (then removed)."""
    def gate(message: dict[str, Any]) -> str | None:
        if message.get("method") != "initialize" or "id" not in message:
            return ("authentication required: the first message must be initialize with "
                    "initializationOptions.token")
        params = message.get("params")
        options = params.get("initializationOptions") if isinstance(params, dict) else None
        offered = options.pop("token", None) if isinstance(options, dict) else None
        if not isinstance(offered, str) or not hmac.compare_digest(offered.encode(), token.encode()):
            return "authentication failed: initializationOptions.token is missing or wrong"
        if isinstance(params, dict) and options == {}:
            params["initializationOptions"] = None
        return None
    return gate


def serve(server: Any, host: str, port: int, token: str, announce: Callable[[int], None]) -> None:
    """Run ``server`` (a pygls server) on ``host:port`` until its one client goes; blocks."""
    asyncio.run(_serve(server, host, port, token, announce))


async def _serve(server: Any, host: str, port: int, token: str, announce: Callable[[int], None]) -> None:
    stop = server._stop_event = threading.Event()
    ended = asyncio.Event()
    busy = False
    gate = token_gate(token)

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal busy
        peer = writer.get_extra_info("peername")
        if busy:
            log.warning("refused a second connection from %s: a client is connected", peer)
            writer.write(frame(error_payload(None, INVALID_REQUEST, "another client is connected")))
            await _close(writer)
            return
        busy = True
        opened = False

        def open_session() -> None:
            nonlocal opened
            opened = True
            server.protocol.set_writer(writer)
            log.info("client connected from %s", peer)

        conn = Connection(StreamSource(reader), writer.write, server.protocol, strict=True, gate=gate,
                          on_open=open_session)
        try:
            why = await conn.run(stop, first_message_timeout_s=HANDSHAKE_S)
            log.info("connection from %s ended: %s", peer, why)
        finally:
            await _close(writer)
            if opened:
                ended.set()
            else:
                busy = False

    tcp = await asyncio.start_server(on_connect, host, port, limit=64 * 1024)
    announce(tcp.sockets[0].getsockname()[1])
    try:
        async with tcp:
            await ended.wait()
    finally:
        server.shutdown()


async def _close(writer: asyncio.StreamWriter) -> None:
    try:
        writer.close()
        await writer.wait_closed()
    except (OSError, RuntimeError):
        pass
