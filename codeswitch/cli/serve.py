"""``codeswitch serve``: run the language server on stdio (default) or TCP.

Over TCP (``--tcp HOST:PORT``) the server listens on a loopback address only, serves one
client, and requires a token in ``initialize`` (see :mod:`codeswitch.tcp` and docs/server.md).

Logs go to stderr (stdout is the protocol), to ``--log-file`` if given (appended, same level), and,
at warning level and above, to the client as ``window/logMessage``. Nothing logged holds a key:
providers and config never put one in a message.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from pathlib import Path
from typing import Any

from codeswitch.allocator import fix_trim_threshold
from codeswitch.cli import summary

LEVELS = ("debug", "info", "warning", "error")


def register(sub: Any) -> None:
    p = sub.add_parser("serve", help="run the language server (stdio by default)",
                       description=summary(__doc__))
    p.add_argument("--stdio", action="store_true", help="talk LSP over stdin/stdout (the default)")
    p.add_argument("--tcp", metavar="HOST:PORT",
                   help="listen on a loopback TCP address instead of stdio (port 0: any free port)")
    p.add_argument("--token-file", metavar="PATH",
                   help="with --tcp: the client's token, in a file only its owner can read (created "
                        "with a new token if missing); without it a token is generated and printed")
    p.add_argument("--log-level", choices=LEVELS, default="warning",
                   help="stderr log level (default: warning)")
    p.add_argument("--log-file", metavar="PATH", help="also append the log to this file")
    p.set_defaults(func=run)


def _address(value: str) -> tuple[str, int] | None:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
        return None
    return host or "127.0.0.1", int(port)


def _quiet_expected_errors(record: logging.LogRecord) -> bool:
    """Bad client input is answered with a JSON-RPC error; on stderr it needs a line, not a traceback."""
    if not record.name.startswith("pygls"):
        return True
    if str(record.msg).startswith("Unable to deserialize message"):
        record.msg, record.args = "Unable to deserialize a message (answered with InvalidParams)", None
    elif record.exc_info:
        from pygls.exceptions import JsonRpcException, JsonRpcInternalError

        exc = record.exc_info[1]
        if isinstance(exc, JsonRpcException) and not isinstance(exc, JsonRpcInternalError):
            record.msg, record.args = f"{record.getMessage()}: {exc}", None
            record.exc_info, record.exc_text = None, None
    return True


def run(args: argparse.Namespace) -> int:
    fix_trim_threshold()  # before anything large is allocated: see codeswitch/allocator.py
    address = _address(args.tcp) if args.tcp else None
    if args.tcp and address is None:
        print(f"codeswitch serve: --tcp wants HOST:PORT, got {args.tcp!r}", file=sys.stderr)
        return 2
    token: str | None = None
    if address is not None:
        from codeswitch import tcp
        from codeswitch.hosts import loopback_host

        host = loopback_host(address[0])
        if host is None:
            print(f"codeswitch serve: --tcp listens on a loopback address only (127.0.0.1, ::1, "
                  f"localhost), not {address[0]!r}", file=sys.stderr)
            return 2
        address = (host, address[1])
        try:
            token = tcp.read_token_file(Path(args.token_file)) if args.token_file else tcp.new_token()
        except tcp.TokenError as exc:
            print(f"codeswitch serve: --token-file: {exc}", file=sys.stderr)
            return 2
    elif args.token_file:
        print("codeswitch serve: --token-file goes with --tcp", file=sys.stderr)
        return 2
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if args.log_file:
        try:
            handlers.append(logging.FileHandler(args.log_file, encoding="utf-8"))
        except OSError as exc:
            print(f"codeswitch serve: cannot open the log file: {exc}", file=sys.stderr)
            return 2
    logging.basicConfig(handlers=handlers, level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # pygls logs every message body at debug level: keep it quiet unless asked
    pygls_log = logging.getLogger("pygls")
    pygls_log.setLevel(max(logging.WARNING, logging.getLogger().level))
    if args.log_level != "debug":
        for handler in logging.getLogger().handlers:
            handler.addFilter(_quiet_expected_errors)
    from codeswitch import __version__
    from codeswitch.server import ClientLogHandler, create_server

    server = create_server()
    logging.getLogger("codeswitch").addHandler(ClientLogHandler(server))
    log = logging.getLogger("codeswitch.serve")
    log.info("codeswitch %s serving on %s (pid %d)", __version__, args.tcp or "stdio", os.getpid())
    if address is not None and token is not None:
        from codeswitch import tcp

        shown = f"token in {args.token_file}" if args.token_file else f"token {token}"

        def announce(port: int) -> None:
            print(f"codeswitch serve: listening on {address[0]}:{port} for one client; {shown}",
                  file=sys.stderr, flush=True)

        tcp.serve(server, address[0], address[1], token, announce)
    else:
        server.start_io()
    log.info("server stopped (pid %d)", os.getpid())
    _exit_now(0)
    return 0


def _exit_now(status: int) -> None:
    """End the process as soon as the server has stopped: the ledger's queued rows committed (a
    client that sent ``exit`` without ``shutdown`` never closed it), the log flushed, stdio
    flushed, then ``os._exit``. Finalizing the interpreter (every module and object, a few hundred
    ms with the grammars and protocol types loaded) has nothing left to save; the index thread,
    if any, only reads."""
    from codeswitch.ledger_writer import close_all

    close_all()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # stdout is closed after exit; a closed pipe
            stream.flush()
    os._exit(status)
