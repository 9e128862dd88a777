/**
 * Closed-loop load (bombing): every open session keeps `inflight` requests outstanding, each
 * answer immediately sending the next, so the offered rate is whatever the server answers.
 * What was demanded is reported separately from what was sent.
 */
import { performance } from 'node:perf_hooks';
import type { SessionPool } from './pool.js';
import type { Recorder } from './recorder.js';
import type { LoadSession } from './session.js';
import { sleep } from './sleep.js';

/**
 * Runs closed-loop load on `pool` for `durationMs`. `demandedPerSec` is the total rate asked
 * for (bombing's 10,000 per session); without it the phase asked for exactly what it sent.
 */
export async function runClosedLoop(
  pool: SessionPool,
  recorder: Recorder,
  options: { inflight: number; durationMs: number; demandedPerSec?: number; signal?: AbortSignal },
): Promise<void> {
  const k = options.inflight;
  let running = true;
  const refill = (s: LoadSession) => {
    if (running && s.state === 'open' && s.inflight < k) s.send(performance.now());
  };
  const previous = pool.hooks.onSettled;
  pool.hooks.onSettled = refill;
  const start = performance.now();
  recorder.beginLoad(start);
  const sentBefore = recorder.sent;
  for (const s of pool.sessions) {
    for (let i = s.inflight; i < k && s.state === 'open'; i++) s.send(start);
  }
  await sleep(options.durationMs, options.signal);
  running = false;
  pool.hooks.onSettled = previous;
  const end = performance.now();
  const demanded = options.demandedPerSec;
  recorder.endLoad(end, demanded === undefined ? recorder.sent - sentBefore : (demanded * (end - start)) / 1000);
}
