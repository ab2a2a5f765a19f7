"""What the headless harness shows: progress on stderr, results as text or JSON, usage from the ledger.

Kept apart from :mod:`codeswitch.cli.harness` (arguments) and :mod:`codeswitch.cli.client` (the LSP
session) so the demo can reuse the rendering, and so each piece stays small.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from codeswitch.ledger import Ledger, LedgerError, RequestRow, default_path
from codeswitch.wording import plural

BAR_WIDTH = 24
PLAIN_STEP = 25.0
_DIGITS = re.compile(r"\d+")


def empty_usage() -> dict[str, Any]:
    return {"input_tokens": 0, "output_tokens": 0, "cost_usd": None}


def usage_of(value: object) -> dict[str, Any]:
    """A result's ``usage`` in the contract's shape (missing or malformed -> zeros, unknown price)."""
    if not isinstance(value, Mapping):
        return empty_usage()
    cost = value.get("cost_usd")
    return {"input_tokens": int(value.get("input_tokens") or 0),
            "output_tokens": int(value.get("output_tokens") or 0),
            "cost_usd": float(cost) if isinstance(cost, int | float) else None}


@dataclass(slots=True)
class ProgressView:
    """Renders the server's ``$/progress``: a redrawn bar on a terminal, plain lines otherwise."""

    stream: TextIO
    tty: bool
    titles: dict[str, str] = field(default_factory=dict)
    #: the percentage last printed per token (plain lines print every PLAIN_STEP points)
    printed: dict[str, float] = field(default_factory=dict)
    stages: dict[str, str] = field(default_factory=dict)
    #: the line last printed per token: the same report twice says nothing new, even with another
    #: token's lines in between
    last_lines: dict[str, str] = field(default_factory=dict)
    drawn: bool = False

    def __call__(self, token: str, value: Mapping[str, Any]) -> None:
        kind = value.get("kind")
        if kind == "begin":
            title = str(value.get("title") or "working")
            self.titles[token] = title.removeprefix("codeswitch: ").removeprefix("codeswitch ")
        title = self.titles.get(token, "working")
        message = str(value.get("message") or "")
        pct = value.get("percentage")
        if kind == "end":
            self.titles.pop(token, None)
            self.printed.pop(token, None)
            self.stages.pop(token, None)
            self._clear()
            self._line(token, f"codeswitch: {title}: {message or 'done'}")
            self.last_lines.pop(token, None)
            return
        if self.tty:
            bar = ""
            if isinstance(pct, int | float):
                filled = int(BAR_WIDTH * max(0, min(100, pct)) / 100)
                bar = f" [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {int(pct):>3}%"
            text = f"codeswitch: {title}{bar} {message}".rstrip()
            self.stream.write("\r\033[K" + text)
            self.stream.flush()
            self.drawn = True
        else:
            if kind == "report" and isinstance(pct, int | float):
                stage = _DIGITS.sub("#", message)
                if stage == self.stages.get(token) and pct - self.printed.get(token, pct) < PLAIN_STEP:
                    return  # a log file needs each stage and milestones, not every tick
                self.printed[token], self.stages[token] = pct, stage
            suffix = f" ({int(pct)}%)" if isinstance(pct, int | float) else ""
            self._line(token, f"codeswitch: {title}" + (f": {message}" if message else "") + suffix)

    def _clear(self) -> None:
        if self.drawn:
            self.stream.write("\r\033[K")
            self.drawn = False

    def _line(self, token: str, text: str) -> None:
        if text == self.last_lines.get(token):
            return  # the same report twice says nothing new
        self.last_lines[token] = text
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        self._clear()
        self.stream.flush()


@dataclass(frozen=True, slots=True)
class InlineUsage:
    usage: dict[str, Any]
    fallbacks: list[dict[str, str]]
    failed: bool  # the request's last attempt failed and none served it


def inline_usage(since: float, model: str | None, ledger_path: Path | None = None) -> InlineUsage:
    """Usage of the inline request the harness just made, from the ledger rows written since ``since``.

    The server records each model call of a request under one request id; the rows of the latest
    inline request since ``since`` (served by ``model`` when known) are ours. Another editor writing
    inline rows to the same ledger in the same instant could be counted instead; the harness's own
    process makes one request, so that is the only ambiguity.
    """
    path = ledger_path or default_path()
    if not path.exists():
        return InlineUsage(empty_usage(), [], False)
    now = time.time()
    try:
        with Ledger(path) as ledger:
            rows = [r for r in ledger.rows(since) if r.kind == "inline" and r.ts <= now]
    except LedgerError:
        return InlineUsage(empty_usage(), [], False)
    groups: dict[str, list[RequestRow]] = {}
    for row in rows:
        groups.setdefault(row.request_id, []).append(row)
    chosen = next((g for g in reversed(groups.values())  # the latest request served by ``model``
                   if model is None or any(r.outcome == "ok" and r.model_key == model for r in g)), None)
    if chosen is None:
        return InlineUsage(empty_usage(), [], False)
    ok = [r for r in chosen if r.outcome == "ok"]
    known = [r.cost_usd for r in chosen if r.cost_usd is not None]
    unknown = any(r.cost_usd is None and (r.input_tokens or r.output_tokens) for r in chosen)
    usage = {"input_tokens": sum(r.input_tokens for r in chosen),
             "output_tokens": sum(r.output_tokens for r in chosen),
             "cost_usd": None if unknown or not known else round(sum(known), 6)}
    fallbacks = [{"model": r.model_key, "error": r.error_kind or r.outcome}
                 for r in chosen if r.outcome in ("fallback", "error")]
    return InlineUsage(usage, fallbacks, failed=not ok and any(r.outcome == "error" for r in chosen))


def usage_line(usage: Mapping[str, Any]) -> str:
    cost = usage.get("cost_usd")
    price = f"${cost:.6f}" if isinstance(cost, int | float) else "price unknown"
    return f"{usage.get('input_tokens', 0)} in / {usage.get('output_tokens', 0)} out tokens, {price}"


def describe(out: Mapping[str, Any]) -> str:
    """One line: scope, tier, model, tokens and dollars, fallbacks."""
    model = out.get("model") or "(no model)"
    line = f"{out.get('scope') or '?'} request -> {model} (tier {out.get('tier') or '?'}; "
    line += usage_line(out.get("usage") or empty_usage()) + ")"
    fallbacks = out.get("fallbacks") or []
    if fallbacks:
        line += "; fell back from " + ", ".join(f"{f.get('model')} ({f.get('error')})" for f in fallbacks)
    return line


def render_complete(out: Mapping[str, Any], line_text: str, character: int) -> str:
    """The suggestion shown after the text before the cursor, as ghost text would read; nothing
    when the request went to no model (the error line says why)."""
    if out.get("scope") is None and out.get("error"):
        return ""
    lines = [describe(out)]
    items = out.get("items") or []
    if not items:
        lines.append("(no suggestion)")
    before = line_text[:character]
    for item in items:
        text = str(item.get("insertText", ""))
        lines.append("")
        lines.extend("  | " + row for row in (before + text).split("\n"))
    return "\n".join(lines)


_COLORS = (("+++ ", "\033[1m"), ("--- ", "\033[1m"), ("@@", "\033[36m"), ("+", "\033[32m"), ("-", "\033[31m"))


def color_diff(diff: str) -> str:
    """ANSI colors for a unified diff (file names bold, hunks cyan, additions green, removals red)."""
    out = []
    for row in diff.split("\n"):
        code = next((c for prefix, c in _COLORS if row.startswith(prefix)), None)
        out.append(f"{code}{row}\033[0m" if code else row)
    return "\n".join(out)


def is_tty(stream: Any) -> bool:
    """Whether a stream is a terminal (a stream without ``isatty``, e.g. a test's buffer, is not)."""
    return bool(getattr(stream, "isatty", lambda: False)())


def wants_color(stream: Any) -> bool:
    """Colors on a terminal, unless NO_COLOR is set (https://no-color.org)."""
    return is_tty(stream) and "NO_COLOR" not in os.environ


def render_edit(out: Mapping[str, Any], *, apply: bool, color: bool = False) -> str:
    lines = [describe(out)]
    diff = str(out.get("diff") or "")
    if diff:
        lines += ["", color_diff(diff.rstrip("\n")) if color else diff.rstrip("\n")]
    elif out.get("error") is None:
        lines.append("(no change)")
    if out.get("error") is None and diff:
        files = sum(1 for row in diff.splitlines() if row.startswith("+++ "))
        if out.get("applied"):
            lines += ["", f"applied to {plural(files, 'file')}"]
        elif not apply:
            lines += ["", "not applied (pass --apply to write the files)"]
    refused = [r for r in out.get("refused") or () if isinstance(r, Mapping)]
    if refused:
        lines += ["", f"{len(refused)} edit{'s' if len(refused) != 1 else ''} refused (not in the diff):"]
        lines += [f"  {r.get('agent', '?')}: {r.get('message', '')}" for r in refused]
    return "\n".join(lines)
