"""The edit formats: search/replace blocks and anchored replacements, parsed from model answers."""

from __future__ import annotations

import pytest

from codeswitch.formats import (
    AnchoredReplacement,
    FormatError,
    SearchReplace,
    parse_anchored,
    parse_search_replace,
)


def test_one_block_in_prose_and_fences() -> None:
    answer = ("Sure, here is the change:\n```python\n<<<<<<< SEARCH\n    return a\n=======\n"
              "    return a + b\n>>>>>>> REPLACE\n```\nThat adds b.")
    assert parse_search_replace(answer) == [SearchReplace("    return a\n", "    return a + b\n")]


def test_several_blocks_keep_their_order_and_paths() -> None:
    answer = ("src/a.py\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n\n"
              "File: `src/b.py`\n```\n<<<<<<< SEARCH\ny = 1\n=======\n>>>>>>> REPLACE\n```\n")
    blocks = parse_search_replace(answer)
    assert blocks == [SearchReplace("x = 1\n", "x = 2\n", "src/a.py"),
                      SearchReplace("y = 1\n", "", "src/b.py")]


def test_crlf_answers_parse_like_lf() -> None:
    answer = "<<<<<<< SEARCH\r\na\r\n=======\r\nb\r\n>>>>>>> REPLACE\r\n"
    assert parse_search_replace(answer) == [SearchReplace("a\n", "b\n")]


def test_prose_line_before_a_block_is_not_a_path() -> None:
    answer = "Here is the fix.\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n"
    assert parse_search_replace(answer)[0].path is None


@pytest.mark.parametrize(("answer", "message"), [
    ("no edit here", "no <<<<<<< SEARCH"),
    ("<<<<<<< SEARCH\na\n", "not closed"),
    ("<<<<<<< SEARCH\na\n=======\nb\n", "not closed"),
    ("<<<<<<< SEARCH\na\n>>>>>>> REPLACE\n", "no ======= divider"),
    ("<<<<<<< SEARCH\na\n=======\nb\n<<<<<<< SEARCH\n", "no >>>>>>> REPLACE"),
])
def test_broken_search_replace_answers_say_what_is_wrong(answer: str, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        parse_search_replace(answer)


def test_anchored_block_with_markers_and_inner_fence() -> None:
    answer = "ok\n<<<<<<< ANCHOR\n```python\ndef f():\n    return 2\n```\n>>>>>>> END\n"
    assert parse_anchored(answer) == AnchoredReplacement("def f():\n    return 2\n")


def test_anchored_falls_back_to_the_first_code_block() -> None:
    answer = "Here:\n```ts\nfunction f(): number {\n  return 2;\n}\n```\nand more\n```\nignored\n```"
    assert parse_anchored(answer).text == "function f(): number {\n  return 2;\n}\n"


@pytest.mark.parametrize(("answer", "message"), [
    ("just prose", "no <<<<<<< ANCHOR"),
    ("<<<<<<< ANCHOR\ndef f(): pass\n", "not closed"),
    ("```python\ndef f(): pass\n", "not closed"),
    ("<<<<<<< ANCHOR\n\n   \n>>>>>>> END\n", "empty"),
])
def test_broken_anchored_answers(answer: str, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        parse_anchored(answer)


def test_paths_without_extension_and_prose_lines() -> None:
    block = "<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n"
    assert parse_search_replace(".git/config\n" + block)[0].path == ".git/config"
    assert parse_search_replace("Makefile.am\n" + block)[0].path == "Makefile.am"
    assert parse_search_replace("Done.\n" + block)[0].path is None
