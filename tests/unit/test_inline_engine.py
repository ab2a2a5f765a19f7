"""The inline engine with a recording stand-in for the dispatcher: prompt per model, shaping,
cache on type-through, first-failure notice."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from codeswitch.catalog import ModelInfo, load_catalog
from codeswitch.config import Config, InlineConfig
from codeswitch.features.inline import InlineEngine
from codeswitch.features.prompts_inline import FILL, DefinitionSite
from codeswitch.providers import CompletionRequest
from codeswitch.routing import RouteDecision

CATALOG = load_catalog()


@dataclass
class Doc:
    rows: list[str]
    uri: str = "file:///w/app.py"
    language: str | None = "python"

    @property
    def line_count(self) -> int:
        return len(self.rows)

    def line(self, i: int) -> str:
        return self.rows[i]


@dataclass
class Done:
    text: str
    model_key: str
    fallbacks: list[tuple[str, str]] = field(default_factory=list)
    cost_usd: float | None = None


@dataclass
class FakeDispatch:
    """Answers with ``reply`` as ``model``; records the request built for that model."""

    reply: str
    model: str = "gpt-5.3-codex-spark"
    fallbacks: list[tuple[str, str]] = field(default_factory=list)
    built: list[CompletionRequest] = field(default_factory=list)

    async def __call__(self, decision: RouteDecision, build: Callable[[ModelInfo], CompletionRequest],
                       *, request_kind: str, scope: str) -> Done:
        assert request_kind == "inline" and scope == "inline"
        self.built.append(build(CATALOG.get(self.model)))
        return Done(self.reply, self.model, self.fallbacks)


DECISION = RouteDecision("inline", "inline", ("gpt-5.3-codex-spark", "codestral"), 256, 1500, None, "test")


def _engine(**kw: object) -> InlineEngine:
    return InlineEngine(Config(), CATALOG, **kw)  # type: ignore[arg-type]


async def test_chat_model_reply_is_unwrapped_and_cut_to_the_block() -> None:
    doc = Doc(["def add(a, b):", "    ", "", "def other():", "    pass"])
    fake = FakeDispatch("<FILL>return a + b\n\ndef extra():\n    pass</FILL>")
    out = await _engine().complete(doc, 1, 4, shape="block", decision=DECISION, complete=fake)
    assert out.suggestion is not None
    assert out.suggestion.text == "return a + b"
    assert out.model == "gpt-5.3-codex-spark"
    msg = fake.built[0].messages[0].text()
    assert f"def add(a, b):\n    {FILL}" in msg


async def test_fim_model_gets_raw_prefix_and_suffix() -> None:
    doc = Doc(["x = compute(", "y = 2"])
    fake = FakeDispatch("1, 2)", model="codestral")
    out = await _engine().complete(doc, 0, 12, shape="expression", decision=DECISION, complete=fake)
    assert fake.built[0].prompt == "x = compute(" and fake.built[0].suffix == "\ny = 2"
    assert out.suggestion is not None and out.suggestion.text == "1, 2)"


async def test_type_through_is_served_without_a_call() -> None:
    doc = Doc(["def total(xs):", "    ", ""])
    fake = FakeDispatch("return sum(xs)")
    engine = _engine()
    first = await engine.complete(doc, 1, 4, shape="block", decision=DECISION, complete=fake)
    assert first.suggestion is not None
    doc.rows[1] = "    retu"
    again = await engine.complete(doc, 1, 8, shape="block", decision=DECISION, complete=fake)
    assert again.suggestion is not None
    assert again.suggestion.text == "rn sum(xs)"
    assert again.suggestion.from_cache
    assert again.suggestion.item_id == first.suggestion.item_id
    assert again.suggestion.typed == 4 and again.suggestion.full_length == len("return sum(xs)")
    assert len(fake.built) == 1 and engine.upstream_calls == 1


async def test_first_failure_is_reported_once() -> None:
    doc = Doc(["x = ", ""])
    fake = FakeDispatch("1", model="codestral", fallbacks=[("gpt-5.3-codex-spark", "model_not_found")])
    engine = _engine()
    one = await engine.complete(doc, 0, 4, shape="expression", decision=DECISION, complete=fake)
    doc.rows[0] = "z = "
    two = await engine.complete(doc, 0, 4, shape="expression", decision=DECISION, complete=fake)
    assert one.notice is not None and "gpt-5.3-codex-spark" in one.notice and "codestral" in one.notice
    assert two.notice is None


async def test_empty_reply_gives_no_suggestion_and_is_not_cached() -> None:
    doc = Doc(["x = ", ""])
    engine = _engine()
    out = await engine.complete(doc, 0, 4, shape="expression", decision=DECISION,
                                complete=FakeDispatch("<FILL></FILL>"))
    assert out.suggestion is None and out.reason is not None
    assert len(engine.cache) == 0


async def test_empty_chain_reports_the_routing_cause() -> None:
    doc = Doc(["x = "])
    empty = RouteDecision("inline", "inline", (), 256, 1500, None, "no model can serve it")
    out = await _engine().complete(doc, 0, 4, shape=None, decision=empty, complete=FakeDispatch("1"))
    assert out.suggestion is None and out.reason == "no model can serve it"


async def test_definitions_from_other_files_reach_the_prompt(tmp_path: Path) -> None:
    (tmp_path / "lib.py").write_text("def price_with_tax(amount):\n    return amount * 1.2\n")
    doc = Doc(["from lib import price_with_tax", "", "total = price_with_tax(", ""])
    sites = {"price_with_tax": [DefinitionSite("lib.py", 0, 1)]}
    engine = _engine(root=tmp_path, definitions=lambda n: sites.get(n, []), context_time_budget_s=1.0)
    fake = FakeDispatch("10)")
    await engine.complete(doc, 2, 23, shape="expression", decision=DECISION, complete=fake,
                          rel_path="app.py")
    assert "return amount * 1.2" in fake.built[0].messages[0].text()


async def test_imports_reach_the_prompt_only_when_the_window_misses_them() -> None:
    rows = ["import numpy as np", ""] + [f"a{i} = {i}" for i in range(50)] + ["m = np.", ""]
    small = InlineEngine(Config(inline=InlineConfig(max_prefix_tokens=10)), CATALOG)
    fake = FakeDispatch("mean(a)")
    await small.complete(Doc(rows), 52, 7, shape="rest_of_line", decision=DECISION, complete=fake)
    assert "Imports at the top of this file:\nimport numpy as np" in fake.built[0].messages[0].text()
    big = FakeDispatch("mean(a)")
    await _engine().complete(Doc(rows), 52, 7, shape="rest_of_line", decision=DECISION, complete=big)
    assert "Imports at the top" not in big.built[0].messages[0].text()
