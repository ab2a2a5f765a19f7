"""The plugin's user commands in a real headless Neovim, against a stand-in server
(stub_server.py) that answers the custom requests: what the plugin sends, and what it does with
the answers (applies the WorkspaceEdit, reports errors, shows stats)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.nvim

STUB = str(Path(__file__).with_name("stub_server.py"))

PROBE = r"""
H.start({ cmd_env = { STUB_LOG = vim.env.STUB_LOG } })
vim.cmd('edit notes.py')
H.when('client initialized', function()
  local c = H.client()
  return c ~= nil and c.initialized
end, H.guard(function()
  vim.cmd('2,3CodeswitchEdit make it loud')
  H.when('edit applied', function() return H.buffer()[2] == '# MAKE IT LOUD' end, H.guard(function()
    H.result.after_edit = H.buffer()
    vim.cmd('CodeswitchRefactor rename everything')
    vim.defer_fn(H.guard(function()
      H.result.after_refactor = H.buffer()
      vim.cmd('CodeswitchStats')
      H.when('stats window', function()
        local lines = vim.api.nvim_buf_get_lines(0, 0, -1, false)
        return lines[1] and lines[1]:match('^codeswitch') and lines
      end, function(lines)
        H.finish({ ok = true, stats_lines = lines })
      end)
    end), 300)
  end))
end))
"""


def test_edit_refactor_and_stats_commands(
    nvim_probe: Callable[..., dict[str, object]], nvim_workspace: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (nvim_workspace / "notes.py").write_text("a = 1\nb = 2\nc = 3\nd = 4\n", encoding="utf-8")
    log = tmp_path / "stub.jsonl"
    monkeypatch.setenv("STUB_LOG", str(log))
    result = nvim_probe(PROBE, None, server_cmd=[sys.executable, STUB])
    assert result["ok"], result
    # lines 2-3 replaced by the stub's edit; the rest untouched
    assert result["after_edit"] == ["a = 1", "# MAKE IT LOUD", "d = 4"]
    # a refused refactor changes nothing
    assert result["after_refactor"] == result["after_edit"]
    stats = "\n".join(result["stats_lines"])  # type: ignore[arg-type]
    assert "gpt-5.3-codex-spark" in stats and "accepted 4/10 (40%)" in stats
    sent = [json.loads(row) for row in log.read_text().splitlines()]
    edit = next(r["params"] for r in sent if r["method"] == "codeswitch/edit")
    assert edit["instruction"] == "make it loud"
    assert edit["range"]["start"] == {"line": 1, "character": 0}
    assert edit["range"]["end"] == {"line": 2, "character": 5}
    assert edit["textDocument"]["uri"].endswith("/notes.py")
    assert str(edit["workDoneToken"]).startswith("codeswitch-")
    refactor = next(r["params"] for r in sent if r["method"] == "codeswitch/refactor")
    assert refactor["instruction"] == "rename everything"
