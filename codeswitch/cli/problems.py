"""Config problems on stderr: a command that runs on the config says what of it was ignored.

A malformed ``config.toml`` or ``.codeswitch.toml`` (a TOML error, a wrong type, an unknown key,
an unknown model in a chain) never stops a command: the bad value falls back to its default. So
that a dropped budget limit is not silent, every command that reads the config prints one line per
problem on stderr (stdout stays the command's output, JSON included) before it runs:

    codeswitch edit: config: /home/me/.config/codeswitch/config.toml: budget.daily_usd: ...

``doctor`` lists them in its report instead, and ``serve`` shows them in the editor
(``window/showMessage`` once, ``window/logMessage`` per problem).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TextIO

from codeswitch.config import ConfigProblem, load_config


def print_problems(problems: Iterable[ConfigProblem], prog: str, stream: TextIO | None = None) -> None:
    for problem in problems:
        print(f"{prog}: config: {problem}", file=stream or sys.stderr)


def check_config(root: Path | None, prog: str, *, env: Mapping[str, str] | None = None,
                 stream: TextIO | None = None) -> list[ConfigProblem]:
    """Load the config the way the server will (user file, then the workspace's) and print its problems."""
    _, problems = load_config(root, None, env=env)
    print_problems(problems, prog, stream)
    return problems
