"""Secret files never qualify for a prompt: built-in names, .codeswitchignore, outside the root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from codeswitch.secrets import is_secret


@pytest.mark.parametrize(
    "rel",
    [".env", ".env.local", "config/prod.env", "certs/server.pem", "tls/private.KEY", "id_rsa", "id_rsa.pub",
     "home/.ssh/config", "id_ed25519", ".aws/credentials", "deploy/credentials.json", ".netrc", ".npmrc",
     "app/secrets.yaml", "vault.kdbx", "store.p12"],
)
def test_builtin_secret_names(tmp_path: Path, rel: str) -> None:
    assert is_secret(rel, tmp_path)
    assert is_secret(tmp_path / rel, tmp_path)


@pytest.mark.parametrize(
    "rel",
    ["app.py", "src/env.py", "docs/keys.md", ".env.example", "settings.env.sample", "keyboard.py",
     "environment/setup.py", "README.md", "src/secret_santa.py"],
)
def test_ordinary_files_are_not_secret(tmp_path: Path, rel: str) -> None:
    assert not is_secret(rel, tmp_path)


def test_outside_the_root_is_secret(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    assert is_secret(tmp_path / "other.py", root)
    assert is_secret("../other.py", root)
    assert not is_secret(root / "sub" / ".." / "ok.py", root)


def test_codeswitchignore_patterns(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / ".codeswitchignore").write_text(
        "# private material\n"
        "*.sqlite\n"
        "/customers.csv\n"
        "data/\n"
        "internal/**/notes.txt\n"
        "*.log\n"
        "!keep.log\n"
        "\n"
    )
    assert is_secret("db/app.sqlite", tmp_path)
    assert is_secret("customers.csv", tmp_path)
    assert not is_secret("exports/customers.csv", tmp_path)     # anchored to the root
    assert is_secret("data/rows.json", tmp_path)                # directory pattern covers content
    assert is_secret("data", tmp_path)                          # ...and the directory itself
    assert not is_secret("metadata.py", tmp_path)
    assert is_secret("internal/a/b/notes.txt", tmp_path)
    assert is_secret("internal/notes.txt", tmp_path)
    assert not is_secret("notes.txt", tmp_path)
    assert is_secret("logs/run.log", tmp_path)
    assert not is_secret("logs/keep.log", tmp_path)             # negation


def test_dir_pattern_does_not_match_a_file_of_that_name(tmp_path: Path) -> None:
    (tmp_path / ".codeswitchignore").write_text("build/\n")
    (tmp_path / "build").write_text("a file, not a directory")
    assert not is_secret("build", tmp_path)
    assert is_secret("build/out.js", tmp_path)


def test_negation_cannot_expose_builtin_secrets(tmp_path: Path) -> None:
    (tmp_path / ".codeswitchignore").write_text("!.env\n")
    assert is_secret(".env", tmp_path)


def test_ignore_file_edits_take_effect(tmp_path: Path) -> None:
    ignore = tmp_path / ".codeswitchignore"
    ignore.write_text("a.txt\n")
    assert is_secret("a.txt", tmp_path) and not is_secret("b.txt", tmp_path)
    ignore.write_text("b.txt\n")
    stat = ignore.stat()
    os.utime(ignore, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert not is_secret("a.txt", tmp_path) and is_secret("b.txt", tmp_path)


def test_character_classes(tmp_path: Path) -> None:
    (tmp_path / ".codeswitchignore").write_text("dump[0-9].sql\nfile?.bin\n[!a]x.txt\n")
    assert is_secret("dump3.sql", tmp_path) and not is_secret("dumpx.sql", tmp_path)
    assert is_secret("file1.bin", tmp_path) and not is_secret("file12.bin", tmp_path)
    assert is_secret("bx.txt", tmp_path) and not is_secret("ax.txt", tmp_path)


def test_symlinks_are_judged_by_their_target(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "src").mkdir(parents=True)
    outside = tmp_path / "outside.txt"
    outside.write_text("private")
    (root / "src" / "real.py").write_text("x = 1\n")
    (root / "deploy.pem").write_text("-----BEGIN-----")
    (root / "notes.txt").symlink_to(outside)
    (root / "cert.txt").symlink_to(root / "deploy.pem")
    (root / "alias.py").symlink_to(root / "src" / "real.py")
    (root / "ssh").symlink_to(tmp_path)
    assert is_secret("notes.txt", root)           # points outside the workspace
    assert is_secret("cert.txt", root)            # points at a secret inside it
    assert not is_secret("alias.py", root)        # an ordinary file under another name
    assert is_secret("ssh/outside.txt", root)     # a directory link leading outside


def test_symlink_loop_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    assert is_secret("a", tmp_path)
