/**
 * bombing: a few sessions each demand far more than their token bucket refills (closed loop,
 * --inflight requests always outstanding). What the server must show: the excess answered at
 * once with rate_limited (-32010) and nothing else, admitted requests still fast, memory flat.
 *
 * A self-started server gets a bucket of capacity 100 refilling 1,000/s per session: the
 * default bucket (10,000/s) is above what one session can push through a 2-core machine, so
 * nothing would ever be rejected and the scenario would measure plain throughput instead.
 */
import { runClosedLoop } from '../closed-loop.js';
import type { RunContext } from '../context.js';
import { openMeasured } from './steady.js';
import type { Scenario } from './types.js';

/** The bucket a self-started server gets for bombing (see the file comment). */
export const BOMBING_BUCKET = { capacity: 100, refillPerSec: 1_000 };

const RSS_BEFORE = 'rssBeforeMb';
const LOAD_START = 'loadStart';

export const bombing: Scenario = {
  name: 'bombing',
  describe: '20 sessions each demanding 10,000 req/s (closed loop), 10 s; admitted vs rate-limited',
  accepts: ['--sessions', '--per-session-rate', '--rate', '--duration', '--ramp-rate', '--inflight'],
  defaults: { sessions: 20, perSessionRate: 10_000, durationSec: 10, rampRate: 500, inflight: 64 },
  server: { bucket: BOMBING_BUCKET },
  expectedSec: (s) => s.sessions / s.rampRate + 2 + s.durationSec,
  params: (s) => ({
    sessions: s.sessions,
    demandedPerSessionPerSec: s.perSessionRate,
    demandedPerSec: s.rate,
    inflightPerSession: s.inflight,
    durationSec: s.durationSec,
    transport: s.transport,
  }),
  run: runBombing,
  conclude: concludeBombing,
};

async function runBombing(ctx: RunContext): Promise<void> {
  const s = ctx.settings;
  await openMeasured(ctx, s.sessions);
  if (ctx.aborted) return;
  const before = await ctx.sample();
  if (before !== undefined) ctx.marks.set(RSS_BEFORE, before.memoryMb);
  ctx.marks.set(LOAD_START, ctx.now());
  ctx.phase = `bombing: ${s.inflight} in flight per session`;
  await runClosedLoop(ctx.pool, ctx.recorder, {
    inflight: s.inflight,
    durationMs: s.durationSec * 1000,
    demandedPerSec: s.rate,
    signal: ctx.signal,
  });
  ctx.phase = 'draining';
  await ctx.drain();
  // One more sample so the peak includes the end of the bombing.
  await ctx.sample();
}

function concludeBombing(ctx: RunContext): void {
  const r = ctx.recorder;
  // Sends happen while the load runs; answers until the last one is in.
  const perSec = (n: number, sec: number) => (sec > 0 ? Math.round((n / sec) * 10) / 10 : 0);
  ctx.findings.demandedPerSec = Math.round(ctx.settings.rate);
  ctx.findings.sentPerSec = perSec(r.sent, r.loadSeconds);
  ctx.findings.admittedPerSec = perSec(r.ok, r.measuredSeconds);
  ctx.findings.rejectedPerSec = perSec(r.errors.rate_limited, r.measuredSeconds);
  ctx.findings.nonRateLimitErrors = r.errorCount - r.errors.rate_limited;
  ctx.findings.lost = ctx.lost;
  ctx.findings.rejectLatencyP99Ms = r.errorLatency()?.p99 ?? null;
  ctx.findings.admittedP99Ms = r.ok > 0 ? r.okLatency().p99 : null;
  const before = ctx.marks.get(RSS_BEFORE);
  const peak = ctx.probe?.peakMemorySince(ctx.marks.get(LOAD_START) ?? 0);
  ctx.findings.memoryRatio =
    before !== undefined && before > 0 && peak !== undefined ? Math.round((peak / before) * 1000) / 1000 : null;
  if (ctx.startedByHarness) {
    ctx.findings.bucketCapacity = BOMBING_BUCKET.capacity;
    ctx.findings.bucketRefillPerSec = BOMBING_BUCKET.refillPerSec;
  }
}
