import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { ConnectionLimiter, Gate, OPERATION_METHODS, OperationTimings } from '../../src/index.js';

// Workers load the compiled package (dist/): build it first (`npm run build`). The main thread
// runs the sources; both load the same addon, so they share its process-global instances.
function run<T>(workerData: Record<string, unknown>): Promise<T> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./fixtures/named-worker.mjs', import.meta.url), { workerData });
    w.once('message', resolve);
    w.once('error', reject);
    w.once('exit', (code) => code !== 0 && reject(new Error(`named-worker exited with ${code}`)));
  });
}

const unique = (prefix: string) => `${prefix}-${process.pid}-${Math.random().toString(36).slice(2)}`;

describe('ConnectionLimiter.open(name): one limit for every worker thread', () => {
  it('4 workers acquiring and releasing at once never pass max, end at 0, count every refusal', async () => {
    interface Report {
      acquired: number;
      refused: number;
      overMax: number;
      countAfter: number;
      refusedAfter: number;
      shared: boolean;
    }
    const name = unique('lim');
    const workers = 4;
    const max = 8;
    const iterations = 20_000;
    const barrier = new SharedArrayBuffer(16);
    const reports = await Promise.all(
      Array.from({ length: workers }, () => run<Report>({ mode: 'limiter', name, workers, barrier, max, iterations })),
    );
    const acquired = reports.reduce((n, r) => n + r.acquired, 0);
    const refused = reports.reduce((n, r) => n + r.refused, 0);
    let attempts = 0;
    for (let i = 0; i < iterations; i++) attempts += 1 + (i % 3);
    expect(acquired + refused).toBe(workers * attempts);
    // The limit was really contended, and held: no worker ever saw more than max slots taken.
    expect(refused).toBeGreaterThan(0);
    expect(reports.every((r) => r.shared && r.overMax === 0)).toBe(true);
    const peak = new Int32Array(barrier)[3] as number;
    expect(peak).toBeLessThanOrEqual(max);
    for (const r of reports) expect([r.countAfter, r.refusedAfter]).toEqual([0, refused]);

    // The main thread opens the same limiter: same counts; another max is refused.
    const lim = ConnectionLimiter.open(name, max);
    expect([lim.count, lim.refused, lim.max]).toEqual([0, refused, max]);
    expect(() => ConnectionLimiter.open(name, max + 1)).toThrow(
      expect.objectContaining({ code: 'ERR_OPTIONS_MISMATCH' }),
    );
    expect(ConnectionLimiter.forget(name)).toBe(true);
  });
});

describe('Gate.open(name).timings: one OperationTimings for every worker thread', () => {
  it('4 workers recording at once: every duration counted once, under its method and outcome', async () => {
    const name = unique('tim');
    const workers = 4;
    const iterations = 10_000;
    const options = { bucket: { capacity: 1_000_000, refillPerSec: 1 } };
    const barrier = new SharedArrayBuffer(16);
    const reports = await Promise.all(
      Array.from({ length: workers }, (_, index) =>
        run<{ notAdmitted: number; total: number }>({
          mode: 'timings',
          name,
          workers,
          barrier,
          iterations,
          options,
          index,
        }),
      ),
    );
    expect(reports.every((r) => r.notAdmitted === 0)).toBe(true);
    // Each worker read the totals after all had finished: the whole process's requests.
    for (const r of reports) expect(r.total).toBe(workers * iterations);

    // Expected per (method, outcome): what each worker recorded, times four.
    const ops = OPERATION_METHODS.length;
    const want = new Map<string, { count: number; sumUs: number }>();
    for (let i = 0; i < iterations; i++) {
      const key = `${OPERATION_METHODS[i % ops]}/${i % 5 !== 0}`;
      const e = want.get(key) ?? { count: 0, sumUs: 0 };
      e.count += workers;
      e.sumUs += workers * (i % 1_000);
      want.set(key, e);
    }
    const gate = Gate.open(name, options);
    expect(gate.timings.ops).toBe(ops);
    for (const s of gate.operationDurations().series) {
      const e = want.get(`${s.method}/${s.ok}`) ?? { count: 0, sumUs: 0 };
      expect([s.method, s.ok, s.count, Math.round(s.sumSeconds * 1e6)]).toEqual([s.method, s.ok, e.count, e.sumUs]);
    }
    // The same counters under their own name.
    const direct = OperationTimings.open(`${name}:timings`, gate.timings.ops, gate.timings.boundsUs);
    expect(direct.snapshot()).toEqual(gate.timings.snapshot());
    Gate.forget(name);
    expect(OperationTimings.forget(`${name}:timings`)).toBe(false);
  });
});
