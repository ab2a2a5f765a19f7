"""What the headless CLI adds to the model's time: CLI wall time minus model time, small vs large workspace.

    .venv/bin/python bench/bench_cli_exit.py [--files 3000] [--runs 3] [--commands edit,complete]
                                             [--src DIR] [--workspace DIR]

Runs ``python -m codeswitch edit`` (a function edit served by ``gpt-5.3-codex``, ``codex`` latency
profile: 0.6 s to the first token) and ``complete`` (an inline completion, ``spark`` profile) as a
user would, as subprocesses against the loopback emulator, on a one-file workspace and on a generated
one of ``--files`` modules (``codeswitch.testing.workspace``), where the workspace index is still
building when the model answers. For each, prints the median over ``--runs`` of the CLI's wall time
(process start to exit), the model time (what the emulator spent on the requests, first byte in to
last byte out), their difference (Python start-up of the CLI and the server, initialize, the
request's own work, shutdown and exit), and "answer -> exit": from the model's last byte to the
CLI's exit (the server's work on the answer, shutdown, exit, printing the result).

``--src`` runs another checkout of codeswitch (put first on PYTHONPATH of the CLI and the server it
starts), e.g. to compare before and after a change. ``--workspace`` adds a copy of a real source
tree (``app.py`` added at its top) to the workspaces.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from codeswitch.testing import Emulator
from codeswitch.testing.workspace import TARGET, TARGET_TEXT, generate_workspace

EDIT_MODEL, INLINE_MODEL = "gpt-5.3-codex", "gpt-5.3-codex-spark"
EDIT_REPLY = "```\n<<<<<<< SEARCH\n    return w\n=======\n    return w * h\n>>>>>>> REPLACE\n```\n"
COMMANDS = {
    "edit": [f"{TARGET}:2", "return the area: multiply by h"],
    "complete": [f"{TARGET}:2:13"],
}


def env_for(home: Path, emu: Emulator, src: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env.update(XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"),
               OPENAI_API_KEY="sk-bench-0000", ANTHROPIC_API_KEY="sk-ant-bench-0000",
               OPENAI_BASE_URL=emu.base_url("openai_responses"), ANTHROPIC_BASE_URL=emu.base_url("anthropic"))
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(src), env.get("PYTHONPATH")) if p)
    return env


def run_once(emu: Emulator, root: Path, command: str, env: dict[str, str]) -> tuple[float, float, float]:
    """(wall, model, answer to exit) seconds of one CLI run; raises if the command failed."""
    (root / TARGET).write_text(TARGET_TEXT, encoding="utf-8")
    emu.script(EDIT_MODEL, EDIT_REPLY).script(INLINE_MODEL, "<FILL> * h</FILL>")
    before = len(emu.requests)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "codeswitch", command, *COMMANDS[command], "--json"],
                          cwd=root, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=900)
    wall = time.perf_counter() - t0
    ended = time.monotonic()  # the emulator's clock
    if proc.returncode != 0:
        raise SystemExit(f"{command} exited {proc.returncode}: {proc.stderr.decode()[-2000:]}")
    model, answered = 0.0, 0.0
    for r in emu.requests[before:]:
        end = r.finished_at if r.finished_at is not None else r.disconnected_at
        model += (end or r.received_at) - r.received_at
        answered = max(answered, end or r.received_at)
    return wall, model, ended - answered


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=3000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--commands", default="edit,complete")
    ap.add_argument("--src", type=Path, default=None, help="a codeswitch checkout to run instead")
    ap.add_argument("--workspace", type=Path, default=None, help="also measure on a copy of this source tree")
    args = ap.parse_args()
    commands = [c for c in args.commands.split(",") if c]
    with tempfile.TemporaryDirectory() as tmp, Emulator() as emu:
        emu.set_profile(EDIT_MODEL, "codex").set_profile(INLINE_MODEL, "spark")
        home = Path(tmp)
        small, large = home / "small", home / "large"
        generate_workspace(small, files=0)
        generate_workspace(large, files=args.files)
        workspaces = [("1 file", small), (f"{args.files} files", large)]
        if args.workspace is not None:
            copy = home / "copy"
            skip = shutil.ignore_patterns(".git", ".venv", "__pycache__")
            shutil.copytree(args.workspace, copy, ignore=skip)
            generate_workspace(copy, files=0)
            count = sum(1 for _ in copy.rglob("*.py"))
            workspaces.append((f"{args.workspace.name} ({count} .py)", copy))
        env = env_for(home, emu, args.src.resolve() if args.src else None)
        print(f"{'command':<9} {'workspace':<22} {'wall s':>8} {'model s':>8} {'wall - model s':>15}"
              f" {'answer -> exit s':>17}")
        for command in commands:
            for name, root in workspaces:
                samples = [run_once(emu, root, command, env) for _ in range(args.runs)]
                wall = statistics.median(s[0] for s in samples)
                model = statistics.median(s[1] for s in samples)
                extra = statistics.median(s[0] - s[1] for s in samples)
                tail = statistics.median(s[2] for s in samples)
                print(f"{command:<9} {name:<22} {wall:>8.2f} {model:>8.2f} {extra:>15.2f} {tail:>17.2f}",
                      flush=True)


if __name__ == "__main__":
    main()
