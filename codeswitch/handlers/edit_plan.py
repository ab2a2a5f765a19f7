"""Planning an edit before any model call: params, scope, route, target, and the action titles.

Pure apart from reading the server state: the scope estimate and route for a position or
selection (:func:`plan`), the short "model: why" text code action titles carry (:func:`why`), and
the per-server :class:`EditEngine` wired to the workspace index.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from codeswitch.documents import Snapshot, Span
from codeswitch.features.edit import EditEngine, EditTarget, target_for
from codeswitch.features.prompts_inline import DefinitionSite
from codeswitch.routing import RouteDecision
from codeswitch.scope import Scope, ScopeRequest, estimate_scope

from .cost_estimate import typical_cost
from .routes import route_for

if TYPE_CHECKING:
    from .state import State


@dataclass(frozen=True, slots=True)
class Plan:
    """A request's scope, route and target, decided before any model call (pure, fast)."""

    scope: Scope
    decision: RouteDecision
    target: EditTarget


def rel_path(state: State, snap: Snapshot) -> str | None:
    return state.files.facts(snap, state.root_for(snap.uri)).rel_path


def secret(state: State, snap: Snapshot) -> bool:
    return state.files.facts(snap, state.root_for(snap.uri)).secret


def plan(state: State, snap: Snapshot, span: Span, instruction: str | None) -> Plan:
    scope = start_cheaper(estimate_scope(snap, ScopeRequest("edit", span, instruction),
                                         state.index_for(snap.uri),
                                         under_penalty=state.config.scope.under_penalty))
    target = target_for(snap, scope.anchor, span, scope.anchor_kind, scope.anchor_name)
    return Plan(scope, _route(state, scope), target)


def start_cheaper(scope: Scope) -> Scope:
    """The cascade: an edit the estimate sent to the workspace only because it was unsure (the
    function scope was likelier) starts at the function tier. Nothing is applied before the
    edit-time checks, which hand it on to the workspace tier with the first attempt when the edit
    changes an interface other files use or the model says more must change."""
    if scope.scope != "workspace" or scope.likeliest != "function" or scope.anchor is None:
        return scope
    said = ("unsure between function and workspace: starts at the function tier and moves to the "
            "workspace tier if the edit reaches other files")
    return replace(scope, scope="function", reasons=(*scope.reasons, said))


def workspace_plan(state: State, p: Plan) -> RouteDecision:
    """The route a workspace refactor from here would take (for the action's title)."""
    wide = replace(p.scope, scope="workspace", context_tokens=max(p.scope.context_tokens, 8000))
    return _route(state, wide)


def _route(state: State, scope: Scope) -> RouteDecision:
    return route_for(state, scope)


def why(state: State, decision: RouteDecision, scope: Scope) -> str:
    """Which model and why, short enough for a menu entry (models the tier's configured chain puts
    ahead of the chosen one are named with why they were skipped; the ones behind it are not)."""
    preferred = _preferred(state, decision)
    model = decision.chain[0] if decision.chain else "no model"
    ahead = set(preferred[:preferred.index(model)]) if model in preferred else set(preferred)
    parts = [f"{scope.scope} scope" if decision.tier == scope.scope else
             f"{scope.scope} scope, {decision.tier} tier"]
    skipped = [f"{k} skipped: {w}" for k, w in decision.skipped if k in ahead][:1]
    parts.extend(skipped)
    if decision.chain:  # what it typically costs, not the ceiling the budget check uses
        cost = typical_cost(state.ledger, state.catalog, decision.tier, model, scope.context_tokens)
        if cost is not None:
            parts.append(f"est. ${cost:.3f}" if cost >= 0.001 else "est. <$0.001")
    return f"{model}: {', '.join(parts)}"


def _preferred(state: State, decision: RouteDecision) -> tuple[str, ...]:
    tier = state.config.tiers.get(decision.tier)
    return tuple(tier.chain) if tier is not None else ()


# --- the engine per server ------------------------------------------------------------------------

def engine(state: State, uri: str | None = None) -> EditEngine:
    """An EditEngine for one request, reading the current root, index and excludes of the folder
    holding ``uri`` (a new one per request: concurrent edits never share or overwrite each other's
    settings)."""
    index = state.index_for(uri) if uri is not None else state.index
    root = state.root_for(uri) if uri is not None else state.root
    budget_s = state.config.edit.context_ms / 1000
    if index is None:
        return EditEngine(root=root, exclude=tuple(state.config.exclude), context_time_budget_s=budget_s)

    def definitions(name: str) -> list[DefinitionSite]:
        return [DefinitionSite(s.path, s.span.start.line, s.span.end.line) for s in index.definitions(name)]

    def references(name: str) -> set[str]:
        return set(index.files_referencing(name))

    return EditEngine(root=root, definitions=definitions, references=references,
                      exclude=tuple(state.config.exclude), context_time_budget_s=budget_s)
