"""A parse through a read callback keeps nothing it was handed: the keystroke path parses through
one on every key, and a reference kept per read held all the text read, for ever."""

from __future__ import annotations

import gc
import sys

from codeswitch.scope.syntax import Region, SyntaxTree, parse_region
from codeswitch.secret_scan import _Verdicts

SOURCE = b"".join(b"def f%d(x):\n    return x + %d\n\n" % (i, i) for i in range(40))


class _Reader:
    """Hands out fresh bytes objects, a few at a time, and remembers them."""

    def __init__(self) -> None:
        self.handed: list[bytes] = []

    def __call__(self, offset: int, _point: tuple[int, int]) -> bytes:
        data = bytes(bytearray(SOURCE[offset:offset + 64]))
        self.handed.append(data)
        return data

    def kept(self) -> list[int]:
        """Extra references to what was handed out (b"" is a shared constant: left out)."""
        gc.collect()
        # the list, the loop's name and getrefcount's argument hold the only references left
        return [sys.getrefcount(d) - 3 for d in self.handed if d and sys.getrefcount(d) != 3]


def test_whole_parse_reparse_and_region_parse_keep_nothing_they_read() -> None:
    first = _Reader()
    tree = SyntaxTree.parse("python", first)
    assert tree is not None and len(first.handed) > 10
    assert first.kept() == []
    tree.edit(4, 6, 7, (0, 4), (0, 6), (0, 7))
    again = _Reader()
    tree.reparse(again)
    assert again.handed and again.kept() == []
    region = _Reader()
    parse_region("python", region, Region(0, 200, (0, 0), (12, 0)), 3, len(SOURCE))
    assert region.handed and region.kept() == []


def test_the_secret_verdicts_hold_a_bounded_number_of_characters() -> None:
    cache = _Verdicts(size=1000, chars=10_000)
    for i in range(100):
        cache.put(f"{i:04d}" + "x" * 996, "")
    assert cache.held <= 10_000 and len(cache.known) == 10
    assert cache.get("0099" + "x" * 996) == "" and cache.get("0000" + "x" * 996) is None
    cache.put("0099" + "x" * 996, "a key")  # the same text again: counted once
    assert cache.held == sum(len(t) for t in cache.known)
