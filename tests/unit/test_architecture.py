"""Module boundaries (docs/architecture.md "Module boundaries"), read from the source with ast.

Every import counts: module level, inside functions and under ``if TYPE_CHECKING:``, absolute and
relative. The rules: the CLI depends on the core, never the reverse; the provider emulator
(``codeswitch.testing``) is test code, used by product code only in the demo; no import cycles
between modules; the third-party seams stay where the house rules put them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "codeswitch"

#: python -m codeswitch runs the CLI
MAY_IMPORT_CLI = {"codeswitch.__main__"}
#: the demo runs against the emulator
MAY_IMPORT_TESTING = {"codeswitch.cli.demo", "codeswitch.cli.demo_live"}
#: third-party package -> the modules (or package prefixes, ending in ".") allowed to import it
SEAMS = {
    "tree_sitter": ("codeswitch.scope.",),
    "httpx": ("codeswitch.providers.",),
    "lsprotocol": ("codeswitch.handlers.", "codeswitch.lsp_server", "codeswitch.server",
                   "codeswitch.lsp_client"),
    "pytest": ("codeswitch.testing.pytest_plugin",),
    "pytest_asyncio": ("codeswitch.testing.pytest_plugin",),
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imported(module: str, path: Path) -> Iterator[str]:
    """Every module name ``module`` imports (a ``from X import name`` of a submodule names it)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            for alias in node.names:  # a submodule by its own name, a name by its module's
                yield f"{source}.{alias.name}" if f"{source}.{alias.name}" in MODULES else source


def _ours(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        targets = {t for name in _imported(module, path) if name.startswith("codeswitch")
                   if (t := _ours(name)) is not None and t != "codeswitch"}
        # importing a.b.c runs a/b/__init__ too, but a package importing its own modules is not a cycle
        graph[module] = targets - {module}
    return graph


GRAPH = _graph()


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_only_the_cli_imports_the_cli() -> None:
    bad = sorted(f"{m} imports {t}" for m, ts in GRAPH.items() for t in ts
                 if _inside(t, "codeswitch.cli") and not _inside(m, "codeswitch.cli")
                 and m not in MAY_IMPORT_CLI)
    assert bad == []


def test_product_code_never_imports_the_emulator_except_the_demo() -> None:
    bad = sorted(f"{m} imports {t}" for m, ts in GRAPH.items() for t in ts
                 if _inside(t, "codeswitch.testing") and not _inside(m, "codeswitch.testing")
                 and m not in MAY_IMPORT_TESTING)
    assert bad == []


#: docs/architecture.md "Module boundaries": a module imports only its own layer and the ones below
LAYERS = {"cli": 5, "__main__": 5, "server": 4, "handlers": 3, "lsp_server": 3, "features": 2, "team": 2,
          "testing": 1}
CORE = 0


def _layer(module: str) -> int:
    return LAYERS.get(module.split(".")[1] if "." in module else "", CORE)


def test_modules_import_only_their_layer_and_below() -> None:
    # core never imports the emulator (test support) either; the demo does, from cli/
    bad = sorted(f"{m} imports {t}" for m, ts in GRAPH.items() for t in ts if _layer(t) > _layer(m))
    assert bad == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles() -> None:
    assert _cycles(GRAPH) == []


def test_the_cycle_finder_finds_cycles() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("package", sorted(SEAMS))
def test_third_party_seams(package: str) -> None:
    allowed = SEAMS[package]
    bad = sorted(
        module for module, path in MODULES.items()
        if any(name == package or name.startswith(package + ".") for name in _imported(module, path))
        and not any(module.startswith(a) if a.endswith(".") else module == a for a in allowed))
    assert bad == []


def test_the_rules_see_the_imports_they_judge() -> None:
    # guards against a walker that silently finds nothing
    assert "codeswitch.cli.serve" in GRAPH and "codeswitch.server" in GRAPH["codeswitch.cli.serve"]
    assert "codeswitch.handlers.state" in GRAPH["codeswitch.lsp_server"]
    assert any(_inside(t, "codeswitch.testing") for t in GRAPH["codeswitch.cli.demo_live"])
