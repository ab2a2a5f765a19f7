"""A real headless Neovim 0.12 with vim.lsp.inline_completion, our plugin, `codeswitch serve`
and the emulator process: typing shows our ghost text, typing into it is served from the cache,
accepting inserts it and records the acceptance."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from nvim_harness import EmulatorProcess

from codeswitch.catalog import load_catalog
from codeswitch.ledger import LEDGER_FILE, Ledger

pytestmark = pytest.mark.nvim

SPARK = "gpt-5.3-codex-spark"

PROBE = r"""
H.start()
vim.cmd('edit calc.py')
H.when('client initialized', function()
  local c = H.client()
  return c ~= nil and c.initialized and c.server_capabilities.inlineCompletionProvider ~= nil
    and H.inline_ready()
end, H.guard(function()
  H.track_inline(H.client())
  vim.api.nvim_win_set_cursor(0, { 2, 0 })
  vim.api.nvim_input('A')
  H.when('ghost text', function()
    local g = H.ghost()
    return g ~= nil and g.text ~= '' and g
  end, H.guard(function(first)
    H.result.first_ghost = first
    local answered = H.inline.answered
    H.type(' ', 30, function()
      -- wait for the answer to the request sent after the debounce (served from the cache)
      H.when('type-through answer', function() return H.inline.answered > answered end, H.guard(function()
        H.result.second_ghost = H.ghost()
        vim.api.nvim_input('<Tab>')
        H.when('accepted', function()
          return H.ghost() == nil and H.buffer()[2] ~= '    return w '
        end, H.guard(function()
          H.result.buffer = H.buffer()
          vim.api.nvim_input('<Esc>')
          -- the accept command (workspace/executeCommand) is answered before we quit
          H.when('accept command answered', function()
            local c = H.client()
            return c ~= nil and next(c.requests) == nil
          end, function() H.finish({ ok = true, inline = H.inline }) end)
        end))
      end))
    end)
  end))
end))
"""



def spark_script(reply: str) -> dict[str, object]:
    """Spark answers `reply`, and so does any other model: on a loaded machine Spark's first token
    can take longer than the inline tier's hedge delay (400 ms), and the hedge partner must then
    give the same answer instead of the emulator's default text."""
    return {"default": reply, "models": {SPARK: {"replies": [reply]}}}

def test_typing_shows_ghost_text_and_accepting_inserts_it(
    nvim_emulator: Callable[..., EmulatorProcess], nvim_probe: Callable[..., dict[str, object]],
    nvim_workspace: Path,
) -> None:
    (nvim_workspace / "calc.py").write_text("def area(w, h):\n    return w\n", encoding="utf-8")
    emu = nvim_emulator(script=spark_script("<FILL> * h</FILL>"))
    result = nvim_probe(PROBE, emu)
    assert result["ok"], result
    assert result["first_ghost"]["text"] == " * h"  # type: ignore[index]
    assert result["second_ghost"]["text"] == "* h"  # type: ignore[index]
    assert result["buffer"] == ["def area(w, h):", "    return w * h"]
    assert result["inline"]["errors"] == 0  # type: ignore[index]
    prompts = [str(r["body"]) for r in emu.requests() if r["model"] == SPARK]
    assert sum("return w<FILL>" in p for p in prompts) == 1
    # typing " " into the suggestion was served from the cache: no request for that cursor
    assert not any("return w <FILL>" in p for p in prompts), prompts
    ledger_path = nvim_workspace.parent / "xdg_data_home" / "codeswitch" / LEDGER_FILE
    with Ledger(ledger_path) as ledger:
        spark = {m.name: m for m in ledger.stats(load_catalog(), None).by_model}[SPARK]
    assert spark.accepted == 1 and spark.accepted_chars == len(" * h")


BLOCK_PROBE = r"""
H.start()
vim.cmd('edit area.py')
H.when('client initialized', function()
  local c = H.client()
  return c ~= nil and c.initialized and c.server_capabilities.inlineCompletionProvider ~= nil
    and H.inline_ready()
end, H.guard(function()
  H.track_inline(H.client())
  vim.api.nvim_win_set_cursor(0, { 1, 0 })
  vim.api.nvim_input('o')
  H.when('block ghost text', function()
    local g = H.ghost()
    return g ~= nil and #g.lines > 0 and g
  end, H.guard(function(ghost)
    H.result.ghost = ghost
    vim.api.nvim_input('<Tab>')
    H.when('accepted', function() return #H.buffer() >= 3 and H.ghost() == nil end, H.guard(function()
      H.result.buffer = H.buffer()
      H.result.cursor = vim.api.nvim_win_get_cursor(0)
      vim.api.nvim_input('<Esc>')
      H.finish({ ok = true, inline = H.inline })
    end))
  end))
end))
"""


def test_block_ghost_text_spans_lines_and_is_inserted(
    nvim_emulator: Callable[..., EmulatorProcess], nvim_probe: Callable[..., dict[str, object]],
    nvim_workspace: Path,
) -> None:
    (nvim_workspace / "area.py").write_text("def area(w, h):\n", encoding="utf-8")
    reply = "<FILL>result = w * h\n    return result\n\n\ndef volume():\n    pass</FILL>"
    emu = nvim_emulator(script=spark_script(reply))
    result = nvim_probe(BLOCK_PROBE, emu)
    assert result["ok"], result
    ghost = result["ghost"]
    assert isinstance(ghost, dict)
    assert ghost["text"] == "result = w * h" and ghost["lines"] == ["    return result"]
    # cut where the function ends: `def volume()` never reaches the buffer
    assert result["buffer"] == ["def area(w, h):", "    result = w * h", "    return result"]
    assert result["cursor"] == [3, len("    return result")]


APPEND_PROBE = r"""
H.start()
vim.cmd('edit greet.py')
H.when('client initialized', function()
  local c = H.client()
  return c ~= nil and c.initialized and c.server_capabilities.inlineCompletionProvider ~= nil
    and H.inline_ready()
end, H.guard(function()
  H.result.encoding = H.client().offset_encoding
  H.track_inline(H.client())
  vim.api.nvim_win_set_cursor(0, { 2, 0 })
  vim.api.nvim_input('A')
  H.when('ghost text', function()
    local g = H.ghost()
    return g ~= nil and g.text ~= '' and g
  end, H.guard(function(ghost)
    H.result.ghost = ghost
    vim.api.nvim_input('<Tab>')
    H.when('accepted', function() return H.ghost() == nil and H.buffer()[2]:sub(-4) == 'name' end,
      H.guard(function()
        H.result.buffer = H.buffer()
        vim.api.nvim_input('<Esc>')
        H.finish({ ok = true })
      end))
  end))
end))
"""


def test_non_ascii_text_before_the_cursor(
    nvim_emulator: Callable[..., EmulatorProcess], nvim_probe: Callable[..., dict[str, object]],
    nvim_workspace: Path,
) -> None:
    line = '    label = "naïve ☃ 😀" + na'
    (nvim_workspace / "greet.py").write_text(f"def greet(name):\n{line}\n", encoding="utf-8")
    emu = nvim_emulator(script=spark_script("<FILL>me</FILL>"))
    result = nvim_probe(APPEND_PROBE, emu)
    assert result["ok"], result
    assert result["encoding"] == "utf-8"  # Neovim offers utf-8 and the server takes it
    ghost = result["ghost"]
    assert isinstance(ghost, dict)
    assert ghost["text"] == "me" and ghost["col"] == len(line.encode("utf-8"))
    assert result["buffer"] == ["def greet(name):", line + "me"]
    (rec,) = [r for r in emu.requests() if r["model"] == SPARK]
    assert 'naïve ☃ 😀\\" + na<FILL>' in json.dumps(rec["body"], ensure_ascii=False)
