"""Which settings a workspace may set, and which workspaces the user has trusted.

A cloned repository's ``.codeswitch.toml`` and the editor's settings (which an editor may read from
the workspace too, e.g. ``.vscode/settings.json``) are not the user's word. They may tune routing,
budgets, excludes and the like, but they may not set what decides **where a key is sent**
(``providers.*.base_url``, ``catalog_path``, which picks each model's wire format and so its
default endpoint), **where a key is read from** (``api_key_env``, ``api_key_cmd``), or anything
that runs a command. Those come only from the user's own config file and environment, unless the
user has trusted the workspace with a persisted decision:

- ``trusted_workspaces = ["~/src/project"]`` in the user config file, or
- ``codeswitch trust [DIR]``, which adds the directory to ``$XDG_CONFIG_HOME/codeswitch/trusted-workspaces``
  (one absolute path a line; ``codeswitch trust --remove DIR`` takes it out).

A trusted directory covers its subdirectories. Nothing sent over LSP can grant trust.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

TRUST_FILE = Path("codeswitch") / "trusted-workspaces"

#: provider settings only the user (or a trusted workspace) may set
PROVIDER_KEYS: frozenset[str] = frozenset({"base_url", "api_key_env", "api_key_cmd", "kind"})
#: top-level settings only the user (or a trusted workspace) may set (``models`` pick a provider,
#: a wire format and so an endpoint, like ``catalog_path``)
TOP_KEYS: frozenset[str] = frozenset({"catalog_path", "trusted_workspaces", "models"})
#: settings that only the user config file may hold, trusted workspace or not
USER_ONLY: frozenset[str] = frozenset({"trusted_workspaces"})


def restricted(dotted: str) -> bool:
    """True for a setting an untrusted workspace or the editor may not set (``providers.x.base_url``)."""
    parts = dotted.split(".")
    if len(parts) == 1:
        return parts[0] in TOP_KEYS
    return len(parts) == 3 and parts[0] == "providers" and parts[2] in PROVIDER_KEYS


def user_only(dotted: str) -> bool:
    return dotted in USER_ONLY


def trust_file(env: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CONFIG_HOME/codeswitch/trusted-workspaces`` (``~/.config`` when unset)."""
    environ = os.environ if env is None else env
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / TRUST_FILE


def _canonical(path: str | Path) -> Path:
    return Path(os.path.realpath(os.path.expanduser(str(path))))


def trusted_dirs(env: Mapping[str, str] | None = None) -> list[Path]:
    """The directories ``codeswitch trust`` recorded (missing or unreadable file: none)."""
    try:
        text = trust_file(env).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    lines = (line.strip() for line in text.splitlines())
    return [_canonical(line) for line in lines if line and not line.startswith("#") and os.path.isabs(
        os.path.expanduser(line))]


def is_trusted(root: str | Path | None, env: Mapping[str, str] | None = None,
               extra: Iterable[str] = ()) -> bool:
    """True when ``root`` is (inside) a directory the user trusted, in the trust file or ``extra``
    (the user config's ``trusted_workspaces``)."""
    if root is None:
        return False
    here = _canonical(root)
    dirs = trusted_dirs(env) + [_canonical(p) for p in extra if os.path.isabs(os.path.expanduser(p))]
    return any(here == d or here.is_relative_to(d) for d in dirs)


def add(root: str | Path, env: Mapping[str, str] | None = None) -> bool:
    """Record ``root`` as trusted; False when it already was."""
    here = _canonical(root)
    if here in trusted_dirs(env):
        return False
    path = trust_file(env)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(f"{here}\n")
    return True


def remove(root: str | Path, env: Mapping[str, str] | None = None) -> bool:
    """Forget ``root``; False when it was not recorded."""
    here = _canonical(root)
    path = trust_file(env)
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return False
    kept = [line for line in lines if not (line.strip() and not line.strip().startswith("#")
                                           and _canonical(line.strip()) == here)]
    if len(kept) == len(lines):
        return False
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_TRUNC | os.O_CREAT, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("".join(f"{line}\n" for line in kept))
    os.replace(tmp, path)
    return True
