-- A minimal Neovim configuration that starts `crosstalk server` with Neovim's own LSP client, as a user's
-- would, then does what a user does: waits for the diagnostics, asks for the code actions on the XT001
-- line (vim.lsp.buf.code_action, choosing through vim.ui.select), applies the fix and waits for the
-- diagnostic to go. What it saw goes to $CROSSTALK_OUT as JSON; test/nvim/run.js judges it.
-- Written for Neovim 0.7 (Debian 12's) and later: vim.lsp.start_client, vim.diagnostic, vim.ui.select.
local out = os.getenv('CROSSTALK_OUT')
if not out then
  vim.cmd('cquit 2') -- nowhere to report to
end
local root = os.getenv('CROSSTALK_ROOT')
local file = os.getenv('CROSSTALK_FILE')
local cmd = os.getenv('CROSSTALK_CMD')
local timeout = tonumber(os.getenv('CROSSTALK_TIMEOUT_MS') or '20000')

local report = { steps = {} }
local started = vim.loop.hrtime()
local function step(name)
  table.insert(report.steps, { name = name, ms = math.floor((vim.loop.hrtime() - started) / 1e6) })
end
local function finish()
  local f = assert(io.open(out, 'w'))
  f:write(vim.fn.json_encode(report))
  f:close()
  vim.cmd('qall!')
end

local function diagnostics(bufnr)
  local list = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(list, {
      code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code),
      source = d.source,
      severity = d.severity,
      lnum = d.lnum,
      col = d.col,
      message = d.message,
    })
  end
  table.sort(list, function(a, b)
    return a.lnum < b.lnum or (a.lnum == b.lnum and tostring(a.code) < tostring(b.code))
  end)
  return list
end
local function find(bufnr, code)
  for _, d in ipairs(diagnostics(bufnr)) do
    if d.code == code then
      return d
    end
  end
end

local ok, err = xpcall(function()
  assert(root and file and cmd, 'CROSSTALK_ROOT, CROSSTALK_FILE and CROSSTALK_CMD are needed')
  cmd = vim.fn.json_decode(cmd)
  report.nvim = vim.version()
  -- what this Neovim declares decides whether the server may ask for settings (0.7 does not)
  report.configuration = vim.lsp.protocol.make_client_capabilities().workspace.configuration == true
  vim.cmd('filetype on')
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  local client_id = vim.lsp.start_client({
    name = 'crosstalk',
    cmd = cmd,
    root_dir = root,
    -- the answer to the server's workspace/configuration request, if this Neovim lets it ask
    settings = { crosstalk = { severity = { XT001 = 'error' } } },
  })
  assert(client_id, 'the client did not start')
  vim.lsp.buf_attach_client(bufnr, client_id)

  assert(
    vim.wait(timeout, function()
      return find(bufnr, 'XT001') ~= nil
    end, 20),
    'no XT001 diagnostic within ' .. timeout .. ' ms'
  )
  step('diagnostics')
  report.before = diagnostics(bufnr)
  -- this client cannot pull diagnostics: the server must not offer them (they came pushed)
  report.diagnosticProvider = (vim.lsp.get_client_by_id(client_id).server_capabilities or {}).diagnosticProvider ~= nil

  -- the code actions at the finding, chosen the way a user picks from the menu
  local target = find(bufnr, 'XT001')
  vim.api.nvim_win_set_cursor(0, { target.lnum + 1, target.col })
  local tick = vim.api.nvim_buf_get_changedtick(bufnr)
  local chosen = false
  vim.ui.select = function(items, _, on_choice)
    report.actions = {}
    local pick
    for i, item in ipairs(items) do
      local action = item.action or item[2] -- { ctx, action } from 0.9 on; { client_id, action } before
      table.insert(report.actions, action.title)
      if pick == nil and action.title:find('^Crosstalk %(XT001%)') then
        pick = i
      end
    end
    chosen = pick ~= nil
    if pick then
      on_choice(items[pick], pick)
    else
      on_choice(nil, nil)
    end
  end
  vim.lsp.buf.code_action()
  assert(
    vim.wait(timeout, function()
      return report.actions ~= nil
    end, 20),
    'no code actions within ' .. timeout .. ' ms'
  )
  step('code actions')
  assert(chosen, 'no Crosstalk (XT001) action among ' .. vim.inspect(report.actions))
  assert(vim.api.nvim_buf_get_changedtick(bufnr) ~= tick, 'the fix did not change the buffer')
  report.text = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), '\n') .. '\n'

  -- the server hears of the edit (didChange) and pushes the document's diagnostics again
  assert(
    vim.wait(timeout, function()
      return find(bufnr, 'XT001') == nil
    end, 20),
    'XT001 still reported ' .. timeout .. ' ms after the fix'
  )
  step('fixed')
  report.after = diagnostics(bufnr)
  vim.lsp.stop_client(client_id)
end, debug.traceback)

if not ok then
  report.error = err
end
finish()
