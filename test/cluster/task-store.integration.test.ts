// The Redis task store (src/cluster/tasks) against a private redis-server: records shared by
// every store, the terminal guard, expiry with the task's TTL, changes and signals heard once
// by every store, the lease sweep failing the tasks of a runner that stopped renewing, and
// refusals (never a hang) while Redis is away.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Membership } from '../../src/cluster/membership.js';
import { RedisLink } from '../../src/cluster/redis.js';
import { TaskLeaseSweeper } from '../../src/cluster/tasks/lease.js';
import { type RedisTaskStore, startRedisTaskStore } from '../../src/cluster/tasks/redis-store.js';
import { ErrorCode, McpError } from '../../src/mcp/jsonrpc.js';
import type { TaskRecord, TaskSignal } from '../../src/mcp/tasks/store.js';
import { createLogger } from '../../src/ops/logger.js';
import { killRedis, type PrivateRedis, startRedis } from './redis-server.js';

const log = createLogger('silent');
let redis: PrivateRedis;
let prefix = '';
const stores: RedisTaskStore[] = [];
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => killRedis());
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const c of closers.splice(0)) await c();
});

let seq = 0;
async function store(runner = 'a/0', leaseMs = 1_200, renewMs = 400): Promise<RedisTaskStore> {
  const s = await startRedisTaskStore({
    redis: redis.url,
    keyPrefix: prefix,
    logger: log,
    timeoutMs: 400,
    runner,
    leaseMs,
    renewMs,
  });
  stores.push(s);
  return s;
}

function record(over: Partial<TaskRecord> = {}): TaskRecord {
  const at = new Date().toISOString();
  return {
    taskId: `a~t${++seq}`,
    status: 'working',
    createdAt: at,
    lastUpdatedAt: at,
    ttlMs: 60_000,
    pollIntervalMs: 1_000,
    expiresAt: Date.now() + 60_000,
    owner: 'alice',
    ...over,
  };
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('RedisTaskStore', { timeout: 60_000 }, () => {
  it('a task created by one store is read and updated by another; the terminal guard holds', async () => {
    prefix = `ts${Date.now()}a`;
    const [a, b] = [await store('a/0'), await store('b/0')];
    const t = record();
    await a.create(t);
    // Durable on acknowledgement: the other store reads it at once.
    expect(await b.get(t.taskId)).toEqual(t);
    await expect(a.create(t)).rejects.toThrow(/exists/);
    const parked = await b.update(t.taskId, {
      status: 'input_required',
      inputRequests: { k: { method: 'elicitation/create', params: { message: 'name?' } } },
      statusMessage: 'waiting',
      lastUpdatedAt: 'x1',
    });
    expect(parked?.status).toBe('input_required');
    expect(parked?.inputRequests).toBeDefined();
    // Leaving input_required drops the requests; an undefined field is deleted.
    const back = await a.update(t.taskId, { status: 'working', statusMessage: undefined, lastUpdatedAt: 'x2' });
    expect(back).toEqual({ ...t, lastUpdatedAt: 'x2' });
    const done = await a.update(t.taskId, {
      status: 'completed',
      result: { content: [], isError: false, structuredContent: { n: 1 } },
      lastUpdatedAt: 'x3',
    });
    expect(done?.status).toBe('completed');
    // JSON survives as written (an empty array stays an array).
    expect((await b.get(t.taskId))?.result).toEqual({ content: [], isError: false, structuredContent: { n: 1 } });
    const late = await b.update(t.taskId, { status: 'cancelled', lastUpdatedAt: 'x4' });
    expect(late?.status).toBe('completed');
    expect(late?.lastUpdatedAt).toBe('x3');
    expect(await a.update('a~nope', { status: 'failed' })).toBeUndefined();
    expect(await a.get('a~nope')).toBeUndefined();
  });

  it('every store hears each change and each signal exactly once; a repeated write is not heard again', async () => {
    prefix = `ts${Date.now()}b`;
    const all = [await store('a/0'), await store('a/1'), await store('b/0')];
    const heard = all.map(() => [] as string[]);
    const signals = all.map(() => [] as TaskSignal[]);
    all.forEach((s, i) => {
      s.onChange((t) => heard[i]?.push(`${t.taskId}:${t.status}:${t.lastUpdatedAt}`));
      s.onSignal((sig) => signals[i]?.push(sig));
    });
    const t = record();
    await (all[0] as RedisTaskStore).create(t);
    await (all[1] as RedisTaskStore).update(t.taskId, { statusMessage: '1 of 2', lastUpdatedAt: 'p1' });
    // A retry of the same write (its answer was lost) changes nothing and publishes nothing.
    await (all[1] as RedisTaskStore).update(t.taskId, { statusMessage: '1 of 2', lastUpdatedAt: 'p1' });
    await (all[2] as RedisTaskStore).signal({ kind: 'input', taskId: t.taskId, responses: { k: 1 } });
    await (all[2] as RedisTaskStore).signal({ kind: 'cancel', taskId: t.taskId });
    await (all[0] as RedisTaskStore).update(t.taskId, { status: 'cancelled', lastUpdatedAt: 'p2' });
    await (all[0] as RedisTaskStore).update(t.taskId, { status: 'completed', lastUpdatedAt: 'p3' });
    // (The creation itself is not announced: nobody can listen to an id not given out yet.)
    const want = [`${t.taskId}:working:p1`, `${t.taskId}:cancelled:p2`];
    await until(
      'every change everywhere',
      () => heard.every((h) => h.length >= 2) && signals.every((s) => s.length >= 2),
    );
    await new Promise((r) => setTimeout(r, 200));
    for (const h of heard) expect(h).toEqual(want);
    for (const s of signals) {
      expect(s).toEqual([
        { kind: 'input', taskId: t.taskId, responses: { k: 1 } },
        { kind: 'cancel', taskId: t.taskId },
      ]);
    }
  });

  it('a record expires with its TTL (expiresAt); updates keep the expiry', async () => {
    prefix = `ts${Date.now()}c`;
    const s = await store();
    const t = record({ ttlMs: 600, expiresAt: Date.now() + 600 });
    const forever = record({ ttlMs: null, expiresAt: null });
    await s.create(t);
    await s.create(forever);
    await s.update(t.taskId, { status: 'completed', result: { content: [] }, lastUpdatedAt: 'y' });
    expect((await s.get(t.taskId))?.status).toBe('completed');
    const link = new RedisLink({ url: redis.url, logger: log, timeoutMs: 1_000 });
    await link.start();
    closers.push(() => link.close());
    const pttl = await link.run('pttl', (c) => c.pTTL(`${prefix}:task:${t.taskId}`));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(600);
    expect(await link.run('pttl', (c) => c.pTTL(`${prefix}:task:${forever.taskId}`))).toBe(-1);
    await until('the record to expire', async () => (await s.get(t.taskId)) === undefined, 5_000);
    expect((await s.get(forever.taskId))?.status).toBe('working');
  });

  it("the leader's sweep fails the unfinished tasks of a runner whose lease is gone, once, and no others", async () => {
    prefix = `ts${Date.now()}d`;
    const dying = await store('x/0', 600, 200);
    const alive = await store('y/0', 600, 200);
    const watcher = await store('z/0', 600, 200);
    const changes: TaskRecord[] = [];
    watcher.onChange((t) => changes.push(t));
    const ids = Array.from({ length: 300 }, () => record({ taskId: `x~w0.${++seq}` }));
    for (const t of ids) await dying.create(t);
    const finished = record({ taskId: `x~w0.${++seq}` });
    await dying.create(finished);
    await dying.update(finished.taskId, { status: 'completed', result: { content: [] }, lastUpdatedAt: 'f' });
    const other = record({ taskId: `y~w0.${++seq}` });
    await alive.create(other);
    // x closes with its tasks unfinished: its lease is gone (a kill -9 lets it expire instead,
    // test/cluster/tasks.integration.test.ts).
    stores.splice(stores.indexOf(dying), 1);
    await dying.close();

    const link = new RedisLink({ url: redis.url, logger: log, timeoutMs: 1_000 });
    await link.start();
    const membership = new Membership({
      link,
      logger: log,
      nodeId: 'leader',
      advertise: 'http://127.0.0.1:1',
      keyPrefix: prefix,
      heartbeatMs: 200,
      deadAfterMs: 600,
      load: () => ({ connections: 0, sessions: 0, requests_per_sec: 0, workers: 1 }),
    });
    const sweeper = new TaskLeaseSweeper({ link, membership, keyPrefix: prefix, deadAfterMs: 600, logger: log });
    await membership.start();
    closers.push(async () => {
      await sweeper.stop();
      await membership.stop();
      await link.close();
    });
    await until('the sweep', () => sweeper.swept >= 300);
    for (const t of ids) {
      const got = await alive.get(t.taskId);
      expect(got?.status).toBe('failed');
      expect(got?.statusMessage).toBe('the node x running the task stopped before it finished');
      expect(got?.error).toEqual({
        code: ErrorCode.INTERNAL_ERROR,
        message: 'the node x running the task stopped before it finished',
        data: { reason: 'node_lost', node: 'x' },
      });
    }
    expect((await alive.get(finished.taskId))?.status).toBe('completed');
    expect((await alive.get(other.taskId))?.status).toBe('working');
    await until('the changes', () => changes.filter((c) => c.status === 'failed').length >= 300);
    await sweeper.sweep();
    await new Promise((r) => setTimeout(r, 300));
    // Each swept task was announced once.
    const failed = changes.filter((c) => c.status === 'failed').map((c) => c.taskId);
    expect(failed.length).toBe(300);
    expect(new Set(failed).size).toBe(300);
    expect(sweeper.swept).toBe(300);
  });

  it('a create whose acknowledgement never came is refused, and the record it left is failed', async () => {
    prefix = `ts${Date.now()}f`;
    const s = await store();
    const t = record();
    redis.pause();
    try {
      // Sent, then no answer within the deadline: the client is told no.
      await expect(s.create(t)).rejects.toMatchObject({
        code: ErrorCode.GLOBAL_OVERLOADED,
        data: { reason: 'task_store_unavailable', retryAfterMs: 1000 },
      });
    } finally {
      redis.resume();
    }
    // Redis executes it on resuming; nobody runs that task, so the store fails it.
    await until('the record to be failed', async () => (await s.get(t.taskId))?.status === 'failed');
    expect((await s.get(t.taskId))?.statusMessage).toBe(
      'the task could not be started: the task store did not acknowledge it',
    );
  });

  it('refuses at once with -32012 task_store_unavailable while Redis is away, and works again after', async () => {
    prefix = `ts${Date.now()}e`;
    const s = await store();
    const t = record();
    await s.create(t);
    await redis.kill();
    const refused = await s.create(record()).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(McpError);
    expect((refused as McpError).code).toBe(ErrorCode.GLOBAL_OVERLOADED);
    expect((refused as McpError).data).toEqual({ reason: 'task_store_unavailable', retryAfterMs: 1000 });
    await expect(s.get(t.taskId)).rejects.toMatchObject({ code: ErrorCode.GLOBAL_OVERLOADED });
    await expect(s.update(t.taskId, { status: 'failed' })).rejects.toMatchObject({ code: ErrorCode.GLOBAL_OVERLOADED });
    await expect(s.signal({ kind: 'cancel', taskId: t.taskId })).rejects.toMatchObject({
      code: ErrorCode.GLOBAL_OVERLOADED,
    });
    await redis.restart();
    // (The restarted Redis is empty: no persistence in this test.)
    const heard: string[] = [];
    s.onChange((x) => heard.push(x.taskId));
    const again = record();
    await until('Redis back', async () =>
      s.create(again).then(
        () => true,
        () => false,
      ),
    );
    expect((await s.get(again.taskId))?.status).toBe('working');
    // The subscription comes back too (by itself, maybe a moment after the command link:
    // a change published before it is lost, pub/sub being at most once).
    let n = 0;
    await until('a change heard after the restart', async () => {
      await s.update(again.taskId, { statusMessage: 'after', lastUpdatedAt: `z${++n}` });
      await new Promise((r) => setTimeout(r, 50));
      return heard.includes(again.taskId);
    });
  });
});
