import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { AdmitCode, Gate } from '../../src/index.js';

// Workers load the compiled package (dist/): build it first (`npm run build`). The main thread
// runs the sources; both load the same addon, so they share its process-global instances.
interface WorkerResult {
  handles: number[];
  sessionsOpen: number;
  sessionsClosed: number;
  principal: { handle: number; first: boolean };
  holders: number;
  admits: { ok: number; limited: number; other: number };
  lastRelease: boolean;
  holdersAfter: number;
  sessionsAfterPrincipal: number;
  failuresToTrip?: number;
  breakerState: string;
  verdictAfterTrip: number;
}

function run(workerData: Record<string, unknown>): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('../fixtures/gate-worker.mjs', import.meta.url), { workerData });
    w.once('message', resolve);
    w.once('error', reject);
    w.once('exit', (code) => code !== 0 && reject(new Error(`gate-worker exited with ${code}`)));
  });
}

describe('Gate.open(name): one process-wide gate for every worker thread', () => {
  it('shares handles, session count, principal tickets, buckets and the breaker', async () => {
    const name = `t-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const options = { bucket: { capacity: 100, refillPerSec: 1 } };
    const workers = 4;
    const sessions = 1_000;
    const barrier = new SharedArrayBuffer(8);
    const results = await Promise.all(
      Array.from({ length: workers }, (_, index) =>
        run({ name, index, workers, barrier, sessions, options, attempts: 1_000 }),
      ),
    );

    // (a) 4,000 sessions opened at once: distinct handles, an exact count, back to 0.
    const handles = results.flatMap((r) => r.handles);
    expect(handles).toHaveLength(workers * sessions);
    expect(new Set(handles).size).toBe(workers * sessions);
    // Dense: the allocator never went past the number live at once.
    expect(Math.max(...handles)).toBe(workers * sessions - 1);
    for (const r of results) expect([r.sessionsOpen, r.sessionsClosed]).toEqual([workers * sessions, 0]);

    // (b) one ticket, one holder count, one bucket of 100 tokens across the workers.
    expect(new Set(results.map((r) => r.principal.handle)).size).toBe(1);
    expect(results.filter((r) => r.principal.first)).toHaveLength(1);
    for (const r of results) expect(r.holders).toBe(workers);
    const admitted = results.reduce((n, r) => n + r.admits.ok, 0);
    const limited = results.reduce((n, r) => n + r.admits.limited, 0);
    expect(admitted).toBe(100);
    expect(limited).toBe(workers * 1_000 - 100);
    expect(results.every((r) => r.admits.other === 0)).toBe(true);
    expect(results.filter((r) => r.lastRelease)).toHaveLength(1);
    for (const r of results) expect([r.holdersAfter, r.sessionsAfterPrincipal]).toEqual([0, 0]);

    // (c) tripped in worker 0 (5 consecutive failures by default), open in all of them.
    expect(results[0]?.failuresToTrip).toBe(5);
    for (const r of results) {
      expect(r.breakerState).toBe('open');
      expect(r.verdictAfterTrip).toBe(AdmitCode.CIRCUIT_OPEN);
    }

    // The main thread opens the same gate: same state; other native options are refused.
    const gate = Gate.open(name, options);
    expect(gate.sessions).toBe(0);
    expect(gate.breaker.state).toBe('open');
    expect(gate.router.stats().verdicts.rate_limited).toBe(workers * 1_000 - 100);
    expect(() => Gate.open(name, { bucket: { capacity: 5 } })).toThrow(
      expect.objectContaining({ code: 'ERR_OPTIONS_MISMATCH' }),
    );
    Gate.forget(name);
  });

  it('a private gate (new Gate) shares nothing with a named one', () => {
    const name = `p-${process.pid}`;
    const shared = Gate.open(name);
    const own = new Gate();
    const a = shared.open('s');
    const b = own.open('s');
    expect([a.handle, b.handle]).toEqual([0, 0]);
    expect([shared.sessions, own.sessions]).toEqual([1, 1]);
    expect(Gate.open(name).sessions).toBe(1);
    shared.close('s', a);
    expect([shared.sessions, own.sessions]).toEqual([0, 1]);
    Gate.forget(name);
  });

  it("a reused handle starts with a fresh default bucket, not its last owner's", () => {
    const gate = new Gate({ bucket: { capacity: 2, refillPerSec: 1 }, principalBuckets: { vip: { capacity: 50 } } });
    const { ticket, first } = gate.acquirePrincipal('vip');
    expect(first).toBe(true);
    expect(gate.buckets.consume(ticket.handle, 1)).toBe(49);
    expect(gate.releasePrincipal('vip')).toBe(true);
    expect(gate.sessions).toBe(0);
    const next = gate.open('plain');
    expect(next.handle).toBe(ticket.handle);
    expect(gate.buckets.consume(next.handle, 1)).toBe(1);
    expect(gate.registry.allocated).toBe(1);
  });
});
