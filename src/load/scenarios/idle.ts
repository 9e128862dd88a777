/**
 * idle: open as many sessions as possible (up to --sessions, default 100,000), send nothing,
 * hold them for --duration seconds and report how many were held and what each costs the
 * server in memory. WebSocket sessions are capped by the open-file limits of both processes
 * (one socket each side); the report says what capped the run.
 */
import type { RunContext } from '../context.js';
import { sleep } from '../sleep.js';
import type { Scenario } from './types.js';

export const idle: Scenario = {
  name: 'idle',
  describe: 'hold as many idle sessions as possible (target 100,000) for 5 s; memory per session',
  accepts: ['--sessions', '--duration', '--ramp-rate'],
  defaults: { sessions: 100_000, durationSec: 5, rampRate: 5_000, inflight: 1 },
  expectedSec: (s) => s.sessions / s.rampRate + 2 + s.durationSec,
  params: (s) => ({
    sessions: s.sessions,
    holdSec: s.durationSec,
    rampRatePerSec: s.rampRate,
    transport: s.transport,
  }),
  run: runIdle,
  conclude: concludeIdle,
};

const HELD = 'held';
const BYTES = 'bytesPerSession';

async function runIdle(ctx: RunContext): Promise<void> {
  const s = ctx.settings;
  const before = await ctx.sample();
  ctx.phase = `opening ${s.sessions} idle sessions`;
  await ctx.openSessions(s.sessions);
  if (ctx.aborted) return;
  ctx.phase = `holding ${ctx.pool.live} idle sessions`;
  await sleep(s.durationSec * 1000, ctx.signal);
  const held = ctx.pool.live;
  ctx.marks.set(HELD, held);
  const after = await ctx.sample();
  if (before !== undefined && after !== undefined && held > 0) {
    const bytes = Math.max(0, ((after.memoryMb - before.memoryMb) * 1024 * 1024) / held);
    ctx.marks.set(BYTES, Math.round(bytes));
    ctx.memoryPerSessionKb = Math.round((bytes / 1024) * 100) / 100;
  }
}

/** Why the run held `held` of `asked` sessions. */
export function limitedBy(
  asked: number,
  held: number,
  pool: { refused: number; failed: number; established: number },
  fdCap: number | undefined,
  topReason: string,
  aborted: boolean,
): string {
  if (held >= asked) return 'target reached';
  if (fdCap !== undefined) return `fd limit ${fdCap}`;
  if (pool.refused > 0) return 'server refused';
  if (pool.failed > 0) return `open failures (${topReason})`;
  if (held < pool.established) return 'sessions closed while idle';
  if (aborted) return 'run aborted';
  return 'ramp deadline passed';
}

function concludeIdle(ctx: RunContext): void {
  const held = ctx.marks.get(HELD) ?? ctx.pool.live;
  ctx.findings.askedSessions = ctx.requestedSessions;
  ctx.findings.heldSessions = held;
  ctx.findings.bytesPerSession = ctx.marks.get(BYTES) ?? null;
  const top = [...ctx.pool.reasons.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
  ctx.findings.limitedBy = limitedBy(ctx.requestedSessions, held, ctx.pool, ctx.fdCap, top, ctx.aborted);
}
