"""`codeswitch doctor` asks each local model server for its models, as a real subprocess; the emulator
stands in for a llama.cpp server here (it lists models on /v1/models like one). The real server is in
test_local_model.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from codeswitch.testing import Emulator


def doctor(tmp_path: Path, config: str, *args: str) -> subprocess.CompletedProcess[str]:
    home = tmp_path / "config"
    (home / "codeswitch").mkdir(parents=True, exist_ok=True)
    (home / "codeswitch" / "config.toml").write_text(config, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env |= {"XDG_CONFIG_HOME": str(home), "XDG_DATA_HOME": str(tmp_path / "data")}
    return subprocess.run([sys.executable, "-m", "codeswitch", "doctor", "--root", str(tmp_path), *args],
                          env=env, capture_output=True, text=True, check=False)


def test_doctor_reports_local_servers_up_and_down(tmp_path: Path, emulator_thread: Emulator) -> None:
    up = emulator_thread.base_url("openai_chat")
    config = (f'[providers.llamacpp]\nbase_url = "{up}"\n'
              '[providers.ollama]\nbase_url = "http://127.0.0.1:9/v1"\n'
              '[tiers.inline]\nchain = ["llamacpp-completion"]\n')
    done = doctor(tmp_path, config)
    assert (f"llamacpp   up at {up}/models (in the inline chain): serving gpt-5.3-codex, "
            "gpt-5.3-codex-spark, claude-opus-4-6") in done.stdout, done.stdout
    assert "ollama     not reachable (connection refused or no such host): http://127.0.0.1:9/v1/models" \
        in done.stdout
    data = json.loads(doctor(tmp_path, config, "--json").stdout)["local_servers"]
    assert data["llamacpp"]["up"] and data["llamacpp"]["in_chains"] == ["inline"]
    assert not data["ollama"]["up"] and data["ollama"]["models"] == []
