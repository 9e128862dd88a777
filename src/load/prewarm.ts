/**
 * A short unmeasured run before the scenario: a fresh server compiles its hot paths during its
 * first second of traffic, and that cost would otherwise land in the first windows (a flood
 * "crossing" 50 ms at its first sessions) and in the memory baseline of per-session figures.
 * It uses its own recorder and sessions, all closed before the scenario starts.
 */
import { performance } from 'node:perf_hooks';
import { OpenLoopDriver } from './open-loop.js';
import { type PoolOptions, SessionPool } from './pool.js';
import { Recorder } from './recorder.js';
import { sleep } from './sleep.js';

/** Sessions, seconds and total rate of the warm-up. */
export const PREWARM = { sessions: 10, seconds: 1, ratePerSec: 1_000 } as const;
/** Quiet time after the warm-up sessions close, so the server has released them (ms). */
const SETTLE_MS = 300;

/** Runs the warm-up against the pool's target; never throws (the scenario reports an unreachable target). */
export async function prewarm(options: Omit<PoolOptions, 'recorder'>, signal: AbortSignal): Promise<void> {
  const recorder = new Recorder(performance.now());
  const pool = new SessionPool({ ...options, recorder });
  try {
    await pool.grow(PREWARM.sessions, {
      rampRate: Number.POSITIVE_INFINITY,
      deadline: performance.now() + options.timeoutMs,
      signal,
    });
    if (pool.established === 0 || signal.aborted) return;
    const driver = new OpenLoopDriver(pool, recorder, { rate: PREWARM.ratePerSec, inflightCap: 64 });
    await driver.run(PREWARM.seconds * 1000, signal);
    const until = performance.now() + options.timeoutMs;
    while (pool.inflight() > 0 && performance.now() < until && !signal.aborted) await sleep(10);
  } finally {
    pool.abandonAll();
    await pool.closeAll(performance.now() + Math.min(options.timeoutMs, 5_000));
    await sleep(SETTLE_MS, signal);
  }
}
