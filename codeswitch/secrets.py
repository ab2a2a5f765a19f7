"""Which files must never be sent to a model provider.

Features call ``is_secret(path, root)`` before putting any file's text into a prompt. A file is
secret when its name looks like a credential (``.env``, ``*.pem``, ``*.key``, ``id_rsa*``,
``credentials``, ``.git-credentials``, ``*.tfstate``, ``kubeconfig``, cloud credential files,
anything in ``.ssh/``, ``.docker/``, ``.kube/``, ...), when it matches a pattern in
``<root>/.codeswitchignore`` (gitignore-like syntax: ``#`` comments, ``!`` negation, a trailing
``/`` for directories, a leading ``/`` or an inner ``/`` anchors to the root, ``**`` spans
directories), or when it lies outside the workspace (nothing outside the root is ours to send).
The policy errs on the side of keeping files local.
What a file's *text* holds (a private key pasted into source) is checked by ``secret_scan``.
"""

from __future__ import annotations

import functools
import os.path
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

IGNORE_FILE = ".codeswitchignore"

#: file-name patterns that are secret wherever they are (matched against the base name, any case)
BUILTIN_PATTERNS: tuple[str, ...] = (
    ".env", ".env.*", "*.env", ".envrc",
    "*.pem", "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore", "*.kdbx", "*.gpg", "*.asc", "*.ppk",
    "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*",
    "credentials", "credentials.*", ".netrc", "_netrc", ".pgpass", ".pypirc", ".npmrc", ".yarnrc.yml",
    ".htpasswd", ".git-credentials", ".dockercfg", ".boto", ".s3cfg",
    "*.tfstate", "*.tfstate.backup", "kubeconfig", "*.kubeconfig",
    "application_default_credentials.json", "service-account*.json", "*-sa-key.json",
    "accesstokens.json", "azureprofile.json", "msal_token_cache.*",
    "secrets.*", "*.secret", "*.secrets",
)
#: directories whose whole content is secret (.docker holds registry logins, .kube cluster tokens,
#: .azure and gcloud's legacy_credentials cloud logins)
BUILTIN_DIRS: tuple[str, ...] = (".ssh", ".gnupg", ".aws", ".docker", ".kube", ".azure", "legacy_credentials")
#: (directory, file) pairs that are secret together: gcloud's credential stores
BUILTIN_IN_DIR: tuple[tuple[str, str], ...] = (
    ("gcloud", "credentials.db"), ("gcloud", "access_tokens.db"), ("gcloud", "properties"),
)
_SAFE_SUFFIXES = (".example", ".sample", ".template", ".dist")


@dataclass(frozen=True, slots=True)
class _Rule:
    """One .codeswitchignore line; it matches a path when it matches the path or a parent."""

    regex: re.Pattern[str]
    negate: bool
    dir_only: bool


def _glob_to_regex(glob: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(glob):
        ch = glob[i]
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if glob.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = glob.find("]", i + 1)
            if end == -1:
                out.append(re.escape(ch))
            else:
                body = glob[i + 1 : end].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


def _rule(line: str) -> _Rule | None:
    line = line.rstrip("\n").rstrip()
    if not line or line.startswith("#"):
        return None
    negate = line.startswith("!")
    if negate:
        line = line[1:]
    dir_only = line.endswith("/")
    line = line.strip("/") if dir_only else line
    anchored = line.startswith("/") or "/" in line
    line = line.lstrip("/")
    if not line:
        return None
    body = _glob_to_regex(line)
    prefix = "" if anchored else "(?:.*/)?"
    return _Rule(re.compile(f"^{prefix}{body}$", re.IGNORECASE), negate, dir_only)


@functools.lru_cache(maxsize=64)
def _rules(ignore_file: str, mtime_ns: int) -> tuple[_Rule, ...]:
    del mtime_ns  # part of the cache key only: an edited file is read again
    try:
        text = Path(ignore_file).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ()
    return tuple(r for r in map(_rule, text.splitlines()) if r is not None)


def ignore_stamp(root: Path) -> int | None:
    """A cache key for verdicts under ``root``: its ``.codeswitchignore``'s mtime (None: no file)."""
    try:
        return (root / IGNORE_FILE).stat().st_mtime_ns
    except OSError:
        return None


def ignore_rules(root: Path) -> tuple[_Rule, ...]:
    """The parsed ``.codeswitchignore`` of ``root`` (cached until the file changes)."""
    file = root / IGNORE_FILE
    try:
        mtime = file.stat().st_mtime_ns
    except OSError:
        return ()
    return _rules(str(file), mtime)


def _builtin(rel: PurePosixPath) -> bool:
    if any(part in BUILTIN_DIRS for part in rel.parts[:-1]):
        return True
    name = rel.name.lower()
    if rel.parent.name.lower() and (rel.parent.name.lower(), name) in BUILTIN_IN_DIR:
        return True
    if name.endswith(_SAFE_SUFFIXES):
        return False
    return any(PurePosixPath(name).match(p) for p in BUILTIN_PATTERNS)


def _relative(path: str | Path, root: Path) -> PurePosixPath | None:
    p = Path(path)
    if not p.is_absolute():
        p = root / p
    try:
        rel = Path(_normalise(p)).relative_to(_normalise(root))
    except ValueError:
        return None
    return PurePosixPath(rel.as_posix())


def _normalise(p: Path) -> str:
    return os.path.normpath(os.path.abspath(p))


def is_secret(path: str | Path, root: str | Path) -> bool:
    """True when ``path`` (absolute, or relative to ``root``) must not leave the machine.

    A symbolic link is judged by its own name and by its target: a link inside the workspace
    that points at ``~/.ssh/id_rsa`` or outside the root is secret.
    """
    root_path = Path(root)
    rel = _relative(path, root_path)
    if rel is None:
        return True
    if _secret_rel(rel, root_path):
        return True
    lexical = root_path / rel
    try:
        real = lexical.resolve()
        real_root = root_path.resolve()
    except (OSError, RuntimeError):  # a symlink loop: refuse rather than guess
        return True
    if real == Path(_normalise(lexical)):
        return False
    target = _relative(real, real_root)
    return target is None or _secret_rel(target, root_path) or _builtin(PurePosixPath(real.as_posix()))


def _secret_rel(rel: PurePosixPath, root: Path) -> bool:
    if rel.as_posix() == ".":
        return False
    if _builtin(rel):
        return True
    parents = [p.as_posix() for p in reversed(rel.parents) if p.as_posix() != "."]
    secret = False
    for rule in ignore_rules(root):
        candidates = list(parents)
        if not rule.dir_only or (root / rel).is_dir():
            candidates.append(rel.as_posix())
        if any(rule.regex.match(c) for c in candidates):
            secret = not rule.negate
    return secret
