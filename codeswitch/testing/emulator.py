"""`python -m codeswitch.testing.emulator`: run the loopback provider as a process.

Editor end-to-end tests and the demo start it this way. It prints one line
`codeswitch-emulator listening on http://127.0.0.1:PORT` (flushed) once it accepts connections,
then serves until SIGINT/SIGTERM. Out-of-process control: GET /_emulator/requests,
POST /_emulator/reset, POST /_emulator/script (same JSON as --script), GET /_emulator/health.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path

from .core import Emulator
from .formats import ROUTES
from .script import PROFILES, load_script_text

__all__ = ["ROUTES", "Emulator", "main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m codeswitch.testing.emulator", description=__doc__.splitlines()[0]
    )
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = pick a free one)")
    p.add_argument("--script", type=Path, help='JSON: {"default": reply, "profile": name, "models": {...}}')
    p.add_argument("--profile", choices=sorted(PROFILES), default="instant", help="default latency profile")
    p.add_argument("--time-scale", type=float, default=1.0, help="multiply profile delays (0 = no delays)")
    return p


async def _run(args: argparse.Namespace) -> int:
    emu = Emulator(args.port, profile=args.profile, time_scale=args.time_scale)
    if args.script is not None:
        emu.load_script(load_script_text(args.script.read_text(encoding="utf-8")))
    await emu.start()
    print(f"codeswitch-emulator listening on {emu.url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await emu.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return asyncio.run(_run(args))
    except (OSError, ValueError) as e:
        print(f"codeswitch-emulator: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
