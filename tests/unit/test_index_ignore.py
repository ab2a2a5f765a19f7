"""gitignore rules: globs, dir/ suffix, negation, anchoring, nesting."""

from __future__ import annotations

import pytest

from codeswitch.scope.ignore import IgnoreRules, parse_rule


def rules(text: str, base: str = "") -> IgnoreRules:
    r = IgnoreRules()
    r.add_lines(text, base)
    return r


@pytest.mark.parametrize(("patterns", "path", "is_dir", "ignored"), [
    ("*.log", "a.log", False, True),
    ("*.log", "deep/dir/a.log", False, True),
    ("*.log", "a.logx", False, False),
    ("build/", "build", True, True),
    ("build/", "build", False, False),  # dir-only pattern does not match a file
    ("build/", "src/build", True, True),
    ("/build", "build", True, True),
    ("/build", "src/build", True, False),  # anchored
    ("doc/*.txt", "doc/a.txt", False, True),
    ("doc/*.txt", "doc/sub/a.txt", False, False),
    ("doc/**/*.txt", "doc/sub/deep/a.txt", False, True),
    ("**/cache", "x/y/cache", True, True),
    ("logs/**", "logs/a/b.py", False, True),
    ("*.py\n!keep.py", "keep.py", False, False),
    ("*.py\n!keep.py", "drop.py", False, True),
    ("!keep.py\n*.py", "keep.py", False, True),  # last match wins
    ("file?.c", "file1.c", False, True),
    ("file[0-9].c", "file7.c", False, True),
    ("file[!0-9].c", "filex.c", False, True),
    ("file[!0-9].c", "file7.c", False, False),
    ("\\#notes", "#notes", False, True),
    ("# a comment\n\n", "# a comment", False, False),
    ("trailing   ", "trailing", False, True),
])
def test_patterns(patterns: str, path: str, is_dir: bool, ignored: bool) -> None:
    assert rules(patterns).matches(path, is_dir) is ignored


def test_nested_gitignore_is_relative_to_its_directory() -> None:
    r = rules("*.tmp\n/local\n", base="sub")
    assert r.matches("sub/x.tmp", False)
    assert r.matches("sub/deeper/x.tmp", False)
    assert not r.matches("x.tmp", False)
    assert r.matches("sub/local", True)
    assert not r.matches("sub/deeper/local", True)


def test_ignores_checks_parent_directories() -> None:
    r = rules("vendor/\n")
    assert r.ignores("vendor/pkg/mod.py")
    assert r.ignores("node_modules/x/index.js")  # always skipped
    assert not r.ignores("src/mod.py")


def test_blank_and_comment_lines_make_no_rule() -> None:
    assert parse_rule("") is None
    assert parse_rule("   ") is None
    assert parse_rule("# comment") is None
    assert parse_rule("/") is None
