"""The index never lists a secret, ignored or excluded file, nor a link leading out of the root:
the team's list_files and find_definitions read it, and a file's name can say too much."""

from __future__ import annotations

from pathlib import Path

from codeswitch.scope import WorkspaceIndex


def test_private_files_are_never_indexed(tmp_path: Path) -> None:
    root, outside = tmp_path / "ws", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "leak.py").write_text("def outside_helper():\n    return 1\n")
    (root / "app.py").write_text("def app_main():\n    return 1\n")
    (root / "secrets.py").write_text("def load_token():\n    return 'x'\n")
    (root / "vault").mkdir()
    (root / "vault" / "salt.py").write_text("def private_salt():\n    return 2\n")
    (root / ".codeswitchignore").write_text("vault/\n")
    (root / "gen").mkdir()
    (root / "gen" / "api.py").write_text("def generated_api():\n    return 3\n")
    (root / "linked.py").symlink_to(outside / "leak.py")
    (root / "inner.py").symlink_to(root / "app.py")  # a link inside the root is an ordinary file
    index = WorkspaceIndex()
    index.build(root, exclude=["gen/"])
    assert sorted(index.files()) == ["app.py", "inner.py"]
    for name in ("load_token", "private_salt", "outside_helper", "generated_api"):
        assert index.definitions(name) == []
    # open documents and watched-file changes go through the same door
    index.update_text(root / "secrets.py", "def load_token_v2():\n    return 'y'\n", "python")
    index.update_text(root / "gen" / "api.py", "def generated_v2():\n    return 4\n", "python")
    index.update_file(root / "vault" / "salt.py")
    index.update_file(root / "linked.py")
    assert index.definitions("load_token_v2") == [] and index.definitions("generated_v2") == []
    assert sorted(index.files()) == ["app.py", "inner.py"]
