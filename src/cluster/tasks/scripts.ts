/**
 * The Lua scripts of the Redis task store. Each runs atomically in Redis, so a check and the
 * write it guards cannot interleave with another node's (a late completion never overwrites a
 * cancellation), and each publishes the change it made in the same step: the order of the
 * changes on the channel is the order of the writes.
 *
 * A task is a hash `<prefix>:task:<id>` whose fields are the TaskRecord's, each holding its value
 * as JSON (so the script never decodes JSON: it compares and concatenates), plus `runner`, the
 * store instance running it. `<prefix>:tasks:of:<runner>` holds the runner's tasks that are not
 * terminal yet, `<prefix>:tasks:runners` the runners holding any, `<prefix>:tasks:lease:<runner>`
 * is the runner's lease (a key with a TTL it renews).
 */
import { createHash } from 'node:crypto';
import type { RedisClient } from '../redis.js';

/** Shared by every script: the terminal statuses (as stored: JSON strings) and the record as JSON. */
const PRELUDE = `
local TERMINAL = { ['"completed"'] = true, ['"failed"'] = true, ['"cancelled"'] = true }
local function doc(key)
  local all = redis.call('HGETALL', key)
  local parts = {}
  for i = 1, #all, 2 do
    if all[i] ~= 'runner' then parts[#parts + 1] = '"' .. all[i] .. '":' .. all[i + 1] end
  end
  return '{' .. table.concat(parts, ',') .. '}'
end
local function finished(key, id)
  local runner = redis.call('HGET', key, 'runner')
  if not runner then return end
  local of = ARGV[1] .. 'of:' .. runner
  redis.call('SREM', of, id)
  if redis.call('SCARD', of) == 0 then redis.call('SREM', ARGV[1] .. 'runners', runner) end
end
`;

/**
 * create. KEYS: task. ARGV: tasks prefix, channel, task id, runner, lease ms, expiresAt ('' for
 * none), then field, value pairs. 0 when the id exists, else 1. Not published: nobody can be
 * listening to a task whose id they have not been told yet.
 */
const CREATE = `${PRELUDE}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'runner', ARGV[4], unpack(ARGV, 7))
if ARGV[6] ~= '' then redis.call('PEXPIREAT', KEYS[1], ARGV[6]) end
redis.call('SET', ARGV[1] .. 'lease:' .. ARGV[4], '1', 'PX', ARGV[5])
redis.call('SADD', ARGV[1] .. 'of:' .. ARGV[4], ARGV[3])
redis.call('SADD', ARGV[1] .. 'runners', ARGV[4])
return 1
`;

/**
 * update unless terminal. KEYS: task. ARGV: tasks prefix, channel, task id, n (fields to
 * delete), those n fields, then field, value pairs. Nil when unknown, else { changed, record }:
 * a write that changes nothing (a retry of one that was applied) is not published again.
 */
const UPDATE = `${PRELUDE}
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return false end
if TERMINAL[status] then return { 0, doc(KEYS[1]) } end
local changed = 0
local n = tonumber(ARGV[4])
for i = 5, 4 + n do changed = changed + redis.call('HDEL', KEYS[1], ARGV[i]) end
for i = 5 + n, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) ~= ARGV[i + 1] then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    changed = 1
  end
end
status = redis.call('HGET', KEYS[1], 'status')
if status ~= '"input_required"' then changed = changed + redis.call('HDEL', KEYS[1], 'inputRequests') end
if changed == 0 then return { 0, doc(KEYS[1]) } end
if TERMINAL[status] then finished(KEYS[1], ARGV[3]) end
local record = doc(KEYS[1])
redis.call('PUBLISH', ARGV[2], '{"c":' .. record .. '}')
return { 1, record }
`;

/**
 * fail the tasks of a runner whose lease expired, a batch at a time. KEYS: the runner's lease.
 * ARGV: tasks prefix, channel, runner, batch size, task key prefix, then the JSON of status,
 * statusMessage, error, lastUpdatedAt. -1 when the lease is held (the runner is alive), else the
 * tasks left to fail.
 */
const SWEEP = `${PRELUDE}
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local of = ARGV[1] .. 'of:' .. ARGV[3]
local ids = redis.call('SRANDMEMBER', of, tonumber(ARGV[4]))
for _, id in ipairs(ids) do
  local key = ARGV[5] .. id
  local status = redis.call('HGET', key, 'status')
  if status and not TERMINAL[status] then
    redis.call('HSET', key, 'status', ARGV[6], 'statusMessage', ARGV[7], 'error', ARGV[8], 'lastUpdatedAt', ARGV[9])
    redis.call('HDEL', key, 'inputRequests')
    redis.call('PUBLISH', ARGV[2], '{"c":' .. doc(key) .. '}')
  end
  redis.call('SREM', of, id)
end
local left = redis.call('SCARD', of)
if left == 0 then redis.call('SREM', ARGV[1] .. 'runners', ARGV[3]) end
return left
`;

/** A script run by its SHA1 (EVALSHA), sent whole only when this Redis does not know it yet. */
export class LuaScript {
  readonly #source: string;
  readonly #sha: string;

  constructor(source: string) {
    this.#source = source;
    this.#sha = createHash('sha1').update(source).digest('hex');
  }

  async run(c: RedisClient, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await c.evalSha(this.#sha, { keys, arguments: args });
    } catch (err) {
      // A Redis restarted (or flushed) since: EVAL loads it again.
      if (!String((err as Error)?.message).startsWith('NOSCRIPT')) throw err;
      return c.eval(this.#source, { keys, arguments: args });
    }
  }
}

export const createScript = new LuaScript(CREATE);
export const updateScript = new LuaScript(UPDATE);
export const sweepScript = new LuaScript(SWEEP);
