"""Scope estimation: what a request reaches, read from the code with tree-sitter.

This package is the only importer of ``tree_sitter``. Public API (see docs/scope.md):
``estimate_scope``, ``ScopeRequest``, ``Scope``, ``Symbol``, ``WorkspaceIndex`` and the helpers the
inline and edit features use for post-processing.

Names are loaded on first use, so ``codeswitch.documents`` can import ``scope.syntax`` while the
estimator imports ``documents`` (no import cycle).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .estimate import enclosing_definition, estimate_scope
    from .index import WorkspaceIndex
    from .intent import Intent, classify
    from .model import SCOPE_ORDER, InlineShape, RequestKind, Scope, ScopeName, ScopeRequest, Symbol
    from .nodes import Definition, definitions_at, top_level_definitions
    from .shape import adds_syntax_errors, block_exit, error_count, inline_shape, opens_block, syntax_errors
    from .syntax import SyntaxTree, language_for

_WHERE = {
    "enclosing_definition": "estimate", "estimate_scope": "estimate",
    "WorkspaceIndex": "index",
    "Intent": "intent", "classify": "intent",
    "SCOPE_ORDER": "model", "InlineShape": "model", "RequestKind": "model", "Scope": "model",
    "ScopeName": "model", "ScopeRequest": "model", "Symbol": "model",
    "Definition": "nodes", "definitions_at": "nodes", "top_level_definitions": "nodes",
    "adds_syntax_errors": "shape", "block_exit": "shape", "error_count": "shape", "inline_shape": "shape",
    "opens_block": "shape", "syntax_errors": "shape",
    "SyntaxTree": "syntax", "language_for": "syntax",
}

__all__ = [
    "SCOPE_ORDER",
    "Definition",
    "InlineShape",
    "Intent",
    "RequestKind",
    "Scope",
    "ScopeName",
    "ScopeRequest",
    "Symbol",
    "SyntaxTree",
    "WorkspaceIndex",
    "adds_syntax_errors",
    "block_exit",
    "classify",
    "definitions_at",
    "enclosing_definition",
    "error_count",
    "estimate_scope",
    "inline_shape",
    "language_for",
    "opens_block",
    "syntax_errors",
    "top_level_definitions",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'codeswitch.scope' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
