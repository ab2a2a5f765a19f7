"""The shape hint of the inline prompt: a block's start is not its whole body."""

from __future__ import annotations

import pytest

from codeswitch.features.prompts_inline import InlineContext, body_follows, hole_filler_message

WHOLE = "Write the body of the block that opens before the hole"
START = "Write the statements that go at the start of the block that opens before the hole"


@pytest.mark.parametrize(("prefix", "suffix", "follows"), [
    ("def f(x):\n    ", "return x\n", True),  # the cursor before the first statement
    ("def f(x):\n    ", "\n    return x\n", True),  # on an empty line above it
    ("def f(x):", "\n    return x\n", True),  # at the end of the opening line
    ("def f(x):\n    ", "\n\ndef g():\n    pass\n", False),  # an empty body
    ("def f(x):", "\n\nprint(1)\n", False),
    ("def f(x):\n    ", "", False),
    ("if (x) {", "}\n", False),  # the hole between the braces
    ("items.each do |i|", "end\n", False),
    ("if (x) {\n  ", "\n}\n", False),
])
def test_body_follows(prefix: str, suffix: str, follows: bool) -> None:
    assert body_follows(prefix, suffix) is follows


def test_the_prompt_says_block_start_before_an_existing_statement() -> None:
    ctx = InlineContext(prefix="def f(x):\n    ", suffix="return x\n", language="python")
    message = hole_filler_message(ctx, "block")
    assert START in message and WHOLE not in message


def test_the_prompt_says_whole_body_for_an_empty_block() -> None:
    ctx = InlineContext(prefix="def f(x):\n    ", suffix="\n\ndef g():\n    pass\n", language="python")
    message = hole_filler_message(ctx, "block")
    assert WHOLE in message and START not in message
