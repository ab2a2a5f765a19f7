"""`inline.enable`: parsing, per-language and per-glob decisions, and merging across config layers."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeswitch.config import load_config
from codeswitch.inline_enable import EnableRules, is_glob


def test_keys_are_globs_languages_or_the_default() -> None:
    assert is_glob("**/migrations/**") and is_glob("*.md") and is_glob("docs/") and is_glob("a?c")
    assert not is_glob("*") and not is_glob("markdown") and not is_glob("objective-c")
    rules = EnableRules.parse({"*": False, "Python": True, "**/gen/**": False})
    assert rules.default is False and rules.languages == (("python", True),)
    assert rules.globs == (("**/gen/**", False),)


@pytest.mark.parametrize(("language", "path", "on", "why"), [
    ("markdown", "README.md", False, "markdown = false"),
    ("python", "app/migrations/0001_init.py", False, "'**/migrations/**' = false"),
    ("python", "migrations/0001_init.py", False, "'**/migrations/**' = false"),
    ("python", "app/models.py", True, '"*" = true'),
    ("markdown", "docs/keep/notes.md", True, "'docs/keep/**' = true"),  # a glob beats a language
    ("go", "tools/gen_test.go", False, "'*_test.go' = false"),
])
def test_decide(language: str, path: str, on: bool, why: str) -> None:
    rules = EnableRules.parse({"markdown": False, "**/migrations/**": False, "docs/keep/**": True,
                               "*_test.go": False})
    assert rules.decide(language, (path,)) == (on, f"inline.enable: {why}")


def test_last_matching_glob_wins() -> None:
    rules = EnableRules.parse({"src/**": False, "src/keep/**": True})
    assert rules.decide("python", ("src/keep/a.py",))[0] is True
    assert rules.decide("python", ("src/other.py",))[0] is False


@pytest.mark.parametrize("bad", ["yes", 3, {"markdown": "off"}, {"": True}])
def test_bad_values_are_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        EnableRules.parse(bad)


def test_layers_merge_tables_and_a_boolean_replaces(tmp_path: Path) -> None:
    user = tmp_path / "config" / "codeswitch" / "config.toml"
    user.parent.mkdir(parents=True)
    user.write_text('[inline.enable]\nmarkdown = false\n', encoding="utf-8")
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / ".codeswitch.toml").write_text('[inline.enable]\n"**/migrations/**" = false\n', encoding="utf-8")
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    config, problems = load_config(ws, None, env=env)
    assert problems == []
    assert config.inline.enable.to_json() == {"*": True, "markdown": False, "**/migrations/**": False}
    config, _ = load_config(ws, {"inline": {"enable": False}}, env=env)
    assert config.inline.enable.decide("python", ("a.py",)) == (False, 'inline.enable: "*" = false')
    config, problems = load_config(ws, {"inline": {"enable": "sometimes", "max_items": 0}}, env=env)
    assert {p.key for p in problems} == {"inline.enable", "inline.max_items"}
    assert config.inline.max_items == 3 and config.inline.enable.to_json()["markdown"] is False  # type: ignore[index]
