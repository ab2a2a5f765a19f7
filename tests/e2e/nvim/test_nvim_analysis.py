"""Explain and review in a real headless Neovim: our plugin, `codeswitch serve` and the emulator process.

"Explain this" is picked from the code actions (its client command sends codeswitch/explain);
:CodeswitchReview reviews a real git working tree. Each answer opens as a read-only Markdown
scratch buffer.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from nvim_harness import EmulatorProcess

pytestmark = pytest.mark.nvim

MINI = "gpt-5.1-codex-mini"
GEO = "from units import scale\n\n\ndef area(w, h):\n    return scale(w * h)\n"
UNITS = "def scale(x):\n    return x * 2\n"

PROBE = r"""
H.start({ inline = false })
vim.cmd('edit geo.py')
local geo = vim.api.nvim_get_current_buf()
H.result.titles = {}
local function shown(buf)
  return {
    name = vim.api.nvim_buf_get_name(buf), lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false),
    filetype = vim.bo[buf].filetype, modifiable = vim.bo[buf].modifiable, buftype = vim.bo[buf].buftype,
  }
end
H.when('client initialized', function()
  local c = H.client()
  return c ~= nil and c.initialized
end, H.guard(function()
  local analysis = require('codeswitch.analysis')
  local show = analysis.show
  analysis.show = function(title, markdown)
    local buf = show(title, markdown)
    H.result.last = shown(buf)
    return buf
  end
  vim.api.nvim_win_set_cursor(0, { 5, 4 })
  vim.lsp.buf.code_action({ apply = true, filter = function(action)
    table.insert(H.result.titles, action.title)
    return action.title:sub(1, 12) == 'Explain func'
  end })
  H.when('explanation shown', function() return H.result.last ~= nil end, H.guard(function()
    H.result.explained = H.result.last
    H.result.last = nil
    vim.api.nvim_set_current_buf(geo)
    vim.cmd('CodeswitchReview')
    H.when('review shown', function() return H.result.last ~= nil end, H.guard(function()
      H.result.reviewed = H.result.last
      H.finish({ ok = true })
    end), 30000)
  end), 30000)
end))
"""


def _git(root: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def test_explain_action_and_review_command_open_markdown_scratch_buffers(
    nvim_emulator: Callable[..., EmulatorProcess], nvim_probe: Callable[..., dict[str, object]],
    nvim_workspace: Path,
) -> None:
    (nvim_workspace / ".git").rmdir()
    (nvim_workspace / "geo.py").write_text(GEO, encoding="utf-8")
    (nvim_workspace / "units.py").write_text(UNITS, encoding="utf-8")
    _git(nvim_workspace, "init", "-q")
    _git(nvim_workspace, "add", "-A")
    _git(nvim_workspace, "commit", "-qm", "start")
    (nvim_workspace / "units.py").write_text(UNITS.replace("x * 2", "x * 3  # TODO: configurable"))
    emu = nvim_emulator()
    result = nvim_probe(PROBE, emu)
    assert result["ok"], result
    titles = [str(t) for t in result["titles"]]  # type: ignore[attr-defined]
    assert "Explain function `area` (model chosen by context size)" in titles
    assert "Review my changes against HEAD (model chosen by context size)" in titles
    explained = result["explained"]
    assert isinstance(explained, dict)
    assert explained["lines"][0] == "# Explanation: function `area` (geo.py:4)"
    assert any("`scale` (units.py:1-2)" in line for line in explained["lines"])
    assert any(line.startswith(f"*{MINI} · ") for line in explained["lines"])
    shape = (explained["filetype"], explained["modifiable"], explained["buftype"])
    assert shape == ("markdown", False, "nofile")
    assert str(explained["name"]).startswith("codeswitch://")
    reviewed = result["reviewed"]
    assert isinstance(reviewed, dict)
    assert reviewed["lines"][0] == "# Review: changes in 1 file"
    assert any("**Verdict:** Needs changes." in line for line in reviewed["lines"])
    assert [r["model"] for r in emu.requests()] == [MINI, MINI]


CANCEL_PROBE = r"""
H.start({ inline = false })
vim.cmd('edit geo.py')
H.when('client initialized', function()
  local c = H.client()
  return c ~= nil and c.initialized
end, H.guard(function()
  local analysis = require('codeswitch.analysis')
  vim.api.nvim_win_set_cursor(0, { 5, 4 })
  vim.cmd('CodeswitchExplain')
  H.when('the model is asked', function()
    local seen = H.emulator_requests()
    return seen ~= nil and #seen == 1
  end, H.guard(function()
    H.result.running = analysis.running()
    vim.cmd('CodeswitchCancel')
    H.result.after = analysis.running()
    H.when('the model stream is closed', function()
      local seen = H.emulator_requests()
      return seen ~= nil and #seen == 1 and seen[1].disconnected_at ~= vim.NIL and seen[1].model
    end, H.guard(function(model)
      H.finish({ ok = true, model = model })
    end), 30000)
  end), 30000)
end))
"""


def test_cancel_stops_a_running_explanation_and_closes_the_model_stream(
    nvim_emulator: Callable[..., EmulatorProcess], nvim_probe: Callable[..., dict[str, object]],
    nvim_workspace: Path,
) -> None:
    (nvim_workspace / "geo.py").write_text(GEO, encoding="utf-8")
    (nvim_workspace / "units.py").write_text(UNITS, encoding="utf-8")
    emu = nvim_emulator(script={"models": {MINI: {"faults": [{"kind": "stall_first", "stall_s": 120}]}}})
    result = nvim_probe(CANCEL_PROBE, emu)
    assert result["ok"], result
    assert (result["running"], result["after"], result["model"]) == (1, 0, MINI)
    (req,) = emu.requests()
    assert req["disconnected_at"] is not None and req["finished_at"] is None and req["tokens_sent"] == 0
