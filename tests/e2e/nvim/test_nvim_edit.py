"""Function edits in a real headless Neovim: our plugin, `codeswitch serve` and the emulator process.

The "Edit with instruction…" code action runs the plugin's client command (it asks for the
instruction, sends codeswitch/edit and applies the answer); the "Add docstring" quick edit is
resolved through codeAction/resolve by vim.lsp.buf.code_action({apply = true, filter = ...}).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from nvim_harness import EmulatorProcess

pytestmark = pytest.mark.nvim

CODEX = "gpt-5.3-codex"
SOURCE = "def area(r):\n    x = r * r\n    return x\n\n\nLIMIT = 3\n"


def _block(search: str, replace: str) -> str:
    return f"```\n<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n```\n"


PROBE = r"""
H.start({ inline = false })
vim.cmd('edit area.py')
H.result.titles = {}
local function pick(prefix)
  return function(action)
    table.insert(H.result.titles, action.title)
    return action.title:sub(1, #prefix) == prefix
  end
end
H.when('client initialized', function()
  local c = H.client()
  return c ~= nil and c.initialized
end, H.guard(function()
  vim.ui.input = function(opts, on_confirm)
    H.result.prompt = opts.prompt
    on_confirm('use the power operator in this function')
  end
  vim.api.nvim_win_set_cursor(0, { 2, 4 })
  vim.lsp.buf.code_action({ apply = true, filter = pick('Edit with instruction') })
  H.when('edit applied', function() return H.buffer()[2] == '    x = r ** 2' end, H.guard(function()
    H.result.after_edit = H.buffer()
    vim.api.nvim_win_set_cursor(0, { 3, 4 })
    vim.lsp.buf.code_action({ apply = true, filter = pick('Add docstring') })
    H.when('docstring applied', function() return #H.buffer() == 7 end, H.guard(function()
      H.result.after_doc = H.buffer()
      H.finish({ ok = true })
    end), 30000)
  end), 30000)
end))
"""


def test_edit_code_action_and_resolved_quick_edit_change_the_buffer(
    nvim_emulator: Callable[..., EmulatorProcess], nvim_probe: Callable[..., dict[str, object]],
    nvim_workspace: Path,
) -> None:
    (nvim_workspace / "area.py").write_text(SOURCE, encoding="utf-8")
    replies = [_block("    x = r * r\n", "    x = r ** 2\n"),
               _block("def area(r):\n", 'def area(r):\n    """The area of a square of side r."""\n')]
    emu = nvim_emulator(script={"models": {CODEX: {"replies": replies}}})
    result = nvim_probe(PROBE, emu)
    assert result["ok"], result
    assert result["prompt"] == "Edit instruction: "
    assert result["after_edit"] == ["def area(r):", "    x = r ** 2", "    return x", "", "", "LIMIT = 3"]
    assert result["after_doc"] == ["def area(r):", '    """The area of a square of side r."""',
                                   "    x = r ** 2", "    return x", "", "", "LIMIT = 3"]
    titles = [str(t) for t in result["titles"]]  # type: ignore[attr-defined]
    edit_title = next(t for t in titles if t.startswith("Edit with instruction"))
    assert f"({CODEX}: function scope" in edit_title
    assert any(t.startswith(f"Add docstring to function `area` ({CODEX}") for t in titles)
    bodies = [str(r["body"]) for r in emu.requests() if r["model"] == CODEX]
    assert len(bodies) == 2
    assert "use the power operator" in bodies[0]
    assert "Add a docstring to function `area`" in bodies[1] and "r ** 2" in bodies[1]
    # the file on disk is the user's to save: the edits went to the buffer only
    assert (nvim_workspace / "area.py").read_text(encoding="utf-8") == SOURCE


WIDE_PROBE = r"""
H.start({ inline = false })
vim.cmd('edit area.py')
H.result.sent = {}
H.when('client initialized', function()
  local c = H.client()
  return c ~= nil and c.initialized
end, H.guard(function()
  local c = H.client()
  local orig = c.request
  c.request = function(self, method, params, handler, bufnr)
    if method:match('^codeswitch/') then
      table.insert(H.result.sent, { method = method, instruction = params.instruction })
    end
    return orig(self, method, params, handler, bufnr)
  end
  vim.ui.select = function(items, opts, on_choice)
    H.result.offered = { items = items, prompt = opts.prompt }
    on_choice(items[1])
  end
  vim.api.nvim_win_set_cursor(0, { 2, 4 })
  vim.cmd('CodeswitchEdit rename area to disc_area everywhere in the project')
  H.when('refactor sent', function() return #H.result.sent >= 2 end, H.guard(function()
    H.result.buffer = H.buffer()
    H.finish({ ok = true })
  end), 30000)
end))
"""


def test_workspace_scoped_edit_offers_the_refactor(
    nvim_emulator: Callable[..., EmulatorProcess], nvim_probe: Callable[..., dict[str, object]],
    nvim_workspace: Path,
) -> None:
    (nvim_workspace / "area.py").write_text(SOURCE, encoding="utf-8")
    emu = nvim_emulator()
    result = nvim_probe(WIDE_PROBE, emu)
    assert result["ok"], result
    instruction = "rename area to disc_area everywhere in the project"
    assert result["sent"][:2] == [{"method": "codeswitch/edit", "instruction": instruction},  # type: ignore[index]
                                  {"method": "codeswitch/refactor", "instruction": instruction}]
    offered = result["offered"]
    assert isinstance(offered, dict) and offered["items"][0] == "Refactor across the workspace"
    assert "codeswitch/refactor" in offered["prompt"]
    assert result["buffer"] == SOURCE.rstrip("\n").split("\n")
