import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../src/index.js';
import { expectCode } from '../helpers.js';

describe('LatencyHistogram', () => {
  it('records microseconds and reports percentiles within its precision', () => {
    const h = new LatencyHistogram();
    for (let v = 1; v <= 1000; v++) h.record(v);
    const s = h.snapshot();
    expect(s.count).toBe(1000);
    expect(s.min).toBe(1);
    expect(s.max).toBe(1000);
    expect(s.mean).toBeCloseTo(500.5, 0);
    expect(s.p50).toBe(500);
    expect(s.p99).toBe(990);
    expect(h.percentile(100)).toBe(1000);
    expect(h.percentiles([0, 50, 90])).toEqual([1, 500, 900]);
    expect(s.p50 <= s.p90 && s.p90 <= s.p95 && s.p95 <= s.p99 && s.p99 <= s.p999).toBe(true);
  });

  it('recordMany, merge and reset', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    a.recordMany([10, 20, 30]);
    b.recordMany(new Float64Array([40, 50]));
    a.merge(b);
    expect(a.count).toBe(5);
    expect(a.snapshot().max).toBe(50);
    expect(b.count).toBe(2);
    a.reset();
    expect(a.count).toBe(0);
  });

  it('clamps values above highestUs and rejects bad input', () => {
    const h = new LatencyHistogram({ highestUs: 1000 });
    h.record(5000);
    expect(h.snapshot().max).toBeLessThanOrEqual(1000);
    expect(h.count).toBe(1);
    expectCode(() => h.record(-1), 'ERR_INVALID_ARG');
    expectCode(() => h.percentile(101), 'ERR_INVALID_ARG');
    expectCode(() => new LatencyHistogram({ sigfig: 6 }), 'ERR_INVALID_ARG');
  });
});
