import { afterEach, describe, expect, it } from 'vitest';
import { AdmissionControl } from '../../src/core/admission.js';
import { CircuitBreaker } from '../../src/core/breaker.js';
import { TokenBuckets } from '../../src/core/bucket.js';
import { ShardedRegistry } from '../../src/core/registry.js';
import { AdmitCode, Router } from '../../src/core/router.js';
import { QUEUE_FULL, RESTART_TIMES_KEPT, ShardSet } from '../../src/shards/shard-set.js';

const sets: ShardSet[] = [];
afterEach(async () => {
  for (const s of sets.splice(0)) await s.stop();
});

function setup(shards = 8, queueCapacity = 100_000) {
  const registry = new ShardedRegistry({ shards });
  const admission = new AdmissionControl({ shards, maxPerShard: 1_000_000, maxGlobal: 10_000_000 });
  const router = new Router({
    registry,
    buckets: new TokenBuckets({ capacity: 1_000_000, refillPerSec: 1_000_000 }),
    admission,
    breaker: new CircuitBreaker({ failureThreshold: 1_000_000 }),
  });
  const set = new ShardSet({ registry, router, queueCapacity });
  sets.push(set);
  /** handle -> payloads received, as numbers */
  const received = new Map<number, number[]>();
  const addSession = (i: number) => {
    registry.register(`session-${i}`, i);
    received.set(i, []);
    set.attach(i, (p) => received.get(i)?.push((p as Buffer).readUInt32LE(0)));
  };
  return { registry, admission, router, set, received, addSession };
}

const msg = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n, 0);
  return b;
};

async function drained(set: ShardSet): Promise<void> {
  for (let i = 0; i < 2_000 && set.stats().some((s) => s.depth > 0); i++) await new Promise((r) => setImmediate(r));
}

describe('ShardSet', () => {
  it('delivers every accepted message exactly once, in order per session, and releases admission', async () => {
    const { set, received, addSession, admission } = setup();
    await set.start();
    for (let i = 0; i < 32; i++) addSession(i);
    for (let n = 0; n < 100; n++) for (let i = 0; i < 32; i++) expect(set.submit(i, msg(n))).toBe(AdmitCode.OK);
    await drained(set);
    for (let i = 0; i < 32; i++) expect(received.get(i)).toEqual(Array.from({ length: 100 }, (_, n) => n));
    const stats = set.stats();
    expect(stats.reduce((a, s) => a + s.accepted, 0)).toBe(3_200);
    expect(stats.reduce((a, s) => a + s.delivered, 0)).toBe(3_200);
    expect(stats.reduce((a, s) => a + s.sessions, 0)).toBe(32);
    expect(admission.stats().globalDepth).toBe(0);
  });

  it('a destination that queues its next message on every delivery does not starve timers', async () => {
    const { registry, set } = setup();
    await set.start();
    registry.register('pinger', 1);
    let delivered = 0;
    let stop = false;
    // Each delivery queues the next one at once: drains follow each other as microtasks, and
    // only the manager's periodic wait for I/O lets the timer below run.
    set.attach(1, () => {
      delivered++;
      if (!stop) set.submit(1, 'next');
    });
    const timer = new Promise<void>((resolve) =>
      setTimeout(() => {
        stop = true;
        resolve();
      }, 20),
    );
    set.submit(1, 'first');
    await timer;
    await drained(set);
    // The timer ran (the test would hang otherwise), and only at a wait for I/O: after at least
    // one full run of chained drains (64 in a row). No count by time: hosts differ 10x in speed.
    expect(delivered).toBeGreaterThanOrEqual(64);
    const [stats] = set.stats().filter((st) => st.accepted > 0);
    expect(stats).toMatchObject({ accepted: delivered, delivered, depth: 0 });
  });

  it('a crashed manager is restarted alone and continues at the frame it crashed on', async () => {
    const { set, received, addSession, registry } = setup(4);
    await set.start();
    for (let i = 0; i < 16; i++) addSession(i);
    const victim = registry.shardOfHandle(0) as number;
    const before = set.manager(victim);
    const others = [0, 1, 2, 3].filter((s) => s !== victim).map((s) => set.manager(s));
    for (let n = 0; n < 50; n++) for (let i = 0; i < 16; i++) set.submit(i, msg(n));
    before?.crashNext();
    await drained(set);
    await set.supervisor.idle();
    for (let i = 0; i < 16; i++) expect(received.get(i)).toEqual(Array.from({ length: 50 }, (_, n) => n));
    expect(set.manager(victim)).not.toBe(before);
    expect(set.manager(victim)?.running).toBe(true);
    // Only the victim restarted.
    const now = [0, 1, 2, 3].filter((s) => s !== victim).map((s) => set.manager(s));
    for (let k = 0; k < now.length; k++) expect(now[k]).toBe(others[k]);
    expect(set.stats().map((s) => s.restarts)).toEqual([0, 1, 2, 3].map((s) => (s === victim ? 1 : 0)));
    expect(set.restartTimesMs).toHaveLength(1);
  });

  it('chaos: random managers crash under steady load; nothing accepted is lost or duplicated', async () => {
    const { set, received, addSession, admission } = setup(8);
    await set.start();
    const sessions = 64;
    for (let i = 0; i < sessions; i++) addSession(i);
    const sent = new Array<number>(sessions).fill(0);
    let crashes = 0;
    let refused = 0;
    // 60 ticks: each submits a burst for every session; every 3rd tick crashes a random shard.
    for (let tick = 0; tick < 60; tick++) {
      for (let i = 0; i < sessions; i++) {
        for (let k = 0; k < 5; k++) {
          if (set.submit(i, msg(sent[i] as number)) === AdmitCode.OK) sent[i] = (sent[i] as number) + 1;
          else refused++;
        }
      }
      if (tick % 3 === 0) {
        const m = set.manager(Math.floor(Math.random() * set.shards));
        if (m?.running) {
          m.crashNext();
          crashes++;
        }
      }
      await new Promise((r) => setImmediate(r));
    }
    await drained(set);
    await set.supervisor.idle();
    expect(refused).toBe(0);
    for (let i = 0; i < sessions; i++) {
      expect(received.get(i)).toEqual(Array.from({ length: sent[i] as number }, (_, n) => n));
    }
    const stats = set.stats();
    expect(stats.reduce((a, s) => a + s.restarts, 0)).toBe(crashes);
    expect(stats.reduce((a, s) => a + s.delivered, 0)).toBe(sent.reduce((a, b) => a + b, 0));
    expect(set.restartTimesMs).toHaveLength(crashes);
    expect(admission.stats().globalDepth).toBe(0);
    expect(crashes).toBeGreaterThan(10);
  });

  it('counts orphaned frames of a detached session and destination failures; refuses when a queue is full', async () => {
    const { set, addSession, admission, router } = setup(1, 4);
    await set.start();
    addSession(0);
    addSession(1);
    set.attach(1, () => {
      throw new Error('destination broke');
    });
    // Queue capacity 4 (reject at 95 % = 4): the fifth is refused.
    const verdicts = [0, 1, 2, 3, 4].map((n) => set.submit(0, msg(n)));
    expect(verdicts).toEqual([AdmitCode.OK, AdmitCode.OK, AdmitCode.OK, AdmitCode.OK, QUEUE_FULL]);
    set.detach(0);
    await drained(set);
    expect(set.stats()[0]).toMatchObject({
      accepted: 4,
      rejected: 1,
      queueFull: 1,
      orphaned: 4,
      delivered: 0,
      depth: 0,
    });
    expect(admission.stats().globalDepth).toBe(0);
    expect(set.submit(1, msg(9))).toBe(AdmitCode.OK);
    await drained(set);
    expect(set.stats()[0]).toMatchObject({ accepted: 5, failed: 1, delivered: 0, sessions: 1 });
    expect(router.stats().completedFailed).toBe(1);
    expect(admission.stats().globalDepth).toBe(0);
    expect(set.submit(7, msg(1))).toBe(AdmitCode.UNKNOWN_HANDLE);
  });
});

describe('ShardSet refusals', () => {
  it('counts admission refusals on the refusing shard', async () => {
    const registry = new ShardedRegistry({ shards: 2 });
    const router = new Router({
      registry,
      buckets: new TokenBuckets({ capacity: 2, refillPerSec: 1 }),
      admission: new AdmissionControl({ shards: 2 }),
      breaker: new CircuitBreaker(),
    });
    const set = new ShardSet({ registry, router });
    sets.push(set);
    await set.start();
    registry.register('a', 1);
    set.attach(1, () => {});
    const verdicts = [0, 1, 2, 3].map(() => set.submit(1, 'x'));
    expect(verdicts).toEqual([AdmitCode.OK, AdmitCode.OK, AdmitCode.RATE_LIMITED, AdmitCode.RATE_LIMITED]);
    const shard = registry.shardOfHandle(1) as number;
    expect(set.stats()[shard]).toMatchObject({ accepted: 2, rejected: 2 });
  });
});

describe('ShardSet with queue options', () => {
  it('refuses at the configured reject mark', async () => {
    const registry = new ShardedRegistry({ shards: 1 });
    const admission = new AdmissionControl({ shards: 1, maxPerShard: 1_000, maxGlobal: 1_000 });
    const router = new Router({
      registry,
      buckets: new TokenBuckets({ capacity: 1_000, refillPerSec: 1 }),
      admission,
      breaker: new CircuitBreaker(),
    });
    const set = new ShardSet({ registry, router, queueCapacity: 10, queue: { warnAt: 0.2, rejectAt: 0.5 } });
    registry.register('s', 0);
    // Not started: nothing drains, so the queue fills up to its reject mark (5 of 10).
    const verdicts = Array.from({ length: 7 }, (_, n) => set.submit(0, n));
    expect(verdicts.filter((v) => v === AdmitCode.OK)).toHaveLength(5);
    expect(verdicts.slice(5)).toEqual([QUEUE_FULL, QUEUE_FULL]);
    expect(set.stats()[0]).toMatchObject({ accepted: 5, rejected: 2, queueFull: 2 });
  });
});

describe('ShardSet restart times', () => {
  it('keeps only the last RESTART_TIMES_KEPT', async () => {
    const registry = new ShardedRegistry({ shards: 1 });
    const router = new Router({
      registry,
      buckets: new TokenBuckets({ capacity: 1_000_000, refillPerSec: 1_000_000 }),
      admission: new AdmissionControl({ shards: 1, maxPerShard: 1_000_000, maxGlobal: 1_000_000 }),
      breaker: new CircuitBreaker({ failureThreshold: 1_000_000 }),
    });
    const set = new ShardSet({ registry, router, intensity: 10_000 });
    sets.push(set);
    registry.register('s', 0);
    let delivered = 0;
    set.attach(0, () => {
      delivered++;
    });
    await set.start();
    const crashes = RESTART_TIMES_KEPT + 10;
    for (let i = 0; i < crashes; i++) {
      for (let w = 0; w < 100 && !set.manager(0); w++) await new Promise((r) => setImmediate(r));
      set.manager(0)?.crashNext();
      set.submit(0, i);
      await drained(set);
    }
    for (let w = 0; w < 100 && !set.manager(0); w++) await new Promise((r) => setImmediate(r));
    expect(delivered).toBe(crashes);
    expect(set.stats()[0]?.restarts).toBe(crashes);
    expect(set.restartTimesMs).toHaveLength(RESTART_TIMES_KEPT);
  });

  it('a shared handle stays attached until the last of its holders in this set detaches', async () => {
    const { set, registry } = setup(1);
    await set.start();
    registry.register('principal:p', 3);
    const got: number[] = [];
    set.attachShared(3, (p) => got.push((p as Buffer).readUInt32LE(0)));
    set.attachShared(3, () => {
      throw new Error('the first destination stays');
    });
    expect(set.stats()[0]?.sessions).toBe(1);
    set.detachShared(3);
    expect(set.submit(3, msg(1))).toBe(AdmitCode.OK);
    await drained(set);
    expect(got).toEqual([1]);
    set.detachShared(3);
    expect(set.stats()[0]?.sessions).toBe(0);
    expect(set.submit(3, msg(2))).toBe(AdmitCode.OK);
    await drained(set);
    expect(got).toEqual([1]);
    expect(set.stats()[0]).toMatchObject({ orphaned: 1 });
    // More detaches than attaches change nothing.
    set.detachShared(3);
    expect(set.stats()[0]?.sessions).toBe(0);
  });
});
