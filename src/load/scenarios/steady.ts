/**
 * Steady open-loop load, the building block of custom, baseline and chaos: open the sessions,
 * measure their memory, run the rate for the duration, drain.
 */
import type { RunContext } from '../context.js';
import type { LoadSettings } from '../settings.js';

/** Seconds a steady run takes: ramp, memory settle, load, drain margin. */
export function steadyExpectedSec(s: LoadSettings): number {
  return s.sessions / s.rampRate + 2 + s.durationSec;
}

/** Parameters of a steady run. */
export function steadyParams(s: LoadSettings): Record<string, number | string | boolean> {
  return {
    sessions: s.sessions,
    ratePerSec: round(s.rate),
    perSessionRatePerSec: round(s.perSessionRate),
    durationSec: s.durationSec,
    rampRatePerSec: s.rampRate,
    inflightCap: s.inflight,
    transport: s.transport,
    timeoutMs: s.timeoutMs,
  };
}

/** Opens `s.sessions` sessions and measures server memory per session (when /health is there). */
export async function openMeasured(ctx: RunContext, sessions: number): Promise<void> {
  ctx.phase = `opening ${sessions} sessions`;
  const before = await ctx.sample();
  await ctx.openSessions(sessions);
  await ctx.measureSessionMemory(before, ctx.pool.live);
}

/** Opens the sessions and runs the steady load; `during` runs alongside the load (chaos). */
export async function runSteady(ctx: RunContext, during?: (loadDone: Promise<void>) => Promise<void>): Promise<void> {
  const s = ctx.settings;
  await openMeasured(ctx, s.sessions);
  if (ctx.aborted) return;
  // The rate was asked for `s.sessions`; fewer open sessions each carry more of it.
  ctx.phase = `${Math.round(s.rate)} req/s`;
  const load = ctx.openLoop(s.rate, s.durationSec * 1000);
  await Promise.all([load, during?.(load)]);
  ctx.phase = 'draining';
  await ctx.drain();
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
