/**
 * Assembles the {@link LoadReport} of a finished run from the recorder, the pool, the probe
 * and what the scenario found.
 */
import type { RunContext } from './context.js';
import type { LoadMachine, LoadReport, LoadTarget } from './report.js';
import { REPORT_SCHEMA } from './report.js';

/** Inputs of {@link buildReport} besides the context. */
export interface ReportFrame {
  scenario: string;
  startedAt: Date;
  durationSec: number;
  command: string;
  machine: LoadMachine;
  target: LoadTarget;
}

/** The report of the run `ctx` drove (after its final drain: `ctx.lost` is set). */
export function buildReport(ctx: RunContext, frame: ReportFrame): LoadReport {
  const r = ctx.recorder;
  const pool = ctx.pool;
  const figures = ctx.probe?.figures();
  const findings = { ...ctx.findings };
  // Every scenario reports what was not sent and why, next to its own findings.
  findings.unsent ??= r.unsent;
  findings.unsentBehindSchedule ??= r.unsentBehind;
  findings.malformedAnswers ??= r.malformed;
  if (pool.reasons.size > 0) findings.sessionOpenProblems ??= pool.reasonsText();
  return {
    schema: REPORT_SCHEMA,
    scenario: frame.scenario,
    startedAt: frame.startedAt.toISOString(),
    durationSec: round(frame.durationSec, 3),
    command: frame.command,
    machine: frame.machine,
    target: frame.target,
    params: { ...ctx.params },
    summary: {
      sessions: {
        attempted: pool.attempted,
        established: pool.established,
        refused: pool.refused,
        failed: pool.failed,
        peak: pool.peak,
      },
      requests: {
        sent: r.sent,
        ok: r.ok,
        errors: { ...r.errors },
        lost: ctx.lost,
        duplicated: r.duplicated,
      },
      throughput: { offeredPerSec: round(r.offeredPerSec, 1), achievedPerSec: round(r.achievedPerSec, 1) },
      latencyMs: r.okLatency(),
      rejectLatencyMs: r.errorLatency(),
      server:
        figures === undefined
          ? null
          : {
              memoryMb: figures.memoryMb,
              memoryPerSessionKb: ctx.memoryPerSessionKb,
              eventLoopDelayP99Ms: figures.eventLoopDelayP99Ms,
              gcPauseMs: figures.gcPauseMs,
            },
    },
    steps: [...ctx.steps],
    timeline: [...r.timeline],
    findings,
    warnings: [...ctx.warnings],
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
