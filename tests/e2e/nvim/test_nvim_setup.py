"""The plugin's setup in a real headless Neovim: what it sends at initialize, and what it says when
the server command cannot run (instead of no client and no message)."""

from __future__ import annotations

import json
import os
import re
import select
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from codeswitch.testing.workspace import generate_workspace

pytestmark = pytest.mark.nvim

STUB = str(Path(__file__).with_name("stub_server.py"))

INITIALIZED = r"""
H.start({ cmd_env = { STUB_LOG = vim.env.STUB_LOG }, settings = {} })
vim.cmd('edit notes.py')
H.when('client initialized', function()
  local c = H.client()
  return c ~= nil and c.initialized
end, function()
  H.finish({ ok = true })
end)
"""


def test_empty_settings_are_sent_as_an_object(nvim_probe: Callable[..., dict[str, object]],
                                             nvim_workspace: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    (nvim_workspace / "notes.py").write_text("a = 1\n", encoding="utf-8")
    log = tmp_path / "stub.jsonl"
    monkeypatch.setenv("STUB_LOG", str(log))
    result = nvim_probe(INITIALIZED, None, server_cmd=[sys.executable, STUB])
    assert result["ok"], result
    sent = [json.loads(row) for row in log.read_text().splitlines()]
    init = next(r["params"] for r in sent if r["method"] == "initialize")
    assert init["initializationOptions"] == {}  # an object, not [] ("expected an object" at every start)


NOT_EXECUTABLE = r"""
local seen = {}
vim.notify = function(msg, level) table.insert(seen, { msg = msg, level = level }) end
H.start({ cmd = H.cfg.server_cmd })
vim.cmd('edit a.py')
vim.cmd('edit b.py')
-- FileType has run for both buffers: a client exists (started or failed) once the loop turns
vim.schedule(function()
  H.finish({ ok = true, messages = seen, clients = #vim.lsp.get_clients({ name = 'codeswitch' }) })
end)
"""


@pytest.mark.parametrize("cmd", [["/nonexistent/venv/bin/codeswitch", "serve"],
                                 ["codeswitch-not-on-path", "serve"]])
def test_a_command_that_cannot_run_is_reported_once(nvim_probe: Callable[..., dict[str, object]],
                                                   nvim_workspace: Path, cmd: list[str]) -> None:
    for name in ("a.py", "b.py"):
        (nvim_workspace / name).write_text("x = 1\n", encoding="utf-8")
    result = nvim_probe(NOT_EXECUTABLE, None, server_cmd=cmd)
    assert result["ok"], result
    messages = result["messages"]
    assert isinstance(messages, list) and len(messages) == 1, messages
    text = messages[0]["msg"]
    assert text.startswith("codeswitch: cannot start the language server")
    assert cmd[0] in text and "cmd = {" in text and "docs/neovim.md" in text
    assert messages[0]["level"] == 4  # vim.log.levels.ERROR
    assert result["clients"] == 0


QUIT_WHILE_INDEXING = r"""
local reports = 0
vim.api.nvim_create_autocmd('LspProgress', { callback = function(ev)
  local value = ev.data.params and ev.data.params.value or {}
  if value.kind == 'report' then reports = reports + 1 end
end })
H.start({ cmd = H.cfg.server_cmd })
vim.cmd('edit app.py')
H.when('the index build reports progress', function() return reports > 0 end, function()
  H.finish({ ok = true })  -- quits Neovim while the index is still building
end)
"""


def wait_exited(pid: int) -> None:
    """Block until process ``pid`` (not our child) has exited."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        select.select([fd], [], [])  # readable once the process has exited
    finally:
        os.close(fd)


def test_quitting_while_the_index_builds_stops_the_server(nvim_probe: Callable[..., dict[str, object]],
                                                         nvim_workspace: Path, tmp_path: Path) -> None:
    generate_workspace(nvim_workspace, files=2000)
    log = tmp_path / "serve.log"
    cmd = [sys.executable, "-P", "-m", "codeswitch", "serve", "--log-level", "info", "--log-file", str(log)]
    result = nvim_probe(QUIT_WHILE_INDEXING, None, server_cmd=cmd)
    assert result["ok"], result
    found = re.search(r"serving on stdio \(pid (\d+)\)", log.read_text(encoding="utf-8"))
    assert found is not None
    wait_exited(int(found.group(1)))
    text = log.read_text(encoding="utf-8")
    assert re.search(r"index build cancelled after \d+ of \d+ files", text), text
    assert "server stopped" in text and "Traceback" not in text and "closed file" not in text
