"""The servers bench_peers.py drives: how each is installed, started and configured.

codeswitch (``codeswitch serve``, optionally under cProfile), the pygls echo floor, tabby-agent
(``node .../tabby-agent/dist/cli.js --lsp --stdio``, its config in ``$HOME/.tabby-client``) and the
Copilot language server (its native binary, the loopback backend as its API, GitHub and proxy),
installed with npm into a cache directory outside the repository when they are not there yet.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import echo_server  # bench/ is on sys.path when the script runs

TABBY_PKG, COPILOT_PKG = "tabby-agent@1.5.0", "@github/copilot-language-server@1.539.0"
TABBY_JS = Path("node_modules/tabby-agent/dist/cli.js")
COPILOT_BIN = Path("node_modules/@github/copilot-language-server-linux-x64/copilot-language-server")


@dataclass
class Server:
    name: str
    cmd: list[str]
    env: dict[str, str]
    method: str  # "inline" or "completion"
    options: object = None
    counter: str | None = None  # the backend counter of its model calls
    home: Path | None = None


def install(peers_dir: Path, pkg: str, entry: Path, allowed: bool) -> str | None:
    """None when the peer is there (installed now if needed), else why it is skipped."""
    if (peers_dir / entry).exists():
        return None
    if not allowed:
        return f"not installed in {peers_dir} (--no-install)"
    if shutil.which("npm") is None:
        return "npm not found"
    peers_dir.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(peers_dir), pkg],
                          capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0 or not (peers_dir / entry).exists():
        return f"npm install {pkg} failed: {(done.stderr or done.stdout).strip().splitlines()[-1:]}"
    return None


def counts(peers_port: int) -> dict[str, int]:
    with urllib.request.urlopen(f"http://127.0.0.1:{peers_port}/bench/counts", timeout=10) as r:
        data: dict[str, int] = json.loads(r.read())
        return data


def set_copilot_delay(peers_port: int, delay_ms: int | None) -> None:
    req = urllib.request.Request(f"http://127.0.0.1:{peers_port}/bench/delay", method="POST",
                                 data=json.dumps({"copilot_delay_ms": delay_ms}).encode())
    urllib.request.urlopen(req, timeout=10).close()


def base_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.endswith(("_API_KEY", "_BASE_URL")) and not k.startswith(("HTTP_PROXY", "HTTPS_PROXY"))}
    env.update(XDG_CONFIG_HOME=str(tmp / "config"), XDG_DATA_HOME=str(tmp / "data"))
    return env


#: set by --profile DIR: codeswitch runs under cProfile, one .prof file per server run
PROFILE_DIR: list[Path] = []


#: codeswitch serve under cProfile; the server ends with os._exit, which writes the profile first
PROFILED = """
import cProfile, os, runpy, sys
out, real_exit, prof = sys.argv[1], os._exit, cProfile.Profile()
sys.argv = ["codeswitch", "serve"]
def _exit(status):
    prof.disable()
    prof.dump_stats(out)
    real_exit(status)
os._exit = _exit
prof.enable()
runpy.run_module("codeswitch", run_name="__main__")
"""


def codeswitch_cmd(tag: str) -> list[str]:
    if PROFILE_DIR:
        out = PROFILE_DIR[0] / f"codeswitch-{tag}-{time.time_ns()}.prof"
        return [sys.executable, "-c", PROFILED, str(out)]
    return [sys.executable, "-m", "codeswitch", "serve"]


def servers(tmp: Path, ports: dict[str, int], peers_dir: Path, skip: dict[str, str],
            stock: bool = False) -> list[Server]:
    env = base_env(tmp)
    peers = f"http://127.0.0.1:{ports['port']}"
    out: list[Server] = []
    if not stock:
        out.append(Server("echo", echo_server.command(), env, "inline"))
        options = {"providers": {"openai": {"base_url": peers + "/v1"}}}
        out.append(Server("codeswitch", codeswitch_cmd("model"),
                          {**env, "OPENAI_API_KEY": "sk-bench-not-a-key"}, "inline", options, "codeswitch"))
        out.append(Server("codeswitch (no model call)", codeswitch_cmd("bare"), env,
                          "inline", options))
    if "tabby-agent" not in skip:
        home = tmp / ("tabby-stock" if stock else "tabby")
        (home / ".tabby-client" / "agent").mkdir(parents=True, exist_ok=True)
        debounce = "" if stock else '[completion.debounce]\nmode = "fixed"\ninterval = 0\n'
        (home / ".tabby-client" / "agent" / "config.toml").write_text(
            f'[server]\nendpoint = "{peers}"\ntoken = "any"\n{debounce}'
            "[anonymousUsageTracking]\ndisable = true\n", encoding="utf-8")
        out.append(Server("tabby-agent", ["node", str(peers_dir / TABBY_JS), "--lsp", "--stdio"],
                          {**env, "HOME": str(home)}, "completion", None, "tabby", home))
    if "Copilot LS" not in skip:
        home = tmp / "copilot-home"
        home.mkdir(exist_ok=True)
        cenv = {**env, "HOME": str(home), "GH_COPILOT_TOKEN": "any", "GH_COPILOT_API_URL": peers + "/api",
                "GH_COPILOT_SERVER_URL": peers, "HTTP_PROXY": peers, "HTTPS_PROXY": peers,
                "http_proxy": peers, "https_proxy": peers, "NO_PROXY": "", "no_proxy": ""}
        info = {"editorInfo": {"name": "bench", "version": "1.0"},
                "editorPluginInfo": {"name": "bench", "version": "1.0"}}
        out.append(Server("Copilot LS", [str(peers_dir / COPILOT_BIN), "--stdio"], cenv, "inline", info,
                          "copilot", home))
    return out
