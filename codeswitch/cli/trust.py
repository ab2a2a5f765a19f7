"""``codeswitch trust [DIR]``: let a workspace's own settings choose endpoints and key sources.

Without trust, a workspace's ``.codeswitch.toml`` and the editor's settings may not set
``providers.*.base_url``, ``api_key_env``, ``api_key_cmd`` or ``catalog_path`` (a cloned
repository could otherwise send your API key to its own server or run a command); see
docs/config.md "Security model". The decision is kept in ``$XDG_CONFIG_HOME/codeswitch/trusted-workspaces``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from codeswitch import trust
from codeswitch.cli import summary


def register(sub: Any) -> None:
    p = sub.add_parser("trust", help="trust a workspace's own settings for endpoints and key sources",
                       description=summary(__doc__))
    p.add_argument("dir", nargs="?", default=".", help="the workspace directory (default: .)")
    p.add_argument("--remove", action="store_true", help="take the directory off the trusted list")
    p.add_argument("--list", action="store_true", help="print the trusted directories")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.list:
        for path in trust.trusted_dirs():
            print(path)
        return 0
    root = Path(args.dir)
    where = trust.trust_file()
    if args.remove:  # a directory that is gone can still be forgotten
        done = trust.remove(root)
        print(f"{root.resolve()}: {'no longer trusted' if done else 'was not trusted'} ({where})")
        return 0
    if not root.is_dir():
        print(f"codeswitch trust: not a directory: {args.dir}", file=sys.stderr)
        return 2
    done = trust.add(root)
    print(f"{root.resolve()}: {'trusted' if done else 'already trusted'} ({where})")
    return 0
