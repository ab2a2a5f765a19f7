"""What an instruction's wording says about its reach.

Only explainable cues: each match becomes a reason the user can read ("'everywhere' asks for a
change across files"). The estimator weighs them against what the code says (selection, anchor,
cross-file references); wording alone never decides when the code clearly disagrees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Reach = Literal["inline", "function", "workspace"]


@dataclass(frozen=True, slots=True)
class Cue:
    pattern: re.Pattern[str]
    reach: Reach
    weight: float  # how sure the wording alone makes us, 0..1
    why: str
    #: broad only if other code uses the name: the estimator checks the index before trusting it
    via_references: bool = False


def _cue(rx: str, reach: Reach, weight: float, why: str, via_references: bool = False) -> Cue:
    return Cue(re.compile(rx, re.IGNORECASE), reach, weight, why, via_references)


CUES: tuple[Cue, ...] = (
    # reach across the workspace
    _cue(r"\beverywhere\b|\bthroughout\b|\b(project|codebase|repo)[- ]wide\b|\bglobally\b", "workspace", 0.9,
         "asks for a change everywhere"),
    _cue(r"\b(all|every|each)\s+(the\s+)?(callers?|call[- ]sites?|usages?|uses|references|invocations)\b",
         "workspace", 0.9, "asks to update all callers"),
    _cue(r"\b(across|in)\s+(all\s+|every\s+|the\s+|multiple\s+|several\s+)?(files|modules|packages|"
         r"codebase|code base|project|repo(sitory)?)\b", "workspace", 0.85, "asks for a change across files"),
    _cue(r"\b(every|each|all)\s+(\w+\s+)?(files?|modules?|packages?|classes|commands|handlers|endpoints)\b",
         "workspace", 0.75, "names many files or definitions"),
    _cue(r"\bmov(e|es|ed|ing)\b.*\b(to|into)\b.*(\b(module|file|package|namespace|crate|library)\b|"
         r"[\w/]+\.[a-z]{1,4}\b|\w+/\w+)", "workspace", 0.9, "moves code to another module"),
    _cue(r"\bcallers\b|\bcall[- ]sites\b", "workspace", 0.8, "the callers change too"),
    _cue(r"\b(extract|split|pull)\w*\b.*\b(into|to|out)\b.*\b(module|file|package|crate|library)s?\b",
         "workspace", 0.85, "splits code into another module"),
    _cue(r"\brenam(e|es|ed|ing)\b(?!\s+(the\s+|a\s+|this\s+)?(local\s+|loop\s+)?variable)", "workspace", 0.8,
         "renames a name other code may use", via_references=True),
    _cue(r"\b(update|fix|change|adjust)\s+(the\s+|its\s+)?(callers|call[- ]sites|usages)\b", "workspace",
         0.85, "asks to update the callers"),
    _cue(r"\b(whole|entire)\s+(codebase|code base|project|repo(sitory)?|package)\b", "workspace", 0.85,
         "asks for a change to the whole project"),
    _cue(r"\b(add|write)\w*\s+(a\s+|some\s+)?(unit\s+|regression\s+)?tests?\b(?!\s+(case\s+)?here)",
         "workspace", 0.55, "tests live in another file"),
    _cue(r"\b(public|exported?)\s+(api|interface)|\bexpos(e|es|ed|ing)\b|\bexport(s|ed|ing)?\b",
         "workspace", 0.6, "changes what the package exports"),
    _cue(r"\b(migrat|moderni[sz]|reorgani[sz]|restructur|redesign|overhaul)\w*", "workspace", 0.7,
         "a sweeping restructuring"),
    _cue(r"\b(type (hints?|annotations?|checking)|typing)\b", "workspace", 0.5,
         "type annotations usually touch many definitions"),
    _cue(r"\bapply\w*\s+(ruff|black|isort|pyupgrade|prettier|eslint|clang-format|gofmt|rustfmt|"
         r"formatter|lint\w*)\b|\b(ruff|pyupgrade|pyright|mypy|flake8|eslint)\b", "workspace", 0.7,
         "a tool-driven change over many files"),
    _cue(r"\b(replace|remove|update|change|delete|drop)\s+all\b", "workspace", 0.75,
         "changes all occurrences"),
    _cue(r"\bmade?\s+(\w+\s+)?public\b|\bpublic\s+api\b", "workspace", 0.6, "changes the public API"),
    _cue(r"\bimplement(s|ed|ing)?\b(?!\s+(this|the|it|here)\b)", "workspace", 0.5,
         "implementing a feature usually spans several definitions"),
    _cue(r"\brefactor(s|ed|ing)?\b(?!\s+(this|it|here)\b)|\bmov(e|es|ed|ing)\b(?!\s+(this|it|the)\s+"
         r"(line|statement|check|call|loop))", "workspace", 0.5, "restructures code across definitions"),
    _cue(r"\bdeprecat\w*", "workspace", 0.45, "a deprecation usually touches docs, warnings and callers"),
    _cue(r"\bdrop(s|ped|ping)?\s+support\b|\bcompat(ibility)?\s+(code|layer|shims?)\b", "workspace", 0.6,
         "removes support code spread over files"),
    # local edits
    _cue(r"\b(this|the current|current)\s+(function|method|def|fn|routine|block|loop|class|constructor)\b",
         "function", 0.85, "talks about this definition"),
    _cue(r"\b(refactor|simplify|clean ?up|optimi[sz]e|rewrite)\s+(this|it|here)\b", "function", 0.8,
         "a local rework of this code"),
    _cue(r"^\s*(add|write|update|improve|fix)\s+(a|the|its)\s+(docstring|doc ?comment|comment)\s*"
         r"(to\s+(this|it)\b.*|here\b.*)?$", "function", 0.85,
         "asks for one doc comment: it goes inside the definition at the cursor"),
    _cue(r"\b(add|write|update|improve)\s+(a\s+|the\s+)?(docstring|doc comment|comments?|logging|log line|"
         r"guard|check|retr(y|ies)|timeout|validation|error handling|type hints? here)\b", "function", 0.6,
         "adds something inside this definition"),
    _cue(r"^\s*(fix|handle|add|implement|refactor|simplify|optimi[sz]e|make|use|avoid|support|"
         r"catch|check|return|raise|ensure|guard|validate)\b", "function", 0.35, "a local verb"),
    _cue(r"\bhere\b|\bin this\b", "function", 0.4, "points at the code here"),
    # one-line changes
    _cue(r"\btypos?\b|\bspelling\b|\bmisspell\w*|\bwording\b|\brst\b|\bbackticks?\b|\bone[- ]liner?\b|"
         r"\bthis line\b|\boff[- ]by[- ]one\b", "inline", 0.7, "a one-line fix"),
)

_SIGNATURE = re.compile(
    r"\b(signature|keyword[- ]only|positional[- ]only|return type|renam\w*|overloads?)\b|"
    r"\b(make|convert|turn|rewrite)\w*\b[^.;\n]{0,30}\b(async|a coroutine|a generator)\b|"
    r"\b(add|remove|drop|rename|reorder|change|restore|make|introduce|deprecate|new)\w*\b[^.;\n]{0,40}"
    r"\b(parameters?|params?|arguments?|args?|kwargs?|options?|flags?)\b", re.IGNORECASE)
_CLASS = re.compile(r"\bclass\b|\bmethods\b|\b(every|each|all)\s+(the\s+)?methods?\b|"
                    r"\b(add|new|write|create|implement)\w*\b[^.;\n]{0,30}"
                    r"\b(method|attribute|field|property|member|constructor)s?\b", re.IGNORECASE)
_LOCAL_RENAME = re.compile(r"\brenam\w*\s+(the\s+|a\s+|this\s+)?(local\s+|loop\s+)?variable",
                           re.IGNORECASE)
_RENAME = re.compile(r"\brename\w*\s+[`'\"]?([\w.]+)[`'\"]?\s+(?:to|as|into|->)\s+[`'\"]?([\w.]+)",
                     re.IGNORECASE)
_IMPORTS = re.compile(r"\b(imports?|includes?|require|dependenc(y|ies))\b", re.IGNORECASE)
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_IDENT = re.compile(r"\b([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*)(\(\))?")


@dataclass(frozen=True, slots=True)
class Intent:
    """The reach the wording suggests and the evidence for it."""

    reach: Reach | None
    weight: float
    reasons: tuple[str, ...]
    signature_change: bool
    rename: tuple[str, str] | None
    mentioned: tuple[str, ...]  # identifiers the instruction names (see mentioned_names)
    about_imports: bool = False  # the instruction talks about imports / includes themselves
    via_references: bool = False  # the winning cue is broad only if other files use the name
    about_class: bool = False  # talks about the class (new methods, fields, every method)


def _looks_like_code(word: str, called: bool) -> bool:
    if called or "." in word.strip("."):
        return True
    if "_" in word.strip("_"):
        return True
    return any(c.isupper() for c in word[1:]) and any(c.islower() for c in word)


_FILE_OR_URL = re.compile(r"\w+://\S+|\S+\.(py|pyi|js|ts|tsx|go|rs|java|c|h|cpp|hpp|lua|rb|md|rst|txt|"
                         r"toml|cfg|ini|json|ya?ml|exe|sh|org|com|io|net|html)\b|#\d+", re.IGNORECASE)


def mentioned_names(instruction: str) -> tuple[str, ...]:
    """Identifiers named in an instruction: `code spans` anywhere; dotted names, calls, snake_case
    and CamelCase words in its first line (later paragraphs of long texts mention too much)."""
    found: list[str] = []
    for span in _CODE_SPAN.findall(instruction):
        for m in _IDENT.finditer(_FILE_OR_URL.sub(" ", span)):
            found.append(m.group(1))
    subject = _FILE_OR_URL.sub(" ", _CODE_SPAN.sub(" ", instruction.strip().split("\n", 1)[0]))
    for m in _IDENT.finditer(subject):
        if _looks_like_code(m.group(1), bool(m.group(2))):
            found.append(m.group(1))
    out: list[str] = []
    for name in found:
        parts = name.split(".")
        # `Class.attr` names both; `module.func` and `self.method` name only the attribute
        keep = [parts[0], parts[-1]] if len(parts) > 1 and parts[0][:1].isupper() else [parts[-1]]
        for n in keep:
            if n and n not in out and not n.isdigit() and n not in ("self", "this", "cls"):
                out.append(n)
    return tuple(out)


def classify(instruction: str | None) -> Intent:
    """Read the reach cues of an instruction (pure, no I/O)."""
    text = (instruction or "").strip()
    if not text:
        return Intent(None, 0.0, (), False, None, ())
    best: dict[str, tuple[float, str, Cue]] = {}
    subject, _, body = text.partition("\n")
    for part, factor in ((subject, 1.0), (body, 0.6)):  # details further down count for less
        for cue in CUES:
            m = cue.pattern.search(part)
            if m is None:
                continue
            prev = best.get(cue.reach)
            if prev is None or cue.weight * factor > prev[0]:
                best[cue.reach] = (cue.weight * factor, f"'{m.group(0).strip()}' {cue.why}", cue)
    rename_m = _RENAME.search(text)
    rename = None
    if rename_m:
        rename = (rename_m.group(1).rsplit(".", 1)[-1], rename_m.group(2).rsplit(".", 1)[-1])
    reach: Reach | None = None
    weight = 0.0
    reasons: list[str] = []
    # the strongest cue wins; a local cue only beats a broad one when clearly stronger
    ranked = sorted(best.items(), key=lambda kv: -kv[1][0] - (0.1 if kv[0] == "workspace" else 0.0))
    via_references = False
    if ranked:
        top, (weight, why, winner) = ranked[0]
        reach = top  # type: ignore[assignment]
        reasons.append(why)
        via_references = winner.via_references
    signature = bool(_SIGNATURE.search(_LOCAL_RENAME.sub(" ", text)))
    return Intent(reach, weight, tuple(reasons), signature, rename,
                  mentioned_names(text), bool(_IMPORTS.search(text)), via_references,
                  bool(_CLASS.search(subject)))
