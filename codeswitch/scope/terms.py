"""Terms: the words an identifier or an instruction is made of, for matching one against the other.

``read_config_file`` and ``ConfigReader`` both give ``{"read", "config", "file"}`` / ``{"config",
"reader"}``: identifiers split at underscores and case changes, lower-cased, with a light suffix
strip so "prompts" meets ``prompt``. An instruction's terms are those of its first line, without the
words every request uses ("fix", "value", "error", ...). The scope features ask which definitions,
which files and which lines share a term with the request: a request that names what the cursor's
definition is about stays there more often than one that names another module.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Protocol

_PART = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SUFFIXES = ("ing", "ed", "es", "s")
#: words too common in requests to say what they are about
STOP_WORDS = frozenset({
    "the", "and", "for", "with", "from", "into", "onto", "when", "then", "than", "that", "this", "these",
    "those", "not", "but", "also", "only", "just", "now", "are", "was", "were", "its", "can", "should",
    "would", "will", "could", "may", "might", "must", "does", "don", "doesn", "didn", "isn", "aren",
    "wasn", "fix", "fixed", "fixes", "fixing", "add", "added", "adds", "adding", "remove", "removed",
    "removes", "use", "used", "uses", "using", "make", "made", "makes", "support", "supports", "allow",
    "allows", "update", "updated", "updates", "change", "changed", "changes", "more", "less", "new",
    "old", "some", "all", "any", "instead", "via", "which", "what", "where", "how", "why", "after",
    "before", "while", "handle", "handling", "error", "errors", "issue", "bug", "case", "cases", "value",
    "values", "type", "types", "name", "names", "test", "tests", "file", "files", "function", "functions",
    "method", "methods", "class", "classes", "code", "way", "work", "works", "working", "default",
    "defaults", "option", "options",
    # keywords a line of code is full of
    "def", "func", "var", "let", "const", "self", "none", "null", "nil", "true", "false", "return",
    "async", "await", "import", "elif", "else", "struct", "interface",
})


class TermIndex(Protocol):
    """What :func:`term_values` asks of the workspace index (``index.WorkspaceIndex`` answers it).

    Named here rather than imported, so this module stays below the index that uses it.
    """

    def terms_in(self, path: str) -> frozenset[str]: ...

    def outer_definitions_named(self, path: str, terms: Iterable[str]) -> set[int]: ...

    def files_named(self, term: str) -> int: ...


def _stem(word: str) -> str:
    """A light, consistent stem: prompts/prompt, parsing/parsed/parse, cookies/cookie meet."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix != "s" or not word.endswith(("ss", "us", "is")):
                word = word[:-len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


@lru_cache(maxsize=8192)
def identifier_terms(name: str) -> frozenset[str]:
    """The terms of one identifier (or file stem): ``parseHTTPHeader`` -> parse, http, header."""
    out = set()
    for part in _PART.findall(name):
        word = part.lower()
        if len(word) >= 3 and word not in STOP_WORDS:
            out.add(_stem(word))
    return frozenset(out - STOP_WORDS)


def terms_of(names: Iterable[str]) -> frozenset[str]:
    out: set[str] = set()
    for name in names:
        out |= identifier_terms(name)
    return frozenset(out)


def line_terms(line: str) -> frozenset[str]:
    """The terms of every identifier on one line of code."""
    return terms_of(_IDENT.findall(line))


def instruction_terms(instruction: str) -> frozenset[str]:
    """The terms of an instruction's first line (its subject): what the request is about."""
    subject = instruction.strip().split("\n", 1)[0]
    return line_terms(subject)


def term_values(instruction: str, path: str, line: str, anchor_name: str | None,
                top_lines: tuple[int, int] | None, index: TermIndex | None) -> dict[str, float]:
    """Scope features: where the request's terms meet the code (the cursor's line, its definition,
    the file's other definitions, the names of other files)."""
    terms = instruction_terms(instruction)
    if not terms:
        return {"terms.none": 1.0}
    v: dict[str, float] = {}
    if anchor_name and identifier_terms(anchor_name) & terms:
        v["terms.anchor"] = 1.0
    if line_terms(line) & terms:
        v["terms.line"] = 1.0
    if index is None:
        return v
    v["terms.file_share"] = len(terms & index.terms_in(path)) / len(terms)
    rows = index.outer_definitions_named(path, terms)
    v["terms.tops_log"] = math.log2(1 + len(rows))
    if top_lines is not None:
        first, last = top_lines
        rows = {row for row in rows if not first <= row <= last}
    v["terms.other_tops_log"] = math.log2(1 + len(rows))
    if any(index.files_named(t) for t in terms - file_name_terms(path)):
        v["terms.other_file"] = 1.0
    return v


def file_name_terms(path: str) -> frozenset[str]:
    """The terms of a file's name; a package's entry file (``__init__.py``, ``index.js``) is
    named by its folder."""
    p = PurePosixPath(path)
    entry = p.stem in ("__init__", "index", "mod", "lib", "main") and p.parent.name
    return identifier_terms(p.parent.name if entry else p.stem)
