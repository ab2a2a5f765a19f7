"""The ``codeswitch`` command line.

Each module listed in SUBCOMMANDS exposes ``register(subparsers)``, which adds its parsers
(``harness`` adds ``complete``, ``edit`` and ``refactor``) whose ``func`` default takes the
parsed arguments and returns the exit status:
0 served, 1 the request failed, 2 unusable arguments, 130 interrupted (Ctrl-C; nothing was
applied). No subcommand prints a traceback. With ``--json``, a usage error prints the JSON object
``{"error": {"kind": "usage", "message": ...}}`` on stdout too.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import logging
import os
import re
import sys
from collections.abc import Sequence
from typing import NoReturn

from codeswitch import __version__

#: subcommand modules, in the order ``--help`` lists them
SUBCOMMANDS: tuple[str, ...] = ("harness", "analysis", "scope", "route", "doctor", "trust", "inline", "demo",
                                "stats", "serve")
_LITERAL = re.compile(r"``([^`]+)``")


def summary(doc: str | None) -> str | None:
    """A module docstring's first paragraph as one line of plain text (for ``--help``)."""
    if not doc:
        return None
    first = doc.strip().split("\n\n", 1)[0]
    return _LITERAL.sub(r"\1", " ".join(line.strip() for line in first.splitlines()))


def usage_json(message: str) -> str:
    """What ``--json`` prints for unusable arguments (exit status 2)."""
    return json.dumps({"error": {"kind": "usage", "message": message}}, ensure_ascii=False)


class Parser(argparse.ArgumentParser):
    """argparse, except that a usage error under ``--json`` also prints the JSON object on stdout."""

    wants_json = False

    def error(self, message: str) -> NoReturn:
        if Parser.wants_json:
            print(usage_json(f"{self.prog}: {message}"))
        super().error(message)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="codeswitch", description=summary(__doc__))
    parser.add_argument("--version", action="version", version=f"codeswitch {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(f"codeswitch.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    Parser.wants_json = "--json" in argv
    args = parser.parse_args(argv)
    try:
        status: int = args.func(args)
    except KeyboardInterrupt:
        print(f"codeswitch {args.command}: interrupted; nothing was applied", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # last resort: a clear line, never a traceback
        print(f"codeswitch {args.command}: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return status


def run() -> NoReturn:
    """The ``codeswitch`` console script (and ``python -m codeswitch``): :func:`main`, then exit at once.

    Output and the log are flushed first; what is skipped is the interpreter's finalization of
    every loaded module (a few hundred ms with pygls, lsprotocol and the grammars), which the user
    would otherwise wait for after the answer was printed. Nothing is left to save by then.
    """
    status = main()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (| head)
            stream.flush()
    os._exit(status)
