"""The evidence an edit request's scope is decided on, as named numbers.

``gather`` reads the code around the request (tree-sitter), the workspace index and the
instruction's wording once; ``Evidence.features`` turns that into a flat ``name -> value`` map that
the learned decision (``decide.py``) weighs. The same function serves the estimator at run time and
the training script (``bench/corpus``), so what is trained on is exactly what is seen.

Every feature is general: positions, sizes, counts from the index and word classes; none names a
project, file or function. Pure: no I/O, no globals.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import TYPE_CHECKING

from codeswitch.text import Pos

from .history import is_test_path
from .intent import CUES, Intent
from .nodes import IMPORT_NODES, Definition, definitions_at, top_level_definitions, top_statement
from .terms import term_values

if TYPE_CHECKING:
    from codeswitch.documents import Snapshot

    from .index import WorkspaceIndex

_PACKAGE_ENTRIES = frozenset({"__init__.py", "index.js", "index.ts", "index.mjs", "mod.rs", "lib.rs",
                              "init.lua"})
_ASSIGNMENTS = frozenset({"expression_statement", "assignment", "lexical_declaration", "variable_declaration",
                          "const_declaration", "var_declaration", "static_item", "const_item",
                          "assignment_statement", "variable_assignment"})
_IMPORT_LINE = re.compile(r"^\s*(import\b|from\s+\S+\s+import\b|#\s*include\b|use\s+[\w:{]|require\b|"
                          r"using\s+[\w.]+;|local\s+\w+\s*=\s*require\b|const\s+\w+\s*=\s*require\()")
_CONSTRUCTORS = frozenset({"__init__", "__new__", "constructor", "initialize", "new"})
_STRINGS = frozenset({"string", "string_start", "string_content", "template_string",
                      "interpreted_string_literal",
                      "raw_string_literal", "string_literal", "comment", "line_comment", "block_comment",
                      "heredoc_body"})

#: the first word of an instruction, by what kind of change it announces (a fixed, general list)
VERB_CLASSES: dict[str, tuple[str, ...]] = {
    "fix": ("fix", "fixes", "fixed", "fixing", "correct", "corrects", "corrected", "repair", "resolve",
            "resolves", "resolved", "prevent", "prevents", "avoid", "avoids", "handle", "handles",
            "handled", "catch", "guard", "ensure", "ensures", "don't", "do", "dont", "never"),
    "add": ("add", "adds", "added", "adding", "introduce", "introduces", "introduced", "implement",
            "implements", "implemented", "create", "support", "supports", "supported", "allow", "allows",
            "allowed", "enable", "enables", "new", "provide", "provides", "expose", "exposes"),
    "remove": ("remove", "removes", "removed", "removing", "drop", "drops", "dropped", "delete",
               "deletes", "deleted", "deprecate", "deprecates", "deprecated", "disable", "disables"),
    "change": ("change", "changes", "changed", "update", "updates", "updated", "use", "uses", "used",
               "make", "makes", "made", "switch", "replace", "replaces", "replaced", "set", "convert",
               "improve", "improves", "improved", "tweak", "adjust", "extend", "pass", "return", "raise",
               "let", "treat", "show", "print", "warn", "emit", "respect", "honor", "honour", "keep"),
    "restructure": ("refactor", "refactors", "refactored", "refactoring", "move", "moves", "moved",
                    "rename", "renames", "renamed", "split", "extract", "merge", "merged", "reorganize",
                    "restructure", "rework", "reworked", "rewrite", "rewrote", "simplify", "simplified",
                    "cleanup", "clean", "cleaned", "unify", "consolidate", "migrate", "port", "modernize"),
    "style": ("typo", "typos", "format", "formatting", "reformat", "lint", "style", "whitespace", "spelling",
              "docs", "doc", "docstring", "docstrings", "comment", "comments", "document", "documented",
              "wording", "reword", "clarify", "note", "pep8", "flake8", "mypy", "ruff", "black", "typing",
              "annotate", "annotations", "type", "types", "hints"),
    "release": ("bump", "release", "version", "prepare", "revert", "reverts", "reverted", "backport",
                "changelog", "wip", "minor", "misc", "various", "small", "more", "some", "cleanups"),
}
_VERB_OF = {w: cls for cls, words in VERB_CLASSES.items() for w in words}
_WORD = re.compile(r"[a-z][a-z']+")
_ISSUE_REF = re.compile(r"#\d+|\b(gh|issue|pr)[- ]?\d+\b", re.IGNORECASE)
_PLURAL_CODE = re.compile(r"\b(all|every|each|both|multiple|several|many|various)\b", re.IGNORECASE)
_CODE_SPAN = re.compile(r"`[^`\n]+`")


def words_of(instruction: str) -> list[str]:
    """Lower-case words of an instruction's subject line (the bag of words the model may weigh)."""
    return _WORD.findall(instruction.strip().split("\n", 1)[0].lower())


def cue_id(why: str) -> str:
    """A stable feature name for a wording cue, from its explanation."""
    return re.sub(r"[^a-z]+", "_", why.lower()).strip("_")[:40]


def _log(n: float) -> float:
    return math.log2(1.0 + max(0.0, n))


@dataclass(slots=True)
class Evidence:
    """What the code, the index and the wording say about one edit request."""

    path: str
    chain: Sequence[Definition]
    anchor: Definition | None
    intent: Intent
    symbol: str | None = None
    #: files other than this one that reference ``symbol``
    others: set[str] = field(default_factory=set)
    #: names the instruction mentions that are defined only outside the edited definition -> their files
    outside: dict[str, set[str]] = field(default_factory=dict)
    #: top-level definitions of this file that the instruction names (cursor at the top level)
    named_here: list[Definition] = field(default_factory=list)
    #: top-level definitions a selection overlaps
    tops: list[Definition] = field(default_factory=list)
    statement: str | None = None  # "import" | "assignment" | a node type | None (between statements)
    used_elsewhere_here: bool = False
    values: dict[str, float] = field(default_factory=dict)

    @property
    def top(self) -> Definition | None:
        return self.chain[-1] if self.chain else None

    @property
    def selected(self) -> bool:
        """The request came with a selection (not just a cursor)."""
        return bool(self.values.get("sel.lines_log")) or bool(self.tops)

    @property
    def selection_wide(self) -> bool:
        return len(self.tops) >= 2 and self.top is None

    @property
    def entry(self) -> bool:
        return PurePath(self.path).name in _PACKAGE_ENTRIES

    def features(self) -> dict[str, float]:
        """The flat map the decision weighs (absent = 0)."""
        return self.values


def statement_kind(snapshot: Snapshot, pos: Pos) -> str | None:
    """"import", "assignment" or another node type for the top-level statement at ``pos``."""
    tree, language = snapshot.syntax, snapshot.language
    line = snapshot.line(pos.line)
    if tree is None or language is None:
        return "import" if _IMPORT_LINE.match(line) else None
    at = Pos(pos.line, len(line) - len(line.lstrip())) if line.strip() else pos
    node = top_statement(tree.root, language, snapshot.line, at)
    if node is None:
        return "import" if _IMPORT_LINE.match(line) else None
    if node.type in IMPORT_NODES or _IMPORT_LINE.match(snapshot.line(node.start_point[0])):
        return "import"
    if node.type in _ASSIGNMENTS:
        return "assignment"
    return str(node.type)


def changed_symbol(anchor: Definition | None, chain: Sequence[Definition], intent: Intent) -> str | None:
    """The name whose users might have to change with this edit."""
    if intent.rename:
        return intent.rename[0]
    if anchor is None or not anchor.name:
        return None
    if anchor.kind == "method" and anchor.name in _CONSTRUCTORS:
        owner = next((d for d in chain if d.kind == "class"), None)
        return owner.name if owner else None
    if anchor.name.startswith("__") and anchor.name.endswith("__"):
        return None  # protocol methods are called by the language, not by name
    return anchor.name


def _defined_outside(index: WorkspaceIndex, names: Sequence[str], path: str,
                     top: Definition | None) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for name in names:
        defs = index.definitions(name)
        if not defs or len(defs) > 3 or all(s.kind == "method" for s in defs):
            continue  # unknown, too common, or a method reached through an object
        here = [s for s in defs if s.path == path]
        if top is None:
            if not here:  # at the top level a name from this file is probably the target itself
                out[name] = {s.path for s in defs}
            continue
        inside = [s for s in here if top.span.start.line <= s.span.start.line <= top.span.end.line]
        if not inside:
            out[name] = {s.path for s in defs}
    return out


def _used_elsewhere_here(index: WorkspaceIndex, name: str, path: str, top: Definition | None) -> bool:
    return any(r.path == path and (top is None or not top.span.start.line <= r.span.start.line
                                   <= top.span.end.line) for r in index.references(name))


#: the statement the cursor is on, by kind (a one-line fix is often a return, a condition, a call)
_STATEMENT_KINDS = {
    "return": "return", "raise": "raise", "throw": "raise", "if": "branch", "else": "branch",
    "elif": "branch", "switch": "branch", "match": "branch", "case": "branch", "for": "loop",
    "while": "loop", "do": "loop", "try": "try", "except": "try", "catch": "try", "with": "try",
    "decorator": "decorator", "assignment": "assign", "augmented": "assign", "lexical": "assign",
    "variable": "assign", "short": "assign", "const": "assign", "expression": "call", "call": "call",
    "import": "import", "comment": "comment", "string": "string", "pass": "other", "break": "loop",
    "continue": "loop", "assert": "raise", "yield": "return", "go": "call", "defer": "try",
}


def _statement_at(snapshot: Snapshot, pos: Pos) -> tuple[str | None, str | None]:
    """(the leaf's type, the kind of the innermost statement around the cursor)."""
    tree = snapshot.syntax
    if tree is None:
        return None, None
    line = snapshot.line(pos.line)
    col = len(line) - len(line.lstrip()) if line.strip() and not line[:pos.col].strip() else pos.col
    raw = len(line[:col].encode("utf-8"))
    node = tree.root.descendant_for_point_range((pos.line, raw), (pos.line, raw))
    leaf = str(node.type) if node is not None else None
    depth = 0
    while node is not None and depth < 12:
        kind = str(node.type)
        if kind.endswith(("_statement", "_clause", "_declaration", "_expression", "_definition")) or \
                kind in ("decorator", "comment", "string", "assignment", "augmented_assignment"):
            head = kind.split("_", 1)[0]
            if kind in ("expression_statement", "assignment_expression") and node.named_child_count:
                child = node.named_children[0]
                head = str(child.type).split("_", 1)[0]
            found = _STATEMENT_KINDS.get(head)
            if found is not None:
                return leaf, found
            if kind.endswith(("_definition", "_declaration")):
                return leaf, "header"
        node = node.parent
        depth += 1
    return leaf, None


def _named_here(snapshot: Snapshot, names: Sequence[str], path: str,
                index: WorkspaceIndex | None) -> list[Definition]:
    """Top-level definitions of this file that the instruction names: looked up by name in the
    index (a few tree lookups), or by a walk over the file's top level without one."""
    tree, language = snapshot.syntax, snapshot.language
    assert tree is not None and language is not None
    if index is None:
        last = snapshot.line_count - 1
        everything = top_level_definitions(tree.root, language, snapshot.line, Pos(0, 0),
                                           Pos(last, len(snapshot.line(last))))
        return [d for d in everything if d.name in names]
    found: list[Definition] = []
    for name in names:
        for sym in index.definitions(name):
            if sym.path != path or sym.kind == "method" or sym.span.start.line >= snapshot.line_count:
                continue
            chain = definitions_at(tree.root, language, snapshot.line, sym.span.start, None,
                                   snapshot.line_count)
            top = chain[-1] if chain else None
            if top is not None and top.name == name and top not in found:
                found.append(top)
    found.sort(key=lambda d: d.start_byte)
    return found


def _header_end(snapshot: Snapshot, anchor: Definition) -> int:
    """The last line of a definition's header (decorators and signature, up to its body)."""
    last = min(anchor.span.end.line, anchor.span.start.line + 12)
    for row in range(anchor.span.start.line, last + 1):
        if snapshot.line(row).rstrip().endswith((":", "{", "=>")):
            return row
    return anchor.span.start.line


def gather(snapshot: Snapshot, start: Pos, end: Pos, path: str, chain: Sequence[Definition],
           anchor: Definition | None, intent: Intent, instruction: str,
           index: WorkspaceIndex | None, parsed: bool) -> Evidence:
    """Collect the evidence for one edit request (the estimator's only look at the workspace)."""
    ev = Evidence(path, chain, anchor, intent)
    ev.symbol = changed_symbol(anchor, chain, intent)
    top = ev.top
    tree, language = snapshot.syntax, snapshot.language
    if start != end and parsed and tree is not None and language is not None:
        ev.tops = top_level_definitions(tree.root, language, snapshot.line, start, end)
    if index is not None and ev.symbol:
        ev.others = index.files_referencing(ev.symbol) - {path}
        if intent.rename:
            ev.others |= {s.path for s in index.definitions(ev.symbol)} - {path}
        ev.used_elsewhere_here = _used_elsewhere_here(index, ev.symbol, path, top)
    if index is not None and intent.reach != "inline":
        local = {d.name for d in chain if d.name}
        ev.outside = _defined_outside(index, [n for n in intent.mentioned if n not in local], path, top)
    if anchor is None and start == end:
        ev.statement = statement_kind(snapshot, start)
    if anchor is None and intent.mentioned and tree is not None and language:
        ev.named_here = _named_here(snapshot, intent.mentioned, path, index)
        ev.outside = {k: v for k, v in ev.outside.items() if k not in {d.name for d in ev.named_here}}
    ev.values = _values(ev, snapshot, start, end, instruction, index, parsed)
    return ev


def _values(ev: Evidence, snapshot: Snapshot, start: Pos, end: Pos, instruction: str,
            index: WorkspaceIndex | None, parsed: bool) -> dict[str, float]:
    v: dict[str, float] = {}
    anchor, intent = ev.anchor, ev.intent
    line = snapshot.line(start.line)
    # where the cursor is
    if anchor is None:
        v["pos.top_level"] = 1.0
        kind = ev.statement
        key = {"import": "pos.import", "assignment": "pos.assignment", None: "pos.between"}.get(kind,
                                                                                              "pos.statement")
        v[key] = 1.0
    else:
        v[f"anchor.{anchor.kind}"] = 1.0
        lines = anchor.span.end.line - anchor.span.start.line + 1
        v["anchor.lines_log"] = _log(lines)
        v["pos.in_anchor"] = (start.line - anchor.span.start.line) / max(1, lines - 1)
        v["pos.header"] = 1.0 if start.line <= _header_end(snapshot, anchor) else 0.0
        if anchor.name:
            dunder = anchor.name.startswith("__") and anchor.name.endswith("__")
            v["anchor.private"] = 1.0 if anchor.name.startswith("_") and not dunder else 0.0
            v["anchor.dunder"] = 1.0 if dunder else 0.0
        if len(ev.chain) >= 2 and ev.chain[-1].kind != "class":
            v["pos.nested_function"] = 1.0
        if ev.chain and ev.chain[0].kind == "class" and anchor.kind == "class":
            v["pos.class_body"] = 1.0
    if not line.strip():
        v["pos.blank_line"] = 1.0
    leaf, statement = _statement_at(snapshot, start) if parsed else (None, None)
    if leaf in _STRINGS:
        v["pos.string_or_comment"] = 1.0
    if statement is not None and anchor is not None:
        v[f"stmt.{statement}"] = 1.0
    v["file.lines_log"] = _log(snapshot.line_count)
    v["pos.file_fraction"] = start.line / max(1, snapshot.line_count - 1)
    v["file.entry"] = 1.0 if ev.entry else 0.0
    v["file.test"] = 1.0 if is_test_path(ev.path) else 0.0
    if not parsed:
        v["code.unparsed"] = 1.0
    # the selection
    if start != end:
        v["sel.lines_log"] = _log(end.line - start.line + 1)
        v["sel.tops"] = float(len(ev.tops))
    # the top-level unit the cursor is in (a function, or a class with its methods): changes that
    # stay inside one unit are one definition's worth, however many methods they touch
    top = ev.top
    if top is not None:
        top_lines = top.span.end.line - top.span.start.line + 1
        v["top.lines_log"] = _log(top_lines)
        v["top.share"] = top_lines / max(1, snapshot.line_count)
    # the index
    if index is not None:
        v["file.tops_log"] = _log(index.outer_definitions_in(ev.path))
        history = index.history
        if history is not None and history.commits >= 10:
            v["hist.repo_multi"] = history.multi_rate
            seen, rate = history.file_rate(ev.path)
            v["hist.file_changes_log"] = _log(seen)
            v["hist.file_multi"] = rate if rate is not None and seen >= 3 else history.multi_rate
        v["ws.files_log"] = _log(len(index))
        v["file.defs_log"] = _log(index.definition_count(ev.path))
        v["refs.other_files_log"] = _log(len(ev.others))
        v["refs.used_here"] = 1.0 if ev.used_elsewhere_here else 0.0
        v["named.outside"] = _log(len(ev.outside))
        v["named.here"] = _log(len(ev.named_here))
    v["named.count_log"] = _log(len(intent.mentioned))
    if anchor is not None and anchor.name and anchor.name in intent.mentioned:
        v["named.anchor"] = 1.0
    # the wording
    words = words_of(instruction)
    v["words.count_log"] = _log(len(words))
    if not words:
        v["words.none"] = 1.0
    else:
        v[f"verb.{_VERB_OF.get(words[0], 'other')}"] = 1.0
        for w in set(words):
            cls = _VERB_OF.get(w)
            if cls is not None:
                v[f"verbs.{cls}"] = 1.0
            v[f"word.{w}"] = 1.0
    if _ISSUE_REF.search(instruction):
        v["words.issue_ref"] = 1.0
    if _CODE_SPAN.search(instruction):
        v["words.code_span"] = 1.0
    if _PLURAL_CODE.search(instruction.split("\n", 1)[0]):
        v["words.plural"] = 1.0
    if "\n\n" in instruction.strip():
        v["words.body"] = 1.0
    subject = instruction.strip().split("\n", 1)[0]
    for cue in CUES:
        if cue.pattern.search(subject):
            v[f"cue.{cue.reach}.{cue_id(cue.why)}"] = 1.0
    if intent.reach is not None:
        v[f"intent.{intent.reach}"] = intent.weight
    for flag, on in (("signature", intent.signature_change), ("rename", intent.rename is not None),
                     ("imports", intent.about_imports), ("class", intent.about_class)):
        if on:
            v[f"intent.{flag}"] = 1.0
    rows = (top.span.start.line, top.span.end.line) if top is not None else None
    v.update(term_values(instruction, ev.path, line, anchor.name if anchor else None, rows, index))
    # a few pairs that mean more together than apart
    if ev.others and intent.signature_change:
        v["x.signature_used_elsewhere"] = 1.0
    if ev.others and v.get("pos.header"):
        v["x.header_used_elsewhere"] = 1.0
    if ev.outside and anchor is not None:
        v["x.names_other_definitions"] = 1.0
    return v
