"""The offline scope+routing pipeline behind `codeswitch scope/route/demo`: case parsing, the lazy
index (same answers as a full index, fewer files parsed) and key handling."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from codeswitch.cli.pipeline import Case, CaseError, LazyIndex, Pipeline, parse_case
from codeswitch.routing import Health
from codeswitch.scope import WorkspaceIndex

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root)
    return root


def env_for(tmp_path: Path, **keys: str) -> dict[str, str]:
    return {"XDG_CONFIG_HOME": str(tmp_path / "cfg"), "XDG_DATA_HOME": str(tmp_path / "data"), **keys}


NAMES = ["reserve_stock", "Inventory", "OutOfStock", "Order", "Quote", "Cart", "nothing"]


@pytest.mark.parametrize("name", NAMES)
def test_lazy_index_matches_a_full_index(shop: Path, name: str) -> None:
    full = WorkspaceIndex()
    full.build(shop)
    lazy = LazyIndex(shop)
    assert sorted(lazy.definitions(name), key=repr) == sorted(full.definitions(name), key=repr)
    assert sorted(lazy.references(name), key=repr) == sorted(full.references(name), key=repr)
    assert lazy.files_referencing(name) == full.files_referencing(name)
    assert lazy.symbols_in("orders.py") == full.symbols_in("orders.py")
    assert lazy.files() == full.files() and len(lazy) == len(full)


def test_lazy_index_parses_only_files_that_mention_the_name(shop: Path) -> None:
    lazy = LazyIndex(shop)
    assert [s.path for s in lazy.definitions("Quote")] == ["shipping/rates.go"]
    assert WorkspaceIndex.files(lazy) == ["shipping/rates.go"]
    lazy.files_referencing("reserve_stock")
    expected = ["api.py", "billing.py", "inventory.py", "orders.py", "shipping/rates.go"]
    assert WorkspaceIndex.files(lazy) == expected  # rates.go from the first query, no cart.ts


def test_lazy_index_honours_gitignore_and_skip_dirs(shop: Path) -> None:
    (shop / ".gitignore").write_text("generated/\n")
    for d in ("generated", "node_modules", ".git"):
        (shop / d).mkdir()
        (shop / d / "copy.py").write_text("def reserve_stock():\n    pass\n")
    lazy = LazyIndex(shop)
    assert [s.path for s in lazy.definitions("reserve_stock")] == ["inventory.py"]


@pytest.mark.parametrize(
    ("obj", "words"),
    [
        ("text", "JSON object"),
        ({"file": "a.py", "selection": {}}, "'root'"),
        ({"root": "/r", "file": "", "selection": {}}, "'file'"),
        ({"root": "/r", "file": "a.py"}, "selection"),
        ({"root": "/r", "file": "a.py", "selection": {"start": {"line": 1}}}, "integers"),
        ({"root": "/r", "file": "a.py", "selection": {"start": {"line": True, "character": 0}}}, "integers"),
        ({"root": "/r", "file": "a.py", "selection": {"start": 3}}, "object"),
        ({"root": "/r", "file": "a.py", "selection": {"start": {"line": 1, "character": 0}}, "kind": "x"},
         "'kind'"),
        ({"root": "/r", "file": "a.py", "selection": {"start": {"line": 1, "character": 0}},
          "instruction": 5}, "'instruction'"),
    ],
)
def test_parse_case_rejects_bad_cases(obj: object, words: str) -> None:
    with pytest.raises(CaseError, match=words) as info:
        parse_case(obj)
    assert info.value.kind == "bad_case"


def test_parse_case_defaults() -> None:
    case = parse_case({"root": "/r", "file": "a.py", "selection": {"start": {"line": 2, "character": 3}},
                       "id": 7, "label": "ignored"})
    assert case == Case("/r", "a.py", (2, 3), (2, 3), None, "auto", "7")


def test_keys_are_assumed_only_when_no_remote_provider_has_one(shop: Path, tmp_path: Path) -> None:
    case = Case(str(shop), "orders.py", (44, 4), (44, 4), "fix this", "edit")
    assumed = Pipeline(env=env_for(tmp_path)).run(case)
    assert assumed.keys_assumed and assumed.decision.chain[0] == "gpt-5.3-codex"
    real = Pipeline(env=env_for(tmp_path, ANTHROPIC_API_KEY="a")).run(case)
    assert not real.keys_assumed and real.decision.chain[0] == "claude-sonnet-4-5"


def test_health_and_spend_reach_the_router(shop: Path, tmp_path: Path) -> None:
    pipeline = Pipeline(env=env_for(tmp_path, OPENAI_API_KEY="o"))
    case = Case(str(shop), "orders.py", (44, 4), (44, 4), "fix this", "edit")
    sick = pipeline.run(case, health=Health(unavailable=frozenset({"gpt-5.3-codex"})))
    assert sick.decision.chain == ("gpt-5.1-codex-mini",)
    broke = pipeline.run(case, spent_today_usd=1000.0)
    assert broke.decision.chain == () and "today's budget" in broke.decision.cause


def test_reversed_selection_is_normalised(shop: Path, tmp_path: Path) -> None:
    pipeline = Pipeline(env=env_for(tmp_path))
    forward = pipeline.run(Case(str(shop), "orders.py", (43, 0), (55, 0), "tidy", "edit"))
    backward = pipeline.run(Case(str(shop), "orders.py", (55, 0), (43, 0), "tidy", "edit"))
    assert forward.scope == backward.scope


def test_workspace_config_applies_per_root(shop: Path, tmp_path: Path) -> None:
    (shop / ".codeswitch.toml").write_text('[tiers.function]\nchain = ["claude-opus-4-6"]\n')
    case = Case(str(shop), "orders.py", (44, 4), (44, 4), "fix", "edit")
    routed = Pipeline(env=env_for(tmp_path)).run(case)
    assert routed.decision.chain == ("claude-opus-4-6",)


def test_large_file_is_refused(shop: Path, tmp_path: Path) -> None:
    (shop / "big.py").write_text("x = 1\n" * 400_000)
    with pytest.raises(CaseError) as info:
        Pipeline(env=env_for(tmp_path)).run(Case(str(shop), "big.py", (0, 0), (0, 0)))
    assert info.value.kind == "file_too_large"


def test_directory_is_refused(shop: Path, tmp_path: Path) -> None:
    with pytest.raises(CaseError) as info:
        Pipeline(env=env_for(tmp_path)).run(Case(str(shop), "web", (0, 0), (0, 0)))
    assert info.value.kind in ("bad_file", "missing_file")


def test_api_key_cmd_runs_once_per_batch(shop: Path, tmp_path: Path) -> None:
    import sys

    count = tmp_path / "count"
    script = tmp_path / "key.py"
    script.write_text(f"open({str(count)!r}, 'a').write('x')\nprint('cmd-key')\n")
    other = tmp_path / "other"
    shutil.copytree(shop, other)
    user = tmp_path / "cfg" / "codeswitch" / "config.toml"  # a key command is the user's own setting
    user.parent.mkdir(parents=True)
    user.write_text(f"[providers.openai]\napi_key_cmd = '{sys.executable} {script}'\n")
    pipeline = Pipeline(env=env_for(tmp_path))
    for root in (shop, other, shop):
        routed = pipeline.run(Case(str(root), "orders.py", (44, 4), (44, 4), "fix", "edit"))
        assert not routed.keys_assumed and routed.decision.chain[0] == "gpt-5.3-codex"
    assert count.read_text() == "x"
