"""Prompts for function edits: the anchor, its context, the instruction and the edit format.

The model sees the anchor (the enclosing function, method or class) with line numbers of the
file, the imports at the top of the file, the definitions of names the anchor uses that live in
other files (from the workspace index, secret files never read) and, for "fix diagnostics", the
diagnostics the editor reported inside the anchor. It answers in search/replace blocks that quote
lines of the anchor only (``codeswitch.formats``); a whole-file rewrite cannot be expressed.

Quick edits (no typing) are instructions written here: add a docstring, add type annotations,
fix the diagnostics.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from codeswitch.catalog import ModelInfo
from codeswitch.providers import CompletionRequest, Message

from .prompts_inline import Snippet

QuickKind = Literal["docstring", "annotate", "fix"]
QUICK_KINDS: tuple[QuickKind, ...] = ("docstring", "annotate", "fix")

EDIT_SYSTEM = (
    "You edit code. The user sends one code region (the anchor: a function, method or class) from a "
    "file, context for reference, and an instruction. Change only the anchor, as little as the "
    "instruction needs, keeping its style and indentation.\n"
    "Answer with one or more search/replace blocks, nothing else is applied:\n"
    "<<<<<<< SEARCH\n"
    "exact lines copied from the anchor (whole lines, with their indentation)\n"
    "=======\n"
    "the lines that replace them\n"
    ">>>>>>> REPLACE\n"
    "Each SEARCH part must occur exactly once in the anchor: quote enough lines to make it unique, "
    "and do not include the line numbers. Never quote code outside the anchor, never rewrite the "
    "whole file, never edit other files. If the instruction needs changes outside the anchor, make "
    "the part inside it and say what else must change in one sentence after the blocks."
)

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEYWORDS = frozenset((
    "def", "class", "return", "if", "else", "elif", "for", "while", "in", "not", "and", "or", "is",
    "None", "True", "False", "self", "import", "from", "as", "with", "try", "except", "finally",
    "raise", "pass", "break", "continue", "lambda", "yield", "async", "await", "function", "const",
    "let", "var", "new", "this", "export", "default", "interface", "type", "extends", "implements",
    "public", "private", "protected", "static", "void", "number", "string", "boolean", "any", "null",
    "undefined", "typeof", "instanceof", "fn", "pub", "impl", "struct", "enum", "match", "mut", "func",
    "package", "go", "defer", "chan", "map", "range", "nil", "int", "float", "str", "bool", "dict",
    "list", "tuple", "set", "bytes", "print", "len",
))


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A diagnostic the editor reported (code-point positions in the document)."""

    line: int
    col: int
    message: str
    severity: str = "error"
    source: str | None = None


@dataclass(frozen=True, slots=True)
class EditContext:
    """Everything an edit prompt is built from; plain strings."""

    instruction: str
    anchor_text: str
    anchor_line: int  # 0-based first line of the anchor in the file
    anchor_label: str  # e.g. "function `area`"
    language: str | None = None
    path: str | None = None
    imports: tuple[str, ...] = ()
    snippets: tuple[Snippet, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()


def quick_instruction(kind: QuickKind, label: str, language: str | None,
                      diagnostics: Sequence[Diagnostic] = ()) -> str:
    """The instruction a quick edit stands for."""
    if kind == "docstring":
        what = "a docstring" if language == "python" else "a documentation comment (JSDoc/doc comment style)"
        return (f"Add {what} to {label}: one summary line, then the parameters and the return value "
                "when they are not obvious. Do not change any code.")
    if kind == "annotate":
        return (f"Add type annotations to {label}: every parameter and the return type, using types the "
                "code already imports or builtins. Do not change behaviour.")
    listed = "; ".join(f"line {d.line + 1}: {d.message}" for d in diagnostics) or "the reported problems"
    return f"Fix the diagnostics in {label} ({listed}) with the smallest change that fixes them."


def names_used(text: str, *, limit: int = 16) -> tuple[str, ...]:
    """Identifiers in the anchor worth looking up elsewhere (no keywords, first use first)."""
    seen: dict[str, None] = {}
    for name in _IDENT.findall(text):
        if len(name) > 2 and name not in _KEYWORDS and name not in seen:
            seen[name] = None
            if len(seen) >= limit:
                break
    return tuple(seen)


def numbered(text: str, first_line: int) -> str:
    """The anchor with file line numbers, so the model can relate diagnostics to lines."""
    rows = text.split("\n")
    if rows and rows[-1] == "":
        rows = rows[:-1]
    width = len(str(first_line + len(rows)))
    return "\n".join(f"{first_line + i + 1:>{width}} | {row}" for i, row in enumerate(rows))


def edit_message(ctx: EditContext) -> str:
    """The user turn: file, context, diagnostics, the anchor (plain and numbered), the instruction."""
    parts: list[str] = []
    if ctx.path:
        parts.append(f"File: {ctx.path}" + (f" ({ctx.language})" if ctx.language else ""))
    if ctx.imports:
        parts.append("Imports at the top of this file:\n" + "\n".join(ctx.imports))
    if ctx.snippets:
        parts.append("Definitions from other files, for reference (do not edit them):")
        parts.extend(f"--- {s.path}\n{s.text}" for s in ctx.snippets)
    if ctx.diagnostics:
        parts.append("Diagnostics reported by the editor:\n" + "\n".join(
            f"line {d.line + 1}, column {d.col + 1}: {d.severity}: {d.message}"
            + (f" [{d.source}]" if d.source else "") for d in ctx.diagnostics))
    parts.append(f"The anchor, {ctx.anchor_label}, with file line numbers for reference:\n"
                 + numbered(ctx.anchor_text, ctx.anchor_line))
    fence = "```"
    parts.append(f"The anchor as it is (quote SEARCH lines from this):\n{fence}{ctx.language or ''}\n"
                 f"{ctx.anchor_text.rstrip(chr(10))}\n{fence}")
    parts.append(f"Instruction: {ctx.instruction}")
    return "\n\n".join(parts)


def build_request(model: ModelInfo, ctx: EditContext, *, max_tokens: int) -> CompletionRequest:
    """The provider request for ``model`` (every API gets the same chat-style request)."""
    return CompletionRequest(
        model_id=model.model_id,
        system=EDIT_SYSTEM,
        messages=(Message("user", edit_message(ctx)),),
        max_tokens=max(1, min(max_tokens, model.max_output)),
        cache_system=True,
    )
