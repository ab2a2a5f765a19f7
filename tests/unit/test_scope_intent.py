"""The instruction wording: which reach it suggests and what it names."""

from __future__ import annotations

import pytest

from codeswitch.scope import classify
from codeswitch.scope.intent import mentioned_names


@pytest.mark.parametrize(("instruction", "reach"), [
    ("rename parse_args to parse_argv", "workspace"),
    ("use the new logger everywhere", "workspace"),
    ("update all callers of fetch_user", "workspace"),
    ("move the cache into its own module", "workspace"),
    ("split utils into separate files", "workspace"),
    ("apply the change across the codebase", "workspace"),
    ("add type hints to every file in the package", "workspace"),
    ("migrate the client to httpx", "workspace"),
    ("apply ruff fixes", "workspace"),
    ("change the signature and update the callers", "workspace"),
    ("reformat the whole codebase", "workspace"),
    ("add unit tests for the parser", "workspace"),
    ("move this function to utils.py", "workspace"),
    ("delete this method and its callers", "workspace"),
    ("rename this function", "workspace"),
    ("make the helpers public API", "workspace"),
    ("fix this function", "function"),
    ("add retries to this function", "function"),
    ("handle the empty list case", "function"),
    ("refactor this", "function"),
    ("simplify this loop", "function"),
    ("add a docstring", "function"),
    ("fix the typo in the error message", "inline"),
    ("fix the rst backticks", "inline"),
])
def test_reach(instruction: str, reach: str) -> None:
    intent = classify(instruction)
    assert intent.reach == reach, intent.reasons
    assert intent.reasons  # every cue explains itself
    assert 0.0 < intent.weight <= 1.0


def test_no_instruction_has_no_cue() -> None:
    for text in (None, "", "   "):
        intent = classify(text)
        assert intent.reach is None and intent.weight == 0.0 and intent.reasons == ()


def test_rename_extracts_both_names() -> None:
    intent = classify("Rename `Config.load_file` to `read_config`")
    assert intent.rename == ("load_file", "read_config")
    assert intent.signature_change


@pytest.mark.parametrize(("instruction", "signature"), [
    ("add a timeout parameter to fetch", True),
    ("remove the unused argument", True),
    ("make name keyword-only", True),
    ("change the return type to a list", True),
    ("fix the off-by-one in the loop", False),
    ("clarify the Parameter docs", False),
    ("convert this to async", True),
    ("rename the local variable tmp to buf", False),
])
def test_signature_change(instruction: str, signature: bool) -> None:
    assert classify(instruction).signature_change is signature


def test_cues_in_the_body_weigh_less_than_in_the_subject() -> None:
    subject = classify("rename the helper everywhere")
    body = classify("Tidy the helper\n\nWe may rename it everywhere later.")
    assert subject.reach == body.reach == "workspace"
    assert body.weight < subject.weight


def test_local_cue_beats_nothing_but_not_a_strong_broad_cue() -> None:
    assert classify("fix the parser everywhere").reach == "workspace"
    assert classify("fix the parser").reach == "function"


def test_mentioned_names() -> None:
    names = mentioned_names("Use `Context.meta` in make_context() and ProgressBar, not the docs page foo.py")
    assert names[:2] == ("Context", "meta")
    assert "make_context" in names and "ProgressBar" in names
    assert "foo" not in names and "docs" not in names and "Use" not in names
    assert mentioned_names("call self.fail() and os.path.join") == ("fail", "join")
    assert mentioned_names("see https://example.com/a_b and #1234") == ()


def test_imports_are_noticed() -> None:
    assert classify("remove unused import").about_imports
    assert not classify("remove dead code").about_imports


def test_rename_is_broad_only_through_references() -> None:
    assert classify("rename this function").via_references
    assert not classify("rename it everywhere").via_references
    assert not classify("fix this").via_references


def test_renaming_a_local_variable_is_not_broad() -> None:
    intent = classify("rename the loop variable i to index")
    assert intent.reach is None or intent.reach != "workspace"
