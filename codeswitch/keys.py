"""API keys for the running server: read off the event loop, cached, refreshed when they rotate.

A key comes from ``api_key_env`` (read from the environment each time: cheap) or from
``api_key_cmd`` (a command such as ``pass show openai``: a subprocess that may take seconds). The
server never runs a key command on its event loop: :meth:`KeyCache.resolve` runs it in a worker
thread, once per provider however many requests ask at the same time, and keeps the result for
``providers.<name>.key_cmd_ttl_s`` seconds. After that the cached key is still used while the
command runs again in the background (a request never waits for a refresh), and a provider that
rejects its key (401/403) has its command run again at once: a rotated key takes effect on the
next request after the provider refused the old one, or within the TTL, whichever comes first.
Keys are never logged, and the cache's repr shows none.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from codeswitch.catalog import ModelInfo
from codeswitch.config import Config, ProviderConfig
from codeswitch.providers import Provider, Timeouts, make_provider

log = logging.getLogger(__name__)

ProviderFactory = Callable[[ModelInfo], Provider]


def fingerprint(key: str | None) -> str | None:
    """A short digest that tells two keys apart without holding either."""
    return None if key is None else hashlib.sha256(key.encode()).hexdigest()[:16]


@dataclass(slots=True)
class _Entry:
    key: str | None
    at: float  # clock time the command ran


class KeyCache:
    """Resolved keys per provider name for one config (``set_config`` replaces it)."""

    def __init__(self, config: Config, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._running: dict[str, asyncio.Task[str | None]] = {}
        self.runs = 0  # key commands run (tests and diagnostics)

    def __repr__(self) -> str:
        return f"KeyCache(providers={sorted(self._entries)})"

    def set_config(self, config: Config) -> None:
        """New settings: forget the keys of providers whose key source changed."""
        old = self.config.providers
        self.config = config
        for name in list(self._entries):
            before, after = old.get(name), config.providers.get(name)
            if after is None or before is None or _source(before) != _source(after):
                del self._entries[name]

    def _pc(self, provider: str) -> ProviderConfig:
        return self.config.providers.get(provider) or ProviderConfig()

    def cached(self, provider: str) -> str | None:
        """The key to use now, without running anything (None: no key, or not resolved yet)."""
        pc = self._pc(provider)
        if not pc.api_key_cmd:
            return pc.api_key()  # environment only: nothing to run
        entry = self._entries.get(provider)
        return entry.key if entry is not None else None

    def _stale(self, provider: str) -> bool:
        entry = self._entries.get(provider)
        return entry is None or self._clock() - entry.at >= self._pc(provider).key_cmd_ttl_s

    async def resolve(self, provider: str) -> str | None:
        """The provider's key; runs its command in a thread when there is no cached result, and
        starts a background refresh when the cached one is older than the TTL."""
        pc = self._pc(provider)
        if not pc.api_key_cmd:
            return pc.api_key()
        if provider not in self._entries:
            return await self._run(provider)
        if self._stale(provider) and provider not in self._running:
            self._start(provider)
        return self._entries[provider].key

    async def refresh(self, provider: str) -> str | None:
        """Run the key command again now (the provider rejected the key it had)."""
        self._entries.pop(provider, None)
        return await self._run(provider)

    async def resolve_all(self) -> frozenset[str]:
        """Providers that can be called: local ones and those whose key resolves."""
        names = list(self.config.providers)
        found = await asyncio.gather(*(self.resolve(n) for n in names))
        return frozenset(n for n, key in zip(names, found, strict=True)
                         if key or self.config.providers[n].local)

    def _start(self, provider: str) -> asyncio.Task[str | None]:
        task = self._running.get(provider)
        if task is None:
            pc = self._pc(provider)
            self.runs += 1
            task = asyncio.get_running_loop().create_task(self._command(provider, pc))
            self._running[provider] = task
        return task

    async def _run(self, provider: str) -> str | None:
        return await asyncio.shield(self._start(provider))

    async def _command(self, provider: str, pc: ProviderConfig) -> str | None:
        try:
            key = await asyncio.to_thread(pc.api_key)
            if self._pc(provider) is pc or _source(self._pc(provider)) == _source(pc):
                self._entries[provider] = _Entry(key, self._clock())
            if key is None:
                log.info("providers.%s.api_key_cmd gave no key", provider)
            return key
        finally:
            self._running.pop(provider, None)


def _source(pc: ProviderConfig) -> tuple[object, ...]:
    return (pc.api_key_env, pc.api_key_cmd, pc.key_cmd_timeout_s)


def config_provider_factory(config: Config, keys: KeyCache | None = None) -> ProviderFactory:
    """Providers built from the config: base URL, key and timeouts per provider. With `keys` the
    key is the cached one (the dispatcher resolves it off the event loop first); without, it is
    read at once (a key command runs in the caller's thread)."""

    def make(model: ModelInfo) -> Provider:
        pc = config.providers.get(model.provider) or ProviderConfig()
        t = pc.timeouts
        key = keys.cached(model.provider) if keys is not None else pc.api_key()
        return make_provider(model.provider, model.api, pc.base_url, key,
                             Timeouts(t.connect_s, t.first_token_s, t.idle_s))

    return make
