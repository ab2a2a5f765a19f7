""":CodeswitchToggle and :CodeswitchSnooze in a real headless Neovim 0.12 with `codeswitch serve`
and the emulator process: while suggestions are off or snoozed, typing draws no ghost text and no
request reaches the emulator; turning them on again brings the ghost text back."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from nvim_harness import EmulatorProcess

pytestmark = pytest.mark.nvim

SPARK = "gpt-5.3-codex-spark"

PROBE = r"""
H.start()
vim.cmd('edit calc.py')
local cs = require('codeswitch')
local function state(key, value)
  return function() return cs.inline_state and cs.inline_state[key] == value end
end
H.when('client initialized', function()
  local c = H.client()
  return c ~= nil and c.initialized and H.inline_ready()
end, H.guard(function()
  H.track_inline(H.client())
  vim.cmd('CodeswitchToggle')
  H.when('switched off', state('enabled', false), H.guard(function()
    H.result.off_statusline = cs.statusline()
    vim.api.nvim_win_set_cursor(0, { 2, 0 })
    vim.api.nvim_input('A')
    H.when('answer while off', function() return H.inline.answered >= 1 end, H.guard(function()
      H.result.ghost_while_off = H.ghost() or vim.NIL
      H.result.answer_while_off = H.inline.last_result
      vim.api.nvim_input('<Esc>')
      vim.cmd('CodeswitchToggle')
      H.when('switched on', state('allowed', true), H.guard(function()
        vim.cmd('CodeswitchSnooze 30')
        H.when('snoozed', function()
          return cs.inline_state and type(cs.inline_state.snoozedUntil) == 'number'
        end, H.guard(function()
          H.result.snoozed_until = cs.inline_state.snoozedUntil
          H.result.snoozed_statusline = cs.statusline()
          local answered = H.inline.answered
          vim.api.nvim_input('A')
          local function more() return H.inline.answered > answered end
          H.when('answer while snoozed', more, H.guard(function()
            H.result.ghost_while_snoozed = H.ghost() or vim.NIL
            vim.api.nvim_input('<Esc>')
            vim.cmd('CodeswitchSnooze 0')  -- ends the snooze
            H.when('resumed', function()
              return cs.inline_state and cs.inline_state.allowed and cs.inline_state.snoozedUntil == vim.NIL
            end, H.guard(function()
              H.result.resumed_statusline = cs.statusline()
              vim.api.nvim_input('A')
              H.when('ghost text', function()
                local g = H.ghost()
                return g ~= nil and g.text ~= '' and g
              end, function(g)
                H.finish({ ok = true, ghost_when_on = g, inline = H.inline })
              end)
            end))
          end))
        end))
      end))
    end))
  end))
end))
"""


def test_toggle_and_snooze_stop_requests_and_resume(
    nvim_emulator: Callable[..., EmulatorProcess], nvim_probe: Callable[..., dict[str, object]],
    nvim_workspace: Path,
) -> None:
    (nvim_workspace / "calc.py").write_text("def area(w, h):\n    return w\n", encoding="utf-8")
    emu = nvim_emulator(script={"default": "<FILL> * h</FILL>"})
    result = nvim_probe(PROBE, emu)
    assert result["ok"], result
    assert result["off_statusline"] == "inline off"
    assert result["ghost_while_off"] is None and result["ghost_while_snoozed"] is None
    assert result["answer_while_off"] == {"items": []}
    assert result["snoozed_statusline"] == "inline snoozed" and result["resumed_statusline"] == ""
    assert result["ghost_when_on"]["text"] == " * h"  # type: ignore[index]
    # only the request made after the snooze ended reached a model
    assert [r["model"] for r in emu.requests()] == [SPARK]
    saved = nvim_workspace.parent / "xdg_data_home" / "codeswitch" / "inline-switch.json"
    state = json.loads(saved.read_text())
    assert state == {"enabled": True, "snoozed_until": None}
