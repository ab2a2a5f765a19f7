"""The CLI's lazy index walks the workspace with the full index's walk: same skips, same cap, same answers."""

from __future__ import annotations

from pathlib import Path

from codeswitch.cli.pipeline import LazyIndex
from codeswitch.scope.index import MAX_FILE_BYTES, WorkspaceIndex


def _workspace(root: Path) -> None:
    (root / "app.py").write_text("def visible():\n    return hidden() + huge()\n")
    (root / "private.py").write_text("def hidden():\n    return 1\n")
    (root / ".codeswitchignore").write_text("private.py\n")
    padding = "#" * 100 + "\n"
    body = "def huge():\n    return 2\n" + padding * (MAX_FILE_BYTES // len(padding) + 1)
    (root / "big.py").write_text(body)  # over the index's size cap


def test_lazy_index_answers_like_the_full_index(tmp_path: Path) -> None:
    _workspace(tmp_path)
    full = WorkspaceIndex()
    full.build(tmp_path)
    lazy = LazyIndex(tmp_path)
    for name in ("visible", "hidden", "huge"):
        assert [s.path for s in lazy.definitions(name)] == [s.path for s in full.definitions(name)]
    assert [s.path for s in lazy.definitions("visible")] == ["app.py"]
    assert lazy.definitions("hidden") == []  # a secret file is never listed
    assert lazy.definitions("huge") == []  # nor a file over the size cap
    assert "private.py" not in lazy.files()
