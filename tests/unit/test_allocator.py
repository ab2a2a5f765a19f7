"""The allocator setting: applied on glibc, a no-op elsewhere."""

from __future__ import annotations

import platform

import pytest

from codeswitch import allocator


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_the_trim_threshold_is_set_on_glibc() -> None:
    assert allocator.fix_trim_threshold() is True


def test_nothing_is_done_without_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(allocator.platform, "libc_ver", lambda: ("musl", "1.2"))
    called: list[object] = []
    monkeypatch.setattr(allocator.ctypes, "CDLL", lambda *a: called.append(a))
    assert allocator.fix_trim_threshold() is False
    assert called == []
