/**
 * Histogram snapshots (microseconds) as the report's latency blocks (milliseconds).
 * HdrHistogram answers a percentile with the highest value of its bucket, which can exceed the
 * largest value actually recorded; the blocks clamp to that maximum so the order
 * p50 <= p95 <= p99 <= p99.9 <= max always holds.
 */
import type { HistogramSnapshot } from '../core/histogram.js';
import type { LatencySummaryMs, StepLatencyMs } from './report.js';

/** µs to ms with 3 decimals (1 µs resolution, the histogram's own). */
export function usToMs(us: number): number {
  return Math.round(us) / 1000;
}

/** The ordered percentile block of `s`; all zeros when it holds nothing. */
export function percentilesMs(s: HistogramSnapshot): StepLatencyMs {
  if (s.count === 0) return { p50: 0, p95: 0, p99: 0, p999: 0, max: 0 };
  const max = usToMs(s.max);
  const p999 = Math.min(usToMs(s.p999), max);
  const p99 = Math.min(usToMs(s.p99), p999);
  const p95 = Math.min(usToMs(s.p95), p99);
  const p50 = Math.min(usToMs(s.p50), p95);
  return { p50, p95, p99, p999, max };
}

/** The whole-run block of `s`: percentiles, mean and count. */
export function summaryMs(s: HistogramSnapshot): LatencySummaryMs {
  return { ...percentilesMs(s), mean: s.count === 0 ? 0 : usToMs(s.mean), count: s.count };
}
