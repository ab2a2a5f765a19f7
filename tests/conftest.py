"""Shared pytest setup: the emulator fixtures are a public plugin of the package."""

pytest_plugins = ["codeswitch.testing.pytest_plugin"]
