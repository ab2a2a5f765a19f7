-- codeswitch user commands. They exist as soon as the plugin is on 'runtimepath';
-- require('codeswitch').setup() starts the language server itself.
if vim.g.loaded_codeswitch then
  return
end
vim.g.loaded_codeswitch = true

vim.api.nvim_create_user_command('CodeswitchEdit', function(cmd)
  require('codeswitch').edit({ instruction = cmd.args, line1 = cmd.line1, line2 = cmd.line2, range = cmd.range })
end, { nargs = '*', range = true, desc = 'codeswitch: edit the selection (or the function) with an instruction' })

vim.api.nvim_create_user_command('CodeswitchRefactor', function(cmd)
  require('codeswitch').refactor({ instruction = cmd.args })
end, { nargs = '*', desc = 'codeswitch: refactor the workspace with an instruction' })

vim.api.nvim_create_user_command('CodeswitchStats', function()
  require('codeswitch').stats()
end, { nargs = 0, desc = 'codeswitch: spend and inline acceptance per model' })

vim.api.nvim_create_user_command('CodeswitchToggle', function()
  require('codeswitch').toggle()
end, { nargs = 0, desc = 'codeswitch: turn inline suggestions off or on (shared with other editors)' })

vim.api.nvim_create_user_command('CodeswitchSnooze', function(cmd)
  local minutes = cmd.args ~= '' and tonumber(cmd.args) or 30
  if minutes == nil then
    vim.notify('codeswitch: :CodeswitchSnooze takes a number of minutes', vim.log.levels.ERROR)
    return
  end
  require('codeswitch').snooze(minutes)
end, { nargs = '?', desc = 'codeswitch: no inline suggestions for a while (default 30 minutes; 0 resumes)' })

vim.api.nvim_create_user_command('CodeswitchExplain', function(cmd)
  require('codeswitch.analysis').explain({ line1 = cmd.line1, line2 = cmd.line2, range = cmd.range, question = cmd.args })
end, { nargs = '*', range = true, desc = 'codeswitch: explain the selection (or the definition) in Markdown' })

vim.api.nvim_create_user_command('CodeswitchReview', function(cmd)
  require('codeswitch.analysis').review({ question = cmd.args })
end, { nargs = '*', desc = "codeswitch: review the working tree's changes against HEAD" })

vim.api.nvim_create_user_command('CodeswitchCancel', function()
  require('codeswitch.analysis').cancel()
end, { nargs = 0, desc = 'codeswitch: cancel the explain and review requests still running' })
