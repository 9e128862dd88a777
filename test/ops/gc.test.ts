import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { GcSampler } from '../../src/ops/gc.js';

const samplers: GcSampler[] = [];
afterEach(() => {
  for (const s of samplers.splice(0)) s.stop();
});

/** A full collection on demand: V8 hands out `gc` to contexts created after --expose-gc. */
function forceGc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

describe('GcSampler', () => {
  it('sums the pauses of a window, keeps the longest, and starts a new window at each take', () => {
    const s = new GcSampler();
    s.record(1.5);
    s.record(4);
    s.record(0.5);
    expect(s.take()).toEqual({ count: 3, totalMs: 6, maxMs: 4 });
    expect(s.take()).toEqual({ count: 0, totalMs: 0, maxMs: 0 });
    s.record(2);
    expect(s.take()).toEqual({ count: 1, totalMs: 2, maxMs: 2 });
  });

  it('observes real collections through the gc performance entries', async () => {
    const s = new GcSampler();
    samplers.push(s);
    s.start();
    s.start(); // idempotent: one observer, so nothing is counted twice
    let seen = { count: 0, totalMs: 0, maxMs: 0 };
    for (let i = 0; i < 100 && seen.count === 0; i++) {
      forceGc();
      await new Promise((r) => setTimeout(r, 10));
      seen = s.take();
    }
    expect(seen.count).toBeGreaterThanOrEqual(1);
    expect(seen.totalMs).toBeGreaterThan(0);
    expect(seen.maxMs).toBeGreaterThan(0);
    expect(seen.maxMs).toBeLessThanOrEqual(seen.totalMs);
  });

  it('sees nothing once stopped', async () => {
    const s = new GcSampler();
    s.start();
    s.stop();
    s.take();
    forceGc();
    await new Promise((r) => setTimeout(r, 20));
    expect(s.take()).toEqual({ count: 0, totalMs: 0, maxMs: 0 });
  });
});
