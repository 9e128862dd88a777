-- Shared by the wrk scripts of bench/e2e (loaded with dofile): checks every response and, at
-- the end, prints one machine-readable line for run.mjs:
--   WRK_RESULT {"requests":..,"ok":..,"wrong":..,"non200":{"<status>":n},"socket":{..},
--               "durationUs":..,"latencyUs":{..},"cpuUs":{"user":..,"system":..}}
-- A response is good when its status is 200 and its body carries the echo text and no
-- "error" member: a cheap string test, so checking stays a small share of wrk's CPU. Counters
-- live in each thread's Lua state; done() (main state) sums them through thread:get.

local threads = {}

-- The requests a script formats once in init() (its ids 1..4096, so no id is reused while
-- another request with it is in flight); request() hands them out in turn, so wrk spends its
-- CPU on I/O rather than on formatting.
ring = {}
local next_index = 0

function request()
  next_index = next_index % #ring + 1
  return ring[next_index]
end

function setup(thread)
  table.insert(threads, thread)
end

-- Per-thread counters (globals, so thread:get can read them).
ok = 0
wrong = 0
non200 = {}

function response(status, headers, body)
  if status ~= 200 then
    non200[status] = (non200[status] or 0) + 1
  elseif string.find(body, '"text":"hello"', 1, true) and not string.find(body, '"error"', 1, true) then
    ok = ok + 1
  else
    wrong = wrong + 1
  end
end

-- CPU time of this wrk process (all threads), via LuaJIT's FFI: done() runs after the threads
-- have stopped, so this is wrk's whole cost. nil when FFI is missing (a plain-Lua wrk build).
local function cpu_us()
  local okffi, ffi = pcall(require, 'ffi')
  if not okffi then return nil end
  pcall(ffi.cdef, [[
    typedef struct { long tv_sec; long tv_usec; } bench_timeval;
    typedef struct { bench_timeval ru_utime; bench_timeval ru_stime; long ru_rest[14]; } bench_rusage;
    int getrusage(int who, bench_rusage *usage);
  ]])
  local ru = ffi.new('bench_rusage')
  if ffi.C.getrusage(0, ru) ~= 0 then return nil end
  local function us(tv) return tonumber(tv.tv_sec) * 1000000 + tonumber(tv.tv_usec) end
  return { user = us(ru.ru_utime), system = us(ru.ru_stime) }
end

function done(summary, latency, requests)
  local total_ok, total_wrong, statuses = 0, 0, {}
  for _, t in ipairs(threads) do
    total_ok = total_ok + (t:get('ok') or 0)
    total_wrong = total_wrong + (t:get('wrong') or 0)
    for status, n in pairs(t:get('non200') or {}) do
      statuses[status] = (statuses[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(statuses) do
    table.insert(parts, string.format('"%d":%d', status, n))
  end
  local e = summary.errors
  local cpu = cpu_us()
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"ok":%d,"wrong":%d,"non200":{%s},' ..
      '"socket":{"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d},"durationUs":%d,' ..
      '"latencyUs":{"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f},"cpuUs":%s}\n',
    summary.requests, total_ok, total_wrong, table.concat(parts, ','),
    e.connect, e.read, e.write, e.timeout, e.status, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean,
    cpu and string.format('{"user":%d,"system":%d}', cpu.user, cpu.system) or 'null'))
end
