"""Inline prompts: token-budget windows, context from other files, FIM vs hole-filler requests."""

from __future__ import annotations

from pathlib import Path

from codeswitch.catalog import load_catalog
from codeswitch.features.prompts_inline import (
    FILL,
    FILL_END,
    DefinitionSite,
    InlineContext,
    build_request,
    definition_extent,
    file_imports,
    gather_snippets,
    max_tokens_for,
    names_near_cursor,
    prefix_window,
    suffix_window,
)

ROWS = [f"line{i} = {i}" for i in range(1000)]


def _line(i: int) -> str:
    return ROWS[i]


def test_prefix_window_respects_the_budget_and_ends_at_the_cursor() -> None:
    text = prefix_window(_line, 500, 5, max_tokens=50)
    assert text.endswith("\nline5")
    assert len(text) <= 50 * 4
    assert text.startswith("line")  # whole lines only


def test_suffix_window_starts_at_the_cursor() -> None:
    text = suffix_window(_line, len(ROWS), 500, 5, max_tokens=20)
    assert text.startswith("00 = 500\nline501")
    assert len(text) <= 80


def test_windows_at_file_edges() -> None:
    assert prefix_window(_line, 0, 3, 100) == "lin"
    assert suffix_window(_line, len(ROWS), 999, 0, 100) == ROWS[999]


def test_imports_and_names() -> None:
    rows = ["import os", "from pathlib import Path", "", "x = 1"]
    assert file_imports(lambda i: rows[i], len(rows)) == ("import os", "from pathlib import Path")
    assert names_near_cursor("a = compute_total(items)\nresult = fmt")[:2] == ("fmt", "result")


def test_snippets_skip_secrets_and_the_current_file(tmp_path: Path) -> None:
    (tmp_path / "lib.py").write_text("def compute_total(items):\n    return sum(items)\n\nother = 1\n")
    (tmp_path / ".env").write_text("API_KEY=sk-secret\n")
    sites = {
        "compute_total": [DefinitionSite("lib.py", 0, 1)],
        "API_KEY": [DefinitionSite(".env", 0, 0)],
        "here": [DefinitionSite("main.py", 0, 0)],
    }
    out = gather_snippets(["API_KEY", "compute_total", "here"], lambda n: sites.get(n, []),
                          root=tmp_path, exclude_path="main.py",
                          is_secret=lambda p: p.name == ".env", time_budget_s=1.0)
    assert [s.path for s in out] == ["lib.py"]
    assert out[0].text == "def compute_total(items):\n    return sum(items)"


def test_fim_model_gets_prefix_and_suffix() -> None:
    catalog = load_catalog()
    ctx = InlineContext(prefix="def f():\n    ", suffix="\n", language="python")
    req = build_request(catalog.get("codestral"), ctx, shape="block", max_tokens=200)
    assert req.prompt == "def f():\n    " and req.suffix == "\n"
    assert not req.messages
    line = build_request(catalog.get("codestral"), ctx, shape="rest_of_line", max_tokens=200)
    assert line.stop == ("\n",)


def test_chat_model_gets_a_hole_filler_with_a_stop() -> None:
    catalog = load_catalog()
    ctx = InlineContext(prefix="x = ", suffix="\ny = 2", language="python", path="a.py")
    req = build_request(catalog.get("gpt-5.3-codex-spark"), ctx, shape="expression", max_tokens=500)
    assert req.prompt is None and req.system
    msg = req.messages[0].text()
    assert f"x = {FILL}" in msg and "y = 2" in msg
    assert req.stop == (FILL_END,)


def test_base_model_behind_a_completions_api_continues_the_prefix() -> None:
    model = load_catalog().get("llamacpp-completion")
    assert not model.chat and not model.fim
    ctx = InlineContext(prefix="def f():\n    ", suffix="\nprint(f())\n", language="python")
    block = build_request(model, ctx, shape="block", max_tokens=500)
    assert block.prompt == "def f():\n    " and block.suffix is None and not block.messages
    assert block.stop == ("\n\n",) and block.max_tokens == model.max_output
    line = build_request(model, ctx, shape="rest_of_line", max_tokens=500)
    assert line.stop == ("\n",)


def test_max_tokens_by_shape() -> None:
    assert max_tokens_for("rest_of_line", 256) == 64
    assert max_tokens_for("block", 256) == 256
    assert max_tokens_for("expression", 100) == 100


def test_definition_extent_follows_indentation() -> None:
    py = ["def f(a):\n", "    b = a\n", "\n", "    return b\n", "\n", "x = 1\n"]
    assert definition_extent(py) == 4
    go = ["func F() int {\n", "\treturn 1\n", "}\n", "func G() {}\n"]
    assert definition_extent(go) == 3
    assert definition_extent(["const X = 1\n", "const Y = 2\n"]) == 1


def test_windows_cut_a_minified_line_to_the_budget() -> None:
    huge = "a" * 500_000 + "|" + "b" * 500_000
    col = huge.index("|")
    before = prefix_window(lambda i: huge, 0, col, max_tokens=100)
    after = suffix_window(lambda i: huge, 1, 0, col + 1, max_tokens=100)
    assert before == "a" * 400 and after == "b" * 400
