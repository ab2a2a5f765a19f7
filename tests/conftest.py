"""Shared pytest setup: the emulator fixtures come from the package's own pytest plugin
(the ``pytest11`` entry point ``codeswitch``), as they do for users."""
