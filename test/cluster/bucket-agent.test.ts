// The gate's hook (meters and shares), and the bucket agent (src/cluster/buckets/agent.ts) of
// two nodes in one process, each with its own Gate, against a real private Redis, ticked by
// hand: epochs advance only once both have acknowledged, a principal's share follows its demand
// in two epochs and lands in the native bucket (capacity probed exactly: retryAfterMs refuses n
// above it), Redis killed keeps the last shares, and a Redis restarted empty gets the leader's
// last allocation back.
import { createClient } from '@redis/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClusterBuckets } from '../../src/cluster/buckets/agent.js';
import type { ClusterNode, ClusterView } from '../../src/cluster/membership.js';
import { Gate, type GateTicket } from '../../src/mcp/gate.js';
import { createLogger } from '../../src/ops/logger.js';
import { killRedis, type PrivateRedis, startRedis } from './redis-server.js';

const log = createLogger('silent');
const node = (id: string): ClusterNode => ({
  id,
  advertise: `http://${id}`,
  started_at: 0,
  load: { connections: 0, sessions: 0, requests_per_sec: 0, workers: 1 },
  last_beat_ms: 0,
  self: false,
});
const viewOf = (self: string, leader: boolean): ClusterView => ({
  node: self,
  role: leader ? 'leader' : 'member',
  state: 'ok',
  redis: 'up',
  stale: false,
  last_beat_ms: 0,
  heartbeat_ms: 400,
  dead_after_ms: 1200,
  nodes: [node('a'), node('b')],
});

/** The capacity of `ticket`'s native bucket: retryAfterMs throws for n above it. */
function capacityOf(gate: Gate, ticket: GateTicket): number {
  let n = 1;
  for (;;) {
    try {
      gate.buckets.retryAfterMs(ticket.handle, n + 1);
    } catch {
      return n;
    }
    n++;
  }
}

const agents: ClusterBuckets[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

describe("the gate's hook for shares", () => {
  it('meters clustered principals per thread and applies shares to the ones it holds', () => {
    const gate = new Gate({ bucket: { capacity: 20, refillPerSec: 20 } });
    gate.setPrincipalShares(() => ({ capacity: 5, refillPerSec: 5 }));
    const one = gate.acquirePrincipal('p', true).ticket;
    const two = gate.acquirePrincipal('p', true).ticket;
    expect(two.meter).toBe(one.meter);
    expect(one.meter).toEqual({ demand: 0, holders: 2 });
    expect(capacityOf(gate, one)).toBe(5);
    (one.meter as { demand: number }).demand += 3;
    expect(gate.takeDemand()).toEqual(new Map([['p', 3]]));
    expect(gate.takeDemand()).toEqual(new Map());
    // Applied at once to what this thread holds; undefined: back to the whole bucket.
    gate.setPrincipalShares(() => ({ capacity: 7, refillPerSec: 7 }));
    expect(capacityOf(gate, one)).toBe(7);
    gate.setPrincipalShares(undefined);
    expect(capacityOf(gate, one)).toBe(20);
    // Not clustered (an address-keyed channel): no meter, the whole bucket.
    const anon = gate.acquirePrincipal('client:1:127.0.0.1').ticket;
    expect(anon.meter).toBeUndefined();
    // Released by both holders: the demand counted before goes out once, then the meter goes.
    (one.meter as { demand: number }).demand += 2;
    expect(gate.releasePrincipal('p')).toBe(false);
    expect(gate.releasePrincipal('p')).toBe(true);
    expect(gate.takeDemand()).toEqual(new Map([['p', 2]]));
    expect(gate.acquirePrincipal('p', true).ticket.meter).not.toBe(one.meter);
  });
});

describe('the cluster bucket agent', { timeout: 60_000 }, () => {
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => killRedis());

  it('moves a share to the demand in acknowledged epochs and keeps it while Redis is away', async () => {
    const prefix = `agent${Date.now()}`;
    const ga = new Gate({ bucket: { capacity: 20, refillPerSec: 20 } });
    const gb = new Gate({ bucket: { capacity: 20, refillPerSec: 20 } });
    const agent = (gate: Gate, id: string, leader: boolean) => {
      const x = new ClusterBuckets({
        gate,
        redis: redis.url,
        keyPrefix: prefix,
        nodeId: id,
        worker: 0,
        // Ticked by hand: the timer never fires within the test.
        intervalMs: 600_000,
        reportTtlMs: 600_000,
        view: () => viewOf(id, leader),
        logger: log,
      });
      agents.push(x);
      return x;
    };
    const A = agent(ga, 'a', true);
    const B = agent(gb, 'b', false);
    await A.start();
    // b has not reported yet: no epoch.
    expect(A.allocation).toBeUndefined();
    await B.start();
    await A.tick();
    await A.tick();
    expect(A.allocation).toMatchObject({ epoch: 1, nodes: ['a', 'b'], shares: {} });

    const ta = ga.acquirePrincipal('p', true).ticket;
    const tb = gb.acquirePrincipal('p', true).ticket;
    // Unlisted: the even split of 20 over two nodes.
    expect(capacityOf(ga, ta)).toBe(10);
    expect(capacityOf(gb, tb)).toBe(10);
    // A principal that is not clustered (an address-keyed channel) keeps the whole bucket.
    expect(capacityOf(ga, ga.acquirePrincipal('client:1:127.0.0.1').ticket)).toBe(20);

    const demand = (n: number) => {
      (ta.meter as { demand: number }).demand += n;
    };
    // a's demand; b has not acknowledged epoch 1 yet, so a's tick cannot advance.
    demand(30);
    await A.tick();
    expect(A.allocation?.epoch).toBe(1);
    await B.tick();
    demand(30);
    await A.tick();
    // One step: b lowered at once, a not raised yet (nothing was free).
    const redisClient = createClient({ url: redis.url });
    await redisClient.connect();
    const stored = async () => JSON.parse((await redisClient.get(`${prefix}:buckets:allocation`)) ?? 'null');
    expect((await stored()).shares).toEqual({
      p: [
        [10, 1],
        [10, 1],
      ],
    });
    await B.tick();
    expect(capacityOf(gb, tb)).toBe(1);
    demand(30);
    await A.tick();
    expect((await stored()).shares).toEqual({
      p: [
        [19, 1],
        [19, 1],
      ],
    });
    demand(30);
    await A.tick();
    expect(capacityOf(ga, ta)).toBe(19);
    const last = A.allocation;
    expect(last?.epoch).toBe(3);
    await redisClient.close();

    // Redis away: the ticks fail quietly, the shares stay.
    await redis.kill();
    demand(30);
    await A.tick();
    await B.tick();
    expect(capacityOf(ga, ta)).toBe(19);
    expect(capacityOf(gb, tb)).toBe(1);

    // Back, empty: the leader writes its last allocation back, unchanged.
    await redis.restart();
    const again = createClient({ url: redis.url });
    await again.connect();
    try {
      const deadline = Date.now() + 15_000;
      while ((await again.get(`${prefix}:buckets:allocation`)) === null) {
        if (Date.now() > deadline) throw new Error('the allocation was not written back');
        await new Promise((r) => setTimeout(r, 100));
        await A.tick();
      }
      expect(JSON.parse((await again.get(`${prefix}:buckets:allocation`)) as string)).toEqual(last);
      expect(capacityOf(ga, ta)).toBe(19);
    } finally {
      await again.close();
    }
  });
});
