"""Prompts for inline completion: windows around the cursor, context from other files, per-API shape.

A FIM model gets the text before and after the cursor as ``prompt``/``suffix``. A chat-only model
(Codex-Spark, gpt-oss, Haiku) gets a *hole-filler* prompt: the code with a ``<FILL>`` marker and
the instruction to answer with the missing text only, closed by ``</FILL>`` (also the stop
sequence, so APIs that honour ``stop`` end the stream there).

Windows are sized by a token budget (about four characters a token) and read line by line from
the snapshot, so the cost follows the window, never the file.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from codeswitch.catalog import ModelInfo
from codeswitch.diskio import is_regular
from codeswitch.limits import CHARS_PER_TOKEN
from codeswitch.providers import CompletionRequest, Message

FILL = "<FILL>"
FILL_END = "</FILL>"
PREFIX_TAG = "<|prefix|>"
SUFFIX_TAG = "<|suffix|>"
END_TAG = "<|end|>"

HOLE_FILLER_SYSTEM = (
    "You complete code. The user sends a file with one hole marked <FILL>, between <|prefix|> and "
    "<|suffix|>. Answer with exactly the text that replaces <FILL>, written as <FILL>text</FILL>: "
    "no explanation, no markdown fences, never repeat the code before or after the hole. Keep the "
    "indentation of the surrounding code. If nothing fits, answer <FILL></FILL>."
)

#: line count read per side at most, whatever the budget (a guard for minified files)
MAX_WINDOW_LINES = 400
_IMPORT = re.compile(r"^\s*(import\s|from\s+\S+\s+import\s|#include\s|use\s|require[\s(]|package\s|"
                     r"(const|let|var)\s+\w+\s*=\s*require\(|local\s+\w+\s*=\s*require)")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SHAPE_HINT = {
    "rest_of_line": "Complete the current line only.",
    "expression": "Complete the expression at the hole.",
    "block": "Write the body of the block that opens before the hole; stop where that block ends.",
}
#: a block whose body already has code after the hole: the hole is its start, not the whole body
_BLOCK_START_HINT = ("Write the statements that go at the start of the block that opens before the hole, "
                     "before the code that follows the hole; that code stays as it is.")


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" \t"))


def body_follows(prefix: str, suffix: str) -> bool:
    """Code of the block the hole opens into already follows the hole: on the hole's line, or on the
    next non-blank line, indented as deep as the hole (when the hole starts its line) or deeper than
    the line that opens the block (when the hole ends it)."""
    first, _, rest = suffix.partition("\n")
    after = first.strip()
    if after:  # code right after the hole, unless it only closes the block (``{|}``, ``do |end``)
        return not (after[0] in "})]" or after == "end" or after.startswith("end "))
    hole_line = prefix.rsplit("\n", 1)[-1]
    next_code = next((row for row in rest.split("\n") if row.strip()), None)
    if next_code is None:
        return False
    if not hole_line.strip():
        return _indent(next_code) >= len(hole_line) > 0
    return _indent(next_code) > _indent(hole_line)


def shape_hint(ctx: InlineContext, shape: str | None) -> str:
    if shape == "block" and body_follows(ctx.prefix, ctx.suffix):
        return _BLOCK_START_HINT
    return _SHAPE_HINT.get(shape or "", _SHAPE_HINT["rest_of_line"])


@dataclass(frozen=True, slots=True)
class Snippet:
    """A piece of another file shown to the model (a definition the code near the cursor uses)."""

    path: str
    text: str


@dataclass(frozen=True, slots=True)
class InlineContext:
    """Everything the prompt is built from; plain strings, already cut to their budgets."""

    prefix: str
    suffix: str
    language: str | None = None
    path: str | None = None
    imports: tuple[str, ...] = ()
    snippets: tuple[Snippet, ...] = ()


def prefix_window(line: Callable[[int], str], row: int, col: int, max_tokens: int) -> str:
    """Text before (row, col), whole lines back from the cursor until the budget is spent."""
    budget = max(0, max_tokens) * CHARS_PER_TOKEN
    head = line(row)[max(0, col - budget):col]  # a minified line must not become the prompt
    parts = [head]
    used = len(head)
    r = row - 1
    while r >= 0 and row - r <= MAX_WINDOW_LINES:
        text = line(r)
        if used + len(text) + 1 > budget:
            break
        parts.append(text + "\n")
        used += len(text) + 1
        r -= 1
    parts.reverse()
    return "".join(parts)


def suffix_window(line: Callable[[int], str], line_count: int, row: int, col: int, max_tokens: int) -> str:
    """Text after (row, col), whole lines forward until the budget is spent."""
    budget = max(0, max_tokens) * CHARS_PER_TOKEN
    tail = line(row)[col:col + budget]
    parts = [tail]
    used = len(tail)
    r = row + 1
    while r < line_count and r - row <= MAX_WINDOW_LINES:
        text = line(r)
        if used + len(text) + 1 > budget:
            break
        parts.append("\n" + text)
        used += len(text) + 1
        r += 1
    return "".join(parts)


def file_imports(line: Callable[[int], str], line_count: int, *, limit: int = 30,
                 scan_lines: int = 120) -> tuple[str, ...]:
    """Import-like lines from the top of the file (cheap: the first ``scan_lines`` only)."""
    out: list[str] = []
    for r in range(min(line_count, scan_lines)):
        text = line(r)
        if _IMPORT.match(text):
            out.append(text.strip())
            if len(out) >= limit:
                break
    return tuple(out)


def names_near_cursor(prefix: str, *, lines: int = 6, limit: int = 12) -> tuple[str, ...]:
    """Identifiers used in the last few lines before the cursor, nearest first, no duplicates."""
    tail = "\n".join(prefix.rsplit("\n", lines)[-lines:])
    seen: dict[str, None] = {}
    for name in reversed(_IDENT.findall(tail)):
        if len(name) > 2 and name not in seen:
            seen[name] = None
            if len(seen) >= limit:
                break
    return tuple(seen)


@dataclass(frozen=True, slots=True)
class DefinitionSite:
    """Where a name is defined: a workspace-relative path and 0-based start/end lines."""

    path: str
    start_line: int
    end_line: int


def gather_snippets(names: Iterable[str], lookup: Callable[[str], list[DefinitionSite]], *,
                    root: Path, exclude_path: str | None, is_secret: Callable[[Path], bool],
                    time_budget_s: float = 0.005, max_snippets: int = 4,
                    max_lines: int = 12) -> tuple[Snippet, ...]:
    """Definitions (signature and first lines) of ``names`` from other files, within a time budget.

    Secret files are never read. The budget is checked between files, so a slow disk costs at
    most one extra read.
    """
    deadline = time.perf_counter() + time_budget_s
    out: list[Snippet] = []
    seen: set[tuple[str, int]] = set()
    for name in names:
        if len(out) >= max_snippets or time.perf_counter() > deadline:
            break
        for site in lookup(name)[:2]:
            if site.path == exclude_path or (site.path, site.start_line) in seen:
                continue
            full = root / site.path
            if is_secret(full) or not is_regular(full):  # never open a pipe swapped in since indexing
                continue
            seen.add((site.path, site.start_line))
            try:
                with full.open(encoding="utf-8", errors="replace") as fh:
                    rows = [r for i, r in zip(range(site.start_line + max_lines), fh, strict=False)
                            if i >= site.start_line]
            except OSError:
                continue
            if site.end_line > site.start_line:
                end = min(len(rows), site.end_line - site.start_line + 1)
            else:  # only the name's position is known: the header and its indented body
                end = definition_extent(rows)
            text = "".join(rows[:max(end, 1)]).rstrip()
            if text:
                out.append(Snippet(site.path, text))
            break
    return tuple(out)


def definition_extent(rows: list[str]) -> int:
    """How many of ``rows`` (a definition's header first) belong to it: the lines indented past
    the header, plus a closing ``}``/``end`` at the header's indentation."""
    if not rows:
        return 0
    base = len(rows[0]) - len(rows[0].lstrip())
    n = 1
    while n < len(rows):
        row = rows[n]
        text = row.strip()
        indent = len(row) - len(row.lstrip())
        if text and indent <= base:
            if text in ("}", "};", "end", "})", "},"):
                n += 1
            break
        n += 1
    while n > 1 and not rows[n - 1].strip():
        n -= 1
    return n


def _comment_prefix(language: str | None) -> str:
    return {"python": "#", "ruby": "#", "lua": "--"}.get(language or "", "//")


def context_header(ctx: InlineContext) -> str:
    """Other files' definitions as comments, for FIM models that only see raw code."""
    if not ctx.snippets:
        return ""
    c = _comment_prefix(ctx.language)
    lines: list[str] = []
    for s in ctx.snippets:
        lines.append(f"{c} from {s.path}:")
        lines.extend(f"{c} {row}" for row in s.text.splitlines())
    return "\n".join(lines) + "\n"


def hole_filler_message(ctx: InlineContext, shape: str | None) -> str:
    """The user turn for a chat model: context, then the code with the hole."""
    parts: list[str] = []
    if ctx.path:
        parts.append(f"File: {ctx.path}" + (f" ({ctx.language})" if ctx.language else ""))
    if ctx.snippets:
        parts.append("Definitions from other files, for reference:")
        for s in ctx.snippets:
            parts.append(f"--- {s.path}\n{s.text}")
    if ctx.imports and ctx.imports[0] not in ctx.prefix:
        parts.append("Imports at the top of this file:\n" + "\n".join(ctx.imports))
    parts.append(shape_hint(ctx, shape))
    parts.append(f"{PREFIX_TAG}{ctx.prefix}{FILL}{SUFFIX_TAG}{ctx.suffix}{END_TAG}")
    return "\n\n".join(parts)


def build_request(model: ModelInfo, ctx: InlineContext, *, shape: str | None,
                  max_tokens: int) -> CompletionRequest:
    """The provider request for ``model``: FIM when the catalog says so, the text before the cursor
    for a base model behind a completions API, else the hole filler."""
    tokens = max(1, min(max_tokens, model.max_output))
    if model.fim:
        stop = ("\n",) if shape == "rest_of_line" else ()
        return CompletionRequest(model_id=model.model_id, prompt=context_header(ctx) + ctx.prefix,
                                 suffix=ctx.suffix, max_tokens=tokens, stop=stop, temperature=0.0)
    if not model.chat:  # a base model without FIM tokens: it continues the prefix
        return CompletionRequest(model_id=model.model_id, prompt=context_header(ctx) + ctx.prefix,
                                 max_tokens=tokens, stop=prefix_only_stops(shape), temperature=0.0)
    return CompletionRequest(
        model_id=model.model_id,
        system=HOLE_FILLER_SYSTEM,
        messages=(Message("user", hole_filler_message(ctx, shape)),),
        max_tokens=tokens,
        stop=(FILL_END,),
        cache_system=True,
    )


def prefix_only_stops(shape: str | None) -> tuple[str, ...]:
    """Where a model that sees no suffix should stop: a line ends a line; anything longer ends at a
    blank line (it cannot see the code after the cursor, so it would write on past the block)."""
    return ("\n",) if shape == "rest_of_line" else ("\n\n",)


def max_tokens_for(shape: str | None, tier_max: int) -> int:
    """Output cap by shape: a line needs few tokens, a block more (never above the tier's cap)."""
    cap = {"rest_of_line": 64, "expression": 128}.get(shape or "", tier_max)
    return max(1, min(cap, tier_max))
