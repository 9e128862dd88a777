/**
 * recovery: baseline load to measure the baseline p95, then an overload (closed loop with
 * --inflight requests outstanding per session, as in bombing, against the server's default
 * bucket so the overload reaches the queues), then baseline load again. The finding is how long
 * after the overload the 1 s-window p95 was back within 1.2x the baseline (recovery-time.ts).
 */
import { runClosedLoop } from '../closed-loop.js';
import type { RunContext } from '../context.js';
import { RECOVERY_WINDOWS, recoveryMs, recoveryThresholdMs } from '../recovery-time.js';
import type { Tally } from '../tally.js';
import { openMeasured } from './steady.js';
import type { Scenario } from './types.js';

/** Length of the measurement windows after the overload (ms). */
const WINDOW_MS = 1_000;
/** Unmeasured load before the baseline (ms). */
const WARMUP_MS = 1_000;

/** Seconds of baseline load after the overload for a --duration of `d`: twice as long, at least 3 windows. */
export function recoveryPhaseSec(d: number): number {
  return Math.max(3, 2 * d);
}

export const recovery: Scenario = {
  name: 'recovery',
  describe: 'warm-up 1 s, baseline 5 s, overload 5 s, baseline again; time until p95 is back within 1.2x',
  accepts: ['--sessions', '--rate', '--per-session-rate', '--duration', '--ramp-rate', '--inflight'],
  defaults: { sessions: 25, rate: 2_500, durationSec: 5, rampRate: 500, inflight: 64 },
  expectedSec: (s) =>
    s.sessions / s.rampRate + 2 + WARMUP_MS / 1000 + 2 * s.durationSec + recoveryPhaseSec(s.durationSec),
  params: (s) => ({
    sessions: s.sessions,
    ratePerSec: Math.round(s.rate * 100) / 100,
    warmupSec: WARMUP_MS / 1000,
    baselineSec: s.durationSec,
    overloadSec: s.durationSec,
    overloadInflightPerSession: s.inflight,
    recoveryPhaseSec: recoveryPhaseSec(s.durationSec),
    windowMs: WINDOW_MS,
    windowsNeeded: RECOVERY_WINDOWS,
    transport: s.transport,
  }),
  run: runRecovery,
};

async function runRecovery(ctx: RunContext): Promise<void> {
  const s = ctx.settings;
  await openMeasured(ctx, s.sessions);
  if (ctx.aborted) return;

  // Warm-up first: the server's first second (JIT, caches) would inflate the baseline p95.
  ctx.phase = 'warm-up';
  await ctx.openLoop(s.rate, WARMUP_MS);
  await ctx.drain();

  ctx.phase = 'baseline';
  const base = ctx.recorder.beginTally(ctx.now());
  await ctx.openLoop(s.rate, s.durationSec * 1000);
  await ctx.drain();
  ctx.recorder.endTally(base, ctx.now());
  const baselineP95 = base.result(ctx.now()).latencyMs.p95;
  if (ctx.aborted) return;

  ctx.phase = 'overload';
  const over = ctx.recorder.beginTally(ctx.now());
  await runClosedLoop(ctx.pool, ctx.recorder, {
    inflight: s.inflight,
    durationMs: s.durationSec * 1000,
    signal: ctx.signal,
  });
  ctx.recorder.endTally(over, ctx.now());
  if (ctx.aborted) return;

  // Straight back to baseline load, without draining: the overload's backlog is part of what
  // the server recovers from. Windows count from the end of the overload.
  ctx.phase = 'recovering';
  const windows: Tally[] = [ctx.recorder.beginTally(ctx.now())];
  const roll = setInterval(() => {
    const now = ctx.now();
    ctx.recorder.endTally(windows[windows.length - 1] as Tally, now);
    windows.push(ctx.recorder.beginTally(now));
  }, WINDOW_MS);
  try {
    await ctx.openLoop(s.rate, recoveryPhaseSec(s.durationSec) * 1000);
  } finally {
    clearInterval(roll);
    const last = windows[windows.length - 1] as Tally;
    ctx.recorder.endTally(last, ctx.now());
  }
  // The last window is usually partial; only whole windows count.
  const whole = windows.slice(0, -1).map((w) => {
    const r = w.result(ctx.now());
    return r.ok > 0 ? r.latencyMs.p95 : null;
  });
  const threshold = recoveryThresholdMs(baselineP95);
  const ms = recoveryMs(whole, threshold, WINDOW_MS);
  ctx.findings.baselineP95Ms = baselineP95;
  ctx.findings.overloadP95Ms = over.result(ctx.now()).latencyMs.p95;
  ctx.findings.thresholdP95Ms = Math.round(threshold * 1000) / 1000;
  ctx.findings.recoveryMs = ms;
  ctx.findings.recovered = ms !== null;
  if (ms === null) {
    ctx.warn(
      `p95 did not come back within ${ctx.findings.thresholdP95Ms} ms (1.2x the baseline ${baselineP95} ms) ` +
        `for ${RECOVERY_WINDOWS} windows in a row during the ${recoveryPhaseSec(s.durationSec)} s recovery phase`,
    );
  }
  ctx.phase = 'draining';
  await ctx.drain();
}
