-- wrk script: MCP 2025-11-25 tools/call of the echo tool inside already-open sessions. wrk has
-- no per-connection hook, so run.mjs opens a pool of sessions first (initialize +
-- notifications/initialized) and passes their ids after `--`; requests take them in turn with
-- Mcp-Session-Id and MCP-Protocol-Version on every POST. Built once in init(): a ring of 4,096
-- requests, ids 1..4096, so no id is reused while an earlier request with it is in flight.
-- usage: wrk -t1 -c50 -d5s -s session.lua http://127.0.0.1:PORT/mcp -- 2025-11-25 <session id>...
local here = debug.getinfo(1, 'S').source:match('^@(.*/)') or './'
dofile(here .. 'common.lua')

function init(args)
  local version = args[1]
  local sessions = { select(2, unpack(args)) }
  if version == nil or #sessions == 0 then
    error('session.lua needs arguments: <protocol version> <session id>...')
  end
  local path = wrk.path ~= '' and wrk.path or '/mcp'
  for id = 1, 4096 do
    local headers = {
      ['Content-Type'] = 'application/json',
      ['Accept'] = 'application/json, text/event-stream',
      ['MCP-Protocol-Version'] = version,
      ['Mcp-Session-Id'] = sessions[(id - 1) % #sessions + 1],
    }
    local body = '{"jsonrpc":"2.0","id":' .. id ..
      ',"method":"tools/call","params":{"name":"echo","arguments":{"message":"hello"}}}'
    ring[id] = wrk.format('POST', path, headers, body)
  end
end
