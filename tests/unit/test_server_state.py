"""Per-server state: everything a server keeps lives in its State, so create_server() is a fresh server."""

from __future__ import annotations

import dataclasses
import gc
from pathlib import Path

import pytest

from codeswitch.config import Config
from codeswitch.features.edit import EditEngine
from codeswitch.handlers import inline
from codeswitch.handlers.edit_plan import engine
from codeswitch.handlers.state import State
from codeswitch.server import create_server


def _services() -> int:
    return sum(isinstance(o, inline.InlineService) for o in gc.get_objects())


def test_two_servers_share_no_state() -> None:
    one, two = create_server(), create_server()
    assert one.state is not two.state
    assert one.state.documents is not two.state.documents
    assert inline.service(one.state) is not inline.service(two.state)


def test_the_inline_service_is_kept_in_the_state_and_freed_with_it() -> None:
    gc.collect()
    before = _services()
    state = State()
    svc = inline.service(state)
    assert state.inline is svc
    assert inline.service(state) is svc  # made once per state
    del svc, state
    gc.collect()
    assert _services() == before  # nothing outside the state kept it alive


def test_each_edit_gets_its_own_engine_reading_the_current_state(tmp_path: Path) -> None:
    state = State(root=tmp_path)
    first = engine(state)
    state.config = Config(exclude=("secret/**",))
    second = engine(state)
    assert first is not second
    assert first.exclude == () and second.exclude == ("secret/**",)
    assert second.root == tmp_path
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.root = None  # type: ignore[misc]
    assert isinstance(second, EditEngine)
