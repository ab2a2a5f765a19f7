-- codeswitch for Neovim: starts `codeswitch serve` through the built-in LSP client, turns on
-- inline completion (Neovim 0.12+), and adds :CodeswitchEdit, :CodeswitchRefactor,
-- :CodeswitchStats, :CodeswitchToggle, :CodeswitchSnooze, and :CodeswitchExplain / :CodeswitchReview
-- (codeswitch.analysis). Long requests report through LSP $/progress, which Neovim shows with its
-- built-in progress support (vim.lsp.status(), LspProgress). The params and results of the custom
-- methods (codeswitch/edit, codeswitch/refactor, codeswitch/stats) are those of docs/protocol.md.
local M = {}

M.name = 'codeswitch'

M.defaults = {
  cmd = { 'codeswitch', 'serve' },
  cmd_env = nil,
  filetypes = {
    'python', 'javascript', 'javascriptreact', 'typescript', 'typescriptreact', 'go', 'rust',
    'java', 'c', 'cpp', 'lua', 'ruby',
  },
  root_markers = { '.codeswitch.toml', '.git', 'pyproject.toml', 'package.json', 'go.mod', 'Cargo.toml' },
  -- passed as initializationOptions (same keys as config.toml)
  settings = {},
  -- enable vim.lsp.inline_completion (Neovim 0.12+)
  inline = true,
  -- insert-mode key that accepts the ghost text (falls back to the key itself); false for none
  accept_key = '<Tab>',
  -- echo $/progress messages of codeswitch requests
  notify_progress = true,
}

M.options = vim.deepcopy(M.defaults)

local function notify(msg, level)
  vim.notify('codeswitch: ' .. msg, level or vim.log.levels.INFO)
end

--- The running codeswitch client for a buffer (or any buffer), if any.
function M.client(bufnr)
  local clients = vim.lsp.get_clients({ name = M.name, bufnr = bufnr })
  if #clients == 0 then
    clients = vim.lsp.get_clients({ name = M.name })
  end
  return clients[1]
end

--- initializationOptions: always a JSON object (an empty Lua table would be sent as [])
local function init_options(settings)
  if type(settings) ~= 'table' or next(settings) == nil then
    return vim.empty_dict()
  end
  return settings
end

local function start_legacy(opts)
  -- Neovim 0.10: no vim.lsp.config; start per buffer from a FileType autocmd
  vim.api.nvim_create_autocmd('FileType', {
    group = vim.api.nvim_create_augroup('codeswitch_start', { clear = true }),
    pattern = opts.filetypes,
    callback = function(ev)
      local root = vim.fs.root(ev.buf, opts.root_markers) or vim.fn.getcwd()
      vim.lsp.start({
        name = M.name, cmd = opts.cmd, cmd_env = opts.cmd_env, root_dir = root,
        init_options = init_options(opts.settings), handlers = M.handlers,
      }, { bufnr = ev.buf })
    end,
  })
end

--- Client-side commands the server's code actions name: ask for the instruction, then send the
--- cancellable request (the server never runs them through workspace/executeCommand).
local function register_commands()
  local function target(command, ctx)
    local arg = (command.arguments or {})[1] or {}
    local uri = arg.textDocument and arg.textDocument.uri
    return { bufnr = uri and vim.uri_to_bufnr(uri) or ctx.bufnr, lsp_range = arg.range }
  end
  vim.lsp.commands['codeswitch.editWithInstruction'] = function(command, ctx)
    M.edit(target(command, ctx))
  end
  vim.lsp.commands['codeswitch.refactorWorkspace'] = function(command, ctx)
    M.refactor(target(command, ctx))
  end
  require('codeswitch.analysis').register_commands()
end

--- Why the server command cannot run, or nil when it can. A command Neovim cannot start gives no
--- client and, with the built-in client, no message either: say it once, here.
function M.check_cmd(cmd)
  if type(cmd) ~= 'table' then
    return nil -- a function (an RPC client) is the user's business
  end
  local exe = cmd[1]
  if type(exe) ~= 'string' or exe == '' then
    return 'the server command (cmd) is empty'
  end
  if vim.fn.executable(exe) == 1 then
    return nil
  end
  local where = exe:find('/', 1, true) and ('%s is not an executable file'):format(exe)
    or ("'%s' is not on PATH"):format(exe)
  return ('cannot start the language server: %s. Give the full path in setup(), e.g. '
    .. "cmd = { '/path/to/codeswitch/.venv/bin/codeswitch', 'serve' } (see docs/neovim.md)"):format(where)
end

--- The inline switch as the server last told it: { enabled, snoozedUntil (ms), allowed, reason }.
M.inline_state = nil

M.handlers = {
  ['codeswitch/inlineSwitch'] = function(_, result)
    M.inline_state = result
  end,
}

local function switch_message(state)
  if not state.enabled then
    return 'inline suggestions are off (:CodeswitchToggle turns them on)'
  end
  if type(state.snoozedUntil) == 'number' then
    return ('inline suggestions are snoozed until %s (:CodeswitchToggle resumes them)')
      :format(os.date('%H:%M', math.floor(state.snoozedUntil / 1000)))
  end
  if not state.allowed then
    return 'inline suggestions are off here: ' .. tostring(state.reason)
  end
  return 'inline suggestions are on'
end

--- Sends one of the server's codeswitch.inline.* commands for the current buffer; the server keeps
--- the switch (shared with other editors and the CLI) and answers its state.
local function switch_command(command, options, on_done)
  local client = M.client(0)
  if not client then
    notify('the language server is not running', vim.log.levels.ERROR)
    return
  end
  options.uri = vim.uri_from_bufnr(0)
  client:request('workspace/executeCommand', { command = command, arguments = { options } }, function(err, result)
    if err then
      notify(err.message or vim.inspect(err), vim.log.levels.ERROR)
    elseif type(result) == 'table' then
      M.inline_state = result
      notify(switch_message(result))
    end
    if on_done then
      on_done(err, result)
    end
  end, 0)
end

--- :CodeswitchToggle — inline suggestions off / on (on also ends a snooze)
function M.toggle(on_done)
  switch_command('codeswitch.inline.toggle', {}, on_done)
end

--- :CodeswitchSnooze [minutes] — off for a while (default 30 minutes; 0 resumes)
function M.snooze(minutes, on_done)
  switch_command('codeswitch.inline.snooze', { minutes = minutes or 30 }, on_done)
end

--- A short word for a statusline: '' when suggestions are on, else 'inline off' / 'inline snoozed'.
function M.statusline()
  local s = M.inline_state
  if type(s) ~= 'table' then
    return ''
  end
  if not s.enabled then
    return 'inline off'
  end
  if type(s.snoozedUntil) == 'number' and s.snoozedUntil / 1000 > os.time() then
    return 'inline snoozed'
  end
  return s.allowed and '' or 'inline off here'
end

--- Configure and start the server; see docs/neovim.md.
function M.setup(opts)
  opts = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts or {})
  M.options = opts
  register_commands()
  local problem = M.check_cmd(opts.cmd)
  if problem then
    notify(problem, vim.log.levels.ERROR)
    return
  end
  if vim.lsp.config ~= nil and vim.lsp.enable ~= nil then
    vim.lsp.config(M.name, {
      cmd = opts.cmd,
      cmd_env = opts.cmd_env,
      filetypes = opts.filetypes,
      root_markers = opts.root_markers,
      init_options = init_options(opts.settings),
      handlers = M.handlers,
    })
    vim.lsp.enable(M.name)
  else
    start_legacy(opts)
  end
  if opts.inline and vim.lsp.inline_completion ~= nil then
    vim.lsp.inline_completion.enable(true)
    if opts.accept_key then
      vim.keymap.set('i', opts.accept_key, function()
        if not vim.lsp.inline_completion.get() then
          return vim.api.nvim_replace_termcodes(opts.accept_key, true, true, true)
        end
      end, { expr = true, desc = 'codeswitch: accept the inline completion' })
    end
  end
  if opts.notify_progress then
    vim.api.nvim_create_autocmd('LspProgress', {
      group = vim.api.nvim_create_augroup('codeswitch_progress', { clear = true }),
      callback = function(ev)
        local client = vim.lsp.get_client_by_id(ev.data.client_id)
        local value = ev.data.params and ev.data.params.value or {}
        if client and client.name == M.name and value.kind == 'end' and value.message then
          notify(value.message)
        end
      end,
    })
  end
end

local progress_seq = 0
local function with_progress(params)
  progress_seq = progress_seq + 1
  params.workDoneToken = 'codeswitch-' .. progress_seq
  return params
end

--- Apply a codeswitch/edit or codeswitch/refactor result; returns true when something changed.
function M.apply_result(client, result)
  if result == nil then
    notify('no answer', vim.log.levels.WARN)
    return false
  end
  if result.error ~= nil and result.error ~= vim.NIL then
    notify(result.error.message or vim.inspect(result.error), vim.log.levels.ERROR)
    return false
  end
  if result.edit == nil or result.edit == vim.NIL then
    notify('no change proposed', vim.log.levels.WARN)
    return false
  end
  vim.lsp.util.apply_workspace_edit(result.edit, client.offset_encoding)
  local cost = result.usage and result.usage ~= vim.NIL and result.usage.cost_usd
  local price = (type(cost) == 'number') and string.format(', $%.4f', cost) or ''
  notify(string.format('%s applied (%s, %s tier%s)', result.scope or 'edit', tostring(result.model),
    tostring(result.tier), price))
  return true
end

local function ask(prompt, given, fn)
  if given and given ~= '' then
    fn(given)
    return
  end
  vim.ui.input({ prompt = prompt }, function(text)
    if text and text ~= '' then
      fn(text)
    end
  end)
end

--- :CodeswitchEdit — opts: instruction, line1, line2, range (as in a user command), on_done(result);
--- lsp_range and bufnr instead of the line range when a code action supplies them
function M.edit(opts)
  opts = opts or {}
  local bufnr = opts.bufnr or vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if not client then
    notify('the language server is not running for this buffer', vim.log.levels.ERROR)
    return
  end
  local range
  if opts.lsp_range then
    range = opts.lsp_range
  elseif opts.range and opts.range > 0 then
    local last = vim.api.nvim_buf_get_lines(bufnr, opts.line2 - 1, opts.line2, true)[1] or ''
    range = {
      start = { line = opts.line1 - 1, character = 0 },
      ['end'] = { line = opts.line2 - 1, character = vim.str_utfindex(last, client.offset_encoding) },
    }
  else
    local pos = vim.lsp.util.make_position_params(0, client.offset_encoding).position
    range = { start = pos, ['end'] = pos }
  end
  ask('Edit instruction: ', opts.instruction, function(instruction)
    local params = with_progress({
      textDocument = { uri = vim.uri_from_bufnr(bufnr) }, range = range, instruction = instruction,
    })
    client:request('codeswitch/edit', params, function(err, result)
      local wide = not err and type(result) == 'table' and type(result.error) == 'table'
        and result.error.kind == 'workspace_scope'
      if err then
        notify(err.message or vim.inspect(err), vim.log.levels.ERROR)
      elseif wide then
        -- the request reaches other files: offer the workspace refactor with the same instruction
        vim.ui.select({ 'Refactor across the workspace', 'Cancel' }, { prompt = result.error.message },
          function(choice)
            if choice == 'Refactor across the workspace' then
              M.refactor({ instruction = instruction, bufnr = bufnr, lsp_range = range })
            end
          end)
      else
        M.apply_result(client, result)
      end
      if opts.on_done then
        opts.on_done(err, result)
      end
    end, bufnr)
  end)
end

--- :CodeswitchRefactor — opts: instruction, on_done(err, result); bufnr, lsp_range from a code action
function M.refactor(opts)
  opts = opts or {}
  local bufnr = opts.bufnr or vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if not client then
    notify('the language server is not running', vim.log.levels.ERROR)
    return
  end
  ask('Refactor instruction: ', opts.instruction, function(instruction)
    local params = with_progress({ instruction = instruction, textDocument = { uri = vim.uri_from_bufnr(bufnr) },
      range = opts.lsp_range })
    client:request('codeswitch/refactor', params, function(err, result)
      if err then
        notify(err.message or vim.inspect(err), vim.log.levels.ERROR)
      else
        M.apply_result(client, result)
      end
      if opts.on_done then
        opts.on_done(err, result)
      end
    end, bufnr)
  end)
end

--- Format a codeswitch/stats result (ledger Stats JSON) as lines of text.
function M.format_stats(stats)
  local lines = { 'codeswitch: spend and inline acceptance' }
  if type(stats) ~= 'table' then
    return lines
  end
  local function money(x)
    return type(x) == 'number' and string.format('$%.4f', x) or '-'
  end
  for _, m in ipairs(stats.by_model or {}) do
    local acc = type(m.acceptance_rate) == 'number'
        and string.format('  accepted %d/%d (%.0f%%)', m.accepted or 0, m.inline_served or 0, 100 * m.acceptance_rate)
      or ''
    local unknown = (m.unknown_cost_calls or 0) > 0 and string.format(' (+%d at unknown price)', m.unknown_cost_calls) or ''
    table.insert(lines, string.format('  %-26s %4d requests  %s%s%s', tostring(m.name), m.requests or 0,
      money(m.cost_usd), unknown, acc))
  end
  for _, t in ipairs(stats.by_tier or {}) do
    table.insert(lines, string.format('  tier %-21s %4d requests  %s', tostring(t.name), t.requests or 0, money(t.cost_usd)))
  end
  if type(stats.totals) == 'table' then
    table.insert(lines, string.format('  total %32s', money(stats.totals.cost_usd)))
  end
  return lines
end

--- :CodeswitchStats — shows the server's codeswitch/stats in a scratch buffer
function M.stats(on_done)
  local client = M.client()
  if not client then
    notify('the language server is not running', vim.log.levels.ERROR)
    return
  end
  client:request('codeswitch/stats', {}, function(err, result)
    if err then
      notify(err.message or vim.inspect(err), vim.log.levels.ERROR)
    else
      local buf = vim.api.nvim_create_buf(false, true)
      vim.api.nvim_buf_set_lines(buf, 0, -1, false, M.format_stats(result))
      vim.bo[buf].bufhidden = 'wipe'
      vim.cmd('botright split')
      vim.api.nvim_win_set_buf(0, buf)
    end
    if on_done then
      on_done(err, result)
    end
  end)
end

return M
