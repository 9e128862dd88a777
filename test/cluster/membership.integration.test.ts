// Cluster membership against a real redis-server with real `erlmcp serve` processes: joining,
// one leader, kill -9 of a node seen by the others, a graceful leave, Redis killed (degraded,
// stateless requests still served) and restarted empty (every node back, nobody declared dead).
import { createClient } from '@redis/client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { killPools, type ServedPool, servePool } from '../workers/serve-pool.js';
import { killRedis, type PrivateRedis, startRedis } from './redis-server.js';

interface ClusterHealth {
  status: string;
  cluster?: {
    node: string;
    role: string;
    state: string;
    redis: string;
    stale: boolean;
    nodes: { id: string; advertise: string; self: boolean; load: { workers: number } }[];
  };
}

async function health(node: ServedPool): Promise<ClusterHealth> {
  const res = await fetch(new URL('/health', node.url));
  return (await res.json()) as ClusterHealth;
}

async function metrics(node: ServedPool): Promise<string> {
  return (await fetch(new URL('/metrics', node.url))).text();
}

const ids = (h: ClusterHealth) => (h.cluster?.nodes ?? []).map((n) => n.id).sort();

/** Polls `check` every 20 ms until it holds; fails with `what` after `ms`. Returns the ms it took. */
async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await check()) return Date.now() - t0;
    if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A stateless 2026-07-28 tools/list: needs no Redis. */
async function statelessList(node: ServedPool): Promise<number> {
  const res = await fetch(node.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/list',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/list',
      params: {
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientCapabilities': {},
          'io.modelcontextprotocol/clientInfo': { name: 'test', version: '1' },
        },
      },
    }),
  });
  const body = (await res.json()) as { result?: { tools?: unknown[] } };
  expect(body.result?.tools?.length).toBeGreaterThan(0);
  return res.status;
}

describe('cluster membership over a real Redis', { timeout: 60_000 }, () => {
  let redis: PrivateRedis;
  // Each test its own key prefix: nodes a test killed stay in Redis until their TTL runs out.
  let prefix = '';
  const join = (id: string, workers = 1) =>
    servePool(workers, ['--cluster', redis.url, '--node-id', id, '--log-level', 'info'], {
      ERLMCP_CLUSTER_KEY_PREFIX: prefix,
    });

  beforeAll(async () => {
    redis = await startRedis();
  });
  beforeEach((ctx) => {
    prefix = `t${ctx.task.id.replace(/[^A-Za-z0-9]/g, '')}`;
  });
  afterEach(() => killPools());
  afterAll(() => killRedis());

  it('three nodes see each other with one leader; kill -9 and a graceful stop are seen by the rest', async () => {
    const n1 = await join('n1');
    const n2 = await join('n2');
    const n3 = await join('n3', 2);
    const all = [n1, n2, n3];
    await until('every node lists all three', 15_000, async () => {
      const hs = await Promise.all(all.map(health));
      return hs.every((h) => ids(h).join() === 'n1,n2,n3');
    });
    const hs = await Promise.all(all.map(health));
    for (const [i, h] of hs.entries()) {
      const c = h.cluster;
      expect(c?.node).toBe(`n${i + 1}`);
      expect(c?.state).toBe('ok');
      expect(c?.redis).toBe('up');
      expect(h.status).toBe('healthy');
      // The leader is the oldest node, the same for everyone.
      expect(c?.nodes[0]?.id).toBe('n1');
      expect(c?.role).toBe(i === 0 ? 'leader' : 'member');
      expect(c?.nodes.filter((n) => n.self).map((n) => n.id)).toEqual([`n${i + 1}`]);
    }
    // The same in /metrics, from the main thread's node (n1) and a pool worker's (n3).
    const m1 = await metrics(n1);
    expect(m1).toContain('erlmcp_cluster_nodes{node="n1"} 3');
    expect(m1).toContain('erlmcp_cluster_redis_up{node="n1"} 1');
    expect(m1).toContain('erlmcp_cluster_leader{node="n1"} 1');
    const m3 = await metrics(n3);
    expect(m3).toContain('erlmcp_cluster_nodes{node="n3"} 3');
    expect(m3).toContain('erlmcp_cluster_leader{node="n3"} 0');
    const self3 = hs[2]?.cluster?.nodes.find((n) => n.id === 'n3');
    expect(self3?.advertise).toBe(new URL(n3.url).origin);
    expect(self3?.load.workers).toBe(2);

    // kill -9: no leave, the heartbeat key expires (deadAfterMs 1200) and the others drop it.
    n2.child.kill('SIGKILL');
    const seenMs = await until('n2 dropped by n1 and n3', 5_000, async () => {
      const [a, b] = await Promise.all([health(n1), health(n3)]);
      return ids(a).join() === 'n1,n3' && ids(b).join() === 'n1,n3';
    });
    console.log(`kill -9 of n2 seen by both survivors after ${seenMs} ms`);
    expect(n1.logs().filter((l) => l.includes('"peer":"n2"') && l.includes('node down'))).toHaveLength(1);

    // A graceful stop deletes the node's key before the process exits.
    expect(await n3.stop()).toBe(0);
    const probe = createClient({ url: redis.url });
    await probe.connect();
    try {
      expect(await probe.exists(`${prefix}:node:n3`)).toBe(0);
      expect(await probe.zRange(`${prefix}:nodes`, 0, -1)).toEqual(['n1']);
    } finally {
      await probe.close();
    }
    await until('n1 alone', 2_000, async () => ids(await health(n1)).join() === 'n1');
    expect((await health(n1)).cluster?.role).toBe('leader');
  });

  it('Redis killed: degraded, stateless requests still served; restarted empty: every node back, none declared dead', async () => {
    const a = await join('a');
    const b = await join('b', 2);
    await until('both listed', 15_000, async () => ids(await health(a)).join() === 'a,b');

    await redis.kill();
    await until('a and b degraded', 5_000, async () => {
      const hs = await Promise.all([health(a), health(b)]);
      return hs.every((h) => h.status === 'degraded' && h.cluster?.redis === 'down' && h.cluster.stale);
    });
    // The last view is kept while Redis is away.
    expect(ids(await health(a))).toEqual(['a', 'b']);
    expect(await metrics(b)).toContain('erlmcp_cluster_redis_up{node="b"} 0');
    expect(await statelessList(a)).toBe(200);
    expect(await statelessList(b)).toBe(200);

    await redis.restart();
    await until('both healthy again with both listed', 10_000, async () => {
      const hs = await Promise.all([health(a), health(b)]);
      return hs.every((h) => h.status === 'healthy' && h.cluster?.state === 'ok' && ids(h).join() === 'a,b');
    });
    // The restarted Redis had no keys; the grace after reconnecting kept anyone from being declared dead.
    for (const n of [a, b]) {
      expect(
        n.logs().filter((l) => l.includes('node down')),
        n.logs().slice(-30).join('\n'),
      ).toEqual([]);
    }
    expect(a.child.exitCode).toBeNull();
    expect(b.child.exitCode).toBeNull();
  });

  it('a node id held by a live node is refused; the id of a node just killed is taken over once its key expires', async () => {
    const first = await join('dup');
    await expect(join('dup')).rejects.toThrow(
      /exited early with 1[\s\S]*node id "dup" is taken by a live node \(advertising http:\/\/127\.0\.0\.1:\d+\)/,
    );
    expect(first.child.exitCode).toBeNull();
    first.child.kill('SIGKILL');
    const again = await join('dup');
    await until('the new "dup" listed', 5_000, async () => {
      const c = (await health(again)).cluster;
      return c?.nodes.length === 1 && c.nodes[0]?.advertise === new URL(again.url).origin;
    });
  });
});
