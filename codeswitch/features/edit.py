"""Function edits: from a snapshot, an anchor and an instruction to validated, minimal edits.

One request: build the prompt (``prompts_edit``), call the function tier's chain through a
``CompleteFn`` (the dispatcher's ``complete``: fallbacks, breakers, cancellation), parse the
answer (search/replace blocks, else an anchored replacement), apply it inside the anchor's lines,
refuse new syntax errors and anything outside the anchor, and diff the result into minimal
edits against the snapshot the model saw. :func:`onto` moves those edits onto the document as it
is now (rebase) or refuses them when the user typed inside the anchor meanwhile.

A function edit that changes the anchor's signature while other files use it, or whose answer says
that code outside the anchor must change too (the prompt asks for that sentence), is not applied:
the outcome says the request belongs to the workspace tier (error kind ``workspace_scope``).
Everything here is plain data; the handler (``handlers/actions.py``) speaks LSP.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from codeswitch.catalog import ModelInfo
from codeswitch.documents import Pos, Span
from codeswitch.edits import (
    EditRejected,
    TextEdit,
    apply_anchored,
    apply_search_replace,
    check_syntax,
    check_target,
    minimal_edits,
    offset_of,
    rebase,
)
from codeswitch.formats import FormatError, parse_anchored, parse_search_replace, trailing_note
from codeswitch.providers import CompletionRequest
from codeswitch.routing import RouteDecision
from codeswitch.secrets import is_secret

from .prompts_edit import Diagnostic, EditContext, build_request, names_used
from .prompts_inline import DefinitionSite, file_imports, gather_snippets

#: (decision, build, request_kind=..., scope=...) -> Completion; ``Dispatcher.complete`` fits
CompleteFn = Callable[..., Awaitable[Any]]
#: name -> where it is defined in the workspace (from the index)
DefinitionLookup = Callable[[str], list[DefinitionSite]]
#: name -> workspace-relative paths of the files that use it (from the index)
ReferenceLookup = Callable[[str], set[str]]


class EditDocument(Protocol):
    """What an edit reads from a snapshot (``documents.Snapshot`` fits)."""

    @property
    def version(self) -> int: ...
    @property
    def language(self) -> str | None: ...
    @property
    def line_count(self) -> int: ...
    @property
    def text(self) -> str: ...
    def line(self, i: int) -> str: ...


@dataclass(frozen=True, slots=True)
class EditTarget:
    """Where an edit may go: whole lines of the anchor (or of the selection when there is none)."""

    region: Span
    label: str
    kind: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class EditOutcome:
    """What one edit produced. ``edits`` are against ``old_text`` (version ``base_version``);
    ``error`` is (kind, message) when nothing may be applied."""

    base_version: int
    old_text: str
    new_text: str
    edits: tuple[TextEdit, ...]
    target: EditTarget
    model: str | None = None
    fallbacks: tuple[tuple[str, str], ...] = ()
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    error: tuple[str, str] | None = None
    reasons: tuple[str, ...] = field(default=())


def target_for(doc: EditDocument, anchor: Span | None, selection: Span, kind: str | None,
               name: str | None) -> EditTarget:
    """The anchor's lines, whole; without an anchor, the selected lines (the cursor's line)."""
    span = anchor if anchor is not None else selection
    first, last = span.start.line, span.end.line
    if span.end.col == 0 and last > first:
        last -= 1  # a span ending at a line's start does not take that line
    if anchor is not None:
        what = kind or "definition"
        label = f"{what} `{name}`" if name else f"the {what} at line {first + 1}"
    else:
        label = f"lines {first + 1}-{last + 1}" if last > first else f"line {first + 1}"
    last = min(last, doc.line_count - 1)
    return EditTarget(Span(Pos(first, 0), Pos(last, len(doc.line(last)))), label, kind, name)


def _signature(text: str) -> str:
    """The header of a definition: up to the first ``:`` line end or ``{``, whitespace squeezed."""
    head: list[str] = []
    for row in text.split("\n"):
        stripped = row.strip()
        if stripped.startswith(("@", "#", "//", "/*", "*")) and not head:
            continue
        cut = stripped.find("{")
        if cut >= 0:
            head.append(stripped[:cut])
            break
        head.append(stripped)
        if stripped.endswith(":") or stripped.endswith(";"):
            break
    return re.sub(r"\s+", "", " ".join(head))


@dataclass(slots=True)
class EditEngine:
    """Builds edit prompts, calls the models, validates and diffs their answers."""

    root: Path | None = None
    definitions: DefinitionLookup | None = None
    references: ReferenceLookup | None = None
    exclude: tuple[str, ...] = ()
    context_time_budget_s: float = 0.05  # the handler sets the config's edit.context_ms

    def context(self, doc: EditDocument, target: EditTarget, instruction: str, rel_path: str | None,
                diagnostics: tuple[Diagnostic, ...] = ()) -> EditContext:
        text = doc.text
        start, end = offset_of(text, target.region.start), offset_of(text, target.region.end)
        anchor_text = text[start:end]
        covers_top = target.region.start.line == 0
        imports = () if covers_top else file_imports(doc.line, doc.line_count)
        snippets: tuple[Any, ...] = ()
        if self.definitions is not None and self.root is not None:
            root = self.root
            snippets = gather_snippets(names_used(anchor_text), self.definitions, root=root,
                                       exclude_path=rel_path, is_secret=lambda p: is_secret(p, root),
                                       time_budget_s=self.context_time_budget_s)
        return EditContext(instruction, anchor_text, target.region.start.line, target.label, doc.language,
                           rel_path, imports, snippets, diagnostics)

    async def run(self, doc: EditDocument, target: EditTarget, instruction: str, *, decision: RouteDecision,
                  complete: CompleteFn, rel_path: str | None = None, path: Path | None = None,
                  diagnostics: tuple[Diagnostic, ...] = ()) -> EditOutcome:
        """One routed model call and its validation; cancellation propagates (closes the stream).

        Raises what ``complete`` raises when every model failed (the handler reports it).
        """
        old = doc.text
        base = EditOutcome(doc.version, old, old, (), target)
        if not decision.chain:
            return _refused(base, "no_model", f"no model can serve this edit: {decision.cause}")
        ctx = self.context(doc, target, instruction, rel_path, diagnostics)

        def build(model: ModelInfo) -> CompletionRequest:
            return build_request(model, ctx, max_tokens=decision.max_output_tokens)

        done = await complete(decision, build, request_kind="edit", scope=decision.scope)
        usage = done.usage
        served = EditOutcome(doc.version, old, old, (), target, done.model_key,
                             tuple((str(k), str(e)) for k, e in (done.fallbacks or ())),
                             int(getattr(usage, "input_tokens", 0) or 0),
                             int(getattr(usage, "output_tokens", 0) or 0), done.cost_usd)
        try:
            new = self.apply(doc, target, done.text, path)
        except EditRejected as exc:
            return _refused(served, exc.kind, exc.message)
        edits = region_edits(old, new, target)
        escalation = self._escalation(old, new, target, rel_path) or _needs_more(done.text)
        if escalation is not None:
            return replace(served, new_text=new, edits=edits, error=("workspace_scope", escalation),
                           reasons=(escalation,))
        return replace(served, new_text=new, edits=edits)

    def apply(self, doc: EditDocument, target: EditTarget, answer: str, path: Path | None) -> str:
        """The document text with the model's answer applied inside the target, or EditRejected."""
        old = doc.text
        region = (offset_of(old, target.region.start), offset_of(old, target.region.end))
        try:
            blocks = parse_search_replace(answer)
        except FormatError as sr_error:
            try:
                replacement = parse_anchored(answer)
            except FormatError:
                raise EditRejected("format", f"the model's answer holds no edit: {sr_error}") from None
            new = apply_anchored(old, replacement, region)
        else:
            for block in blocks:
                if block.path is not None:
                    self._check_path(block.path, path)
            new = apply_search_replace(old, blocks, region)
        if new == old:
            raise EditRejected("no_change", "the model proposed no change")
        start, end = region
        tail = len(old) - end
        if new[:start] != old[:start] or new[len(new) - tail:] != old[end:] or len(new) < start + tail:
            raise EditRejected("outside_anchor", f"the edit changes code outside {target.label}")
        copied = _copied_from_outside(old, start, end, new[start:len(new) - tail])
        if copied:
            raise EditRejected("outside_anchor", f"the answer rewrites code outside {target.label} "
                               f"(it repeats {copied!r}); only the anchor may change")
        tree = getattr(doc, "syntax", None)  # a Snapshot's tree is for exactly its text
        check_syntax(doc.language, old, new, before_count=None if tree is None else _errors(tree))
        return new

    def _check_path(self, named: str, path: Path | None) -> None:
        """A block naming a file: it must be this document (and a file we may edit at all)."""
        roots = [self.root] if self.root is not None else []
        full, rel = check_target(named, roots, self.exclude)
        if path is None or full != path.resolve():
            raise EditRejected("outside_anchor", f"a function edit changes only this file; the answer "
                               f"edits {rel}")

    def _escalation(self, old: str, new: str, target: EditTarget, rel_path: str | None) -> str | None:
        """Why the edit needs the workspace tier (a changed signature used elsewhere), or None."""
        if self.references is None or not target.name or target.kind not in ("function", "method", "class"):
            return None
        start, end = offset_of(old, target.region.start), offset_of(old, target.region.end)
        before, after = old[start:end], new[start:end + len(new) - len(old)]
        if _signature(before) == _signature(after):
            return None
        users = sorted(self.references(target.name) - ({rel_path} if rel_path else set()))
        if not users:
            return None
        shown = ", ".join(users[:3]) + (f" and {len(users) - 3} more" if len(users) > 3 else "")
        return (f"the edit changes the signature of `{target.name}`, used in {len(users)} other "
                f"file{'s' if len(users) != 1 else ''} ({shown}): escalated to the workspace tier")


#: the answer's closing sentence says that code outside the anchor has to change too
_MORE = re.compile(r"\b(callers?|call[- ]sites?|usages?|"
                   r"other (files?|modules?|functions?|methods?|places?|code)|elsewhere|"
                   r"(also|must|should|will|need\w*)( also)? (be )?(update|change|adjust|modif)\w*|"
                   r"(update|change|adjust)\w* (the |its |all )?(tests?|imports?|docs?|documentation|"
                   r"references?|subclass\w*|implementations?)|[\w/]+\.(py|js|ts|tsx|go|rs|java|rb|lua|c|h|cpp))\b",
                   re.IGNORECASE)


def _needs_more(answer: str) -> str | None:
    """Why the model's own answer says the request reaches past the anchor, or None."""
    note = trailing_note(answer)
    if not note or not _MORE.search(note):
        return None
    shown = note if len(note) <= 200 else note[:197] + "..."
    return (f"the model says more must change outside this definition ({shown}): "
            "escalated to the workspace tier")


_HEADER = re.compile(r"^\s*(?:export\s+|pub\s+|async\s+|public\s+|private\s+|static\s+)*"
                     r"(?:def|class|function|fn|func|interface|import|from\s+\S+\s+import)\b")


def _copied_from_outside(old: str, start: int, end: int, new_region: str) -> str | None:
    """A definition or import line from outside the anchor that the new anchor text adds (the model
    rewrote more than the anchor, e.g. answered with the whole file), or None."""
    inside = set(old[start:end].splitlines())
    # exact lines, indentation included: a local `    import json` is not the file's `import json`
    added = {row.rstrip() for row in new_region.splitlines() if row not in inside and _HEADER.match(row)}
    if not added:
        return None
    for row in (old[:start] + "\n" + old[end:]).splitlines():
        if _HEADER.match(row) and row.rstrip() in added:
            return row.strip()
    return None


def _errors(tree: Any) -> int:
    from codeswitch.scope import error_count

    count: int = error_count(tree)
    return count


def region_edits(old: str, new: str, target: EditTarget) -> tuple[TextEdit, ...]:
    """Minimal edits for a change confined to the target's whole lines (diffs the region only)."""
    first = target.region.start.line
    start = offset_of(old, target.region.start)
    end = offset_of(old, target.region.end)
    tail = len(old) - end
    moved = minimal_edits(old[start:end], new[start:len(new) - tail])
    return tuple(TextEdit(Span(Pos(e.span.start.line + first, e.span.start.col),
                               Pos(e.span.end.line + first, e.span.end.col)), e.new_text) for e in moved)


def _refused(outcome: EditOutcome, kind: str, message: str) -> EditOutcome:
    return replace(outcome, new_text=outcome.old_text, edits=(), error=(kind, message))


def onto(outcome: EditOutcome, current_version: int, current_text: str) -> tuple[TextEdit, ...]:
    """The outcome's edits for the document as it is now: unchanged, rebased, or EditRejected("stale")."""
    if current_version == outcome.base_version:
        return outcome.edits
    return tuple(rebase(outcome.edits, outcome.old_text, current_text, outcome.target.region))
