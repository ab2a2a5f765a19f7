"""Feature names -> short sentences a person can read in ``Scope.reasons``."""

from __future__ import annotations

from collections.abc import Mapping

from .features import Evidence, cue_id
from .intent import CUES

_CUE_WHY = {f"cue.{c.reach}.{cue_id(c.why)}": c.why for c in CUES}

_FIXED = {
    "pos.top_level": "at the top level of the file, outside any definition",
    "pos.import": "starts at the imports: the code that uses them changes too",
    "pos.assignment": "at a top-level assignment",
    "pos.between": "between top-level statements: new code goes here",
    "pos.statement": "at a top-level statement",
    "pos.header": "at the definition's header (its signature)",
    "pos.nested_function": "inside a nested function",
    "pos.class_body": "in a class body, outside its methods",
    "pos.blank_line": "on a blank line: an insertion",
    "pos.string_or_comment": "in a string or comment",
    "anchor.function": "inside a function",
    "anchor.method": "inside a method",
    "anchor.class": "inside a class",
    "anchor.type": "inside a type definition",
    "anchor.private": "the definition is private to its module",
    "anchor.dunder": "a protocol method, called by the language",
    "file.entry": "the package's entry file: what it exports lives in other files",
    "file.test": "a test file",
    "code.unparsed": "the code does not parse here",
    "refs.used_here": "other definitions of this file use it",
    "named.anchor": "the instruction names the definition itself",
    "words.none": "no instruction",
    "words.issue_ref": "refers to an issue, not to the code",
    "words.code_span": "quotes code",
    "words.plural": "speaks of several things (all, every, both, ...)",
    "words.body": "a long description",
    "intent.signature": "changes an interface (parameters, signature, return type)",
    "intent.rename": "a rename",
    "intent.imports": "about imports or dependencies",
    "intent.class": "about the class (methods, fields)",
    "x.signature_used_elsewhere": "changes an interface that other files use",
    "x.header_used_elsewhere": "at the header of a definition other files use",
    "x.names_other_definitions": "names code defined outside this definition",
    "terms.none": "the request names nothing in particular",
    "terms.anchor": "the request speaks of this definition's name",
    "terms.line": "the request speaks of what this line uses",
    "terms.other_file": "the request speaks of another module by its name",
}


_COUNTS = {
    "file.lines_log": "a file of {n} lines",
    "file.defs_log": "{n} definitions in this file",
    "file.tops_log": "{n} top-level definitions in this file",
    "ws.files_log": "a workspace of {n} source files",
    "words.count_log": "an instruction of {n} words",
    "hist.file_changes_log": "this file changed in {n} recent commits",
    "terms.tops_log": "the request speaks of {n} definitions of this file by name",
    "terms.other_tops_log": "the request speaks of {n} other definitions of this file by name",
}
_SHARES = {
    "terms.file_share": "{share:.0%} of the request's words are names used in this file",
    "hist.file_multi": "{share:.0%} of this file's recent changes also changed other files",
    "hist.repo_multi": "{share:.0%} of this repository's recent changes touched several files",
}


def _n(values: Mapping[str, float], name: str) -> int:
    """Undo the ``log2(1 + n)`` of a count feature."""
    return round(2 ** values.get(name, 0.0) - 1)


def describe(name: str, ev: Evidence, values: Mapping[str, float]) -> str:
    """One sentence for a feature that moved the decision."""
    if name in _FIXED:
        return _FIXED[name]
    if name in _CUE_WHY:
        return f"the wording {_CUE_WHY[name]}"
    head, _, rest = name.partition(".")
    symbol = f"`{ev.symbol}`" if ev.symbol else "the definition"
    if name == "anchor.lines_log" and ev.anchor is not None:
        return f"{ev.anchor.kind} of {ev.anchor.span.end.line - ev.anchor.span.start.line + 1} lines"
    if name == "refs.other_files_log":
        n = len(ev.others)
        return f"{symbol} is used in {n} other file{'s' if n != 1 else ''}" if n else \
            f"no other file uses {symbol}"
    if name == "named.outside" and ev.outside:
        item, where = next(iter(ev.outside.items()))
        return f"also names `{item}`, defined in {', '.join(sorted(where)[:3])}"
    if name == "named.here":
        return "names " + ", ".join(f"`{d.name}`" for d in ev.named_here[:4]) + " in this file"
    if name == "named.count_log":
        return f"names {len(ev.intent.mentioned)} identifiers"
    if name in _COUNTS:  # log2(1 + n) features
        return _COUNTS[name].format(n=_n(values, name))
    if name in _SHARES:
        return _SHARES[name].format(share=values.get(name, 0.0))
    if name in ("sel.lines_log", "sel.tops"):
        return f"the selection covers {len(ev.tops)} definition(s)"
    if name in ("top.lines_log", "top.share") and ev.top is not None:
        lines = ev.top.span.end.line - ev.top.span.start.line + 1
        return f"the top-level {ev.top.kind} around the cursor is {lines} lines"
    if name in ("pos.in_anchor", "pos.file_fraction"):
        return "where the cursor sits in the " + ("definition" if name == "pos.in_anchor" else "file")
    if head == "stmt":
        return f"the cursor is on a {rest} statement" if rest != "header" else "the cursor is on a header"
    if head == "verb":
        return f"starts with a {rest} verb"
    if head == "verbs":
        return f"wording of a {rest} change"
    if head == "word":
        return f"the word '{rest}'"
    if head == "intent":
        return f"the wording suggests a {rest} change"
    return name
