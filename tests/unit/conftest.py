"""Fixtures shared by the unit tests: a private XDG home (``env``) and an empty workspace (``ws``).

A module that needs another ``ws`` defines its own, which takes precedence.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "xdg-config").mkdir()
    (tmp_path / "xdg-data").mkdir()
    return {"XDG_CONFIG_HOME": str(tmp_path / "xdg-config"), "XDG_DATA_HOME": str(tmp_path / "xdg-data")}


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    return root
