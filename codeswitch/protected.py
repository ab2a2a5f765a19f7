"""Protected paths: files no model-made edit may write, however it reaches the disk.

A model, or a prompt injection in the code it reads, must not be able to plant something that
runs later without the user reading it, nor lift codeswitch's own protections. So these files are
never written by the agent team, a function edit, a code action or the harness's ``--apply``:

- codeswitch's own settings and ignore list: ``.codeswitch.toml`` (key commands, endpoints) and
  ``.codeswitchignore`` (which files are secret), in any folder;
- editor configuration that runs code when a folder is opened or a task is started:
  ``.vscode/settings.json``, ``tasks.json``, ``launch.json``, ``*.code-workspace``, and Vim/Neovim's
  per-folder ``.exrc``, ``.nvimrc``, ``.nvim.lua``; direnv's ``.envrc`` (run on ``cd``);
- what git runs: anything under ``.git/`` (hooks, config; refused as ``git_dir`` before this rule),
  ``.gitmodules`` (submodule URLs) and hook managers (``.husky/``, ``.pre-commit-config.yaml``,
  ``lefthook.yml``);
- CI definitions, which run with the repository's secrets: ``.github/workflows/``,
  ``.github/actions/``, ``.gitlab-ci.yml``, ``.circleci/``, ``azure-pipelines.yml``,
  ``.buildkite/``, ``Jenkinsfile``.

Build files (``Makefile``, ``package.json`` scripts, ``setup.py``, ``conftest.py``, ...) are
deliberately **not** protected: they are ordinary project code that runs only when the user runs a
build or the tests, like every other source file a refactor changes, and refusing them would stop
legitimate refactors. Reading a protected file is allowed (it is not secret).
"""

from __future__ import annotations

__all__ = ["protected_reason"]

#: file names protected in any folder, and why
_NAMES = {
    ".codeswitch.toml": "codeswitch's settings",
    ".codeswitchignore": "codeswitch's secret-file list",
    ".envrc": "direnv runs it",
    ".exrc": "the editor runs it",
    ".nvimrc": "the editor runs it",
    ".nvim.lua": "the editor runs it",
    ".gitmodules": "git configuration",
    ".pre-commit-config.yaml": "git hooks run it",
    "lefthook.yml": "git hooks run it",
    "lefthook.yaml": "git hooks run it",
    ".gitlab-ci.yml": "CI configuration",
    "azure-pipelines.yml": "CI configuration",
    "Jenkinsfile": "CI configuration",
}
#: files inside a folder of this name, and why
_IN_FOLDER = {
    ".vscode": ({"settings.json", "tasks.json", "launch.json"}, "editor configuration that runs code"),
}
#: every file under these (workspace-relative) folder prefixes, and why
_UNDER = {
    ".github/workflows": "CI configuration",
    ".github/actions": "CI configuration",
    ".circleci": "CI configuration",
    ".buildkite": "CI configuration",
    ".husky": "git hooks",
}


def protected_reason(rel: str) -> str | None:
    """Why the workspace-relative, "/"-separated path may not be written by a model's edit, or None."""
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if not parts:
        return None
    name = parts[-1]
    why = _NAMES.get(name)
    if why is None and name.endswith(".code-workspace"):
        why = "editor configuration that runs code"
    if why is None and len(parts) >= 2 and parts[-2] in _IN_FOLDER:
        names, what = _IN_FOLDER[parts[-2]]
        why = what if name in names else None
    if why is None:
        for i in range(len(parts) - 1):
            for prefix, what in _UNDER.items():
                depth = prefix.count("/") + 1
                if "/".join(parts[i:i + depth]) == prefix and i + depth < len(parts):
                    why = what
                    break
            if why is not None:
                break
    return why
