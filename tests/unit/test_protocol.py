"""The custom protocol's types (docs/protocol.md): strict params, every result field on the wire,
camelCase where the clients read camelCase, and the CLI's params fit the server's classes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from codeswitch.cli.harness import Location, edit_params
from codeswitch.handlers.protocol import (
    CONVERTER,
    EDIT_METHOD,
    REFACTOR_METHOD,
    REQUEST_TYPES,
    EditParams,
    EditResult,
    ErrorInfo,
    RefactorParams,
    RefactorResult,
    ScopeParams,
    StatusParams,
    describe_error,
    to_json,
)

URI = "file:///ws/m.py"
HERE = {"start": {"line": 1, "character": 2}, "end": {"line": 1, "character": 2}}


def _edit(**params: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 7, "method": EDIT_METHOD,
            "params": {"textDocument": {"uri": URI}, "range": HERE, "instruction": "fix it", **params}}


def test_edit_params_are_structured_from_camel_case() -> None:
    message = CONVERTER.structure(_edit(apply=True, workDoneToken="t", unknown=1), REQUEST_TYPES[EDIT_METHOD])
    params = message.params
    assert isinstance(params, EditParams)
    assert (params.text_document.uri, params.range.start.character, params.apply, params.work_done_token) == \
        (URI, 2, True, "t")


@pytest.mark.parametrize(("bad", "told"), [
    ({"apply": "yes"}, "apply"),
    ({"instruction": 5}, "instruction"),
    ({"instruction": "   "}, "instruction must be a non-empty string"),
    ({"workDoneToken": True}, "work_done_token"),
    ({"range": {"start": {"line": "one", "character": 0}, "end": HERE["end"]}}, "line"),
])
def test_wrong_types_are_refused_not_coerced(bad: dict[str, Any], told: str) -> None:
    with pytest.raises(Exception) as err:
        CONVERTER.structure(_edit(**bad), REQUEST_TYPES[EDIT_METHOD])
    assert told in describe_error(err.value)


def test_a_missing_required_field_is_refused() -> None:
    message = _edit()
    del message["params"]["range"]
    with pytest.raises(Exception) as err:
        CONVERTER.structure(message, REQUEST_TYPES[EDIT_METHOD])
    assert "range" in describe_error(err.value)


def test_refactor_and_scope_params() -> None:
    message = {"jsonrpc": "2.0", "id": 1, "method": REFACTOR_METHOD, "params": {"instruction": " rename x "}}
    params = CONVERTER.structure(message, REQUEST_TYPES[REFACTOR_METHOD]).params
    assert isinstance(params, RefactorParams) and params.instruction == "rename x"
    assert params.text_document is None and params.apply is False
    scope = CONVERTER.structure({"textDocument": {"uri": URI}, "position": HERE["start"]}, ScopeParams)
    assert scope.range is None and scope.position is not None and scope.position.line == 1


def test_results_carry_every_field_in_snake_case() -> None:
    out = to_json(EditResult(error=ErrorInfo("secret", "never sent")))
    assert out == {"edit": None, "diff": "", "applied": False, "model": None, "scope": "function",
                   "tier": "function", "reasons": [],
                   "usage": {"input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0}, "fallbacks": [],
                   "error": {"kind": "secret", "message": "never sent"}}
    refactor = to_json(RefactorResult())
    assert {"files", "agents", "refused", "bases"} <= set(refactor) and refactor["scope"] == "workspace"
    assert refactor["usage"] == out["usage"]  # one default for both: nothing spent is 0, not unknown


def test_lsp_values_inside_results_keep_lsp_keys() -> None:
    edit = types.WorkspaceEdit(changes={URI: [types.TextEdit(
        types.Range(types.Position(0, 0), types.Position(0, 1)), "x")]})
    assert to_json(EditResult(edit=edit))["edit"]["changes"][URI][0]["newText"] == "x"


def test_the_status_notification_is_camel_case() -> None:
    expected = {"model": "m", "tier": "inline", "spentTodayUsd": 0.25}
    assert to_json(StatusParams("m", "inline", 0.25)) == expected


def test_the_cli_sends_params_the_server_accepts(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    loc = Location(path, 1, 2, "x = 1\n")
    params = CONVERTER.structure(edit_params(loc, "add a docstring"), EditParams)
    assert params.text_document.uri == path.as_uri() and params.instruction == "add a docstring"
    assert CONVERTER.structure({"instruction": "rename x"}, RefactorParams).instruction == "rename x"
