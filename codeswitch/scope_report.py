"""The scope estimate and routing decision for one request as the JSON object clients read.

One builder for ``codeswitch scope`` (the CLI, per case or batch line) and ``codeswitch/scope``
(the server, per request): the DESIGN.md object ``{scope, tier, model, anchor, files, reasons,
confidence}`` plus the full ``chain`` and ``context_tokens``. Positions are LSP positions in the
snapshot's encoding. Plain data in, plain data out: no I/O beyond resolving paths.
"""

from __future__ import annotations

from pathlib import Path

from codeswitch.documents import Snapshot
from codeswitch.routing import RouteDecision
from codeswitch.scope import Scope
from codeswitch.text import Pos

#: the request kinds ``codeswitch scope`` and ``codeswitch/scope`` accept
KINDS = ("auto", "inline", "edit")
KEYS_ASSUMED = "no provider API key found: routed as if every provider had one"


def _lsp(snapshot: Snapshot, pos: Pos) -> dict[str, int]:
    line, character = snapshot.to_lsp(pos)
    return {"line": line, "character": character}


def root_relative(files: tuple[str, ...], root: str) -> list[str]:
    """Workspace files as root-relative "/" paths, whatever form the estimate gave them in (a file
    outside the root keeps its absolute path)."""
    base = Path(root).resolve()
    out = []
    for name in files:
        path = Path(name)
        if path.is_absolute() and path.resolve().is_relative_to(base):
            name = path.resolve().relative_to(base).as_posix()
        out.append(name)
    return out


def scope_json(snapshot: Snapshot, scope: Scope, decision: RouteDecision, root: str, *,
               keys_assumed: bool = False) -> dict[str, object]:
    """The scope object for one request (without ``id``: the CLI adds the case's id, the server
    the document's ``uri`` and ``version``)."""
    anchor = None
    if scope.anchor is not None:
        anchor = {"start": _lsp(snapshot, scope.anchor.start), "end": _lsp(snapshot, scope.anchor.end)}
    reasons = [*scope.reasons, decision.cause]
    if keys_assumed:
        reasons.append(KEYS_ASSUMED)
    return {
        "scope": scope.scope,
        "tier": decision.tier,
        "model": decision.chain[0] if decision.chain else None,
        "anchor": anchor,
        "files": root_relative(scope.files, root),
        "reasons": reasons,
        "confidence": round(scope.confidence, 3),
        "chain": list(decision.chain),
        "context_tokens": scope.context_tokens,
    }
