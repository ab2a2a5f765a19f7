"""estimate_scope: how far a request reaches (inline / function / workspace) and why.

Pure: reads the snapshot, the request and the index, writes nothing. Inline requests only walk
from the cursor up to the enclosing definition, so they cost the same on any file size.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath
from typing import TYPE_CHECKING

from codeswitch.documents import Pos, Span
from codeswitch.limits import CHARS_PER_TOKEN

from .decide import SCOPES, ScopeModel, choose, shipped_model
from .explain import describe
from .fallback import text_block
from .features import Evidence, gather
from .intent import classify
from .model import Scope, ScopeName, ScopeRequest
from .nodes import Definition, definitions_at
from .shape import inline_shape

if TYPE_CHECKING:
    from codeswitch.documents import Snapshot

    from .index import WorkspaceIndex
    from .syntax import SyntaxTree

#: prefix/suffix window an inline request sends around the cursor, in characters
INLINE_WINDOW_CHARS = 6000
#: what one more file costs a workspace request, in tokens (its outline and the lines that change)
TOKENS_PER_EXTRA_FILE = 1500
#: a wording cue this sure ("everywhere", "this function") states the reach outright
EXPLICIT_WEIGHT = 0.8


def _rel_path(snapshot: Snapshot, index: WorkspaceIndex | None) -> str:
    path = snapshot.path
    if path is None:
        return PurePath(snapshot.uri.rsplit("/", 1)[-1]).as_posix() if snapshot.uri else "untitled"
    p = PurePath(path)
    if index is not None and index.root is not None and p.is_absolute():
        try:
            return p.relative_to(index.root).as_posix()
        except ValueError:
            pass
    return p.as_posix()


def _clamp(pos: Pos, snapshot: Snapshot) -> Pos:
    line = min(max(pos.line, 0), max(snapshot.line_count - 1, 0))
    return Pos(line, min(max(pos.col, 0), len(snapshot.line(line))))


def _anchor_of(chain: Sequence[Definition], prefer_class: bool) -> Definition | None:
    """The definition an edit belongs to: the outermost function below a class (a method or a
    top-level function), or the class itself when the request is about the class."""
    if not chain:
        return None
    if prefer_class:
        for d in chain:
            if d.kind == "class":
                return d
    best: Definition | None = None
    for d in chain:  # innermost first
        if d.kind == "class":
            return best or d
        best = d
    return best


def _contains(span: Span, pos: Pos) -> bool:
    return (span.start.line, span.start.col) <= (pos.line, pos.col) <= (span.end.line, span.end.col)


def _fallback_reason(tree: SyntaxTree | None) -> str:
    if tree is None:
        return "no grammar for this language: indentation heuristics"
    return "the code does not parse here: indentation heuristics"


def _describe(d: Definition) -> str:
    return f"{d.kind} `{d.name}`" if d.name else f"an anonymous {d.kind}"


# --- the estimate -------------------------------------------------------------------------------

def estimate_scope(snapshot: Snapshot, request: ScopeRequest, index: WorkspaceIndex | None, *,
                   under_penalty: float | None = None) -> Scope:
    """Estimate the scope of one request; every decision carries its reasons.

    ``under_penalty`` (default: the model's) is how much worse one tier too small is than one
    tier too large when the decision is unsure (see ``decide.choose``).
    """
    kind = request.kind
    if kind == "auto":
        kind = "edit" if (request.instruction or "").strip() else "inline"
    start, end = _ordered(snapshot, request)
    if kind == "inline":
        return _inline(snapshot, end, _rel_path(snapshot, index), request.kind == "auto")
    ev, parsed = _evidence(snapshot, request, index)
    return _edit(snapshot, start, end, ev, index, parsed, under_penalty)


def _ordered(snapshot: Snapshot, request: ScopeRequest) -> tuple[Pos, Pos]:
    start, end = _clamp(request.span.start, snapshot), _clamp(request.span.end, snapshot)
    if (end.line, end.col) < (start.line, start.col):
        start, end = end, start
    return start, end


def _evidence(snapshot: Snapshot, request: ScopeRequest,
              index: WorkspaceIndex | None) -> tuple[Evidence, bool]:
    instruction = (request.instruction or "").strip()
    start, end = _ordered(snapshot, request)
    tree = snapshot.syntax
    language = snapshot.language
    chain: list[Definition] = []
    if tree is not None and language is not None:
        chain = definitions_at(tree.root, language, snapshot.line, start, end, snapshot.line_count)
    if not chain and (tree is None or tree.has_error):
        # no grammar, or code the grammar cannot read (mid-edit, older dialects): indentation
        block = text_block(snapshot, start)
        chain = [block] if block is not None and (end.line <= block.span.end.line) else []
    parsed = tree is not None and not (chain and chain[0].end_byte == 0)
    intent = classify(instruction)
    anchor = _anchor_of(chain, intent.about_class)
    ev = gather(snapshot, start, end, _rel_path(snapshot, index), chain, anchor, intent, instruction,
                index, parsed)
    return ev, parsed


def edit_features(snapshot: Snapshot, request: ScopeRequest,
                  index: WorkspaceIndex | None) -> tuple[dict[str, float], ScopeName | None]:
    """The named features an edit request's scope is decided on (what the model is trained on),
    and the scope the request states outright (decided without the model), if any."""
    ev, _ = _evidence(snapshot, request, index)
    explicit = _explicit(ev, index)
    return ev.features(), explicit[0] if explicit is not None else None


def _inline(snapshot: Snapshot, pos: Pos, path: str, auto: bool) -> Scope:
    tree = snapshot.syntax_near(pos.line)  # the cursor's definition is all an inline scope reads
    language = snapshot.language
    reasons = ["no instruction: a completion at the cursor" if auto else "a completion request at the cursor"]
    anchor: Definition | None = None
    if tree is not None and language is not None:
        chain = definitions_at(tree.root, language, snapshot.line, pos, None, snapshot.line_count)
        anchor = chain[0] if chain else None
        line = snapshot.line(pos.line)
        if line.strip() and not line[:pos.col].strip():
            # a cursor in the indentation before a header belongs to what holds the header
            anchor = next((d for d in chain if _contains(d.span, pos)), None)
        confidence = 0.95
        size = anchor.end_byte - anchor.start_byte if anchor else 0
    if tree is None or (anchor is None and tree.has_error):
        anchor = text_block(snapshot, pos, limit=200)
        confidence = 0.8
        size = (anchor.span.end.line - anchor.span.start.line + 1) * 40 if anchor else 0
    shape = inline_shape(snapshot.line, pos, tree)
    reasons.append(f"inside {_describe(anchor)}" if anchor else "at the top level of the file")
    reasons.append({"block": "a block opens here: complete its body",
                    "expression": "inside an unfinished expression: complete the expression",
                    "rest_of_line": "complete the rest of the line"}[shape])
    if tree is None or (anchor is not None and anchor.end_byte == 0):
        reasons.append(_fallback_reason(tree))
    tokens = (min(size, INLINE_WINDOW_CHARS) + INLINE_WINDOW_CHARS // 2) // CHARS_PER_TOKEN
    return Scope("inline", anchor.span if anchor else None, anchor.kind if anchor else None,
                 anchor.name if anchor else None, shape, (path,), anchor.name if anchor else None,
                 tokens, confidence, tuple(reasons))


def _file_chars(snapshot: Snapshot) -> int:
    last = snapshot.line_count - 1
    return snapshot.offset_of(Pos(last, len(snapshot.line(last)))) if last >= 0 else 0


def _explicit(ev: Evidence, index: WorkspaceIndex | None) -> tuple[ScopeName, float, list[str]] | None:
    """What the request states outright, which no learned weight overrides: a selection over
    several definitions, or wording that names its reach ("everywhere", "this function")."""
    intent = ev.intent
    if ev.selection_wide:
        names = ", ".join(f"`{d.name}`" for d in ev.tops[:4] if d.name)
        return "workspace", 0.8, [f"the selection spans {len(ev.tops)} top-level definitions ({names})"]
    if intent.reach == "workspace" and intent.via_references:
        reasons = list(intent.reasons)
        anchor, symbol = ev.anchor, ev.symbol
        if (index is not None and len(index) and anchor is not None and symbol
                and (symbol == anchor.name or not index.definitions(symbol))
                and not ev.others and not ev.outside and not ev.used_elsewhere_here):
            reasons.append(f"but no other file uses `{symbol}`: the change stays in this file")
            return "function", 0.7, reasons
        if ev.others:
            return "workspace", 0.8, [*reasons, f"other files use `{symbol}` ({len(ev.others)})"]
        return None
    if intent.reach in ("workspace", "function") and intent.weight >= EXPLICIT_WEIGHT:
        if intent.reach == "function" and ev.anchor is None:
            return None
        return intent.reach, min(0.95, 0.45 + intent.weight / 2), list(intent.reasons)
    if intent.signature_change and ev.others and ev.symbol:
        n = len(ev.others)
        used = f"changes the interface of `{ev.symbol}`, used in {n} other file{'s' if n != 1 else ''}"
        return "workspace", 0.7, [*intent.reasons, used]
    if not intent.reasons and ev.features().get("words.none") and ev.anchor is not None:
        return "function", 0.5, ["no instruction yet: the definition around the cursor"]
    if ev.selected and len(ev.tops) <= 1 and (ev.anchor is not None or ev.tops):
        # the user marked the code to change, and it lies in one definition
        return "function", 0.7, ["the selection lies inside one definition"]
    return None


def _learned(ev: Evidence, model: ScopeModel,
             under_penalty: float | None) -> tuple[ScopeName, float, list[str]]:
    values = ev.features()
    probs = model.probabilities(values)
    pick = choose(probs, model.under_penalty if under_penalty is None else under_penalty)
    ranked = sorted(range(3), key=lambda i: -probs[i])
    other = ranked[0] if ranked[0] != pick else ranked[1]
    reasons = [", ".join(f"{SCOPES[i]} {probs[i]:.2f}" for i in ranked)]
    for weight, name in model.contributions(values, pick, other)[:3]:
        if weight <= 0.05:
            break
        reasons.append(describe(name, ev, values))
    return SCOPES[pick], probs[pick], reasons


def _edit(snapshot: Snapshot, start: Pos, end: Pos, ev: Evidence, index: WorkspaceIndex | None,
          parsed: bool, under_penalty: float | None = None) -> Scope:
    reasons: list[str] = []
    anchor = ev.anchor
    path = ev.path
    files: set[str] = {path}
    if start != end and len(ev.tops) == 1 and anchor is None:
        anchor = ev.tops[0]
    explicit = _explicit(ev, index)
    model = shipped_model()
    scope: ScopeName
    if explicit is not None:
        scope, confidence, why = explicit
    elif model is not None:
        scope, confidence, why = _learned(ev, model, under_penalty)
    else:
        scope, confidence, why = "function", 0.4, ["no scope model is installed: the middle tier"]
    reasons.extend(why)
    if scope == "workspace":
        files |= ev.others
        for where in ev.outside.values():
            files |= where
        if ev.others and explicit is None:
            reasons.append(describe("refs.other_files_log", ev, {}))
    elif anchor is None and len(ev.named_here) == 1:
        anchor = ev.named_here[0]
        reasons.append(f"names `{anchor.name}`, defined in this file: the change is there")
    if scope == "inline" and (anchor is None or anchor.kind not in ("function", "method")):
        scope = "function"  # a one-line change is served inside a definition
    if anchor is not None:
        reasons.append(f"anchored to {_describe(anchor)} (lines {anchor.span.start.line + 1}-"
                       f"{anchor.span.end.line + 1})")
    if not parsed:
        reasons.append(_fallback_reason(snapshot.syntax))
        confidence *= 0.8
    anchor_chars = (anchor.end_byte - anchor.start_byte) if anchor and anchor.end_byte else 0
    if anchor is not None and not anchor_chars:
        anchor_chars = (anchor.span.end.line - anchor.span.start.line + 1) * 40
    if scope == "workspace":
        tokens = _file_chars(snapshot) // CHARS_PER_TOKEN + TOKENS_PER_EXTRA_FILE * (len(files) - 1)
    else:
        tokens = (anchor_chars or 4000) // CHARS_PER_TOKEN + 500
    return Scope(scope, anchor.span if anchor else None, anchor.kind if anchor else None,
                 anchor.name if anchor else None, None, tuple(sorted(files)), ev.symbol, tokens,
                 round(max(0.05, min(1.0, confidence)), 2), tuple(reasons))


def enclosing_definition(snapshot: Snapshot, start: Pos, end: Pos | None = None, *,
                         innermost: bool = True) -> Definition | None:
    """The definition around a position or range: the innermost one, or with ``innermost=False``
    the one an edit anchors to (a method or a top-level function; the class around it is not
    chosen). Falls back to indentation blocks for languages without a grammar."""
    tree, language = snapshot.syntax, snapshot.language
    start = _clamp(start, snapshot)
    end = _clamp(end or start, snapshot)
    if tree is None or language is None:
        return text_block(snapshot, start)
    chain = definitions_at(tree.root, language, snapshot.line, start, end, snapshot.line_count)
    if innermost:
        return chain[0] if chain else None
    return _anchor_of(chain, prefer_class=False)
