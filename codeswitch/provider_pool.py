"""The dispatcher's provider clients, one per (provider, wire format), built with the current key.

Each client is made on first use with the key the :class:`~codeswitch.keys.KeyCache` holds for its
provider (resolved off the event loop first). When the key changes (its command printed another
one after the TTL, or after the provider refused the old key) the client is rebuilt with the new
key and the old one closed. Tests pass their own factory; it is then used as given.
"""

from __future__ import annotations

import asyncio
import logging

from codeswitch.catalog import ModelInfo
from codeswitch.config import Config
from codeswitch.keys import KeyCache, ProviderFactory, config_provider_factory, fingerprint
from codeswitch.providers import Provider

log = logging.getLogger(__name__)


class ProviderPool:
    def __init__(self, config: Config, keys: KeyCache, factory: ProviderFactory | None = None) -> None:
        self.keys = keys
        self._given = factory is not None
        self._factory = factory or config_provider_factory(config, keys)
        self._clients: dict[tuple[str, str], tuple[Provider, str | None]] = {}
        self._closing: set[asyncio.Task[None]] = set()

    @property
    def factory(self) -> ProviderFactory:
        return self._factory

    def reconfigure(self, config: Config, factory: ProviderFactory | None) -> list[Provider]:
        """New settings: a new factory; returns the clients to close."""
        self.keys.set_config(config)
        self._given = factory is not None
        self._factory = factory or config_provider_factory(config, self.keys)
        old, self._clients = [p for p, _ in self._clients.values()], {}
        return old

    async def get(self, model: ModelInfo) -> Provider:
        """The client for `model`, made (or remade, when its provider's key changed) as needed."""
        slot = (model.provider, model.api)
        held = self._clients.get(slot)
        if self._given:
            if held is None:
                held = self._clients[slot] = (self._factory(model), None)
            return held[0]
        fp = fingerprint(await self.keys.resolve(model.provider))
        if held is not None and held[1] == fp:
            return held[0]
        if held is not None:
            self._close_later(held[0])
        client = self._factory(model)
        self._clients[slot] = (client, fp)
        return client

    def key_of(self, model: ModelInfo) -> str | None:
        """The fingerprint of the key the client for `model` was built with."""
        held = self._clients.get((model.provider, model.api))
        return held[1] if held is not None else None

    async def rekey(self, provider: str, refused: str | None) -> bool:
        """The provider refused the key with fingerprint `refused`: run its key command again.
        True when a different key came back (the next request uses it)."""
        if self._given or not self.keys.config.providers.get(provider, None) \
                or not self.keys.config.providers[provider].api_key_cmd:
            return False
        fresh = fingerprint(await self.keys.refresh(provider))
        return fresh is not None and fresh != refused

    def _close_later(self, client: Provider) -> None:
        task = asyncio.get_running_loop().create_task(client.aclose())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def aclose(self) -> None:
        clients, self._clients = [p for p, _ in self._clients.values()], {}
        for p in clients:
            await p.aclose()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
