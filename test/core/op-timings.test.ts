import { describe, expect, it } from 'vitest';
import { AdmissionControl } from '../../src/core/admission.js';
import { CircuitBreaker } from '../../src/core/breaker.js';
import { TokenBuckets } from '../../src/core/bucket.js';
import { OperationTimings } from '../../src/core/op-timings.js';
import { ShardedRegistry } from '../../src/core/registry.js';
import { Router } from '../../src/core/router.js';

function router() {
  const registry = new ShardedRegistry({ shards: 4 });
  const admission = new AdmissionControl({ shards: 4, maxPerShard: 10, maxGlobal: 100 });
  const breaker = new CircuitBreaker();
  const r = new Router({ registry, buckets: new TokenBuckets({ capacity: 100, refillPerSec: 1 }), admission, breaker });
  registry.register('s', 7);
  return { r, admission, breaker, shard: registry.shardOfHandle(7) as number };
}

describe('OperationTimings', () => {
  it('counts per operation, outcome and bucket, upper bounds inclusive', () => {
    const { r, admission, shard } = router();
    const t = new OperationTimings(3, [100, 1_000]);
    const record = (op: number, us: number, ok: boolean) => {
      expect(r.admit(7)).toBe(0);
      r.completeTimed(shard, true, us, t, op, ok);
    };
    record(0, 50, true);
    record(0, 100, true);
    record(0, 101, true);
    record(0, 5_000, false);
    record(2, 999, true);
    record(9, 1, true); // beyond the table: counted as the last operation
    expect(admission.stats().globalDepth).toBe(0);
    const s = t.snapshot();
    expect(s).toHaveLength(6);
    expect(s[0]).toEqual({ op: 0, ok: true, counts: [2, 1, 0], sumUs: 251, count: 3 });
    expect(s[1]).toEqual({ op: 0, ok: false, counts: [0, 0, 1], sumUs: 5_000, count: 1 });
    expect(s[2]).toEqual({ op: 1, ok: true, counts: [0, 0, 0], sumUs: 0, count: 0 });
    expect(s[4]).toEqual({ op: 2, ok: true, counts: [1, 1, 0], sumUs: 1_000, count: 2 });
  });

  it('the breaker sees `success`, the timings see `opOk`', () => {
    const { r, breaker, shard } = router();
    const t = new OperationTimings(1, [10]);
    for (let i = 0; i < 5; i++) {
      r.admit(7);
      r.completeTimed(shard, true, 1, t, 0, false); // answered with an error the caller caused
    }
    expect(breaker.state).toBe('closed');
    expect(t.snapshot()[1]?.count).toBe(5);
  });

  it('rejects bad shapes with ERR_INVALID_ARG', () => {
    expect(() => new OperationTimings(0, [1])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    expect(() => new OperationTimings(1, [])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    expect(() => new OperationTimings(1, [5, 5])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    expect(() => new OperationTimings(1, [1.5])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
  });
});

describe('OperationTimings.open(name)', () => {
  it('opens one table per name: same counters, other shapes refused, forget starts afresh', () => {
    const { r, shard } = router();
    const name = `ot-${process.pid}`;
    const a = OperationTimings.open(name, 2, [10, 100]);
    const b = OperationTimings.open(name, 2, [10, 100]);
    expect(a.id).not.toBe(b.id);
    expect(r.admit(7)).toBe(0);
    r.completeTimed(shard, true, 50, a, 1, true);
    expect(b.snapshot()[2]).toEqual({ op: 1, ok: true, counts: [0, 1, 0], sumUs: 50, count: 1 });
    for (const [ops, bounds] of [
      [3, [10, 100]],
      [2, [10, 200]],
      [2, [10]],
    ] as const) {
      expect(() => OperationTimings.open(name, ops, bounds)).toThrow(
        expect.objectContaining({ code: 'ERR_OPTIONS_MISMATCH' }),
      );
    }
    // A private table of the same shape shares nothing.
    expect(new OperationTimings(2, [10, 100]).snapshot()[2]?.count).toBe(0);
    expect(OperationTimings.forget(name)).toBe(true);
    expect(OperationTimings.forget(name)).toBe(false);
    expect(a.snapshot()[2]?.count).toBe(1);
    expect(OperationTimings.open(name, 2, [10, 100]).snapshot()[2]?.count).toBe(0);
    OperationTimings.forget(name);
  });

  it('checks the name and the shape before opening anything', () => {
    for (const name of ['', 5 as unknown as string]) {
      expect(() => OperationTimings.open(name, 1, [1])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    }
    const name = `ot-bad-${process.pid}`;
    expect(() => OperationTimings.open(name, 0, [1])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    expect(() => OperationTimings.open(name, 1, [5, 5])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    expect(OperationTimings.forget(name)).toBe(false);
  });
});
