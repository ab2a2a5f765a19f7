"""The emulator fixtures are a pytest plugin the package registers (entry point group pytest11)."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest

import codeswitch.testing.pytest_plugin as plugin


def test_the_plugin_is_a_pytest11_entry_point() -> None:
    found = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert found.get("codeswitch") == "codeswitch.testing.pytest_plugin"


def test_pytest_loaded_it_without_a_conftest_declaring_it(pytestconfig: pytest.Config) -> None:
    assert pytestconfig.pluginmanager.get_plugin("codeswitch") is plugin
    assert all(hasattr(plugin, name) for name in ("emulator", "emulator_thread", "emulator_provider",
                                                   "hermetic_env"))
