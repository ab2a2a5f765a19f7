"""The ``codeswitch`` command line.

Each module listed in SUBCOMMANDS exposes ``register(subparsers)``, which adds its parsers
(``harness`` adds ``complete``, ``edit`` and ``refactor``) whose ``func`` default takes the
parsed arguments and returns the exit status:
0 served, 1 the request failed, 2 unusable arguments. No subcommand prints a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: subcommand modules, in the order ``--help`` lists them
SUBCOMMANDS: tuple[str, ...] = ("harness", "scope", "route", "doctor", "trust", "demo", "stats", "serve")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="codeswitch", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(f"codeswitch.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # last resort: a clear line, never a traceback
        print(f"codeswitch {args.command}: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return status
