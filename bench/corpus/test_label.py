"""Rules of the corpus labeller on small synthetic histories (run: .venv/bin/pytest bench/corpus).

The public click cases check the Python rules on real commits (check_labeller.py); these tests pin each
rule on its own, and the JavaScript and Go mapping that click cannot check.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import label as lab

PY_BASE = '''import os


def alpha(x):
    y = x + 1
    return y


class Box:
    """A box."""

    def get(self):
        return self.value

    def put(self, v):
        self.value = v


def beta():
    return 2
'''


class Repo:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.email", "dev@example.com")
        self.git("config", "user.name", "Dev")

    def git(self, *args: str) -> str:
        return subprocess.run(["git", "-C", str(self.root), *args], check=True, capture_output=True,
                              text=True).stdout

    def commit(self, files: dict[str, str], message: str) -> str:
        for path, text in files.items():
            p = self.root / path
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD").strip()

    @property
    def gitdir(self) -> str:
        return str(self.root / ".git")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path)


def case_of(repo: Repo, lang: lab.Lang, files: dict[str, str], message: str = "change") -> dict[str, Any]:
    sha = repo.commit(files, message)
    parent = repo.git("rev-parse", "HEAD~1").strip()
    out = lab.label_commit(repo.gitdir, "owner/proj", lang, lab.Commit(sha, [parent], message.split("\n")[0]))
    assert out.case is not None, out.reason
    return out.case


def test_one_line_change_in_a_function_is_inline_with_the_cursor_at_its_indentation(repo: Repo) -> None:
    repo.commit({"pkg/m.py": PY_BASE}, "base")
    case = case_of(repo, lab.PY, {"pkg/m.py": PY_BASE.replace("y = x + 1", "y = x + 2")})
    assert (case["label"], case["label_strict"]) == ("inline", "inline")
    assert case["file"] == "pkg/m.py"
    assert case["selection"]["start"] == {"line": 4, "character": 4}
    assert case["n_code_files"] == 1


def test_a_small_insertion_puts_the_cursor_at_column_zero_of_the_line_it_goes_before(repo: Repo) -> None:
    repo.commit({"m.py": PY_BASE}, "base")
    new = PY_BASE.replace("    return y\n", "    if y < 0:\n        raise ValueError(y)\n    return y\n")
    case = case_of(repo, lab.PY, {"m.py": new})
    assert case["label"] == "inline"
    assert case["selection"]["start"] == {"line": 5, "character": 0}


def test_a_new_small_method_is_not_an_inline_change(repo: Repo) -> None:
    repo.commit({"m.py": PY_BASE}, "base")
    new = PY_BASE.replace("    def put(self, v):",
                          "    def clear(self):\n        self.value = None\n\n    def put(self, v):")
    assert case_of(repo, lab.PY, {"m.py": new})["label"] == "function"
    go_base = GO_BASE
    repo.commit({"app.go": go_base}, "go base")
    go_new = go_base.replace("func New()", "func (a *App) Stop() {\n\ta.Name = \"\"\n}\n\nfunc New()")
    assert case_of(repo, lab.GO, {"app.go": go_new})["label"] == "function"


def test_three_inserted_statements_are_a_function_change(repo: Repo) -> None:
    repo.commit({"m.py": PY_BASE}, "base")
    new = PY_BASE.replace("    return y\n", "    if y < 0:\n        y = 0\n        y += 1\n    return y\n")
    assert case_of(repo, lab.PY, {"m.py": new})["label"] == "function"


def test_an_import_is_ignored_for_the_definitions_but_makes_a_second_hunk(repo: Repo) -> None:
    repo.commit({"m.py": PY_BASE}, "base")
    new = PY_BASE.replace("import os\n", "import os\nimport sys\n").replace("y = x + 1", "y = x + 2")
    case = case_of(repo, lab.PY, {"m.py": new})
    assert (case["label"], case["label_strict"]) == ("function", "function")


def test_two_methods_of_one_class_are_one_function_but_two_strict_definitions(repo: Repo) -> None:
    repo.commit({"m.py": PY_BASE}, "base")
    new = PY_BASE.replace("return self.value", "return self.value or 0").replace(
        "self.value = v", "self.value = v or 0")
    case = case_of(repo, lab.PY, {"m.py": new})
    assert (case["label"], case["label_strict"]) == ("function", "workspace")


def test_two_top_level_functions_or_two_files_are_workspace(repo: Repo) -> None:
    repo.commit({"m.py": PY_BASE, "n.py": PY_BASE}, "base")
    two_defs = PY_BASE.replace("y = x + 1", "y = x + 2").replace("return 2", "return 3")
    assert case_of(repo, lab.PY, {"m.py": two_defs})["label"] == "workspace"
    one_def = PY_BASE.replace("return 2", "return 4")
    case = case_of(repo, lab.PY, {"m.py": one_def, "n.py": one_def})
    assert (case["label"], case["n_code_files"]) == ("workspace", 2)


def test_tests_and_comment_only_files_do_not_count(repo: Repo) -> None:
    repo.commit({"m.py": PY_BASE, "tests/test_m.py": "def test():\n    pass\n", "c.py": "# one\nX = 1\n"},
                "base")
    case = case_of(repo, lab.PY, {
        "m.py": PY_BASE.replace("return 2", "return 4"),
        "tests/test_m.py": "def test():\n    assert True\n",
        "c.py": "# two\nX = 1\n",
    })
    assert case["file"] == "c.py"  # the first changed source file, even if only a comment changed
    assert (case["label"], case["n_code_files"]) == ("function", 1)  # the comment is no second change


def test_a_decorator_line_belongs_to_the_definition_it_decorates(repo: Repo) -> None:
    repo.commit({"m.py": PY_BASE}, "base")
    new = PY_BASE.replace("def beta():\n    return 2", "@staticmethod\ndef beta():\n    return 3")
    assert case_of(repo, lab.PY, {"m.py": new})["label"] == "function"


JS_BASE = """'use strict';
var util = require('util');

function Route(path) {
  this.path = path;
}

Route.prototype.all = function all() {
  return this.path;
};

const handle = (req) => {
  return req.url;
};
"""


def test_javascript_prototype_methods_belong_to_their_constructor_like_methods_to_a_class(repo: Repo) -> None:
    repo.commit({"lib/route.js": JS_BASE}, "base")
    new = JS_BASE.replace("this.path = path;", "this.path = path || '/';").replace(
        "return this.path;", "return this.path + '/';")
    case = case_of(repo, lab.JS, {"lib/route.js": new})
    assert (case["label"], case["label_strict"]) == ("function", "workspace")


def test_javascript_exported_functions_are_separate_top_level_definitions(repo: Repo) -> None:
    base = "exports.a = function a() {\n  return 1;\n};\n\nexports.b = function b() {\n  return 2;\n};\n"
    repo.commit({"index.js": base}, "base")
    new = base.replace("return 1;", "return 3;").replace("return 2;", "return 4;")
    assert case_of(repo, lab.JS, {"index.js": new})["label"] == "workspace"


def test_javascript_one_line_change_in_an_arrow_function_is_inline(repo: Repo) -> None:
    repo.commit({"lib/route.js": JS_BASE}, "base")
    case = case_of(repo, lab.JS, {"lib/route.js": JS_BASE.replace("return req.url;", "return req.path;")})
    assert case["label"] == "inline"
    assert case["selection"]["start"] == {"line": 12, "character": 2}


GO_BASE = """package cli

import "fmt"

type App struct {
\tName string
}

func (a *App) Run() error {
\tfmt.Println(a.Name)
\treturn nil
}

func New() *App {
\treturn &App{}
}
"""


def test_go_methods_belong_to_their_receiver_type(repo: Repo) -> None:
    base = GO_BASE + "\nfunc (a *App) Stop() {\n\ta.Name = \"\"\n}\n"
    repo.commit({"app.go": base}, "base")
    new = base.replace("fmt.Println(a.Name)", "fmt.Print(a.Name)").replace("a.Name = \"\"", "a.Name = \"-\"")
    case = case_of(repo, lab.GO, {"app.go": new})
    assert (case["label"], case["label_strict"]) == ("function", "workspace")


def test_go_functions_are_top_level_definitions(repo: Repo) -> None:
    repo.commit({"app.go": GO_BASE, "app_test.go": "package cli\n"}, "base")
    one = GO_BASE.replace("\treturn nil", "\treturn fmt.Errorf(\"x\")")
    case = case_of(repo, lab.GO, {"app.go": one, "app_test.go": "package cli\n\n// x\n"})
    assert (case["label"], case["n_code_files"]) == ("inline", 1)
    two = one.replace("fmt.Println(a.Name)", "fmt.Print(a.Name)")
    two = two.replace("return &App{}", "return &App{Name: \"x\"}")
    assert case_of(repo, lab.GO, {"app.go": two})["label"] == "workspace"


def test_the_instruction_is_the_message_without_sign_offs() -> None:
    msg = "Fix X\r\n\r\nBody line.\r\n\r\nFixes: #3\n\nCo-authored-by: A <a@b.c>\nSigned-off-by: B <b@c.d>\n"
    assert lab.strip_trailers(msg) == "Fix X\n\nBody line.\n\nFixes: #3"


def test_the_body_variant_takes_the_first_real_description() -> None:
    squash = ("Add thing (#12)\n\n* Add thing\n\n* fix typo\n\nThe parser dropped the last token when "
              "the input ended without a newline.\n\nCo-authored-by: A <a@b.c>")
    assert lab.body_paragraph(squash, "Add thing (#12)") == (
        "The parser dropped the last token when the input ended without a newline.")
    assert lab.body_paragraph("Fix crash\n\nFixes #362", "Fix crash") is None
    assert lab.body_paragraph("Fix crash\n\n--HG--\nextra : convert_revision : svn%3A1", "Fix crash") is None
    repeated = "Fix the crash on empty input\n\nfix the crash on empty input"
    assert lab.body_paragraph(repeated, "Fix the crash on empty input") is None
    long = "Fix\n\n" + "This sentence is long enough to count. " * 20
    para = lab.body_paragraph(long, "Fix")
    assert para is not None and len(para) <= 401 and para.endswith(".")


def test_release_and_dependency_bot_subjects_are_filtered() -> None:
    for subject in ("Release 3.11.0 (#9684)", "release version 2.0.1", "Bump version to 6.5b1", "18.6b2",
                    "Bump mypy from 0.982 to 1.4.1 (#7446)", "Set version number to 3.0",
                    "Bump release version"):
        assert lab.RELEASE.search(subject), subject
    for subject in ("Release HTTP response before raising status exception", "Fix version parsing",
                    "Prepare the stable style"):
        assert not lab.RELEASE.search(subject), subject


def test_sampling_is_deterministic_and_counts_message_cases(repo: Repo) -> None:
    repo.commit({"m.py": PY_BASE}, "base")
    for i in range(6):
        repo.commit({"m.py": PY_BASE.replace("y = x + 1", f"y = x + {i + 2}")},
                    f"change {i}\n\nMake alpha add {i + 2} instead, so the offset matches the docs.")
    entry = {"name": "owner/proj", "language": "python", "seed": 7, "cases": 4}
    log = io.StringIO()
    first = lab.build(entry, repo.gitdir, log=log)
    again = lab.build(entry, repo.gitdir, log=log)
    assert first == again
    assert sum("variant" not in c for c in first) == 4
    assert sum(c.get("variant") == "body" for c in first) == 4
