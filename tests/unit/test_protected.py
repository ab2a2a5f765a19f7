"""The one "protected path" rule every write path shares, the target check that applies it, and
reads that never block on a named pipe."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from codeswitch.diskio import NotRegularFile, TooLarge, read_regular
from codeswitch.edits import EditRejected, check_target
from codeswitch.protected import protected_reason
from codeswitch.scope.index import WorkspaceIndex


@pytest.mark.parametrize("rel", [
    ".codeswitch.toml", "pkg/.codeswitch.toml", ".codeswitchignore", "a/b/.codeswitchignore",
    ".vscode/settings.json", ".vscode/tasks.json", ".vscode/launch.json", "app.code-workspace",
    ".github/workflows/ci.yml", ".github/workflows/sub/x.yaml", ".github/actions/setup/action.yml",
    ".pre-commit-config.yaml", ".husky/pre-commit", ".gitmodules", ".envrc", ".nvim.lua", ".exrc",
    ".gitlab-ci.yml", ".circleci/config.yml", "Jenkinsfile", "./.codeswitch.toml",
])
def test_protected_paths(rel: str) -> None:
    assert protected_reason(rel) is not None


@pytest.mark.parametrize("rel", [
    "Makefile", "package.json", "setup.py", "conftest.py", "src/app.py", ".vscode/extensions.json",
    ".github/CODEOWNERS", ".github/workflows", "docs/codeswitch.toml", "settings.json", "",
])
def test_ordinary_paths_are_not_protected(rel: str) -> None:
    assert protected_reason(rel) is None


def test_check_target_refuses_protected_edits_but_allows_reads(tmp_path: Path) -> None:
    (tmp_path / ".codeswitch.toml").write_text("")
    with pytest.raises(EditRejected) as err:
        check_target(".codeswitch.toml", [tmp_path])
    assert err.value.kind == "protected" and "refusing to edit .codeswitch.toml" in err.value.message
    assert check_target(".codeswitch.toml", [tmp_path], purpose="read")[1] == ".codeswitch.toml"


def test_refused_reads_say_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("K=v\n")
    for path, kind in ((".env", "secret"), (".git/config", "git_dir"), ("../x.py", "outside_workspace"),
                       ("a\0b", "bad_path"), ("n" * 300, "bad_path")):
        with pytest.raises(EditRejected) as err:
            check_target(path, [tmp_path], purpose="read")
        assert err.value.kind == kind and err.value.message.startswith("refusing to read"), err.value.message
        assert "edit" not in err.value.message.replace("edited", "")


def _fifo_opened_by(fn: object, fifo: Path) -> bool:
    """Run ``fn()`` and say whether it opened ``fifo`` for reading (a writer blocked in open(2)
    wakes up exactly when a reader opens the pipe; without one it is woken up by us afterwards)."""
    opened = threading.Event()
    ours = threading.Event()

    def writer() -> None:
        fd = os.open(fifo, os.O_WRONLY)  # blocks until a reader opens the pipe
        if not ours.is_set():
            opened.set()
        os.close(fd)  # the reader (if any) sees end of file

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        fn()  # type: ignore[operator]
    finally:
        ours.set()
        fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # release the writer if nobody else did
        thread.join()
        os.close(fd)
    return opened.is_set()


def test_read_regular_never_reads_a_named_pipe(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.py"
    os.mkfifo(fifo)

    with pytest.raises(NotRegularFile, match="named pipe"):  # opened without waiting for a writer
        read_regular(fifo)
    (tmp_path / "big.py").write_bytes(b"x" * 10)
    with pytest.raises(TooLarge):
        read_regular(tmp_path / "big.py", 5)
    assert read_regular(tmp_path / "big.py") == b"x" * 10
    with pytest.raises(NotRegularFile, match="directory"):
        read_regular(tmp_path)


def test_index_build_skips_named_pipes(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("def f():\n    return 1\n")
    os.mkfifo(tmp_path / "pipe.py")
    index = WorkspaceIndex(tmp_path)
    assert not _fifo_opened_by(lambda: index.build(tmp_path), tmp_path / "pipe.py")
    assert index.files() == ["a.py"] and index.definitions("f")
