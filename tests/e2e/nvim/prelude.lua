-- Helpers for headless Neovim probes (loaded by each probe with dofile).
-- The probe drives typing from timers: keys sent with nvim_input are processed by the main
-- loop, never inside vim.wait. Results go to a JSON file; the process then quits.
vim.g.loaded_python3_provider = 0
vim.g.loaded_node_provider = 0
vim.g.loaded_perl_provider = 0
vim.g.loaded_ruby_provider = 0

local H = { log = {}, result = {} }
local cfg = vim.json.decode(table.concat(vim.fn.readfile(vim.env.CODESWITCH_PROBE_CONFIG), '\n'))
H.cfg = cfg

vim.opt.rtp:prepend(cfg.plugin_dir)
vim.cmd('runtime plugin/codeswitch.lua')

function H.note(msg)
  table.insert(H.log, string.format('%.3f %s', vim.uv.hrtime() / 1e9, msg))
end

function H.finish(extra)
  for k, v in pairs(extra or {}) do
    H.result[k] = v
  end
  H.result.log = H.log
  vim.fn.writefile({ vim.json.encode(H.result) }, cfg.result_file)
  vim.cmd('qa!')
end

function H.fail(msg)
  H.note('FAIL ' .. msg)
  H.finish({ ok = false, error = msg })
end

-- call fn once cond() is true, polling every 20 ms; fail after timeout_ms
function H.when(what, cond, fn, timeout_ms)
  local deadline = vim.uv.now() + (timeout_ms or 15000)
  local function tick()
    local ok, value = pcall(cond)
    if ok and value then
      H.note('ready: ' .. what)
      fn(value)
    elseif vim.uv.now() > deadline then
      H.result.inline = H.inline
      H.fail('timed out waiting for ' .. what .. (ok and '' or (': ' .. tostring(value))))
    else
      vim.defer_fn(tick, 20)
    end
  end
  vim.defer_fn(tick, 0)
end

-- The emulator's recorded requests (its /_emulator/requests listing), fetched in the background by
-- the Python that runs the server: returns the latest listing (nil before the first) and starts a
-- new fetch when none is running, so it fits a H.when condition.
local listing, fetching = nil, false
function H.emulator_requests()
  if not fetching and cfg.emulator_url then
    fetching = true
    local code = 'import sys, urllib.request; '
      .. 'sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())'
    vim.system({ cfg.server_cmd[1], '-c', code, cfg.emulator_url .. '/_emulator/requests' }, { text = true },
      function(out)
        vim.schedule(function()
          if out.code == 0 then
            local ok, decoded = pcall(vim.json.decode, out.stdout)
            if ok then
              listing = decoded
            end
          end
          fetching = false
        end)
      end)
  end
  return listing
end

-- send keys one at a time, gap_ms apart, then call fn
function H.type(keys, gap_ms, fn)
  local i = 0
  local function step()
    i = i + 1
    if i > #keys then
      if fn then fn() end
      return
    end
    vim.api.nvim_input(keys:sub(i, i))
    vim.defer_fn(step, gap_ms)
  end
  step()
end

function H.start(extra)
  local opts = vim.tbl_deep_extend('force', {
    cmd = cfg.server_cmd,
    cmd_env = cfg.server_env,
    settings = cfg.settings,
    root_markers = { '.git', 'pyproject.toml' },
    accept_key = '<Tab>',
    notify_progress = false,
  }, extra or {})
  require('codeswitch').setup(opts)
end

function H.client()
  return require('codeswitch').client(0)
end

-- whether inline completion is live in the current buffer: the client attaches first, then
-- Neovim creates the buffer's completor in a vim.schedule callback; keys sent before that
-- trigger nothing
function H.inline_ready()
  local ok, capability = pcall(require, 'vim.lsp._capability')
  local completor = ok and capability.all.inline_completion
  local active = completor and completor.active[vim.api.nvim_get_current_buf()]
  return active ~= nil and next(active.client_state) ~= nil
end

local ns = vim.api.nvim_create_namespace('nvim.lsp.inline_completion')

-- the ghost text currently drawn: { row, col, text (first line), lines (virtual lines) }
function H.ghost()
  local marks = vim.api.nvim_buf_get_extmarks(0, ns, 0, -1, { details = true })
  if #marks == 0 then
    return nil
  end
  local m = marks[1]
  local d = m[4]
  local text = ''
  for _, chunk in ipairs(d.virt_text or {}) do
    text = text .. chunk[1]
  end
  local lines = {}
  for _, vl in ipairs(d.virt_lines or {}) do
    local s = ''
    for _, chunk in ipairs(vl) do
      s = s .. chunk[1]
    end
    table.insert(lines, s)
  end
  return { row = m[2], col = m[3], text = text, lines = lines }
end

function H.buffer()
  return vim.api.nvim_buf_get_lines(0, 0, -1, false)
end

-- count inline requests the client sends and the answers it gets (H.inline.sent / .answered)
H.inline = { sent = 0, answered = 0, errors = 0 }
function H.track_inline(client)
  local orig = client.request
  client.request = function(self, method, params, handler, bufnr)
    if method == 'textDocument/inlineCompletion' then
      H.inline.sent = H.inline.sent + 1
      local inner = handler
      handler = function(err, result, ...)
        H.inline.answered = H.inline.answered + 1
        H.inline.last_error, H.inline.last_result = err, result
        if err then
          H.inline.errors = H.inline.errors + 1
        end
        if inner then
          return inner(err, result, ...)
        end
      end
    end
    return orig(self, method, params, handler, bufnr)
  end
end

-- failures inside callbacks must end the run, not hang it
function H.guard(fn)
  return function(...)
    local ok, err = pcall(fn, ...)
    if not ok then
      H.fail(tostring(err))
    end
  end
end

return H
