// The Redis store of 2025 session snapshots, against a private redis-server: who may claim a
// session (only when its owner's heartbeat key is gone), what a claim returns, renewal after
// Redis lost everything, and writes made while Redis was away.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisLink } from '../../src/cluster/redis.js';
import { ClusterSessionStore } from '../../src/cluster/session-store.js';
import type { SessionSnapshot } from '../../src/mcp/handover.js';
import { createLogger } from '../../src/ops/logger.js';
import { killRedis, type PrivateRedis, startRedis } from './redis-server.js';

const log = createLogger('silent');
const open: { store: ClusterSessionStore; link: RedisLink }[] = [];
let redis: PrivateRedis;
let admin: RedisLink;

beforeAll(async () => {
  redis = await startRedis();
  admin = new RedisLink({ url: redis.url, logger: log, timeoutMs: 1_000 });
  await admin.start();
});
afterAll(async () => {
  await admin.close();
  killRedis();
});
afterEach(async () => {
  for (const { store, link } of open.splice(0)) {
    store.close();
    await link.close();
  }
});

let prefixes = 0;
async function node(nodeId: string, keyPrefix: string, ttlMs = 60_000): Promise<ClusterSessionStore> {
  const link = new RedisLink({ url: redis.url, logger: log, timeoutMs: 1_000 });
  await link.start();
  const store = new ClusterSessionStore({ link, keyPrefix, nodeId, ttlMs, logger: log });
  open.push({ store, link });
  return store;
}

const snap = (id: string, subscriptions: string[] = []): SessionSnapshot => ({
  v: 1,
  id,
  protocolVersion: '2025-11-25',
  clientInfo: { name: 'c', version: '1' },
  capabilities: { sampling: {} },
  initialized: true,
  logLevel: 3,
  subscriptions,
});

const until = async (ok: () => Promise<boolean>, what: string) => {
  const end = Date.now() + 10_000;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

const hget = (key: string, field: string) => admin.run('hget', (c) => c.hGet(key, field));

describe('ClusterSessionStore', () => {
  it('keeps the latest snapshot with its owner; another node claims it only once the owner is dead', async () => {
    const p = `t${++prefixes}`;
    const a = await node('a', p);
    const b = await node('b', p);
    a.save(snap('a~1'));
    a.save(snap('a~1', ['test://x']));
    await until(async () => (await hget(`${p}:session:a~1`, 'state'))?.includes('test://x') === true, 'the save');
    expect(await hget(`${p}:session:a~1`, 'owner')).toBe('a');
    // a is alive (its heartbeat key exists): b is told a holds it.
    await admin.run('set', (c) => c.set(`${p}:node:a`, '{}'));
    expect(await b.claim('a~1')).toEqual({ kind: 'elsewhere', owner: 'a' });
    // a is dead: b continues it, with what a saved last.
    await admin.run('del', (c) => c.del(`${p}:node:a`));
    expect(await b.claim('a~1')).toEqual({ kind: 'claimed', snapshot: snap('a~1', ['test://x']) });
    expect(await hget(`${p}:session:a~1`, 'owner')).toBe('b');
    expect(b.held).toBe(1);
    // Now b is the owner: a third node is sent to b while b lives.
    await admin.run('set', (c) => c.set(`${p}:node:b`, '{}'));
    const c = await node('c', p);
    expect(await c.claim('a~1')).toEqual({ kind: 'elsewhere', owner: 'b' });
    // Claiming what it holds already is a claim again (a restarted node finding its own sessions).
    expect((await b.claim('a~1')).kind).toBe('claimed');
    expect(await c.claim('nope')).toEqual({ kind: 'gone' });
  });

  it('remove forgets the session; an unreadable snapshot is gone (and dropped)', async () => {
    const p = `t${++prefixes}`;
    const a = await node('a', p);
    a.save(snap('a~2'));
    await until(async () => (await hget(`${p}:session:a~2`, 'owner')) === 'a', 'the save');
    a.remove('a~2');
    await until(async () => (await hget(`${p}:session:a~2`, 'owner')) === null, 'the removal');
    expect(a.held).toBe(0);
    await admin.run('hset', (c) => c.hSet(`${p}:session:a~3`, { owner: 'x', state: '{"v":9}' }));
    expect(await a.claim('a~3')).toEqual({ kind: 'gone' });
    await until(async () => (await hget(`${p}:session:a~3`, 'owner')) === null, 'the drop');
  });

  it('renews its snapshots, writes them again after Redis lost them, and writes what it missed while Redis was away', async () => {
    const p = `t${++prefixes}`;
    const a = await node('a', p, 600);
    a.save(snap('a~4'));
    await until(async () => (await hget(`${p}:session:a~4`, 'owner')) === 'a', 'the save');
    // Renewed every ttl/6: still there after several TTLs.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await hget(`${p}:session:a~4`, 'owner')).toBe('a');
    const ttl = await admin.run('pttl', (c) => c.pTTL(`${p}:session:a~4`));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(600);
    // Redis restarted empty: the next renewal writes it again.
    await redis.kill();
    const link = (open.at(-1) as { link: RedisLink }).link;
    await until(async () => !link.up, 'the link to see Redis gone');
    a.save(snap('a~5', ['test://late'])); // made while Redis is away
    await until(async () => a.failedWrites === 1, 'the failed write');
    await redis.restart();
    await until(async () => admin.up && (await hget(`${p}:session:a~4`, 'owner')) === 'a', 'the rewrite');
    await until(
      async () => (await hget(`${p}:session:a~5`, 'state'))?.includes('test://late') === true,
      'the late write',
    );
  });
});
