"""Config test helpers: write the user's own config file (fixtures are in conftest.py)."""

from __future__ import annotations

from pathlib import Path

from codeswitch.config import user_config_path


def write_user(env: dict[str, str], text: str) -> Path:
    path = user_config_path(env)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
