"""``codeswitch inline on|off|toggle|snooze [MINUTES]|status``: switch inline suggestions off and on.

The same switch and snooze that VS Code's status bar and Neovim's ``:CodeswitchToggle`` set, kept
in ``$XDG_DATA_HOME/codeswitch/inline-switch.json``: running servers follow it at their next
request. ``status --root DIR --file PATH --language ID`` also says what ``inline.enable`` decides
for that file.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from codeswitch.cli import summary
from codeswitch.config import data_dir, load_config
from codeswitch.features.inline_switch import DEFAULT_SNOOZE_MINUTES, InlineSwitch, switch_path


def register(sub: Any) -> None:
    p = sub.add_parser("inline", help="turn inline suggestions off or on, or snooze them",
                       description=summary(__doc__))
    p.add_argument("action", choices=("status", "on", "off", "toggle", "snooze"))
    p.add_argument("minutes", nargs="?", type=float, default=DEFAULT_SNOOZE_MINUTES,
                   help=f"snooze length (default {DEFAULT_SNOOZE_MINUTES:g}; 0 ends a snooze)")
    p.add_argument("--root", default=".", help="the workspace whose inline.enable status reports")
    p.add_argument("--file", help="a file (relative to --root) for status to judge")
    p.add_argument("--language", help="the file's language id for status (e.g. markdown)")
    p.add_argument("--json", action="store_true", help="print the state as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    switch = InlineSwitch(switch_path(data_dir()))
    try:
        if args.action == "on":
            switch.set_enabled(True)
        elif args.action == "off":
            switch.set_enabled(False)
        elif args.action == "toggle":
            switch.set_enabled(None)
        elif args.action == "snooze":
            switch.snooze(args.minutes)
    except ValueError as exc:
        print(f"codeswitch inline: {exc}", file=sys.stderr)
        return 2
    config, _problems = load_config(Path(args.root))
    paths = (args.file,) if args.file else ()
    state = switch.status(config.inline.enable, args.language, paths)
    if args.json:
        print(json.dumps(state))
        return 0
    until = state["snoozedUntil"]
    line = "on" if state["enabled"] else "off"
    if isinstance(until, int):
        line += f", snoozed until {time.strftime('%H:%M', time.localtime(until / 1000))}"
    print(f"inline suggestions: {line}")
    if args.file or args.language:
        print(f"{args.file or args.language}: {'allowed' if state['allowed'] else 'off'} ({state['reason']})")
    return 0
