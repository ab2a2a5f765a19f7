"""The type-through cache: exact hits, type-through hits, misses, LRU eviction, bounded keys."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from codeswitch.features.inline_cache import BEFORE_CHARS, CacheEntry, InlineCache, context_key

URI = "file:///w/a.py"


def _doc(text: str) -> tuple[list[str], int]:
    rows = text.split("\n")
    return rows, len(rows)


def _key(rows: list[str], row: int, col: int) -> tuple[str, str]:
    return context_key(lambda i: rows[i], len(rows), row, col)


def _entry(rows: list[str], row: int, col: int, text: str) -> CacheEntry:
    before, after = _key(rows, row, col)
    return CacheEntry(URI, row, col, before, after, text, "m", "id-1")


def test_type_through_serves_the_rest() -> None:
    rows, _ = _doc("def f(a):\n    ret\nx = 1")
    cache = InlineCache()
    cache.put(_entry(rows, 1, 7, "urn a + 1"))
    rows[1] = "    return"
    hit = cache.get(URI, 1, 10, *_key(rows, 1, 10))
    assert hit is not None
    assert hit.text == " a + 1"
    assert hit.typed == 3


def test_typing_something_else_misses() -> None:
    rows, _ = _doc("def f(a):\n    ret\nx = 1")
    cache = InlineCache()
    cache.put(_entry(rows, 1, 7, "urn a + 1"))
    rows[1] = "    retx"
    assert cache.get(URI, 1, 8, *_key(rows, 1, 8)) is None
    assert cache.misses == 1


def test_type_through_across_a_newline() -> None:
    rows, _ = _doc("if x:\n    \nend")
    cache = InlineCache()
    cache.put(_entry(rows, 1, 4, "a = 1\n    b = 2"))
    rows[1:2] = ["    a = 1", "    b"]
    hit = cache.get(URI, 2, 5, *_key(rows, 2, 5))
    assert hit is not None and hit.text == " = 2"


def test_exact_hit_after_returning_to_the_same_place() -> None:
    rows, _ = _doc("print(\n")
    cache = InlineCache()
    cache.put(_entry(rows, 0, 6, '"hi")'))
    hit = cache.get(URI, 0, 6, *_key(rows, 0, 6))
    assert hit is not None and hit.text == '"hi")' and hit.typed == 0


def test_fully_typed_suggestion_is_not_served() -> None:
    rows, _ = _doc("x = \n")
    cache = InlineCache()
    cache.put(_entry(rows, 0, 4, "42"))
    rows[0] = "x = 42"
    assert cache.get(URI, 0, 6, *_key(rows, 0, 6)) is None


def test_other_document_misses() -> None:
    rows, _ = _doc("x = \n")
    cache = InlineCache()
    cache.put(_entry(rows, 0, 4, "42"))
    assert cache.get("file:///other.py", 0, 4, *_key(rows, 0, 4)) is None


def test_lru_evicts_the_oldest() -> None:
    cache = InlineCache(size=2)
    for i in range(3):
        cache.put(CacheEntry(URI, i, 0, f"b{i}", "", f"t{i}", "m", str(i)))
    assert len(cache) == 2
    assert cache.get(URI, 0, 0, "b0", "") is None
    assert cache.get(URI, 2, 0, "b2", "") is not None


def test_keys_are_bounded_on_huge_files() -> None:
    rows = ["x" * 80 for _ in range(50_000)]
    before, after = _key(rows, 25_000, 40)
    assert len(before) <= BEFORE_CHARS
    assert before.endswith("x" * 40)
    assert len(after) <= 96


@settings(max_examples=50)
@given(st.text(alphabet="ab c(\n", min_size=2, max_size=25), st.integers(min_value=1, max_value=24))
def test_type_through_property(suggestion: str, k: int) -> None:
    """Typing the first k characters of a suggestion always serves exactly the rest."""
    k = min(k, len(suggestion) - 1)
    rows = ["def f():", "    ", "tail"]
    cache = InlineCache()
    cache.put(_entry(rows, 1, 4, suggestion))
    typed = suggestion[:k]
    new_text = "\n".join(rows[:1]) + "\n" + rows[1] + typed + "\n" + rows[2]
    new_rows = new_text.split("\n")
    row = 1 + typed.count("\n")
    col = (4 + len(typed)) if "\n" not in typed else len(typed.rsplit("\n", 1)[-1])
    hit = cache.get(URI, row, col, *_key(new_rows, row, col))
    assert hit is not None
    assert hit.text == suggestion[k:]
