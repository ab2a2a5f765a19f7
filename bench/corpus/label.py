#!/usr/bin/env python3
"""Label real commits of a project as scope cases (the format of ../shared/eval/click-scope-cases.jsonl).

Usage:
    label.py REPO [--repos bench/corpus/repos.toml] [--mirror GIT_DIR] [--out FILE] [--limit N]

REPO is an ``owner/name`` entry of repos.toml. The git directory defaults to
``$CORPUS_MIRRORS/owner+name/repo`` (``CORPUS_MIRRORS`` defaults to ``/work/.mirror``), the layout
the repository fetcher leaves. The output defaults to ``bench/corpus/cases/owner__name.jsonl``.
Nothing is checked out: every read is ``git log`` / ``git diff`` / ``git cat-file`` on the bare directory.

One case per commit, built like the public click cases (check_labeller.py reproduces all 200 of them):

* workspace: the commit's parent; ``id`` is ``<repo>@<first 12 hex of the commit>``;
* ``file`` / ``selection``: the first hunk of the first (path order) changed non-test source file of
  the entry's language that exists in the parent. A hunk that replaces lines puts the cursor on its
  first old line, at the line's indentation; a pure insertion puts it at column 0 of the line the
  text is inserted before. Positions are LSP: 0-based line, UTF-16 character;
* ``instruction``: the whole commit message, CRLF normalised, Co-authored-by / Signed-off-by lines
  dropped, stripped: exactly what the public cases carry. ``subject`` (the first line) is kept beside it;
* ``label`` from the ``-U0`` diff of the non-test source files. Each removed line is placed in the
  parent's syntax tree, each added line in the commit's tree. Blank lines, comment lines and import
  lines (Python ``import``/``from``, JS ``import``/``require``, Go ``import``) are *ignorable*: they
  do not make a definition changed (only when a commit changes nothing else do they count, as
  module-level code). Every other line belongs to its outermost enclosing definition (function or
  class, also when nested in a module-level ``if``/``try``; a decorator belongs to what it decorates),
  or to the file's module-level code. Then:
  - ``inline``: the commit has exactly one non-blank hunk in all source files, in an existing file,
    all its lines inside a function or method (its header included) that exists before and after the
    commit (a new small method is not inline), and it is a one-line change or
    a small insertion: at most one removed line, and one or two added statements (at most
    ``INLINE_MAX_ADDED`` physical lines; continuation lines of a statement do not count as statements;
    a pure deletion is not inline);
  - ``function``: every counted change inside one top-level definition (a function, or a class with
    its methods), or only in the module-level code of one file;
  - ``workspace``: changes in several top-level definitions (module-level code counts as one), or in
    several source files (an added or deleted source file always counts).
  ``label_strict`` is the same with every nested definition (method, nested function, JS callback)
  counted as its own definition.
  JS/TS: function/class declarations, methods, function expressions and arrow functions (named by the
  variable, property or assignment that binds them), interfaces, type aliases and enums are
  definitions. Go: functions, methods and type declarations. A method declared outside its type's
  body belongs to the type, as a Python method to its class: a Go method to its receiver type, JS
  ``Foo.prototype.bar = function`` to ``Foo`` and ``res.send = function`` to ``res``
  (``exports.f = function`` stays a module function).
* ``n_code_files``: changed source files with at least one changed line that is not blank or a
  comment (at least 1).
* ``variant``: absent for the message case. When the body has a real description paragraph, a second
  case ``<id>#body`` with ``"variant": "body"`` carries that paragraph (trimmed to ~400 characters at
  a sentence end) as the instruction, with the same position and labels. Skipped as descriptions:
  trailers and sign-offs, bare issue references ("Fixes #12"), "This reverts commit ...", single-line
  bullets (a squash merge's list of its branch's commit subjects), pre-commit.ci / review-suggestion
  paragraphs, paragraphs of fewer than four words, and paragraphs whose words mostly repeat the subject.

Filters (a commit is skipped when any applies; the reason is counted and printed):

* merge commits (``--no-merges``) and root commits;
* no changed non-test source file of the language (docs-only, CI, packaging metadata, tests only).
  Tests are ``tests/``, ``test/``, ``testing/`` directories, ``test_*.py``, ``*_test.py``,
  ``conftest.py``; JS ``__tests__/``, ``spec/``, ``benchmark/``, ``*.test.js``, ``*.spec.ts``, ``*.d.ts``;
  Go ``*_test.go``, ``testdata/``. Examples, docs/conf.py and setup.py count as source, as in the
  public set;
* more than ``MAX_FILES`` changed files in total (mechanical sweeps: reformatting, relicensing,
  mass renames), or more than ``MAX_CODE_LINES`` changed source lines;
* vendored or generated sources are not source files: paths under vendor/, _vendor/, vendored/,
  third_party/, node_modules/, dist/, build/, ``*.min.js``, ``*_pb2.py``, ``*.pb.go``, files whose
  head says "@generated" / "DO NOT EDIT" / "automatically generated by";
* release / version-bump commits: subjects like "Release 1.2", "release version 2.0.1", "Bump version",
  "v1.2.3", "Prepare release 24.1.0", "Set version to 6.0", "start version 2.1.3", "Version 0.13.8",
  "Update changelog", and dependency bots ("Bump X from A to B", "chore(deps)");
* only blank-line changes in the source files, or a source file that does not parse (over a fifth of
  its lines in syntax errors);
* the first changed source file only added (no parent version to put the cursor in): the next
  existing changed source file is used instead; with none, the commit is skipped.

Sampling: the non-merge commits of ``range`` (pinned to a commit, so a newer snapshot gives the same
cases) that pass the cheap filters (file count, language, subject) are sorted by hash, shuffled with
``random.Random(seed)`` and labelled in that order until ``cases`` cases exist: the sample spreads
uniformly over the whole history and the same entry always yields the same cases.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tree_sitter as ts

HERE = Path(__file__).resolve().parent
MAX_FILES = 30
MAX_CODE_LINES = 1500
INLINE_MAX_ADDED = 6
INLINE_MAX_STATEMENTS = 2

# --------------------------------------------------------------------------- languages


@dataclass(frozen=True)
class Lang:
    name: str
    extensions: tuple[str, ...]
    grammars: dict[str, tuple[str, str]]  # extension -> (module, entry)
    definition_types: frozenset[str]  # nodes that are definitions (function, class, method...)
    function_types: frozenset[str]  # definitions that are function-like (inline edits live in them)
    test_patterns: tuple[str, ...]


PY = Lang(
    "python", (".py", ".pyi"),
    {".py": ("tree_sitter_python", "language"), ".pyi": ("tree_sitter_python", "language")},
    frozenset({"function_definition", "class_definition"}),
    frozenset({"function_definition"}),
    (r"(^|/)tests?/", r"(^|/)testing/", r"(^|/)test_[^/]*\.py$", r"_tests?\.py$", r"(^|/)conftest\.py$"),
)
_JS_DEFS = frozenset({
    "function_declaration", "generator_function_declaration", "class_declaration",
    "abstract_class_declaration",
    "method_definition", "function_expression", "arrow_function", "function", "generator_function",
    "interface_declaration", "type_alias_declaration", "enum_declaration", "module", "internal_module",
    "class",
})
_JS_FUNCS = frozenset({
    "function_declaration", "generator_function_declaration", "method_definition", "function_expression",
    "arrow_function", "function", "generator_function",
})
JS = Lang(
    "javascript", (".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx"),
    {".js": ("tree_sitter_javascript", "language"), ".mjs": ("tree_sitter_javascript", "language"),
     ".cjs": ("tree_sitter_javascript", "language"), ".jsx": ("tree_sitter_javascript", "language"),
     ".ts": ("tree_sitter_typescript", "language_typescript"),
     ".mts": ("tree_sitter_typescript", "language_typescript"),
     ".cts": ("tree_sitter_typescript", "language_typescript"),
     ".tsx": ("tree_sitter_typescript", "language_tsx")},
    _JS_DEFS, _JS_FUNCS,
    (r"(^|/)(tests?|__tests__|spec|specs|benchmarks?|e2e)/", r"\.(test|spec|bench)\.[cm]?[jt]sx?$",
     r"(^|/)test[^/]*\.[cm]?[jt]s$", r"\.d\.ts$"),
)
GO = Lang(
    "go", (".go",),
    {".go": ("tree_sitter_go", "language")},
    frozenset({"function_declaration", "method_declaration", "type_declaration", "func_literal"}),
    frozenset({"function_declaration", "method_declaration", "func_literal"}),
    (r"_test\.go$", r"(^|/)testdata/", r"(^|/)tests?/"),
)
LANGS = {"python": PY, "javascript": JS, "typescript": JS, "go": GO}

VENDORED = re.compile(r"(^|/)(vendor|_vendor|vendored|third_party|node_modules|dist|build|site-packages)/"
                      r"|\.min\.[jc]ss?$|_pb2(_grpc)?\.py$|\.pb\.go$|_generated\.|(^|/)generated/")
GENERATED_HEAD = re.compile(r"@generated\b|do not edit|automatically generated by|generated by (the )?protoc",
                            re.I)
RELEASE = re.compile(
    r"^\s*(\[?release\]?:?\s+v?\d|releas(e|ing|ed) (of )?(version|v?\d)"
    r"|bump(ed|ing)? (the )?(release )?version|version bump|prepare (for )?(the )?(release|v?\d+\.\d+)"
    r"|v?\d+(\.\d+)+\w*\s*$"
    r"|(start|starting|set|back to) (new )?(version|dev\b|development)|version \d|update (the )?changelog"
    r"|changelog\b|\d+\.\d+(\.\d+)? release"
    r"|bump \S+ from \S+ to |chore\((release|deps)|ready for \d|preparing (for )?(release|\d))",
    re.I)
TRAILER = re.compile(r"^\s*(co-authored-by|signed-off-by|reviewed-by|acked-by|tested-by|reported-by|"
                     r"suggested-by|cc|change-id|pr-url|fixes|closes|resolves|refs?|see)\s*:", re.I)
SIGNOFF = re.compile(r"^\s*(co-authored-by|signed-off-by)\s*:", re.I)


def is_test(lang: Lang, path: str) -> bool:
    return any(re.search(p, path) for p in lang.test_patterns)


def is_code(lang: Lang, path: str) -> bool:
    return path.endswith(lang.extensions) and not VENDORED.search(path) and not is_test(lang, path)


_PARSERS: dict[str, ts.Parser] = {}


def parser_for(lang: Lang, path: str) -> ts.Parser:
    ext = os.path.splitext(path)[1]
    module, entry = lang.grammars[ext]
    key = module + "." + entry
    if key not in _PARSERS:
        mod = __import__(module)
        _PARSERS[key] = ts.Parser(ts.Language(getattr(mod, entry)()))
    return _PARSERS[key]


# --------------------------------------------------------------------------- git


def git(gitdir: str, *args: str, check: bool = True) -> str:
    r = subprocess.run(["git", "--git-dir", gitdir, *args], capture_output=True, check=False)
    if check and r.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {r.stderr.decode(errors='replace')}")
    return r.stdout.decode("utf-8", errors="replace")


def git_bytes(gitdir: str, *args: str) -> bytes | None:
    r = subprocess.run(["git", "--git-dir", gitdir, *args], capture_output=True, check=False)
    return r.stdout if r.returncode == 0 else None


@dataclass
class Commit:
    sha: str
    parents: list[str]
    subject: str
    files: list[str] = field(default_factory=list)


def list_commits(gitdir: str, rev_range: str = "HEAD") -> list[Commit]:
    # --name-only compares trees only: it works on snapshots that lack some large blobs
    out = git(gitdir, "log", "--no-merges", "--no-renames", "--format=%x01%H %P%x02%s", "--name-only",
              rev_range)
    commits: list[Commit] = []
    for block in out.split("\x01")[1:]:
        head, _, rest = block.partition("\x02")
        subject, _, stats = rest.partition("\n")
        shas = head.split()
        c = Commit(shas[0], shas[1:], subject.strip())
        c.files.extend(line for line in stats.splitlines() if line.strip())
        commits.append(c)
    return commits


HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass
class Hunk:
    old_start: int  # 1-based as in the header
    old_count: int
    new_start: int
    new_count: int
    removed: list[str]
    added: list[str]


def file_hunks(gitdir: str, parent: str, sha: str, path: str) -> list[Hunk]:
    out = git(gitdir, "diff", "-U0", "--no-renames", "--no-ext-diff", parent, sha, "--", path)
    hunks: list[Hunk] = []
    for line in out.splitlines():
        m = HUNK.match(line)
        if m:
            hunks.append(Hunk(int(m[1]), int(m[2] if m[2] is not None else 1),
                              int(m[3]), int(m[4] if m[4] is not None else 1), [], []))
        elif hunks and line.startswith("-") and not line.startswith("---"):
            hunks[-1].removed.append(line[1:])
        elif hunks and line.startswith("+") and not line.startswith("+++"):
            hunks[-1].added.append(line[1:])
    return hunks


# --------------------------------------------------------------------------- syntax


@dataclass
class Tree:
    lang: Lang
    root: ts.Node
    lines: list[str]


def parse(lang: Lang, path: str, data: bytes) -> Tree | None:
    tree = parser_for(lang, path).parse(data)
    if tree.root_node.has_error and _error_share(tree.root_node) > 0.2:
        return None
    return Tree(lang, tree.root_node, data.decode("utf-8", errors="replace").split("\n"))


def _error_share(root: ts.Node) -> float:
    bad = 0
    for child in root.children:
        if child.type == "ERROR" or child.has_error:
            bad += child.end_point[0] - child.start_point[0] + 1
    return bad / max(1, root.end_point[0] + 1)


def _name(node: ts.Node) -> str:
    n = node.child_by_field_name("name")
    if n is None and node.type == "type_declaration":
        for c in node.named_children:
            n = c.child_by_field_name("name")
            if n is not None:
                break
    if n is None and node.type == "method_declaration":
        n = node.child_by_field_name("name")
    if n is not None:
        return n.text.decode("utf-8", errors="replace") if n.text else ""
    return ""


IMPORT_TYPES = frozenset({"import_statement", "import_from_statement", "future_import_statement",
                          "import_declaration"})
COMMENT_PREFIX = {"python": ("#",), "javascript": ("//", "/*", "*"), "go": ("//", "/*", "*")}


@dataclass(frozen=True)
class Place:
    top: tuple[str, ...]  # the top-level unit: ("def:name",) or ("<module>",)
    strict: tuple[str, ...]  # every enclosing definition, outermost first
    in_func: bool  # inside a function or method body
    ignorable: bool  # blank, a comment, or part of an import
    logical: bool = True  # the line starts a statement (not a continuation of one)


def place_of(tree: Tree, row: int) -> Place:
    """Where a 0-based line of ``tree`` sits: its top-level unit, its definition chain, its kind."""
    lang = tree.lang
    text = tree.lines[row] if row < len(tree.lines) else ""
    stripped = text.strip()
    if not stripped or stripped.startswith(COMMENT_PREFIX[lang.name]):
        return Place(("<module>",), ("<module>",), False, True)
    col = len(text) - len(text.lstrip())
    col_b = len(text[:col].encode("utf-8"))
    end_b = len(text.rstrip().encode("utf-8"))
    node = tree.root.named_descendant_for_point_range((row, col_b), (row, max(col_b, end_b - 1)))
    chain: list[ts.Node] = []
    n = node
    while n is not None and n.type not in ("module", "program", "source_file"):
        chain.append(n)
        n = n.parent
    chain.reverse()  # outermost first
    if not chain:
        return Place(("<module>",), ("<module>",), False, False)
    if "comment" in chain[-1].type:  # inside a block comment whose lines carry no comment marker
        return Place(("<module>",), ("<module>",), False, True)
    if any(c.type in IMPORT_TYPES for c in chain) or (lang is JS and _is_require(chain[0])):
        return Place(("<module>",), ("<module>",), False, True)
    logical = _starts_statement(node, row, col_b)
    defs: list[ts.Node] = []
    for c in chain:
        if c.type == "decorated_definition":  # a decorator line belongs to the definition it decorates
            c = c.child_by_field_name("definition") or c
        if c.type in lang.definition_types and not any(d.id == c.id for d in defs):
            defs.append(c)
    if not defs:
        return Place(("<module>",), ("<module>",), False, False, logical)
    in_func = any(d.type in lang.function_types for d in defs)
    top_key, strict = _keys(lang, defs, chain[0])
    return Place(top_key, strict, in_func, False, logical)


STATEMENT_WORDS = ("statement", "definition", "declaration", "clause", "decorator", "case", "directive")
STATEMENT_KEYWORDS = ("else", "elif", "except", "finally", "pair")


def _starts_statement(node: ts.Node | None, row: int, col_b: int) -> bool:
    """True when a statement-like node starts at the line's first character (not a continuation line)."""
    n = node
    while n is not None and n.start_point == (row, col_b):
        if any(w in n.type for w in STATEMENT_WORDS) or n.type in STATEMENT_KEYWORDS:
            return True
        n = n.parent
    # a closing bracket or a continuation inside a call / literal
    return False


def _is_require(node: ts.Node) -> bool:
    if node.type not in ("lexical_declaration", "variable_declaration"):
        return False
    text = node.text.decode("utf-8", errors="replace") if node.text else ""
    return "require(" in text and node.end_point[0] - node.start_point[0] < 3


def _keys(lang: Lang, defs: list[ts.Node], top: ts.Node) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(top-level unit, strict chain) of the definitions ``defs`` (outermost first) under ``top``."""
    owner = _owner_name(defs[0])
    top_key = (f"def:{owner or _def_name(lang, defs[0], top)}",)
    strict = tuple(f"def:{_def_name(lang, d, top)}" for d in defs)
    if owner:  # a method declared outside its type: the type is the top-level definition
        strict = top_key + strict
    return top_key, strict


def definition_chains(tree: Tree) -> set[tuple[str, ...]]:
    """The strict chain of every definition of ``tree`` (to tell existing definitions from new ones)."""
    lang = tree.lang
    found: set[tuple[str, ...]] = set()

    def walk(node: ts.Node, top: ts.Node | None, defs: list[ts.Node]) -> None:
        for child in node.named_children:
            t = top or child
            if child.type in lang.definition_types:
                inner = [*defs, child]
                found.add(_keys(lang, inner, t)[1])
                walk(child, t, inner)
            else:
                walk(child, t, defs)

    walk(tree.root, None, [])
    return found


def _owner_name(d: ts.Node) -> str:
    """The type a top-level method belongs to when the language declares methods outside the type body.

    Go: the receiver's type (``func (c *Command) Run()`` belongs to ``Command``, as ``type Command``).
    JS: the object of an assignment (``Route.prototype.all = function`` and ``res.send = function``
    belong to ``Route`` / ``res``, as ``function Route()`` does); ``exports.f`` / ``module.exports.f``
    are plain module functions and have no owner.
    """
    if d.type == "method_declaration":
        receiver = d.child_by_field_name("receiver")
        stack = [receiver] if receiver is not None else []
        while stack:
            n = stack.pop(0)
            if n.type == "type_identifier" and n.text:
                return n.text.decode()
            stack.extend(n.named_children)
        return ""
    parent = d.parent
    while parent is not None and parent.type == "parenthesized_expression":
        parent = parent.parent
    if parent is None or parent.type != "assignment_expression":
        return ""
    left = parent.child_by_field_name("left")
    if left is None or left.type != "member_expression" or not left.text:
        return ""
    target = left.text.decode("utf-8", errors="replace")
    if ".prototype." in target or target.endswith(".prototype"):
        return target.split(".prototype", 1)[0]
    if target.startswith(("exports.", "module.exports")):
        return ""
    return target.rsplit(".", 1)[0]


def _def_name(lang: Lang, d: ts.Node, top: ts.Node) -> str:
    name = _name(d)
    if name:
        return name
    parent = d.parent
    # const f = () => ...; obj.m = function () ...; {key: function () ...}
    while parent is not None and parent.type in ("parenthesized_expression",):
        parent = parent.parent
    if parent is not None:
        if parent.type == "variable_declarator":
            n = parent.child_by_field_name("name")
            if n is not None and n.text:
                return n.text.decode()
        if parent.type == "assignment_expression":
            n = parent.child_by_field_name("left")
            if n is not None and n.text:
                return n.text.decode()
        if parent.type == "pair":
            n = parent.child_by_field_name("key")
            if n is not None and n.text:
                return n.text.decode()
    first = (top.text or b"").split(b"\n", 1)[0].decode("utf-8", errors="replace").strip()
    return f"{d.type}<{first[:60]}>"


# --------------------------------------------------------------------------- labelling


def strip_trailers(message: str) -> str:
    """The commit message as the public cases give it: CRLF normalised, sign-off lines dropped, stripped."""
    lines = message.replace("\r\n", "\n").split("\n")
    kept = [ln for ln in lines if not SIGNOFF.match(ln)]
    return "\n".join(kept).strip()


BOT_PARAGRAPH = re.compile(r"pre-commit\.ci|apply suggestions? from code review|^\s*merge (branch|pull)",
                           re.I)
ISSUE_REFS = re.compile(r"(\W*(fix(es|ed)?|close[sd]?|resolve[sd]?|refs?|see|issues?|pr|related( to)?"
                        r"|part of)"
                        r"\W*[\w/.-]*#\d+\W*)+", re.I)


def _words(text: str) -> set[str]:
    text = re.sub(r"\(#\d+\)|#\d+|gh-\d+", " ", text.lower())
    return set(re.findall(r"[a-z0-9_]+", text))


def body_paragraph(message: str, subject: str) -> str | None:
    """The body's first real description paragraph (at most ~400 characters), else None.

    Skipped: single-line bullets (a squash merge's commit list), trailers and sign-offs, bare issue
    references ("Fixes #12"), links, "This reverts commit",
    paragraphs of fewer than four words, and paragraphs that only repeat the subject (the "* subject"
    line a squash merge puts first).
    """
    text = re.sub(r"<!--.*?-->", "", message.replace("\r\n", "\n"), flags=re.S).strip()
    parts = [p.strip() for p in re.split(r"\n\s*\n", text)]
    subject_words = _words(subject)
    for para in parts[1:]:
        lines = [ln for ln in para.split("\n")  # markdown headings (PR templates) are not the description
                 if ln.strip() and not TRAILER.match(ln) and not SIGNOFF.match(ln) and not ln.startswith("#")]
        if not lines:
            continue
        if len(lines) == 1 and re.match(r"\s*[*-] ", lines[0]):
            continue  # a squash merge's list of the branch's commit subjects
        if BOT_PARAGRAPH.search(para):
            continue
        joined = " ".join(ln.strip().lstrip("*-• ").strip() for ln in lines)
        joined = re.sub(r"\s+", " ", joined).strip()
        low = joined.lower()
        if low.startswith(("this reverts commit", "git-svn-id", "(cherry picked", "squashed", "merge ",
                           "conflicts:", "[skip", "[ci skip", "skip-checks", "pr-url", "---", "hg--",
                           "this is a backport", "backport of", "backports ")) or "convert_revision" in low:
            continue
        words = _words(joined)
        if len(joined.split()) < 4 or len(words) < 4:
            continue
        if ISSUE_REFS.fullmatch(joined):
            continue
        if words and len(words & subject_words) / len(words) >= 0.7:
            continue  # repeats the subject
        if len(joined) > 400:
            cut = joined[:400]
            sentence = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
            joined = cut[:sentence + 1] if sentence > 150 else cut[:cut.rfind(" ")].rstrip(",;:") + " …"
        return joined
    return None


def _has_code_line(lang: Lang, ch: Change) -> bool:
    return any(_is_code_line(lang, t) for h in ch.hunks for t in h.removed + h.added)


def _is_code_line(lang: Lang, text: str) -> bool:
    """Not blank and not a comment line (imports count: they change what the file does)."""
    t = text.strip()
    return bool(t) and not t.startswith(COMMENT_PREFIX[lang.name])


def utf16_len(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


@dataclass
class Change:
    path: str
    hunks: list[Hunk]
    old: Tree | None
    new: Tree | None
    status: str  # A, M, D


def blob(gitdir: str, rev: str, path: str) -> bytes | None:
    return git_bytes(gitdir, "cat-file", "blob", f"{rev}:{path}")


def label_changes(changes: list[Change]) -> tuple[str, str, dict[str, Any]]:
    """(label, label_strict, details) of a set of changed source files."""
    places: list[tuple[str, Place, int]] = []  # (path, place, hunk number)
    other_side: list[tuple[Place, Tree | None]] = []  # each place and the tree of the other side
    ignorable: list[tuple[str, Place]] = []
    sizes: dict[int, list[int]] = {}  # hunk number -> [removed, added] significant lines
    k = 0
    for ch in changes:
        for h in ch.hunks:
            k += 1
            sides = ((0, ch.old, h.old_start, h.removed), (1, ch.new, h.new_start, h.added))
            for side, tree, start, texts in sides:
                if tree is None:
                    continue
                for i, _text in enumerate(texts):
                    pl = place_of(tree, start - 1 + i)
                    if pl.ignorable:
                        if _text.strip():
                            ignorable.append((ch.path, pl))
                        continue
                    places.append((ch.path, pl, k))
                    other_side.append((pl, ch.new if side == 0 else ch.old))
                    size = sizes.setdefault(k, [0, 0, 0, 0])
                    size[side] += pl.logical
                    size[side + 2] += 1
    if not places:  # imports or comments only: they are the change
        places = [(path, pl, 0) for path, pl in ignorable]
    files = {c.path for c in changes if c.status in ("A", "D")} | {p for p, _, _ in places}
    units = {(p, *pl.top) for p, pl, _ in places}
    strict_units = {(p, *pl.strict) for p, pl, _ in places}
    label = "workspace" if len(files) > 1 or len(units) > 1 else "function"
    strict_label = "workspace" if (len(files) > 1 or len(strict_units) > 1) else "function"
    hunks = sum(1 for ch in changes for h in ch.hunks if any(t.strip() for t in h.removed + h.added))
    if label == "function" and hunks == 1 and len(sizes) == 1 and changes[0].status == "M":
        removed, added, removed_lines, added_lines = next(iter(sizes.values()))
        removed, added = max(removed, removed_lines > 0), max(added, added_lines > 0)
        small = removed_lines <= 1 and 1 <= added <= INLINE_MAX_STATEMENTS and added_lines <= INLINE_MAX_ADDED
        # inside an *existing* function: the definition is there on both sides (not added, not deleted)
        chains: dict[int, set[tuple[str, ...]]] = {}
        for _pl, other in other_side:
            if other is not None and id(other) not in chains:
                chains[id(other)] = definition_chains(other)
        existing = all(other is not None and pl.strict in chains[id(other)] for pl, other in other_side)
        if small and existing and all(pl.in_func for _, pl, _ in places):
            label = "inline"
            if strict_label == "function":
                strict_label = "inline"
    info = {"units": sorted("/".join(u) for u in units), "sizes": sizes}
    return label, strict_label, info


@dataclass
class Outcome:
    case: dict[str, Any] | None
    reason: str


def label_commit(gitdir: str, repo: str, lang: Lang, commit: Commit, message: str | None = None) -> Outcome:
    if not commit.parents:
        return Outcome(None, "root commit")
    parent = commit.parents[0]
    if message is None:
        message = git(gitdir, "log", "-1", "--format=%B", commit.sha)
    status_out = git(gitdir, "diff", "--name-status", "--no-renames", parent, commit.sha)
    statuses: list[tuple[str, str]] = []
    for line in status_out.splitlines():
        st, _, path = line.partition("\t")
        statuses.append((st[:1], path))
    code = [(st, p) for st, p in statuses if is_code(lang, p)]
    if not code:
        return Outcome(None, "no source change")
    changes: list[Change] = []
    for st, path in sorted(code, key=lambda x: x[1]):
        old_b = blob(gitdir, parent, path) if st != "A" else None
        new_b = blob(gitdir, commit.sha, path) if st != "D" else None
        head = (old_b or new_b or b"")[:400].decode("utf-8", errors="replace")
        if GENERATED_HEAD.search(head):
            continue
        old_t = parse(lang, path, old_b) if old_b is not None else None
        new_t = parse(lang, path, new_b) if new_b is not None else None
        if (old_b is not None and old_t is None) or (new_b is not None and new_t is None):
            return Outcome(None, "does not parse")
        hunks = file_hunks(gitdir, parent, commit.sha, path)
        if not hunks:
            continue
        changes.append(Change(path, hunks, old_t, new_t, st))
    if not changes:
        return Outcome(None, "no source change")
    if sum(len(h.removed) + len(h.added) for ch in changes for h in ch.hunks) > MAX_CODE_LINES:
        return Outcome(None, "too many source lines")
    if all(all(not t.strip() for t in h.removed + h.added) for ch in changes for h in ch.hunks):
        return Outcome(None, "whitespace only")
    first = next((ch for ch in changes if ch.status != "A"), None)
    if first is None or first.old is None:
        return Outcome(None, "only new source files")
    h = first.hunks[0]
    if h.old_count == 0:  # a pure insertion: column 0 of the line the text goes before
        row, char = h.old_start, 0
    else:  # the first replaced line, at its indentation
        row = h.old_start - 1
        text = first.old.lines[row] if row < len(first.old.lines) else ""
        char = utf16_len(text[: len(text) - len(text.lstrip())])
    label, strict, _info = label_changes(changes)
    pos = {"line": row, "character": char}
    case = {
        "id": f"{repo.split('/')[-1]}@{commit.sha[:12]}",
        "repo": repo.split("/")[-1],
        "parent": parent,
        "file": first.path,
        "selection": {"start": dict(pos), "end": dict(pos)},
        "instruction": strip_trailers(message),
        "kind": "edit",
        "label": label,
        "label_strict": strict,
        "n_code_files": max(1, sum(1 for ch in changes if _has_code_line(lang, ch))),
    }
    return Outcome(case, "ok")


# --------------------------------------------------------------------------- driver


def load_entry(repos_path: Path, repo: str) -> dict[str, Any]:
    with open(repos_path, "rb") as fh:
        data = tomllib.load(fh)
    for entry in data["repo"]:
        if entry["name"] == repo:
            return {**data.get("defaults", {}), **entry}
    raise SystemExit(f"{repo} is not in {repos_path}")


def mirror_of(repo: str, mirror: str | None) -> str:
    if mirror:
        return mirror
    base = os.environ.get("CORPUS_MIRRORS", "/work/.mirror")
    return os.path.join(base, repo.replace("/", "+"), "repo")


def cheap_skip(lang: Lang, c: Commit) -> str | None:
    if not c.parents:
        return "root commit"
    if len(c.files) > MAX_FILES:
        return "too many files"
    if RELEASE.search(c.subject):
        return "release or version bump"
    if not any(is_code(lang, p) for p in c.files):
        return "no source change"
    return None


def build(entry: dict[str, Any], gitdir: str, limit: int | None = None,
          log: Any = sys.stderr) -> list[dict[str, Any]]:
    lang = LANGS[entry["language"]]
    repo = entry["name"]
    commits = list_commits(gitdir, entry.get("range", "HEAD"))
    reasons: collections.Counter[str] = collections.Counter()
    pool = []
    for c in commits:
        why = cheap_skip(lang, c)
        if why:
            reasons[why] += 1
        else:
            pool.append(c)
    pool.sort(key=lambda c: c.sha)
    random.Random(entry["seed"]).shuffle(pool)
    want = limit or entry["cases"]
    cases: list[dict[str, Any]] = []
    for c in pool:
        if sum(1 for k in cases if "variant" not in k) >= want:
            break
        message = git(gitdir, "log", "-1", "--format=%B", c.sha)
        try:
            out = label_commit(gitdir, repo, lang, c, message)
        except (RuntimeError, UnicodeError, IndexError) as exc:
            reasons[f"error: {type(exc).__name__}"] += 1
            continue
        if out.case is None:
            reasons[out.reason] += 1
            continue
        out.case["subject"] = c.subject
        cases.append(out.case)
        para = body_paragraph(message, c.subject)
        if para:
            cases.append({**out.case, "id": out.case["id"] + "#body", "instruction": para, "variant": "body"})
    n = sum(1 for c in cases if "variant" not in c)
    dist = collections.Counter(c["label"] for c in cases if "variant" not in c)
    print(f"{repo}: {len(commits)} non-merge commits, {len(pool)} candidates, {n} cases "
          f"({sum(1 for c in cases if 'variant' in c)} body variants) {dict(dist)}; skipped {dict(reasons)}",
          file=log)
    return cases


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("repo", nargs="+", help="owner/name entries of repos.toml ('all' for every entry)")
    ap.add_argument("--repos", default=str(HERE / "repos.toml"))
    ap.add_argument("--mirror", help="git directory (only with one repo)")
    ap.add_argument("--out", help="output JSONL (only with one repo)")
    ap.add_argument("--limit", type=int)
    args = ap.parse_args(argv)
    names = args.repo
    if names == ["all"]:
        with open(args.repos, "rb") as fh:
            names = [e["name"] for e in tomllib.load(fh)["repo"]]
    for name in names:
        entry = load_entry(Path(args.repos), name)
        gitdir = mirror_of(name, args.mirror)
        cases = build(entry, gitdir, args.limit)
        out = Path(args.out) if args.out else HERE / "cases" / (name.replace("/", "__") + ".jsonl")
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "w") as fh:
            for c in cases:
                fh.write(json.dumps(c, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
