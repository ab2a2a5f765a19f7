"""Scope estimation: what a request reaches, read from the code with tree-sitter.

This package is the only importer of ``tree_sitter``. Public API (see docs/scope.md):
``estimate_scope``, ``ScopeRequest``, ``Scope``, ``Symbol``, ``WorkspaceIndex`` and the helpers the
inline and edit features use for post-processing.
"""

from __future__ import annotations

from .estimate import enclosing_definition, estimate_scope
from .index import WorkspaceIndex
from .intent import Intent, classify
from .model import SCOPE_ORDER, InlineShape, RequestKind, Scope, ScopeName, ScopeRequest, Symbol
from .nodes import Definition, definitions_at, top_level_definitions
from .shape import adds_syntax_errors, block_exit, error_count, inline_shape, opens_block, syntax_errors
from .syntax import SyntaxTree, language_for

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

