"""features/edit.py and prompts_edit.py with a scripted completion function (no network)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from codeswitch.catalog import ModelInfo, load_catalog
from codeswitch.documents import Pos, Snapshot, Span
from codeswitch.edits import EditRejected, TextEdit
from codeswitch.features.edit import EditEngine, EditTarget, onto, target_for
from codeswitch.features.prompts_edit import (
    Diagnostic,
    EditContext,
    build_request,
    names_used,
    numbered,
    quick_instruction,
)
from codeswitch.providers import CompletionRequest, Usage
from codeswitch.routing import RouteDecision

SRC = "import math\n\n\ndef area(r):\n    x = r * r\n    return x\n\n\nLIMIT = 3\n"
DECISION = RouteDecision("function", "function", ("gpt-5.3-codex",), 4096, 60000, None, "function tier")
ANCHOR = Span(Pos(3, 0), Pos(5, 12))


@dataclass
class Done:
    text: str
    model_key: str = "gpt-5.3-codex"
    fallbacks: tuple[tuple[str, str], ...] = ()
    cost_usd: float | None = 0.01
    usage: Usage = field(default_factory=lambda: Usage(input_tokens=100, output_tokens=20))


def scripted(answer: str, seen: list[CompletionRequest]) -> Callable[..., Any]:
    model = load_catalog().get("gpt-5.3-codex")

    async def complete(decision: RouteDecision, build: Callable[[ModelInfo], CompletionRequest],
                       **kw: object) -> Done:
        assert kw["request_kind"] == "edit" and kw["scope"] == "function"
        seen.append(build(model))
        return Done(answer)

    return complete


def snap(text: str = SRC) -> Snapshot:
    return Snapshot.from_text(text, uri="file:///ws/m.py", path=Path("/ws/m.py"), language_id="python")


def block(search: str, replace: str) -> str:
    return f"<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n"


def run(engine: EditEngine, answer: str, doc: Snapshot | None = None,
        target: EditTarget | None = None) -> tuple[Any, list[CompletionRequest]]:
    seen: list[CompletionRequest] = []
    doc = doc or snap()
    target = target or target_for(doc, ANCHOR, Span(Pos(4, 4), Pos(4, 4)), "function", "area")
    out = asyncio.run(engine.run(doc, target, "square it", decision=DECISION, complete=scripted(answer, seen),
                                 rel_path="m.py", path=Path("/ws/m.py")))
    return out, seen


def test_target_is_the_anchor_lines_or_the_selection() -> None:
    doc = snap()
    t = target_for(doc, ANCHOR, Span(Pos(4, 4), Pos(4, 4)), "function", "area")
    assert t.region == Span(Pos(3, 0), Pos(5, 12)) and t.label == "function `area`"
    top = target_for(doc, None, Span(Pos(8, 2), Pos(8, 2)), None, None)
    assert top.region == Span(Pos(8, 0), Pos(8, 9)) and top.label == "line 9"


def test_a_served_edit_has_minimal_edits_usage_and_no_error() -> None:
    out, seen = run(EditEngine(), block("    x = r * r\n", "    x = r ** 2\n"))
    assert out.error is None
    assert out.edits == (TextEdit(Span(Pos(4, 11), Pos(4, 13)), "* 2"),)
    assert (out.model, out.input_tokens, out.output_tokens, out.cost_usd) == ("gpt-5.3-codex", 100, 20, 0.01)
    (req,) = seen
    message = str(req.messages[0].content)
    assert "import math" in message and "square it" in message and "LIMIT" not in message
    assert req.system is not None and "<<<<<<< SEARCH" in req.system


def test_an_anchored_answer_is_accepted_when_no_block_is_given() -> None:
    out, _ = run(EditEngine(), "```python\ndef area(r):\n    return r * r\n```\n")
    assert out.error is None
    assert out.new_text == SRC.replace("    x = r * r\n    return x\n", "    return r * r\n")


@pytest.mark.parametrize(("answer", "kind"), [
    ("no edit at all", "format"),
    (block("    x = r * r\n", "    x = r * r\n"), "no_change"),
    (block("LIMIT = 3\n", "LIMIT = 4\n"), "outside_anchor"),
    (block("    return x\n", "    return (x\n"), "syntax"),
])
def test_refusals_keep_the_model_and_change_nothing(answer: str, kind: str) -> None:
    out, _ = run(EditEngine(), answer)
    assert out.error is not None and out.error[0] == kind
    assert out.edits == () and out.new_text == SRC and out.model == "gpt-5.3-codex"


def test_no_model_in_the_chain_is_refused_without_a_call() -> None:
    empty = RouteDecision("function", "function", (), 4096, 60000, None, "no key for any provider")
    seen: list[CompletionRequest] = []
    doc = snap()
    target = target_for(doc, ANCHOR, Span(Pos(4, 4), Pos(4, 4)), "function", "area")
    out = asyncio.run(EditEngine().run(doc, target, "x", decision=empty, complete=scripted("", seen)))
    assert out.error == ("no_model", "no model can serve this edit: no key for any provider")
    assert seen == []


def test_a_changed_signature_used_elsewhere_is_escalated() -> None:
    engine = EditEngine(references=lambda name: {"m.py", "app/use.py"} if name == "area" else set())
    out, _ = run(engine, block("def area(r):\n", "def area(r, scale=1):\n"))
    assert out.error is not None and out.error[0] == "workspace_scope"
    assert "app/use.py" in out.error[1] and "m.py," not in out.error[1]
    # the body only: no escalation
    same, _ = run(engine, block("    return x\n", "    return x * 1\n"))
    assert same.error is None


@pytest.mark.parametrize("note", [
    "The callers in app/use.py must pass the new flag too.",
    "Update the tests to match.",
    "Other files that construct this object also need updating.",
])
def test_an_answer_saying_more_must_change_is_escalated(note: str) -> None:
    out, _ = run(EditEngine(), block("    return x\n", "    return x * 2\n") + "\n" + note + "\n")
    assert out.error is not None and out.error[0] == "workspace_scope"
    assert note[:20] in out.error[1]
    assert out.edits  # the first attempt is kept for the broader run, not applied


def test_a_closing_remark_that_stays_local_is_not_escalated() -> None:
    out, _ = run(EditEngine(), block("    return x\n", "    return x * 2\n") + "\nThis doubles the area.\n")
    assert out.error is None


def test_onto_keeps_rebases_or_refuses() -> None:
    out, _ = run(EditEngine(), block("    return x\n", "    return x + 1\n"))
    assert onto(out, out.base_version, SRC) == out.edits
    moved = onto(out, out.base_version + 1, "# top\n" + SRC)
    assert moved == (TextEdit(Span(Pos(6, 12), Pos(6, 12)), " + 1"),)
    with pytest.raises(EditRejected) as err:
        onto(out, out.base_version + 1, SRC.replace("x = r * r", "x = r * r * 1"))
    assert err.value.kind == "stale"


def test_quick_instructions_and_prompt_pieces() -> None:
    assert "docstring" in quick_instruction("docstring", "function `f`", "python")
    assert "documentation comment" in quick_instruction("docstring", "function `f`", "typescript")
    assert "type annotations" in quick_instruction("annotate", "function `f`", "python")
    diags = (Diagnostic(4, 2, "undefined name y"),)
    assert "line 5: undefined name y" in quick_instruction("fix", "function `f`", "python", diags)
    assert names_used("def area(r):\n    return math.pi * radius\n") == ("area", "math", "radius")
    assert numbered("a\nb\n", 9) == "10 | a\n11 | b"
    ctx = EditContext("fix it", "def f():\n    return y\n", 3, "function `f`", "python", "m.py",
                      diagnostics=diags)
    req = build_request(load_catalog().get("gpt-5.3-codex"), ctx, max_tokens=10**9)
    text = str(req.messages[0].content)
    assert "line 5, column 3: error: undefined name y" in text and "4 | def f():" in text
    assert req.max_tokens == load_catalog().get("gpt-5.3-codex").max_output


def test_an_answer_that_rewrites_the_whole_file_is_refused() -> None:
    whole = "```python\n" + SRC.replace("x = r * r", "x = r ** 2") + "```\n"
    out, _ = run(EditEngine(), whole)
    assert out.error is not None and out.error[0] == "outside_anchor"
    assert "import math" in out.error[1]
    # a local import of a module the file imports too, and a nested helper, are fine
    local = "    import math\n    def inner():\n        return math.floor(x)\n    return inner()\n"
    ok, _ = run(EditEngine(), block("    return x\n", local))
    assert ok.error is None


def test_typescript_signature_change_is_escalated_but_a_body_change_is_not() -> None:
    ts = "export function area(r: number): number {\n  return r * r;\n}\n"
    doc = Snapshot.from_text(ts, uri="file:///ws/a.ts", path=Path("/ws/a.ts"), language_id="typescript")
    target = target_for(doc, Span(Pos(0, 0), Pos(2, 1)), Span(Pos(1, 2), Pos(1, 2)), "function", "area")
    engine = EditEngine(references=lambda name: {"src/use.ts"})
    wider, _ = run(engine, block("export function area(r: number): number {\n",
                                 "export function area(r: number, s = 1): number {\n"), doc, target)
    assert wider.error is not None and wider.error[0] == "workspace_scope"
    body, _ = run(engine, block("  return r * r;\n", "  return r ** 2;\n"), doc, target)
    assert body.error is None and body.edits == (TextEdit(Span(Pos(1, 12), Pos(1, 14)), "* 2"),)
