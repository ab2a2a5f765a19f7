"""pytest fixtures around the emulator (the ``pytest11`` plugin ``codeswitch``: pytest loads it
wherever codeswitch is installed, nothing to declare).

- `emulator`: a started Emulator (function scope) in the test's event loop; async tests only.
- `emulator_thread`: the same, running in a background thread, for sync tests.
- `emulator_provider`: a factory `(api, name=None, api_key="test-key", timeouts=None) -> Provider`
  pointed at `emulator`; providers are closed after the test.
- `hermetic_env`: XDG_CONFIG_HOME / XDG_DATA_HOME in tmp dirs, vendor keys and base URLs unset.

The async fixtures need pytest-asyncio (in the ``test`` extra); without it only the sync ones are
defined, so a project that merely has codeswitch installed still runs its tests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from codeswitch.providers import Provider, Timeouts, make_provider

from .core import Emulator

_ENV_TO_CLEAR = (
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "CEREBRAS_API_KEY",
    "MISTRAL_API_KEY",
    "DEEPSEEK_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_BASE_URL",
)


@pytest.fixture
def hermetic_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point config/data dirs at tmp and remove real keys, so tests never touch the user's setup."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    for name in _ENV_TO_CLEAR:
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def emulator_thread() -> Iterator[Emulator]:
    with Emulator() as emu:
        yield emu


ProviderFactory = Callable[..., Provider]

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - the test extra is not installed: sync fixtures only
    pass
else:

    @pytest_asyncio.fixture
    async def emulator() -> AsyncIterator[Emulator]:
        async with Emulator() as emu:
            yield emu

    @pytest_asyncio.fixture
    async def emulator_provider(emulator: Emulator) -> AsyncIterator[ProviderFactory]:
        made: list[Provider] = []

        def factory(api: str, name: str | None = None, api_key: str | None = "test-key",
                    timeouts: Timeouts | None = None) -> Provider:
            p = make_provider(name or f"emu-{api}", api, emulator.base_url(api), api_key, timeouts)
            made.append(p)
            return p

        yield factory
        for p in made:
            await p.aclose()
