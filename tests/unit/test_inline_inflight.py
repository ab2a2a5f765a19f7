"""Supersession: the newest inline request per document wins, the older task is cancelled."""

from __future__ import annotations

import asyncio

import pytest

from codeswitch.features.inflight import DOCUMENT_CHANGED, OVER_CAP, SUPERSEDED, InflightRequests


async def _request(reg: InflightRequests, uri: str, gate: asyncio.Event, log: list[str], name: str) -> str:
    ticket = reg.begin(uri)
    try:
        await gate.wait()
        log.append(name)
        return name
    finally:
        reg.end(ticket)


async def test_newer_request_cancels_the_older_one() -> None:
    reg = InflightRequests()
    gate = asyncio.Event()
    log: list[str] = []
    first = asyncio.create_task(_request(reg, "a", gate, log, "first"))
    await asyncio.sleep(0)
    second = asyncio.create_task(_request(reg, "a", gate, log, "second"))
    await asyncio.sleep(0)
    gate.set()
    assert await second == "second"
    with pytest.raises(asyncio.CancelledError):
        await first
    assert log == ["second"]
    assert reg.superseded_total == 1
    assert len(reg) == 0


async def test_other_documents_are_independent() -> None:
    reg = InflightRequests()
    gate = asyncio.Event()
    log: list[str] = []
    a = asyncio.create_task(_request(reg, "a", gate, log, "a"))
    b = asyncio.create_task(_request(reg, "b", gate, log, "b"))
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(a, b) == ["a", "b"]


async def test_document_change_cancels_the_request_in_flight() -> None:
    reg = InflightRequests()
    gate = asyncio.Event()
    task = asyncio.create_task(_request(reg, "a", gate, [], "x"))
    await asyncio.sleep(0)
    assert reg.document_changed("a") == 1
    with pytest.raises(asyncio.CancelledError):
        await task
    assert reg.document_changed("a") == 0


async def test_global_cap_cancels_the_oldest() -> None:
    reg = InflightRequests(max_in_flight=2)
    gate = asyncio.Event()
    tasks = []
    for uri in ("a", "b", "c"):
        tasks.append(asyncio.create_task(_request(reg, uri, gate, [], uri)))
        await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(results[0], asyncio.CancelledError)
    assert results[1:] == ["b", "c"]


async def test_ticket_says_why_it_was_cancelled() -> None:
    reg = InflightRequests(max_in_flight=1)
    t1 = reg.begin("a", task=None)
    t2 = reg.begin("a", task=None)
    assert t1.cancelled_because == SUPERSEDED
    t3 = reg.begin("b", task=None)
    assert t2.cancelled_because == OVER_CAP
    reg.document_changed("b")
    assert t3.cancelled_because == DOCUMENT_CHANGED
