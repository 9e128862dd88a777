// The requestState secret a cluster shares through Redis: the first node draws it, the others
// take it, a reconnect puts it back after Redis lost it, and without Redis a node refuses to
// start rather than seal state nobody else opens.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLink } from '../../src/cluster/redis.js';
import { clusterRequestStateKey, keepRequestStateKey } from '../../src/cluster/request-state-key.js';
import { hasErrorCode } from '../../src/core/errors.js';
import { createLogger } from '../../src/ops/logger.js';
import { killRedis, type PrivateRedis, startRedis } from './redis-server.js';

const logger = createLogger('silent');
let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => killRedis());

describe('clusterRequestStateKey', () => {
  it('gives every node the secret the first one drew', async () => {
    const o = { redis: redis.url, keyPrefix: 'k1', logger };
    const [a, b] = await Promise.all([clusterRequestStateKey(o), clusterRequestStateKey(o)]);
    expect(a).toBe(b);
    expect(a.length).toBeGreaterThanOrEqual(32);
    expect(await clusterRequestStateKey(o)).toBe(a);
    expect(await clusterRequestStateKey({ ...o, keyPrefix: 'k2' })).not.toBe(a);
  });

  it('puts the key back when Redis comes back empty', async () => {
    const o = { redis: redis.url, keyPrefix: 'k3', logger };
    const secret = await clusterRequestStateKey(o);
    const link = new RedisLink({ url: redis.url, logger, timeoutMs: 1_000 });
    await link.start();
    const stop = keepRequestStateKey(link, 'k3', secret, logger);
    await redis.kill();
    await redis.restart();
    const until = Date.now() + 10_000;
    let got: string | null = null;
    while (got !== secret && Date.now() < until) {
      got = link.up ? await link.run('get', (c) => c.get('k3:request-state-key')).catch(() => null) : null;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(got).toBe(secret);
    stop();
    await link.close();
    // A node starting now takes the same one.
    expect(await clusterRequestStateKey(o)).toBe(secret);
  });

  it('refuses with ERR_CLUSTER_UNAVAILABLE when Redis cannot be reached, or holds a value that is no secret', async () => {
    const err = await clusterRequestStateKey({ redis: 'redis://127.0.0.1:1', keyPrefix: 'k4', logger }, 300).catch(
      (e: unknown) => e,
    );
    expect(hasErrorCode(err, 'ERR_CLUSTER_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toContain('give every node the same mcp.requestStateKey');
    const link = new RedisLink({ url: redis.url, logger, timeoutMs: 1_000 });
    await link.start();
    await link.run('set', (c) => c.set('k5:request-state-key', 'short'));
    await link.close();
    const bad = await clusterRequestStateKey({ redis: redis.url, keyPrefix: 'k5', logger }, 300).catch(
      (e: unknown) => e,
    );
    expect(hasErrorCode(bad, 'ERR_CLUSTER_UNAVAILABLE')).toBe(true);
    expect((bad as Error).message).toContain('not a usable secret');
  });
});
