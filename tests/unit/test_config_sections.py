"""Policies that used to be constants in code are settings now: dispatch retries and breakers, the
edit context time, the inline in-flight cap; and one size cap for every reader of source files."""

from __future__ import annotations

from pathlib import Path

from config_helpers import write_user

from codeswitch import limits
from codeswitch.breakers import BreakerPolicy, DispatchPolicy, RetryPolicy
from codeswitch.catalog import load_catalog
from codeswitch.cli.pipeline import Case, CaseError, Pipeline
from codeswitch.config import load_config
from codeswitch.dispatch import Dispatcher
from codeswitch.handlers import edit_plan
from codeswitch.handlers.inline import InlineService
from codeswitch.scope.index import WorkspaceIndex
from codeswitch.server import State

SECTIONS = """
[dispatch]
drain_after_finish_s = 0.5
[dispatch.retry]
max_retries = 0
[dispatch.breaker]
threshold = 5
cooldown_s = 2.5
[edit]
context_ms = 120
[inline]
max_in_flight = 1
"""


def test_dispatch_edit_and_inline_policies_come_from_the_config(env: dict[str, str], ws: Path) -> None:
    write_user(env, SECTIONS)
    config, problems = load_config(ws, None, env=env)
    assert problems == []
    breaker = BreakerPolicy(threshold=5, cooldown_s=2.5)
    assert config.dispatch == DispatchPolicy(RetryPolicy(max_retries=0), breaker, drain_after_finish_s=0.5)
    assert config.edit.context_ms == 120 and config.inline.max_in_flight == 1
    dispatcher = Dispatcher(config, load_catalog())
    assert dispatcher.policy == config.dispatch and dispatcher.breakers.policy.threshold == 5
    state = State(config=config, root=ws)
    assert edit_plan.engine(state).context_time_budget_s == 0.12
    svc = InlineService(state)  # type: ignore[arg-type]
    svc.refresh()
    assert svc.inflight.max_in_flight == 1


async def test_a_settings_change_reaches_the_dispatcher(env: dict[str, str], ws: Path) -> None:
    config, _ = load_config(ws, None, env=env)
    dispatcher = Dispatcher(config, load_catalog())
    assert dispatcher.policy == DispatchPolicy()
    write_user(env, SECTIONS)
    changed, _ = load_config(ws, None, env=env)
    await dispatcher.reconfigure(changed)
    assert dispatcher.policy.retry.max_retries == 0 and dispatcher.breakers.policy.cooldown_s == 2.5


def test_absurd_policies_are_problems_and_keep_the_defaults(env: dict[str, str], ws: Path) -> None:
    write_user(env, "[dispatch.retry]\nmax_retries = 1000\n[dispatch.breaker]\nthreshold = 0\n"
                    "[inline]\nmax_in_flight = 0\n[edit]\ncontext_ms = -1\n")
    config, problems = load_config(ws, None, env=env)
    assert sorted(p.key for p in problems) == ["dispatch.breaker.threshold", "dispatch.retry.max_retries",
                                               "edit.context_ms", "inline.max_in_flight"]
    assert config.dispatch == DispatchPolicy() and config.inline.max_in_flight == 3
    assert config.edit.context_ms == 50


def test_one_size_cap_for_indexing_and_requests(tmp_path: Path) -> None:
    """A file between the old caps (1 MB for the index, 2 MB elsewhere) is treated the same by both."""
    root = tmp_path / "ws"
    root.mkdir()
    def module(name: str, size: int) -> str:  # one long literal: quick to parse at any size
        return f"def {name}():\n    return 1\n\nDATA = \"" + "a" * size + "\"\n"

    (root / "big.py").write_text(module("helper_fn", 1_500_000))
    (root / "huge.py").write_text(module("huge_fn", limits.MAX_FILE_BYTES))
    index = WorkspaceIndex(root)
    index.build(root)
    assert [s.path for s in index.definitions("helper_fn")] == ["big.py"]
    assert index.definitions("huge_fn") == []
    pipeline = Pipeline(env={"XDG_CONFIG_HOME": str(tmp_path / "c"), "XDG_DATA_HOME": str(tmp_path / "d")})
    assert pipeline.run(Case(str(root), "big.py", (0, 0), (0, 0))).scope is not None
    try:
        pipeline.run(Case(str(root), "huge.py", (0, 0), (0, 0)))
    except CaseError as exc:
        assert exc.kind == "file_too_large"
    else:
        raise AssertionError("a file over the cap was accepted")


def test_the_under_routing_penalty_is_a_setting(env: dict[str, str], tmp_path: Path) -> None:
    """``[scope] under_penalty`` moves unsure edits between tiers; a bad value keeps the model's."""
    root = tmp_path / "ws"
    root.mkdir()
    (root / "orders.py").write_text("def total(items):\n    s = 0\n    for i in items:\n"
                                    "        s += i.price\n    return s\n")
    case = Case(str(root), "orders.py", (3, 8), (3, 8), "make this faster", kind="edit")

    def scope_with(text: str) -> str:
        write_user(env, text)
        return Pipeline(env=env).run(case).scope.scope

    assert scope_with("[scope]\nunder_penalty = 100\n") == "workspace"
    assert scope_with("[scope]\nunder_penalty = 0.05\n") != "workspace"
    write_user(env, "[scope]\nunder_penalty = -1\n")
    config, problems = load_config(root, None, env=env)
    assert config.scope.under_penalty is None
    assert [p.key for p in problems] == ["scope.under_penalty"]
