// Cluster-wide token buckets with real `erlmcp serve` processes on a real Redis: one API-key
// principal with a bucket of 20 (refill 20/s) sends to three nodes (1, 2 and 1 workers). Spread
// over them, the cluster admits at most capacity + refill x elapsed; all sent to one node, that
// node's share becomes the whole bucket less the other nodes' floor of 1; a node killed gives
// its share back to the others; Redis killed, the nodes keep admitting from their last shares.
// The totals asserted are exact counts against bounds computed from the measured elapsed time.
import { createHash } from 'node:crypto';
import { createClient } from '@redis/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { request2026 } from '../mcp/era.js';
import { postJson } from '../transports/stateless-fixtures.js';
import { killPools, type ServedPool, servePool } from '../workers/serve-pool.js';
import { killRedis, type PrivateRedis, startRedis } from './redis-server.js';

afterEach(() => killPools());

const KEY = 'bucket-test-key-0123456789';
const CAPACITY = 20;
const RATE = 20;
const PRINCIPAL = 'api-key|ci';

interface Allocation {
  epoch: number;
  nodes: string[];
  shares: Record<string, [number[], number[]]>;
}

/** Sends requests to `targets` in turn (one lane per target, back to back) for `ms`; counts the outcomes. */
async function drive(
  targets: ServedPool[],
  ms: number,
): Promise<{ admitted: number; limited: number; other: number; elapsedMs: number; perNode: number[] }> {
  const start = performance.now();
  let admitted = 0;
  let limited = 0;
  let other = 0;
  const perNode = targets.map(() => 0);
  let id = 0;
  await Promise.all(
    targets.map(async (node, i) => {
      while (performance.now() - start < ms) {
        const r = await postJson(
          node.port,
          request2026(++id, 'tools/call', { name: 'echo', arguments: { message: 'x' } }),
          {
            headers: { authorization: `Bearer ${KEY}` },
          },
        );
        if (r.body?.result !== undefined) {
          admitted++;
          perNode[i] = (perNode[i] ?? 0) + 1;
        } else if (r.body?.error?.code === -32010) limited++;
        else other++;
        await new Promise((res) => setTimeout(res, 5));
      }
    }),
  );
  return { admitted, limited, other, elapsedMs: performance.now() - start, perNode };
}

describe('cluster-wide token buckets', { timeout: 120_000 }, () => {
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => killRedis());

  it('holds one principal to its bucket across the nodes, follows its demand, survives a node and Redis going', async () => {
    const prefix = `b${Date.now()}`;
    const env = {
      ERLMCP_CLUSTER_KEY_PREFIX: prefix,
      ERLMCP_CLUSTER_BUCKET_SHARE_MS: '100',
      ERLMCP_AUTH_RESOURCE: 'http://127.0.0.1/mcp',
      ERLMCP_AUTH_AUTHORIZATION_SERVERS: 'https://auth.example.com',
      ERLMCP_AUTH_API_KEYS: `ci:${createHash('sha256').update(KEY).digest('hex')}`,
      ERLMCP_BUCKET_CAPACITY: String(CAPACITY),
      ERLMCP_BUCKET_REFILL_PER_SEC: String(RATE),
    };
    const join = (id: string, workers: number) => servePool(workers, ['--cluster', redis.url, '--node-id', id], env);
    const nodes = [await join('a', 1), await join('b', 2), await join('c', 1)];
    const [a, b, c] = nodes as [ServedPool, ServedPool, ServedPool];
    const r = createClient({ url: redis.url });
    await r.connect();
    const allocation = async () => {
      const raw = await r.get(`${prefix}:buckets:allocation`);
      return raw === null ? undefined : (JSON.parse(raw) as Allocation);
    };
    /** Polls the allocation until `ok` (within 15 s), sending `traffic` meanwhile so demand is seen. */
    const until = async (ok: (x: Allocation | undefined) => boolean, traffic: ServedPool[]) => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const x = await allocation();
        if (ok(x)) return x as Allocation;
        if (Date.now() > deadline) throw new Error(`allocation never got there: ${JSON.stringify(x)}`);
        if (traffic.length > 0) await drive(traffic, 200);
        else await new Promise((res) => setTimeout(res, 100));
      }
    };
    try {
      await until((x) => x !== undefined && x.nodes.length === 3, []);

      // Spread: the three nodes together admit at most the bucket plus its refill.
      const spread = await drive(nodes, 4_000);
      expect(spread.other).toBe(0);
      expect(spread.admitted).toBeLessThanOrEqual(CAPACITY + Math.ceil((RATE * spread.elapsedMs) / 1000) + 3);
      // ... and not much less: the shares follow the demand, so no node sits on an unused share.
      expect(spread.admitted).toBeGreaterThanOrEqual((RATE * spread.elapsedMs) / 1000 / 2);
      // The demand was above the rate (else the bound says nothing).
      expect(spread.limited).toBeGreaterThan(0);
      expect(spread.perNode.every((n) => n > 0)).toBe(true);

      // Skewed: everything to a; a's share becomes the whole less the others' floor of 1.
      const moved = await until(
        (x) => {
          const s = x?.shares[PRINCIPAL];
          const i = x?.nodes.indexOf('a') ?? -1;
          return s !== undefined && i >= 0 && s[0][i] === RATE - 2 && s[1][i] === CAPACITY - 2;
        },
        [a],
      );
      const other = moved.nodes.map((n, i) => [n, moved.shares[PRINCIPAL]?.[0][i]]).filter(([n]) => n !== 'a');
      expect(other.map(([, s]) => s)).toEqual([1, 1]);
      const skewed = await drive([a], 3_000);
      expect(skewed.other).toBe(0);
      expect(skewed.admitted).toBeLessThanOrEqual(CAPACITY + Math.ceil((RATE * skewed.elapsedMs) / 1000) + 3);
      expect(skewed.admitted).toBeGreaterThanOrEqual((((RATE - 2) * skewed.elapsedMs) / 1000) * 0.5);

      // A node killed: its share returns to the live ones once it is seen dead.
      c.child.kill('SIGKILL');
      const two = await until((x) => x !== undefined && x.nodes.length === 2 && !x.nodes.includes('c'), [a, b]);
      expect([...two.nodes].sort()).toEqual(['a', 'b']);
      const pair = await drive([a, b], 3_000);
      expect(pair.admitted).toBeLessThanOrEqual(CAPACITY + Math.ceil((RATE * pair.elapsedMs) / 1000) + 3);
      expect(pair.admitted).toBeGreaterThanOrEqual((RATE * pair.elapsedMs) / 1000 / 2);

      // Redis gone: the last shares stay in force; nothing fails but the rate limit.
      await r.close().catch(() => {});
      await redis.kill();
      const away = await drive([a, b], 2_000);
      expect(away.other).toBe(0);
      expect(away.admitted).toBeGreaterThan(0);
      expect(away.admitted).toBeLessThanOrEqual(CAPACITY + Math.ceil((RATE * away.elapsedMs) / 1000) + 3);
      for (const n of [a, b]) expect((await fetch(new URL('/health', n.url))).status).toBeLessThan(600);
    } finally {
      if (r.isOpen) await r.close().catch(() => {});
    }
  });
});
