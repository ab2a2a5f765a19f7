"""The workspace index on a small multi-file workspace: skips, .gitignore, cross-file references."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from codeswitch.limits import MAX_FILE_BYTES
from codeswitch.scope import WorkspaceIndex

CORE = '''\
def fetch_user(uid, timeout=1):
    return {"id": uid}


def helper():
    return 2


class Store:
    def get(self, key):
        return fetch_user(key)
'''
API = '''\
from .core import fetch_user


def handler(req):
    return fetch_user(req.uid)
'''


def write(root: Path, rel: str, text: str | bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    write(root, ".gitignore", "# generated code\n*_gen.py\n!important_gen.py\n/generated/\nscratch/\n"
                              "docs/**/draft_*.py\n\\#odd.py\n")
    write(root, "pkg/__init__.py", "from .core import fetch_user\n")
    write(root, "pkg/core.py", CORE)
    write(root, "pkg/api.py", API)
    write(root, "app/greet.ts", "export function greet(name: string): string {\n  return name;\n}\n")
    write(root, "app/main.ts", 'import { greet } from "./greet";\ngreet("x");\n')
    write(root, "app/nested/.gitignore", "local_only.go\n")
    write(root, "app/nested/local_only.go", "package n\nfunc Hidden() {}\n")
    write(root, "app/nested/shown.go", "package n\nfunc Shown() { Hidden() }\n")
    # skipped: vcs, dependencies, virtualenvs, build output, ignored paths, huge and binary files
    write(root, ".git/hooks/x.py", "def in_git(): pass\n")
    write(root, "node_modules/lib/index.js", "function inNodeModules() {}\n")
    write(root, ".venv/lib/site.py", "def in_venv(): pass\n")
    write(root, "env2/pyvenv.cfg", "home = /usr/bin\n")
    write(root, "env2/lib/mod.py", "def in_marked_venv(): pass\n")
    for d in ("build", "dist", "target", "__pycache__", "out"):
        write(root, f"{d}/x.py", f"def in_{d}(): pass\n")
    write(root, "pkg/schema_gen.py", "def generated_schema(): pass\n")
    write(root, "pkg/important_gen.py", "def important(): pass\n")
    write(root, "generated/top.py", "def anchored_ignore(): pass\n")
    write(root, "sub/generated/kept.py", "def not_anchored(): pass\n")
    write(root, "scratch/tmp.py", "def in_scratch(): pass\n")
    write(root, "docs/a/b/draft_one.py", "def draft(): pass\n")
    write(root, "docs/a/final.py", "def final(): pass\n")
    write(root, "#odd.py", "def odd(): pass\n")
    write(root, "huge.py", "x = 1\n" * (MAX_FILE_BYTES // 6 + 1))
    write(root, "blob.py", b"def binary(): pass\n\x00\x01\x02")
    write(root, "README.md", "# not code\n")
    return root


EXPECTED = {
    "pkg/__init__.py", "pkg/core.py", "pkg/api.py", "app/greet.ts", "app/main.ts", "app/nested/shown.go",
    "pkg/important_gen.py", "sub/generated/kept.py", "docs/a/final.py",
}


def test_build_indexes_sources_and_skips_the_rest(workspace: Path) -> None:
    index = WorkspaceIndex()
    calls: list[tuple[int, int]] = []
    count = index.build(workspace, progress=lambda done, total: calls.append((done, total)))
    assert set(index.files()) == EXPECTED
    assert count == len(EXPECTED)
    assert index.ready
    assert calls and calls[-1][0] == calls[-1][1]
    assert [c[0] for c in calls] == list(range(1, len(calls) + 1))


def test_definitions_and_references_across_files(workspace: Path) -> None:
    index = WorkspaceIndex()
    index.build(workspace)
    [d] = index.definitions("fetch_user")
    assert (d.path, d.kind, d.span.start.line, d.span.start.col) == ("pkg/core.py", "function", 0, 4)
    assert index.files_referencing("fetch_user") == {"pkg/__init__.py", "pkg/api.py", "pkg/core.py"}
    kinds = {(r.path, r.kind) for r in index.references("fetch_user")}
    assert ("pkg/api.py", "import") in kinds and ("pkg/api.py", "call") in kinds
    [get] = index.definitions("get")
    assert get.kind == "method"
    assert index.files_referencing("greet") == {"app/main.ts"}
    assert index.files_referencing("Hidden") == {"app/nested/shown.go"}
    assert [s.name for s in index.symbols_in("pkg/core.py")] == ["fetch_user", "helper", "Store", "get"]
    assert index.definitions("nothing_like_this") == []
    assert index.files_referencing("nothing_like_this") == set()


def test_exclude_patterns_from_config(workspace: Path) -> None:
    index = WorkspaceIndex()
    index.build(workspace, exclude=["app/", "*.go", "important_gen.py"])
    # the config's patterns win over .gitignore negations (!important_gen.py)
    assert set(index.files()) == EXPECTED - {"app/greet.ts", "app/main.ts", "app/nested/shown.go",
                                             "pkg/important_gen.py"}
    write(workspace, "app/late.ts", "export function late() {}\n")
    index.update_file("app/late.ts")
    assert index.definitions("late") == []


def test_update_text_and_remove(workspace: Path) -> None:
    index = WorkspaceIndex()
    index.build(workspace)
    index.update_text(workspace / "pkg" / "cli.py", "from .core import fetch_user\nfetch_user(3)\n", "python")
    assert "pkg/cli.py" in index.files_referencing("fetch_user")
    index.update_text("pkg/api.py", "def handler(req):\n    return None\n", "python")
    assert "pkg/api.py" not in index.files_referencing("fetch_user")
    assert [s.path for s in index.definitions("handler")] == ["pkg/api.py"]
    index.remove("pkg/core.py")
    assert index.definitions("fetch_user") == []
    assert index.symbols_in("pkg/core.py") == []
    index.update_text("notes.txt", "anything", None)  # no grammar: nothing indexed, no error
    assert "notes.txt" not in index.files()


def test_a_name_in_one_file_then_in_several_then_in_none(tmp_path: Path) -> None:
    index = WorkspaceIndex(tmp_path)
    index.update_text(tmp_path / "a.py", "def run():\n    pass\n\nrun()\nrun()\n", "python")
    assert [(s.path, s.span.start.line) for s in index.definitions("run")] == [("a.py", 0)]
    assert [s.span.start.line for s in index.references("run")] == [3, 4]
    index.update_text(tmp_path / "b.py", "def run():\n    pass\nrun()\n", "python")
    assert sorted(s.path for s in index.definitions("run")) == ["a.py", "b.py"]
    assert index.files_referencing("run") == {"a.py", "b.py"}
    index.update_text(tmp_path / "a.py", "def other():\n    pass\n", "python")
    assert [s.path for s in index.definitions("run")] == ["b.py"]
    assert [s.path for s in index.references("run")] == ["b.py"]
    assert [s.name for s in index.definitions("other")] == ["other"]
    index.remove(tmp_path / "b.py")
    assert index.definitions("run") == [] and index.references("run") == []
    assert index.files_referencing("run") == set()


def test_update_file_rereads_disk_and_respects_ignores(workspace: Path) -> None:
    index = WorkspaceIndex()
    index.build(workspace)
    write(workspace, "pkg/extra.py", "def extra():\n    helper()\n")
    index.update_file(workspace / "pkg" / "extra.py")
    assert index.files_referencing("helper") == {"pkg/extra.py"}
    write(workspace, "pkg/more_gen.py", "def ignored_gen(): pass\n")
    index.update_file("pkg/more_gen.py")
    assert index.definitions("ignored_gen") == []
    write(workspace, "node_modules/x/y.py", "def deep(): pass\n")
    index.update_file("node_modules/x/y.py")
    assert index.definitions("deep") == []
    (workspace / "pkg" / "extra.py").unlink()
    index.update_file("pkg/extra.py")
    assert index.files_referencing("helper") == set()


def test_updates_during_a_build_survive_the_swap(workspace: Path) -> None:
    index = WorkspaceIndex()
    index.build(workspace)
    seen_during: list[int] = []

    def progress(done: int, total: int) -> None:
        if done == 1:
            # readers see the previous index while the new one is being built
            seen_during.append(len(index.definitions("fetch_user")))
            index.update_text("pkg/late.py", "def late():\n    return fetch_user(9)\n", "python")

    index.build(workspace, progress=progress)
    assert seen_during == [1]
    assert [s.path for s in index.definitions("late")] == ["pkg/late.py"]
    assert "pkg/late.py" in index.files_referencing("fetch_user")


def test_background_build_while_querying(workspace: Path) -> None:
    index = WorkspaceIndex(workspace)
    errors: list[BaseException] = []
    thread = threading.Thread(target=lambda: index.build(workspace))
    thread.start()
    try:
        while thread.is_alive():
            index.definitions("fetch_user")
            index.files_referencing("greet")
    except BaseException as exc:  # pragma: no cover - reported below
        errors.append(exc)
    thread.join()
    assert errors == []
    assert index.files_referencing("greet") == {"app/main.ts"}


def test_non_ascii_positions_are_code_points(tmp_path: Path) -> None:
    write(tmp_path, "u.py", 'x = "héllo 😀"; y = 1\ndef é_fn():\n    return size("ü"), other()\n')
    index = WorkspaceIndex()
    index.build(tmp_path)
    [d] = index.definitions("é_fn")
    assert (d.span.start.line, d.span.start.col, d.span.end.col) == (1, 4, 8)
    [r] = index.references("other")
    assert (r.span.start.line, r.span.start.col) == (2, 22)


def test_files_outside_the_workspace_are_never_indexed(workspace: Path, tmp_path: Path) -> None:
    index = WorkspaceIndex()
    index.build(workspace)
    outside = tmp_path / "elsewhere.py"
    outside.write_text("def stranger():\n    fetch_user(1)\n")
    index.update_file(outside)
    index.update_text(outside, outside.read_text(), "python")
    index.update_file("../elsewhere.py")
    assert index.definitions("stranger") == []
    assert all(not f.startswith(("/", "..")) for f in index.files())


def test_git_info_exclude_is_honoured(workspace: Path) -> None:
    write(workspace, ".git/info/exclude", "docs/\n")
    index = WorkspaceIndex()
    index.build(workspace)
    assert set(index.files()) == EXPECTED - {"docs/a/final.py"}
