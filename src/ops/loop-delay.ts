import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

/** Tick of the event-loop delay monitor in ms. */
const RESOLUTION_MS = 10;

/** A (not yet enabled) event-loop delay histogram; read it with {@link loopLagMs}. */
export function loopDelayMonitor(): IntervalHistogram {
  return monitorEventLoopDelay({ resolution: RESOLUTION_MS });
}

/**
 * A value of {@link loopDelayMonitor}'s histogram (ns) as lag in ms, rounded to 0.01. The
 * histogram records whole intervals between its timer's ticks, so an idle loop reads the
 * resolution itself: it is subtracted to report the lag.
 */
export function loopLagMs(ns: number): number {
  return Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 100) / 100);
}
