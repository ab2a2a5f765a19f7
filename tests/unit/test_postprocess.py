"""Post-processing of inline completions: chat wrapping, echo, shape, block exit, suffix, syntax."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from codeswitch.features.postprocess import (
    remove_suffix_overlap,
    remove_typed_echo,
    shape_completion,
    strip_chat_wrapping,
    syntax_region,
)


def test_fill_tags_are_removed() -> None:
    assert strip_chat_wrapping("<FILL>return a + b</FILL>") == "return a + b"
    assert strip_chat_wrapping("<FILL>x = 1") == "x = 1"


def test_markdown_fence_with_prose_is_stripped() -> None:
    raw = "Here is the completion:\n```python\nreturn a + b\n```\nThis adds the numbers."
    assert strip_chat_wrapping(raw) == "return a + b"


def test_unclosed_fence_keeps_the_code() -> None:
    assert strip_chat_wrapping("```go\nreturn nil\n") == "return nil\n"


def test_plain_code_is_untouched() -> None:
    code = "if x:\n    return 1"
    assert strip_chat_wrapping(code) == code


def test_typed_echo_is_removed() -> None:
    assert remove_typed_echo("return total + 1", "    return tot") == "al + 1"
    assert remove_typed_echo("al + 1", "    return tot") == "al + 1"


def test_rest_of_line_overlap_with_closing_bracket() -> None:
    assert remove_suffix_overlap("a, b)", ")") == "a, b"
    assert remove_suffix_overlap('"x"])', "])\n") == '"x"'


def test_identifier_overlap_is_not_cut_partially() -> None:
    # the suffix begins with "name"; a completion ending in "na" is not an overlap
    assert remove_suffix_overlap("x = na", "name") == "x = na"


def test_repeated_lines_from_below_are_dropped() -> None:
    completion = "    total += x\n    return total"
    suffix = "\n    return total\n"
    assert remove_suffix_overlap(completion, suffix) == "    total += x"


@settings(max_examples=60, deadline=None)  # no wall-clock limit: a loaded machine is not a bug
@given(st.text(alphabet="abc()[]{}, \n", max_size=30), st.text(alphabet="abc()[]{}, \n", max_size=30))
def test_overlap_removal_only_shortens(text: str, suffix: str) -> None:
    out = remove_suffix_overlap(text, suffix)
    assert len(out) <= len(text)
    assert text.rstrip().startswith(out.rstrip()) or text.startswith(out)


def test_python_block_is_cut_where_it_leaves_the_function() -> None:
    prefix = "def add(a, b):\n    "
    raw = "total = a + b\n    return total\n\ndef other():\n    pass"
    shaped = shape_completion(raw, language="python", prefix=prefix, suffix="\n", shape="block", chat=False)
    assert shaped.text == "total = a + b\n    return total"
    assert "cut where the block closes" in shaped.notes


def test_brace_block_is_cut_at_the_closing_brace() -> None:
    prefix = "function add(a: number, b: number): number {\n  "
    raw = "return a + b;\n}\n\nfunction sub() {}"
    shaped = shape_completion(raw, language="typescript", prefix=prefix, suffix="\n}\n", shape="block",
                              chat=False)
    assert shaped.text == "return a + b;"


def test_rest_of_line_keeps_one_line() -> None:
    shaped = shape_completion("b)\nprint(x)", language="python", prefix="x = max(a, ",
                              suffix=")\n", shape="rest_of_line", chat=False)
    assert shaped.text == "b"


def test_chat_output_is_unwrapped_then_shaped() -> None:
    raw = "```python\n<FILL>return a * b</FILL>\n```"
    shaped = shape_completion(raw, language="python", prefix="def mul(a, b):\n    ", suffix="\n",
                              shape="block", chat=True)
    assert shaped.text == "return a * b"


def test_whitespace_only_gives_no_item() -> None:
    shaped = shape_completion("   \n\n", language="python", prefix="x = ", suffix="", shape="expression",
                              chat=False)
    assert shaped.text is None
    assert shaped.notes[-1] == "empty"


def test_completion_that_breaks_the_syntax_is_dropped() -> None:
    prefix = "def f(x):\n    return x"
    shaped = shape_completion(" +* )) (", language="python", prefix=prefix, suffix="\n",
                              shape="rest_of_line", chat=False)
    assert shaped.text is None
    assert "adds a syntax error" in shaped.notes


def test_completion_that_fixes_an_empty_body_is_kept() -> None:
    prefix = "fn add(a: i32, b: i32) -> i32 {\n    "
    shaped = shape_completion("a + b\n}", language="rust", prefix=prefix, suffix="\n}\n", shape="block",
                              chat=False)
    assert shaped.text == "a + b"


def test_syntax_region_is_bounded_and_cut_at_line_ends() -> None:
    prefix = "def f():\n" + "".join(f"    line_{i} = {i}\n" for i in range(1000)) + "    x = "
    suffix = "".join(f"\n    after_{i} = {i}" for i in range(1000))
    before, after = syntax_region(prefix, suffix)
    assert len(before) <= 1500 and before.startswith("    line_") and before.endswith("x = ")
    assert len(after) <= 600 and after.startswith("\n    after_0")
    assert after.split("\n")[-1].startswith("    after_")


def test_syntax_region_is_the_top_level_statement_when_it_starts_within_the_bound() -> None:
    prefix = "import os\n\n\n@cached\ndef f(x):\n    if x:\n        return (\n            x +"
    suffix = "\n        )\n    else:\n        pass\n\n\nclass G:\n    pass\n"
    before, after = syntax_region(prefix, suffix)
    assert before == "def f(x):\n    if x:\n        return (\n            x +"
    assert after == "\n        )\n    else:\n        pass\n\n"
    braces = syntax_region("int a;\nint f() {\n  return 1 +", "\n}\nelse_thing();\n")
    assert braces == ("int f() {\n  return 1 +", "\n}")  # a closing brace continues the statement
    assert syntax_region("x = 1\ny = ", " 2\nz = 3\n") == ("y = ", " 2")


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(["x", " ", "\n", "(", ")", ":", "`", "```", "<FILL>", "</FILL>", "return ",
                                 "    "]), max_size=20).map("".join))
def test_shaped_text_is_clean_or_absent(raw: str) -> None:
    """Whatever a chat model sends, the item is None or non-blank text without markers or fences."""
    shaped = shape_completion(raw, language=None, prefix="def f(x):\n    ", suffix="\n",
                              shape="block", chat=True)
    if shaped.text is not None:
        assert shaped.text.strip()
        assert "<FILL>" not in shaped.text and "</FILL>" not in shaped.text
        assert not any(line.strip().startswith("```") for line in shaped.text.split("\n"))


def test_code_then_a_closing_fence_keeps_the_code() -> None:
    assert strip_chat_wrapping("return a\n```") == "return a"
    assert strip_chat_wrapping("return a\n```\nSome explanation.") == "return a"
