import { describe, expect, it } from 'vitest';
import { ErlmcpError } from '../../src/core/errors.js';
import { assertValidReport, type LoadReport, REPORT_SCHEMA, validateReport } from '../../src/load/report.js';
import { expectCode } from '../helpers.js';

/** A complete, consistent report: 2 steps, 3 timeline windows (one with no ok answer). */
function validReport(): LoadReport {
  return {
    schema: REPORT_SCHEMA,
    scenario: 'steps',
    startedAt: '2026-11-23T10:00:00.000Z',
    durationSec: 12.5,
    command: 'erlmcp load --scenario steps --json r.json',
    machine: { cpus: 2, cpuModel: 'Test CPU', memoryGb: 7.8, node: 'v20.17.0', platform: 'linux', fdLimit: 1_048_576 },
    target: { url: 'ws://127.0.0.1:9999/mcp', transport: 'ws', startedByHarness: true, sourceAddresses: ['127.0.0.2'] },
    params: { sessions: 100, rate: 33, quick: true, transport: 'ws' },
    summary: {
      sessions: { attempted: 110, established: 100, refused: 6, failed: 4, peak: 100 },
      requests: {
        sent: 10_000,
        ok: 9_900,
        errors: { rate_limited: 50, overloaded: 20, circuit_open: 5, timeout: 10, transport: 3, protocol: 2 },
        lost: 10,
        duplicated: 1,
      },
      throughput: { offeredPerSec: 1000, achievedPerSec: 990.5 },
      latencyMs: { p50: 1.2, p95: 3.4, p99: 5.6, p999: 9.1, max: 12, mean: 1.5, count: 9_900 },
      rejectLatencyMs: { p50: 0.3, p95: 0.5, p99: 0.8, p999: 1, max: 1.1, mean: 0.35, count: 90 },
      server: {
        memoryMb: { start: 80, peak: 120, end: 100 },
        memoryPerSessionKb: 409.6,
        eventLoopDelayP99Ms: { max: 4.5 },
        gcPauseMs: { max: 2, total: 15 },
      },
    },
    steps: [
      {
        label: '50',
        sessions: 50,
        offeredPerSec: 500,
        achievedPerSec: 499,
        latencyMs: { p50: 1, p95: 2, p99: 3, p999: 4, max: 5 },
        errors: 0,
        serverMemoryMb: 95,
        passed: true,
      },
      {
        label: '100',
        sessions: 100,
        offeredPerSec: 1000,
        achievedPerSec: 980,
        latencyMs: { p50: 2, p95: 60, p99: 70, p999: 80, max: 90 },
        errors: 90,
        serverMemoryMb: null,
        passed: false,
      },
    ],
    timeline: [
      {
        t: 1,
        sessions: 50,
        sentPerSec: 500,
        okPerSec: 499,
        errorsPerSec: 0,
        p50Ms: 1,
        p95Ms: 2,
        p99Ms: 3,
        serverMemoryMb: 90,
        serverEventLoopP99Ms: 1.5,
      },
      {
        t: 2,
        sessions: 100,
        sentPerSec: 100,
        okPerSec: 0,
        errorsPerSec: 100,
        p50Ms: null,
        p95Ms: null,
        p99Ms: null,
        serverMemoryMb: null,
        serverEventLoopP99Ms: null,
      },
      {
        t: 3.5,
        sessions: 100,
        sentPerSec: 1000,
        okPerSec: 980,
        errorsPerSec: 20,
        p50Ms: 2,
        p95Ms: 60,
        p99Ms: 70,
        serverMemoryMb: 120,
        serverEventLoopP99Ms: 4.5,
      },
    ],
    findings: { p95CrossedAtSessions: 100, recovered: false, note: 'x', unknown: null },
    warnings: ['fd limit 1024: lowered the session target'],
  };
}

// biome-ignore lint/suspicious/noExplicitAny: the tests break the report's types on purpose
type Loose = any;

/** The problems of a fresh valid report after `mutate`. */
function problemsAfter(mutate: (r: Loose) => void): string[] {
  const r = validReport();
  mutate(r);
  return validateReport(r);
}

describe('validateReport', () => {
  it('accepts a complete consistent report, its JSON round trip, and null optional blocks', () => {
    expect(validateReport(validReport())).toEqual([]);
    expect(validateReport(JSON.parse(JSON.stringify(validReport())))).toEqual([]);
    expect(
      problemsAfter((r) => {
        r.summary.server = null;
        r.summary.rejectLatencyMs = null;
        r.machine.fdLimit = null;
        r.steps = [];
        r.timeline = [];
        r.findings = {};
        r.warnings = [];
      }),
    ).toEqual([]);
  });

  it('rejects a non-object and a wrong schema tag', () => {
    expect(validateReport(null)).toEqual(['report: expected an object, got null']);
    expect(validateReport([])).toEqual(['report: expected an object, got an array']);
    expect(problemsAfter((r) => (r.schema = 'erlmcp-load-report/2'))).toEqual([
      'schema: expected "erlmcp-load-report/1", got "erlmcp-load-report/2"',
    ]);
  });

  it('names each missing required field', () => {
    expect(problemsAfter((r) => delete r.summary)).toEqual(['summary: missing']);
    expect(problemsAfter((r) => delete r.command)).toEqual(['command: missing']);
    expect(problemsAfter((r) => delete r.summary.requests.errors.timeout)).toEqual([
      'summary.requests.errors.timeout: missing',
    ]);
    expect(problemsAfter((r) => delete r.summary.rejectLatencyMs)).toEqual(['summary.rejectLatencyMs: missing']);
    expect(problemsAfter((r) => delete r.summary.server)).toEqual(['summary.server: missing']);
    expect(problemsAfter((r) => delete r.timeline[1].p95Ms)).toEqual(['timeline[1].p95Ms: missing']);
    expect(problemsAfter((r) => delete r.steps[0].passed)).toEqual(['steps[0].passed: missing']);
  });

  it('checks field types and enumerations', () => {
    expect(problemsAfter((r) => (r.scenario = 'soak'))).toEqual([
      'scenario: expected one of baseline, flood, bombing, steps, idle, chaos, recovery, cluster, custom, got "soak"',
    ]);
    expect(problemsAfter((r) => (r.startedAt = 'yesterday'))).toEqual([
      'startedAt: expected an ISO 8601 date-time, got "yesterday"',
    ]);
    expect(problemsAfter((r) => (r.target.transport = 'stdio'))).toEqual([
      'target.transport: expected "ws" or "http", got "stdio"',
    ]);
    expect(problemsAfter((r) => (r.target.startedByHarness = 'yes'))).toEqual([
      'target.startedByHarness: expected a boolean, got "yes"',
    ]);
    expect(problemsAfter((r) => (r.durationSec = Number.NaN))).toEqual([
      'durationSec: expected a finite number >= 0, got NaN',
    ]);
    expect(problemsAfter((r) => (r.params.nested = { a: 1 }))).toEqual([
      'params.nested: expected a string, finite number, boolean, got object',
    ]);
    expect(problemsAfter((r) => (r.params.none = null))).toEqual([
      'params.none: expected a string, finite number, boolean, got null',
    ]);
    expect(problemsAfter((r) => (r.warnings = ['ok', 3]))).toEqual(['warnings[1]: expected a string, got 3']);
  });

  it('requires counts to be non-negative integers', () => {
    expect(problemsAfter((r) => (r.summary.requests.duplicated = -1))).toEqual([
      'summary.requests.duplicated: expected a non-negative integer, got -1',
    ]);
    expect(problemsAfter((r) => (r.summary.sessions.peak = 99.5))).toEqual([
      'summary.sessions.peak: expected a non-negative integer, got 99.5',
    ]);
    expect(problemsAfter((r) => (r.summary.latencyMs.count = 1.5))).toEqual([
      'summary.latencyMs.count: expected a non-negative integer, got 1.5',
    ]);
    expect(problemsAfter((r) => (r.timeline[0].sessions = -3))).toEqual([
      'timeline[0].sessions: expected a non-negative integer, got -3',
    ]);
    expect(problemsAfter((r) => (r.steps[1].errors = 0.5))).toEqual([
      'steps[1].errors: expected a non-negative integer, got 0.5',
    ]);
    expect(problemsAfter((r) => (r.summary.throughput.achievedPerSec = -1))).toEqual([
      'summary.throughput.achievedPerSec: expected a finite number >= 0, got -1',
    ]);
  });

  it('requires sent = ok + errors + lost and attempted = established + refused + failed', () => {
    expect(problemsAfter((r) => (r.summary.requests.lost = 11))).toEqual([
      'summary.requests: sent (10000) !== ok + errors + lost (9900 + 90 + 11 = 10001)',
    ]);
    expect(problemsAfter((r) => (r.summary.requests.errors.protocol = 0))).toEqual([
      'summary.requests: sent (10000) !== ok + errors + lost (9900 + 88 + 10 = 9998)',
    ]);
    // Duplicates are outside the sum.
    expect(problemsAfter((r) => (r.summary.requests.duplicated = 500))).toEqual([]);
    expect(problemsAfter((r) => (r.summary.sessions.refused = 7))).toEqual([
      'summary.sessions: attempted (110) !== established + refused + failed (111)',
    ]);
    expect(problemsAfter((r) => (r.summary.sessions.peak = 101))).toEqual([
      'summary.sessions: peak (101) > established (100)',
    ]);
  });

  it('requires ordered percentiles in every latency block', () => {
    expect(problemsAfter((r) => (r.summary.latencyMs.p95 = 6))).toEqual([
      'summary.latencyMs: percentiles out of order: p95 (6) > p99 (5.6)',
    ]);
    expect(problemsAfter((r) => (r.summary.rejectLatencyMs.max = 0.9))).toEqual([
      'summary.rejectLatencyMs: percentiles out of order: p999 (1) > max (0.9)',
    ]);
    expect(problemsAfter((r) => (r.steps[1].latencyMs.p50 = 61))).toEqual([
      'steps[1].latencyMs: percentiles out of order: p50 (61) > p95 (60)',
    ]);
    expect(problemsAfter((r) => (r.timeline[2].p99Ms = 59))).toEqual([
      'timeline[2]: percentiles out of order: p95Ms (60) > p99Ms (59)',
    ]);
    expect(problemsAfter((r) => (r.timeline[1].p50Ms = 1))).toEqual([
      'timeline[1]: p50Ms, p95Ms and p99Ms must be all numbers or all null',
    ]);
  });

  it('requires timeline t strictly increasing and step sessions non-decreasing', () => {
    expect(problemsAfter((r) => (r.timeline[2].t = 2))).toEqual(['timeline[2].t: not strictly increasing: 2 after 2']);
    expect(problemsAfter((r) => (r.timeline[1].t = 0.5))).toEqual([
      'timeline[1].t: not strictly increasing: 0.5 after 1',
    ]);
    expect(problemsAfter((r) => (r.steps[1].sessions = 49))).toEqual(['steps[1].sessions: decreases: 49 after 50']);
    expect(problemsAfter((r) => (r.steps[1].sessions = 50))).toEqual([]);
  });

  it('checks the server block', () => {
    expect(problemsAfter((r) => (r.summary.server.memoryMb.peak = 99))).toEqual([
      'summary.server.memoryMb: peak (99) < max(start, end) (100)',
    ]);
    expect(problemsAfter((r) => (r.summary.server.gcPauseMs.max = 16))).toEqual([
      'summary.server.gcPauseMs: max (16) > total (15)',
    ]);
    expect(problemsAfter((r) => (r.summary.server.memoryPerSessionKb = -1))).toEqual([
      'summary.server.memoryPerSessionKb: expected a finite number >= 0, got -1',
    ]);
  });

  it('lists every problem at once', () => {
    const problems = problemsAfter((r) => {
      r.schema = 'x';
      r.summary.requests.sent = 1;
      r.timeline[1].t = 0;
    });
    expect(problems).toHaveLength(3);
  });
});

describe('assertValidReport', () => {
  it('passes a valid report and throws ERR_REPORT_INVALID listing the problems', () => {
    expect(() => assertValidReport(validReport())).not.toThrow();
    const r: Loose = validReport();
    r.summary.requests.lost = 0;
    r.steps[0].sessions = 200;
    const err = expectCode(() => assertValidReport(r), 'ERR_REPORT_INVALID');
    expect(err).toBeInstanceOf(ErlmcpError);
    expect(err.message).toBe(
      'invalid load report (2 problems):\n' +
        '  summary.requests: sent (10000) !== ok + errors + lost (9900 + 90 + 0 = 9990)\n' +
        '  steps[1].sessions: decreases: 100 after 200',
    );
  });
});
