import { describe, expect, it } from 'vitest';
import { Recorder } from '../../src/load/recorder.js';

describe('Recorder', () => {
  it('counts every outcome and keeps sent = ok + errors + outstanding', () => {
    const r = new Recorder(0);
    for (let i = 0; i < 10; i++) r.recordSent();
    for (let i = 0; i < 6; i++) r.recordOk(1_000 * (i + 1));
    r.recordError('rate_limited', 300);
    r.recordError('transport');
    r.recordDuplicate();
    r.recordUnsent(3);
    r.recordUnsent(2, true);
    expect(r.sent).toBe(10);
    expect(r.ok).toBe(6);
    expect(r.errors).toEqual({
      rate_limited: 1,
      overloaded: 0,
      circuit_open: 0,
      timeout: 0,
      transport: 1,
      protocol: 0,
    });
    expect(r.errorCount).toBe(2);
    expect(r.outstanding).toBe(2);
    expect(r.duplicated).toBe(1);
    expect(r.unsent).toBe(3);
    expect(r.unsentBehind).toBe(2);
  });

  it('keeps ok and error latency apart, in ordered ms blocks', () => {
    const r = new Recorder(0);
    for (let us = 1_000; us <= 100_000; us += 1_000) r.recordOk(us);
    r.recordError('overloaded', 250);
    r.recordError('timeout');
    const ok = r.okLatency();
    expect(ok.count).toBe(100);
    expect(ok.p50).toBeCloseTo(50, 0);
    expect(ok.max).toBeCloseTo(100, 0);
    expect(ok.p50 <= ok.p95 && ok.p95 <= ok.p99 && ok.p99 <= ok.p999 && ok.p999 <= ok.max).toBe(true);
    const err = r.errorLatency();
    expect(err?.count).toBe(1);
    expect(err?.max).toBeCloseTo(0.25, 2);
    expect(new Recorder(0).errorLatency()).toBeNull();
    expect(new Recorder(0).okLatency()).toEqual({ p50: 0, p95: 0, p99: 0, p999: 0, max: 0, mean: 0, count: 0 });
  });

  it('rolls 1 s windows with per-second rates, their own percentiles and strictly increasing t', () => {
    const r = new Recorder(1_000);
    for (let i = 0; i < 50; i++) r.recordSent();
    for (let i = 0; i < 40; i++) r.recordOk(2_000);
    r.recordError('protocol', 10);
    const w1 = r.roll(3_000, 7, { memoryMb: 80, eventLoopP99Ms: 3 });
    expect(w1).toEqual({
      t: 2,
      sessions: 7,
      sentPerSec: 25,
      okPerSec: 20,
      errorsPerSec: 0.5,
      p50Ms: 2,
      p95Ms: 2,
      p99Ms: 2,
      serverMemoryMb: 80,
      serverEventLoopP99Ms: 3,
    });
    const w2 = r.roll(4_000, 7, null);
    expect(w2).toMatchObject({
      t: 3,
      sentPerSec: 0,
      okPerSec: 0,
      p50Ms: null,
      p95Ms: null,
      p99Ms: null,
      serverMemoryMb: null,
    });
    // A tail shorter than 200 ms is not a window.
    expect(r.roll(4_100, 7, null)).toBeUndefined();
    expect(r.timeline.map((p) => p.t)).toEqual([2, 3]);
  });

  it('feeds open tallies besides its totals', () => {
    const r = new Recorder(0);
    r.recordSent();
    r.recordOk(1_000);
    const t = r.beginTally(100);
    r.recordSent();
    r.recordSent();
    r.recordOk(5_000);
    r.recordError('overloaded', 100);
    r.recordUnsent(4);
    r.endTally(t, 600);
    r.recordSent();
    r.recordOk(9_000);
    const res = t.result(10_000);
    expect(res).toMatchObject({ sent: 2, ok: 1, errors: 1, unsent: 4, seconds: 0.5, okPerSec: 2 });
    // Its answers came in (at real time) long after it opened at 100 ms.
    expect(res.activeSeconds).toBeGreaterThan(0);
    expect(res.latencyMs.max).toBeCloseTo(5, 1);
    expect(r.sent).toBe(4);
  });

  it('averages the offered rate over the load phases and the achieved one until their last answers', async () => {
    const r = new Recorder(0);
    expect(r.offeredPerSec).toBe(0);
    expect(r.achievedPerSec).toBe(0);
    const t = performance.now();
    r.beginLoad(t - 3_000);
    r.endLoad(t - 1_000, 1_000);
    r.beginLoad(t - 1_000);
    r.endLoad(t, 2_000);
    expect(r.loadSeconds).toBeCloseTo(3, 6);
    expect(r.offeredPerSec).toBeCloseTo(1_000, 6);
    expect(r.measuredSeconds).toBeCloseTo(3, 6);
    // Answers after the last send stretch the measured window: the server was behind.
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (let i = 0; i < 1_500; i++) r.recordOk(100);
    expect(r.measuredSeconds).toBeGreaterThan(3.04);
    expect(r.achievedPerSec).toBeLessThan(1_500 / 3.04);
    expect(r.achievedPerSec).toBeGreaterThan(1_500 / 4);
  });
});
