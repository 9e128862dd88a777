-- wrk script: MCP 2026-07-28 stateless tools/call of the echo tool, as the spec's Streamable
-- HTTP transport sends it: the _meta envelope in the body and the mirrored MCP-Protocol-Version,
-- Mcp-Method and Mcp-Name headers. No session. Requests are built once in init() (a ring of
-- 4,096, ids 1..4096), so wrk spends its CPU on I/O rather than on formatting.
-- usage: wrk -t1 -c50 -d5s -s stateless.lua http://127.0.0.1:PORT/mcp [-- BEARER_TOKEN]
-- With a token every request carries Authorization: Bearer TOKEN (the ours-stateless-auth case).
local here = debug.getinfo(1, 'S').source:match('^@(.*/)') or './'
dofile(here .. 'common.lua')

function init(args)
  local path = wrk.path ~= '' and wrk.path or '/mcp'
  local headers = {
    ['Content-Type'] = 'application/json',
    ['Accept'] = 'application/json, text/event-stream',
    ['MCP-Protocol-Version'] = '2026-07-28',
    ['Mcp-Method'] = 'tools/call',
    ['Mcp-Name'] = 'echo',
  }
  if args[1] ~= nil and args[1] ~= '' then headers['Authorization'] = 'Bearer ' .. args[1] end
  for id = 1, 4096 do
    local body = '{"jsonrpc":"2.0","id":' .. id .. ',"method":"tools/call","params":{"name":"echo",' ..
      '"arguments":{"message":"hello"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",' ..
      '"io.modelcontextprotocol/clientCapabilities":{},' ..
      '"io.modelcontextprotocol/clientInfo":{"name":"wrk","version":"1"}}}}'
    ring[id] = wrk.format('POST', path, headers, body)
  end
end
