/**
 * flood: sessions keep arriving (0 -> N at --ramp-rate) and each one sends --per-session-rate
 * from the moment it is open, so the total rate climbs with the session count. The timeline
 * shows p95 per 1 s window; the finding is the session count at which p95 first passed 50 ms.
 */
import type { RunContext } from '../context.js';
import { OpenLoopDriver } from '../open-loop.js';
import type { TimelinePoint } from '../report.js';
import { windowInflightCap } from '../schedule.js';
import { sleep } from '../sleep.js';
import type { Scenario } from './types.js';

/** The p95 (ms) whose crossing flood reports. */
export const FLOOD_P95_LIMIT_MS = 50;

/** Sessions of the first window ending after `fromT` whose p95 passed `limitMs`; null if none did. */
export function p95CrossedAt(timeline: readonly TimelinePoint[], fromT: number, limitMs: number): number | null {
  for (const w of timeline) {
    if (w.t > fromT && w.p95Ms !== null && w.p95Ms > limitMs) return w.sessions;
  }
  return null;
}

/** How long past its planned time the ramp may go on (ms). */
const RAMP_GRACE_MS = 5_000;

/** Mark: timeline `t` when the flood began (windows before it belong to setup). */
const START = 'floodStartT';

export const flood: Scenario = {
  name: 'flood',
  describe: 'ramp 0 -> 2,000 sessions at 150/s, 50 req/s each; where p95 passes 50 ms',
  accepts: ['--sessions', '--per-session-rate', '--duration', '--ramp-rate', '--inflight'],
  defaults: { sessions: 2_000, perSessionRate: 50, durationSec: 2, rampRate: 150, inflight: 64 },
  expectedSec: (s) => s.sessions / s.rampRate + RAMP_GRACE_MS / 1000 + s.durationSec,
  params: (s) => ({
    sessions: s.sessions,
    perSessionRatePerSec: s.perSessionRate,
    rampRatePerSec: s.rampRate,
    holdSec: s.durationSec,
    inflightCap: windowInflightCap(s.perSessionRate, s.inflight),
    p95LimitMs: FLOOD_P95_LIMIT_MS,
    transport: s.transport,
  }),
  run: runFlood,
  conclude(ctx) {
    ctx.findings.p95CrossedAtSessions = p95CrossedAt(
      ctx.recorder.timeline,
      ctx.marks.get(START) ?? 0,
      FLOOD_P95_LIMIT_MS,
    );
    ctx.findings.peakSessions = ctx.pool.peak;
  },
};

async function runFlood(ctx: RunContext): Promise<void> {
  const s = ctx.settings;
  // The load runs until `stop` aborts (or the run does); its rate follows the open sessions.
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const driver = new OpenLoopDriver(ctx.pool, ctx.recorder, {
    rate: 0,
    inflightCap: windowInflightCap(s.perSessionRate, s.inflight),
  });
  const follow = () => driver.setRate(s.perSessionRate * ctx.pool.live);
  const load = driver.run(Number.MAX_SAFE_INTEGER, stop.signal);
  ctx.marks.set(START, ctx.recorder.lastWindow?.t ?? 0);
  ctx.phase = 'ramping';
  // Past saturation handshakes crawl behind the load; the ramp gets its planned time plus
  // 5 s, and the report says how far it got.
  await ctx.openSessions(s.sessions, { onEstablished: follow, graceMs: RAMP_GRACE_MS });
  follow();
  ctx.phase = `holding ${ctx.pool.live} sessions`;
  await sleep(s.durationSec * 1000, ctx.signal);
  stop.abort();
  ctx.signal.removeEventListener('abort', onAbort);
  await load;
  ctx.phase = 'draining';
  await ctx.drain();
}
