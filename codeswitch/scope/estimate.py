"""estimate_scope: how far a request reaches (inline / function / workspace) and why.

Pure: reads the snapshot, the request and the index, writes nothing. Inline requests only walk
from the cursor up to the enclosing definition, so they cost the same on any file size.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePath
from typing import TYPE_CHECKING

from codeswitch.documents import Pos, Span

from .fallback import text_block
from .intent import Intent, classify
from .model import Scope, ScopeName, ScopeRequest
from .nodes import IMPORT_NODES, Definition, definitions_at, top_level_definitions, top_statement
from .shape import inline_shape

if TYPE_CHECKING:
    from codeswitch.documents import Snapshot

    from .index import WorkspaceIndex
    from .syntax import SyntaxTree

CHARS_PER_TOKEN = 4
#: prefix/suffix window an inline request sends around the cursor, in characters
INLINE_WINDOW_CHARS = 6000
#: what one more file costs a workspace request, in tokens (its outline and the lines that change)
TOKENS_PER_EXTRA_FILE = 1500


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

def estimate_scope(snapshot: Snapshot, request: ScopeRequest, index: WorkspaceIndex | None) -> Scope:
    """Estimate the scope of one request; every decision carries its reasons."""
    kind = request.kind
    instruction = (request.instruction or "").strip()
    if kind == "auto":
        kind = "edit" if instruction else "inline"
    start, end = _clamp(request.span.start, snapshot), _clamp(request.span.end, snapshot)
    if (end.line, end.col) < (start.line, start.col):
        start, end = end, start
    path = _rel_path(snapshot, index)
    if kind == "inline":
        return _inline(snapshot, end, path, request.kind == "auto")
    tree = snapshot.syntax
    language = snapshot.language
    chain: list[Definition] = []
    if tree is not None and language is not None:
        chain = definitions_at(tree.root, language, snapshot.line, start, end, snapshot.line_count)
    if not chain and (tree is None or tree.has_error):
        # no grammar, or code the grammar cannot read (mid-edit, older dialects): indentation
        block = text_block(snapshot, start)
        chain = [block] if block is not None and (end.line <= block.span.end.line) else []
    return _edit(snapshot, start, end, path, chain, classify(instruction), index,
                 tree is not None and not (chain and chain[0].end_byte == 0))


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


_IMPORT_LINE = re.compile(r"^\s*(import\b|from\s+\S+\s+import\b|#\s*include\b|use\s+[\w:{]|require\b|"
                          r"using\s+[\w.]+;|local\s+\w+\s*=\s*require\b|const\s+\w+\s*=\s*require\()")
_PACKAGE_ENTRIES = frozenset({"__init__.py", "index.js", "index.ts", "index.mjs", "mod.rs", "lib.rs",
                              "init.lua"})
_ASSIGNMENTS = frozenset({"expression_statement", "assignment", "lexical_declaration", "variable_declaration",
                          "const_declaration", "var_declaration", "static_item", "const_item",
                          "assignment_statement", "variable_assignment"})


def _statement_kind(snapshot: Snapshot, pos: Pos) -> str | None:
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


_CONSTRUCTORS = frozenset({"__init__", "__new__", "constructor", "initialize", "new"})


def _changed_symbol(anchor: Definition | None, chain: Sequence[Definition], intent: Intent) -> str | None:
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
    """Names the instruction mentions that are defined only outside the edited definition."""
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
    """Whether definitions of this file other than ``top`` use ``name``."""
    return any(r.path == path and (top is None or not top.span.start.line <= r.span.start.line
                                   <= top.span.end.line) for r in index.references(name))


def _edit(snapshot: Snapshot, start: Pos, end: Pos, path: str, chain: list[Definition], intent: Intent,
          index: WorkspaceIndex | None, parsed: bool) -> Scope:
    reasons: list[str] = list(intent.reasons)
    anchor = _anchor_of(chain, intent.about_class)
    top = chain[-1] if chain else None
    scope: ScopeName = "function"
    confidence = 0.6
    files: set[str] = {path}
    symbol = _changed_symbol(anchor, chain, intent)

    # 1. the selection against definition boundaries
    tops: list[Definition] = []
    if start != end and parsed and snapshot.syntax is not None and snapshot.language is not None:
        tops = top_level_definitions(snapshot.syntax.root, snapshot.language, snapshot.line, start, end)
    selection_wide = len(tops) >= 2 and top is None
    if start != end and len(tops) == 1 and anchor is None:
        anchor = top = tops[0]
        symbol = _changed_symbol(anchor, [anchor], intent)

    # 2. who else uses the symbol being changed, and what else the instruction names
    others: set[str] = set()
    if index is not None and symbol:
        others = index.files_referencing(symbol) - {path}
        if intent.rename:
            others |= {s.path for s in index.definitions(symbol)} - {path}
    outside: dict[str, set[str]] = {}
    if index is not None and intent.reach != "inline":
        local = {d.name for d in chain if d.name}
        outside = _defined_outside(index, [n for n in intent.mentioned if n not in local], path, top)
    statement = _statement_kind(snapshot, start) if anchor is None and start == end else None
    entry = PurePath(path).name in _PACKAGE_ENTRIES
    named_here: list[Definition] = []
    if anchor is None and intent.mentioned and snapshot.syntax is not None and snapshot.language:
        # at the top level, an instruction naming this file's definitions points at them
        last = snapshot.line_count - 1
        everything = top_level_definitions(snapshot.syntax.root, snapshot.language, snapshot.line,
                                           Pos(0, 0), Pos(last, len(snapshot.line(last))))
        named_here = [d for d in everything if d.name in intent.mentioned]
        outside = {k: v for k, v in outside.items() if k not in {d.name for d in named_here}}

    # 3. weigh the signals, strongest first
    if selection_wide:
        names = ", ".join(f"`{d.name}`" for d in tops[:4] if d.name)
        reasons.append(f"the selection spans {len(tops)} top-level definitions ({names})")
        scope, confidence = "workspace", 0.8
    elif (intent.reach == "workspace" and intent.via_references and index is not None and len(index)
          and anchor is not None and symbol and (symbol == anchor.name or not index.definitions(symbol))
          and not others and not outside
          and not _used_elsewhere_here(index, symbol, path, top)):
        confidence = 0.7
        reasons.append(f"but no other file uses `{symbol}`: the change stays in this file")
    elif intent.reach == "workspace":
        scope, confidence = "workspace", min(0.95, 0.45 + intent.weight / 2)
        files |= others
        for where in outside.values():
            files |= where
    elif intent.signature_change and others:
        scope, confidence = "workspace", 0.8
        reasons.append(f"changes the interface of `{symbol}`, used in {len(others)} other "
                       f"file{'s' if len(others) != 1 else ''}")
        files |= others
    elif outside:
        scope, confidence = "workspace", 0.6
        name, where = next(iter(outside.items()))
        reasons.append(f"also names `{name}`, defined in {', '.join(sorted(where)[:3])}")
        for where in outside.values():
            files |= where
    elif len(named_here) == 1:
        anchor = named_here[0]
        confidence = 0.6
        reasons.append(f"names `{anchor.name}`, defined in this file: the change is there")
    elif len(named_here) > 1:
        scope, confidence = "workspace", 0.6
        reasons.append("names " + ", ".join(f"`{d.name}`" for d in named_here[:4])
                       + ": several definitions of this file")
    elif statement == "import" and not intent.about_imports:
        scope, confidence = "workspace", 0.6
        reasons.append("starts at the imports: the code that uses them changes too")
    elif entry and anchor is None and statement != "assignment":
        scope, confidence = "workspace", 0.55
        reasons.append(f"top level of the package entry `{path}`: what it exports lives in other files")
    elif anchor is None:
        confidence = 0.55
        reasons.append("at the top level of the file: a change to this statement")
    elif intent.reach == "inline" and anchor.kind in ("function", "method"):
        scope, confidence = "inline", 0.65
    else:
        # nothing says the change goes further; how sure that is depends on the wording
        confidence = 0.45 + (0.3 * intent.weight if intent.reach == "function" else 0.0) + (
            0.05 if parsed else 0.0)
        if others and not intent.signature_change:
            reasons.append(f"`{symbol}` is used in {len(others)} other file(s), but its interface "
                           "does not seem to change")

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
                 anchor.name if anchor else None, None, tuple(sorted(files)), symbol, tokens,
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
