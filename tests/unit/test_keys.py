"""Key commands run off the event loop, once for concurrent callers, cached for their TTL."""

from __future__ import annotations

import asyncio
import sys
import threading
from pathlib import Path

from codeswitch.config import Config, ProviderConfig
from codeswitch.keys import KeyCache, fingerprint


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def cmd_config(key_file: Path, ttl: float = 60.0) -> Config:
    cmd = f"{sys.executable} -c \"import sys; print(open(sys.argv[1]).read())\" {key_file}"
    return Config(providers={"openai": ProviderConfig(api_key_cmd=cmd, key_cmd_ttl_s=ttl),
                             "local": ProviderConfig(local=True)})


async def test_concurrent_requests_run_the_command_once_in_a_worker_thread(tmp_path: Path) -> None:
    (tmp_path / "key").write_text("sk-one\n")
    keys = KeyCache(cmd_config(tmp_path / "key"))
    loop_thread = threading.get_ident()
    ran_in: list[int] = []
    original = ProviderConfig.api_key

    def spy(self: ProviderConfig, env: object = None) -> str | None:
        ran_in.append(threading.get_ident())
        return original(self)

    ProviderConfig.api_key = spy  # type: ignore[assignment,method-assign]
    try:
        found = await asyncio.gather(*(keys.resolve("openai") for _ in range(5)))
    finally:
        ProviderConfig.api_key = original  # type: ignore[method-assign]
    assert found == ["sk-one"] * 5 and keys.runs == 1
    assert ran_in and loop_thread not in ran_in  # the subprocess never ran on the event loop
    assert await keys.resolve_all() == frozenset({"openai", "local"})
    assert "sk-one" not in repr(keys)


async def test_after_the_ttl_the_old_key_serves_while_the_command_runs_again(tmp_path: Path) -> None:
    (tmp_path / "key").write_text("sk-one\n")
    clock = Clock()
    keys = KeyCache(cmd_config(tmp_path / "key", ttl=60.0), clock=clock)
    assert await keys.resolve("openai") == "sk-one"
    (tmp_path / "key").write_text("sk-two\n")  # rotated
    clock.t = 30.0
    assert await keys.resolve("openai") == "sk-one" and keys.runs == 1  # within the TTL: cached
    clock.t = 61.0
    assert await keys.resolve("openai") == "sk-one"  # never waits for the refresh ...
    assert keys.runs == 2
    assert await keys.refresh("openai") == "sk-two"  # ... (a refused key is re-read at once)
    assert keys.cached("openai") == "sk-two"
    assert fingerprint("sk-one") != fingerprint("sk-two") and fingerprint(None) is None


async def test_a_changed_key_source_forgets_the_cached_key(tmp_path: Path) -> None:
    (tmp_path / "key").write_text("sk-one\n")
    (tmp_path / "other").write_text("sk-other\n")
    keys = KeyCache(cmd_config(tmp_path / "key"))
    assert await keys.resolve("openai") == "sk-one"
    keys.set_config(cmd_config(tmp_path / "other"))
    assert keys.cached("openai") is None
    assert await keys.resolve("openai") == "sk-other"
