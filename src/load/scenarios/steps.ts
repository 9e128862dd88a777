/**
 * steps: at each session count (default 1k, 5k, 10k, 15k) find the highest total rate whose
 * p95 stays under 50 ms, starting from 33 req/s per session (the seeds' figure) and searching
 * with short sub-runs (see rate-search.ts). Sessions stay open from one step to the next; each
 * step opens only the additional ones. One report row per step, at its best passing rate.
 */
import type { RunContext } from '../context.js';
import { bestTrial, nextRate, type Trial } from '../rate-search.js';
import type { LoadStep } from '../report.js';
import { INFLIGHT_WINDOW_SEC, windowInflightCap } from '../schedule.js';
import { sleep } from '../sleep.js';
import type { TallyResult } from '../tally.js';
import { openMeasured } from './steady.js';
import type { Scenario } from './types.js';

/** The p95 (ms) a sub-run must stay under. */
export const STEPS_P95_LIMIT_MS = 50;
/** Sub-runs per step at most. */
export const STEPS_MAX_TRIALS = 8;
/** Share of the sent requests that may fail (errors and unanswered) in a passing sub-run. */
export const STEPS_MAX_ERROR_SHARE = 0.01;
/** Share of the asked rate a passing sub-run must achieve (below it the rate was not sustained). */
export const STEPS_MIN_ACHIEVED_SHARE = 0.95;
/** Quiet time between sub-runs so one's backlog does not land in the next: a quarter of a sub-run, at most 1 s. */
const pauseMs = (subRunSec: number) => Math.min(1_000, subRunSec * 250);
/**
 * Quiet time after opening `opened` sessions: thousands of handshakes leave garbage on both
 * sides whose collection would otherwise land in the step's first sub-run (0.4 ms per
 * session, at most 2 s).
 */
const settleMs = (opened: number) => Math.min(2_000, opened * 0.4);

/** A sub-run's result against the criterion. */
export interface StepTrial extends Trial {
  achievedPerSec: number;
  result: TallyResult;
}

/**
 * Ok answers per second of a sub-run scheduled for `seconds`: over the time until its last
 * answer when the server fell behind.
 */
export function trialAchieved(result: TallyResult, seconds: number): number {
  return result.ok / Math.max(seconds, result.activeSeconds);
}

/** True when a sub-run at `rate` for `seconds` met the criterion (p95, errors, achieved rate). */
export function trialPassed(result: TallyResult, rate: number, seconds: number): boolean {
  const failedShare = result.sent > 0 ? (result.sent - result.ok) / result.sent : 1;
  const achieved = trialAchieved(result, seconds);
  return (
    result.ok > 0 &&
    result.latencyMs.p95 < STEPS_P95_LIMIT_MS &&
    failedShare <= STEPS_MAX_ERROR_SHARE &&
    achieved >= rate * STEPS_MIN_ACHIEVED_SHARE
  );
}

/** `1000` -> `1k`, `1500` -> `1.5k`, `20` -> `20`. */
export function stepLabel(sessions: number): string {
  if (sessions >= 1000 && sessions % 100 === 0) return `${sessions / 1000}k`;
  return String(sessions);
}

export const steps: Scenario = {
  name: 'steps',
  describe: '1k, 5k, 10k, 15k sessions: the highest rate with p95 < 50 ms at each (1 s sub-runs)',
  accepts: ['--steps', '--per-session-rate', '--duration', '--ramp-rate', '--inflight'],
  defaults: {
    sessions: 15_000,
    steps: [1_000, 5_000, 10_000, 15_000],
    perSessionRate: 33,
    durationSec: 1,
    rampRate: 2_000,
    inflight: 64,
  },
  expectedSec: (s) =>
    s.sessions / s.rampRate +
    2 +
    s.steps.length * (2 + STEPS_MAX_TRIALS * (s.durationSec + pauseMs(s.durationSec) / 1000 + 0.5)),
  params: (s) => ({
    steps: s.steps.join(','),
    startPerSessionRatePerSec: s.perSessionRate,
    subRunSec: s.durationSec,
    maxSubRunsPerStep: STEPS_MAX_TRIALS,
    p95LimitMs: STEPS_P95_LIMIT_MS,
    maxErrorShare: STEPS_MAX_ERROR_SHARE,
    minAchievedShare: STEPS_MIN_ACHIEVED_SHARE,
    inflightCapMax: s.inflight,
    inflightWindowSec: INFLIGHT_WINDOW_SEC,
    transport: s.transport,
  }),
  run: runSteps,
};

async function runSteps(ctx: RunContext): Promise<void> {
  const s = ctx.settings;
  let first = true;
  for (const target of s.steps) {
    if (ctx.aborted) return;
    const more = target - ctx.pool.live;
    if (first) await openMeasured(ctx, more);
    else {
      ctx.phase = `opening ${more} more sessions`;
      await ctx.openSessions(more);
    }
    first = false;
    let sessions = ctx.pool.live;
    if (sessions < target) ctx.warn(`step ${stepLabel(target)}: only ${sessions} of ${target} sessions are open`);
    // Rows never go down in sessions: sessions the server closed since the last step are not reopened.
    const previous = ctx.steps[ctx.steps.length - 1]?.sessions ?? 0;
    if (sessions < previous) {
      ctx.warn(`step ${stepLabel(target)}: ${previous - sessions} sessions closed since the previous step`);
      sessions = previous;
    }
    await sleep(settleMs(more), ctx.signal);
    // More sessions rarely sustain more than fewer did: start below the seeds' 33 req/s per
    // session when the previous step's best passing rate was lower, to spend the trials near
    // the answer instead of halving down to it.
    const seed = s.perSessionRate * sessions;
    const previousBest = ctx.steps.filter((r) => r.passed).pop()?.offeredPerSec;
    const row = await searchStep(ctx, target, sessions, Math.min(seed, previousBest ?? seed));
    if (row !== undefined) ctx.steps.push(row);
  }
  ctx.findings.stepsPassed = ctx.steps.filter((r) => r.passed).length;
  const best = ctx.steps.filter((r) => r.passed).pop();
  ctx.findings.mostSessionsPassing = best?.sessions ?? null;
}

async function searchStep(
  ctx: RunContext,
  target: number,
  sessions: number,
  start: number,
): Promise<LoadStep | undefined> {
  const s = ctx.settings;
  const seconds = s.durationSec;
  const trials: StepTrial[] = [];
  for (;;) {
    const rate = nextRate(start, trials, STEPS_MAX_TRIALS);
    if (rate === undefined || ctx.aborted) break;
    ctx.phase = `step ${stepLabel(target)}: ${Math.round(rate)} req/s (try ${trials.length + 1})`;
    const tally = ctx.recorder.beginTally(ctx.now());
    await ctx.openLoop(rate, seconds * 1000, windowInflightCap(rate / Math.max(1, sessions), s.inflight));
    await ctx.drain();
    ctx.recorder.endTally(tally, ctx.now());
    const result = tally.result(ctx.now());
    const achievedPerSec = trialAchieved(result, seconds);
    trials.push({ rate, passed: trialPassed(result, rate, seconds), achievedPerSec, result });
    await sleep(pauseMs(seconds), ctx.signal);
  }
  const best = bestTrial(trials);
  if (best === undefined) return undefined;
  const memory = ctx.probe?.latest?.memoryMb;
  return {
    label: stepLabel(target),
    sessions,
    offeredPerSec: Math.round(best.rate * 10) / 10,
    achievedPerSec: Math.round(best.achievedPerSec * 10) / 10,
    latencyMs: best.result.latencyMs,
    errors: best.result.sent - best.result.ok,
    serverMemoryMb: memory === undefined ? null : Math.round(memory * 100) / 100,
    passed: best.passed,
  };
}
