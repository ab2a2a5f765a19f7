"""Each injected fault ends in the documented exception, over real loopback HTTP, never a hang."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

import pytest
from emulator_helpers import model_for, request

from codeswitch.providers import (
    API_NAMES,
    AuthError,
    ConnectTimeout,
    FirstTokenTimeout,
    IdleTimeout,
    MalformedStream,
    ModelNotFound,
    Overloaded,
    ProviderConnectionError,
    ProviderError,
    QuotaExhausted,
    RateLimited,
    ServerError,
    TextDelta,
    Timeouts,
    collect,
    make_provider,
)
from codeswitch.testing import Emulator, Reply
from codeswitch.testing.pytest_plugin import ProviderFactory

REQ_TEXT = " ".join(f"w{i}" for i in range(30))
SHORT = Timeouts(connect_s=2.0, first_token_s=0.3, idle_s=0.3)


@pytest.mark.parametrize("api", API_NAMES)
@pytest.mark.parametrize(
    ("fault", "cls"),
    [
        ("rate_limit", RateLimited),
        ("server_error", ServerError),
        ("overloaded", Overloaded),
        ("model_not_found", ModelNotFound),
        ("auth", AuthError),
    ],
)
async def test_http_faults(
    api: str, fault: str, cls: type[ProviderError], emulator: Emulator, emulator_provider: ProviderFactory
) -> None:
    emulator.fault(model_for(api), fault, retry_after_s=2.0)  # type: ignore[arg-type]
    with pytest.raises(cls) as info:
        await collect(emulator_provider(api).stream(request(api)))
    err = info.value
    assert err.status == emulator.requests[0].status
    assert err.retryable == cls.retryable
    if fault == "rate_limit":
        assert err.retry_after_s is not None and 0 < err.retry_after_s <= 2.0
        assert err.rate_limit
    # The fault was used once: the next request succeeds.
    assert (await collect(emulator_provider(api).stream(request(api)))).text


@pytest.mark.parametrize("api", ("openai_responses", "openai_chat", "anthropic", "fim_mistral"))
async def test_quota_is_not_retryable(
    api: str, emulator: Emulator, emulator_provider: ProviderFactory
) -> None:
    emulator.fault("m", "quota")
    with pytest.raises(QuotaExhausted) as info:
        await collect(emulator_provider(api).stream(request(api)))
    assert not info.value.retryable


@pytest.mark.parametrize("api", API_NAMES)
async def test_stall_before_first_token(
    api: str, emulator: Emulator, emulator_provider: ProviderFactory
) -> None:
    emulator.fault(model_for(api), "stall_first")
    with pytest.raises(FirstTokenTimeout):
        await collect(emulator_provider(api, timeouts=SHORT).stream(request(api)))
    rec = await emulator.wait_closed(emulator.requests[0])
    assert rec.tokens_sent == 0 and rec.disconnected_at is not None


@pytest.mark.parametrize("api", API_NAMES)
async def test_stall_mid_stream(api: str, emulator: Emulator, emulator_provider: ProviderFactory) -> None:
    emulator.script(model_for(api), REQ_TEXT).fault(model_for(api), "stall_mid", after_tokens=3)
    got: list[str] = []
    with pytest.raises(IdleTimeout):
        async for ev in emulator_provider(api, timeouts=SHORT).stream(request(api)):
            if isinstance(ev, TextDelta):
                got.append(ev.text)
    assert "".join(got) == "w0 w1 w2"
    rec = await emulator.wait_closed(emulator.requests[0])
    assert rec.tokens_sent == 3 and rec.disconnected_at is not None


@pytest.mark.parametrize("api", API_NAMES)
async def test_connection_reset_mid_stream(
    api: str, emulator: Emulator, emulator_provider: ProviderFactory
) -> None:
    emulator.script(model_for(api), REQ_TEXT).fault(model_for(api), "reset_mid", after_tokens=4)
    with pytest.raises(ProviderConnectionError):
        await collect(emulator_provider(api).stream(request(api)))


@pytest.mark.parametrize("api", API_NAMES)
async def test_malformed_stream(api: str, emulator: Emulator, emulator_provider: ProviderFactory) -> None:
    emulator.script(model_for(api), REQ_TEXT).fault(model_for(api), "malformed", after_tokens=2)
    with pytest.raises(MalformedStream):
        await collect(emulator_provider(api).stream(request(api)))


@pytest.mark.parametrize(("api", "cls"), [("anthropic", Overloaded), ("openai_chat", ServerError)])
async def test_in_stream_error_event(
    api: str, cls: type[ProviderError], emulator: Emulator, emulator_provider: ProviderFactory
) -> None:
    emulator.script("m", REQ_TEXT).fault("m", "stream_error", after_tokens=5)
    with pytest.raises(cls) as info:
        await collect(emulator_provider(api).stream(request(api)))
    assert info.value.retryable and info.value.status is None


async def test_responses_failed_event(emulator: Emulator, emulator_provider: ProviderFactory) -> None:
    emulator.script("m", REQ_TEXT).fault("m", "stream_error", after_tokens=1)
    with pytest.raises(ServerError, match="failed to generate") as info:
        await collect(emulator_provider("openai_responses").stream(request("openai_responses")))
    assert info.value.retryable and info.value.code == "server_error"


async def test_permanent_fault_repeats(emulator: Emulator, emulator_provider: ProviderFactory) -> None:
    emulator.fault("m", "overloaded", times=None)
    p = emulator_provider("anthropic")
    for _ in range(3):
        with pytest.raises(Overloaded):
            await collect(p.stream(request("anthropic")))
    assert [r.status for r in emulator.requests] == [529, 529, 529]


async def test_connection_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = make_provider("gone", "openai_chat", f"http://127.0.0.1:{port}/v1", "k")
    try:
        with pytest.raises(ProviderConnectionError) as info:
            await collect(p.stream(request("openai_chat")))
        assert info.value.retryable
    finally:
        await p.aclose()


@pytest.fixture
def full_backlog() -> Iterator[int]:
    """A listening socket whose accept queue is full: new connects hang in SYN-SENT."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _ in range(8):
        c = socket.socket()
        c.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            c.connect(("127.0.0.1", port))
        fillers.append(c)
    yield port
    for c in fillers:
        c.close()
    server.close()


async def test_connect_timeout(full_backlog: int) -> None:
    p = make_provider(
        "slow",
        "openai_chat",
        f"http://127.0.0.1:{full_backlog}/v1",
        "k",
        Timeouts(connect_s=0.2, first_token_s=5),
    )
    try:
        with pytest.raises(ConnectTimeout):
            await collect(p.stream(request("openai_chat")))
    finally:
        await p.aclose()


async def test_reply_after_a_slow_start_within_the_budget(
    emulator: Emulator, emulator_provider: ProviderFactory
) -> None:
    """A stall shorter than the first-token timeout is just latency, not an error."""
    emulator.script("m", Reply("late but fine")).fault("m", "stall_first", stall_s=0.05)
    got = await collect(emulator_provider("anthropic", timeouts=SHORT).stream(request("anthropic")))
    assert got.text == "late but fine"
