"""Where a model-made edit may go, and what it may read: :func:`check_target`.

Every read and write path (the agent team's overlay, function edits naming a file, the harness's
``--apply``) resolves a path through here: the result is inside a workspace folder (symlinks
resolved), outside ``.git/``, not excluded, not secret, a name a file can have, and, for edits,
not protected (``codeswitch.protected``). Refusals are :class:`EditRejected` whose message says
what was refused ("refusing to read ..." / "refusing to edit ...").
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from codeswitch.edit_errors import EditRejected

__all__ = ["MAX_NAME_BYTES", "Purpose", "check_target"]

Purpose = Literal["read", "edit"]

#: the longest file name (one path component, in UTF-8 bytes) the common file systems accept
MAX_NAME_BYTES = 255


def _checked_path(path: str | Path, verb: str) -> Path:
    """The path as given, or EditRejected("bad_path") for a name no file can have."""
    text = str(path)
    shown = text.replace("\0", "\\0")
    if len(shown) > 120:
        shown = shown[:60] + "..." + shown[-40:]
    if "\0" in text:
        raise EditRejected("bad_path", f"refusing to {verb} {shown!r}: a path cannot contain a NUL byte")
    if not text.strip():
        raise EditRejected("bad_path", f"refusing to {verb} an empty path")
    if any(len(part.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES for part in Path(text).parts):
        raise EditRejected("bad_path", f"refusing to {verb} {shown!r}: a file name is longer than "
                           f"{MAX_NAME_BYTES} bytes")
    return Path(text)


def check_target(path: str | Path, roots: Sequence[Path], exclude: Sequence[str] = (),
                 purpose: Purpose = "edit") -> tuple[Path, str]:
    """(resolved absolute path, "/"-separated path relative to its workspace folder), or EditRejected.

    Refuses paths that no file can have (``bad_path``), outside every workspace folder (symlinks
    resolved), inside ``.git/``, matching the configured excludes, or secret
    (``codeswitch.secrets.is_secret``); for ``purpose="edit"`` also protected files
    (``codeswitch.protected``: codeswitch's own settings, editor/CI/git configuration that runs
    code). Messages say what was refused: "refusing to read ..." or "refusing to edit ...".
    """
    from codeswitch.protected import protected_reason
    from codeswitch.scope.ignore import IgnoreRules
    from codeswitch.secrets import is_secret

    verb = purpose
    p = _checked_path(path, verb)
    for root in roots:
        try:
            root_r = root.resolve()
            full = (p if p.is_absolute() else root / p).resolve()
        except (OSError, ValueError, RuntimeError) as exc:
            raise EditRejected("bad_path", f"refusing to {verb} {path}: {exc}") from None
        try:
            rel = full.relative_to(root_r)
        except ValueError:
            continue
        parts = rel.parts
        if not parts:
            break
        rel_s = rel.as_posix()
        if ".git" in parts:
            raise EditRejected("git_dir", f"refusing to {verb} {rel_s}: files under .git/ are never "
                               f"{'read' if verb == 'read' else 'edited'}")
        try:
            secret = is_secret(full, root_r)
        except (OSError, ValueError) as exc:
            raise EditRejected("bad_path", f"refusing to {verb} {rel_s}: {exc}") from None
        if secret:
            raise EditRejected("secret", f"refusing to {verb} {rel_s}: it is a secret or ignored file")
        if exclude:
            rules = IgnoreRules()
            rules.add_lines(list(exclude))
            if rules.ignores(rel_s):
                raise EditRejected("excluded", f"refusing to {verb} {rel_s}: it matches the exclude setting")
        if purpose == "edit":
            why = protected_reason(rel_s)
            if why is not None:
                raise EditRejected("protected", f"refusing to edit {rel_s}: it is a protected file ({why}); "
                                   "models never change it, edit it by hand")
        return full, rel_s
    raise EditRejected("outside_workspace", f"refusing to {verb} {path}: it is outside the workspace folders")
