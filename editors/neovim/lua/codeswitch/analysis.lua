-- codeswitch explain / review for Neovim: :CodeswitchExplain (the selection, or the definition at
-- the cursor) and :CodeswitchReview (the working tree's changes against HEAD). The server picks
-- the model by how much context the request needs; the answer is Markdown, shown in a read-only
-- scratch buffer (filetype markdown). Progress goes through LSP $/progress like the other requests.
local M = {}

local seq = 0
--- explain and review requests still running: request id -> client
local pending = {}

local function core()
  return require('codeswitch')
end

local function notify(msg, level)
  vim.notify('codeswitch: ' .. msg, level or vim.log.levels.INFO)
end

--- Show Markdown in a new read-only scratch buffer in a split; returns the buffer number.
function M.show(title, markdown)
  seq = seq + 1
  local buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_name(buf, ('codeswitch://%d/%s'):format(seq, title))
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, vim.split(markdown, '\n', { plain = true, trimempty = false }))
  vim.bo[buf].buftype = 'nofile'
  vim.bo[buf].bufhidden = 'wipe'
  vim.bo[buf].swapfile = false
  vim.bo[buf].filetype = 'markdown'
  vim.bo[buf].modifiable = false
  vim.bo[buf].readonly = true
  vim.cmd('botright vsplit')
  vim.api.nvim_win_set_buf(0, buf)
  vim.wo.wrap = true
  vim.wo.linebreak = true
  return buf
end

local function answer(opts)
  return function(err, result)
    local buf
    if err and err.code == vim.lsp.protocol.ErrorCodes.RequestCancelled then
      notify('cancelled')
    elseif err then
      notify(err.message or vim.inspect(err), vim.log.levels.ERROR)
    elseif type(result) ~= 'table' then
      notify('no answer', vim.log.levels.WARN)
    elseif type(result.error) == 'table' then
      notify(result.error.message or vim.inspect(result.error), vim.log.levels.ERROR)
    else
      buf = M.show(result.title or 'codeswitch', result.markdown or '')
    end
    if opts.on_done then
      opts.on_done(err, result, buf)
    end
  end
end

local function request(method, params, bufnr, opts)
  local client = core().client(bufnr)
  if not client then
    notify('the language server is not running', vim.log.levels.ERROR)
    return
  end
  seq = seq + 1
  params.workDoneToken = 'codeswitch-analysis-' .. seq
  if opts.question and opts.question ~= '' then
    params.question = opts.question
  end
  local id
  local done = answer(opts)
  local ok
  ok, id = client:request(method, params, function(err, result)
    pending[id] = nil
    done(err, result)
  end, bufnr)
  if ok and id then
    pending[id] = client
  end
end

--- :CodeswitchCancel — cancels the explain and review requests still running (the server stops
--- the model call and closes its stream); returns how many were cancelled.
function M.cancel()
  local n = 0
  for id, client in pairs(pending) do
    pending[id] = nil
    client:cancel_request(id)
    n = n + 1
  end
  notify(n > 0 and ('cancelled %d request(s)'):format(n) or 'nothing to cancel')
  return n
end

--- How many explain and review requests are running.
function M.running()
  return vim.tbl_count(pending)
end

--- :CodeswitchExplain — opts: line1, line2, range (as in a user command) or bufnr + lsp_range (a
--- code action), question, on_done(err, result, buf)
function M.explain(opts)
  opts = opts or {}
  local bufnr = opts.bufnr or vim.api.nvim_get_current_buf()
  local client = core().client(bufnr)
  if not client then
    notify('the language server is not running for this buffer', vim.log.levels.ERROR)
    return
  end
  local range = opts.lsp_range
  if not range and opts.range and opts.range > 0 then
    local last = vim.api.nvim_buf_get_lines(bufnr, opts.line2 - 1, opts.line2, true)[1] or ''
    range = {
      start = { line = opts.line1 - 1, character = 0 },
      ['end'] = { line = opts.line2 - 1, character = vim.str_utfindex(last, client.offset_encoding) },
    }
  elseif not range then
    local pos = vim.lsp.util.make_position_params(0, client.offset_encoding).position
    range = { start = pos, ['end'] = pos }
  end
  request('codeswitch/explain', { textDocument = { uri = vim.uri_from_bufnr(bufnr) }, range = range }, bufnr, opts)
end

--- :CodeswitchReview — opts: question, on_done(err, result, buf)
function M.review(opts)
  opts = opts or {}
  local bufnr = opts.bufnr or vim.api.nvim_get_current_buf()
  local params = {}
  if vim.api.nvim_buf_get_name(bufnr) ~= '' then
    -- the changes of the workspace folder holding this buffer
    params.textDocument = { uri = vim.uri_from_bufnr(bufnr) }
  end
  request('codeswitch/review', params, bufnr, opts)
end

--- The client commands "Explain this" and "Review my changes" code actions carry.
function M.register_commands()
  vim.lsp.commands['codeswitch.explain'] = function(command, ctx)
    local arg = (command.arguments or {})[1] or {}
    local uri = arg.textDocument and arg.textDocument.uri
    M.explain({ bufnr = uri and vim.uri_to_bufnr(uri) or ctx.bufnr, lsp_range = arg.range })
  end
  vim.lsp.commands['codeswitch.reviewChanges'] = function(_, ctx)
    M.review({ bufnr = ctx.bufnr })
  end
end

return M
