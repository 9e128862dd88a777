/**
 * Short runs of the steady scenarios (baseline, custom over HTTP, flood, bombing, idle) against
 * a server the harness starts itself: the reports must be complete and consistent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, expectConsistent, runLoadReport } from './run-cli.js';

afterEach(cleanup);

describe('erlmcp load scenarios (steady)', () => {
  it('baseline: every request answered ok, server figures from /health', async () => {
    const { report, result } = await runLoadReport([
      '--scenario',
      'baseline',
      '--sessions',
      '5',
      '--rate',
      '200',
      '--duration',
      '1',
    ]);
    expectConsistent(report);
    expect(report.scenario).toBe('baseline');
    expect(report.target).toMatchObject({ transport: 'ws', startedByHarness: true, sourceAddresses: ['127.0.0.1'] });
    expect(report.target.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect(report.summary.sessions).toEqual({ attempted: 5, established: 5, refused: 0, failed: 0, peak: 5 });
    expect(report.summary.requests.ok).toBe(report.summary.requests.sent);
    expect(report.summary.requests.sent).toBeGreaterThan(0);
    expect(report.summary.throughput.offeredPerSec).toBeCloseTo(200, -1);
    expect(report.summary.server).not.toBeNull();
    expect(report.timeline.length).toBeGreaterThan(0);
    expect(report.params).toMatchObject({ sessions: 5, ratePerSec: 200, durationSec: 1, transport: 'ws' });
    expect(report.command).toBe(
      `erlmcp load --scenario baseline --sessions 5 --rate 200 --duration 1 --quiet --json ${report.command.split(' ').pop()}`,
    );
    expect(result.stdout).toContain('erlmcp load: baseline');
  });

  it('custom over Streamable HTTP', async () => {
    const { report } = await runLoadReport([
      '--transport',
      'http',
      '--sessions',
      '4',
      '--rate',
      '100',
      '--duration',
      '1',
    ]);
    expectConsistent(report);
    expect(report.scenario).toBe('custom');
    expect(report.target.transport).toBe('http');
    expect(report.summary.sessions.established).toBe(4);
    expect(report.summary.requests.ok).toBe(report.summary.requests.sent);
  });

  it('flood: ramps to the asked sessions and reports where p95 crossed 50 ms', async () => {
    const { report } = await runLoadReport([
      '--scenario',
      'flood',
      '--sessions',
      '100',
      '--ramp-rate',
      '200',
      '--duration',
      '1',
    ]);
    expectConsistent(report);
    expect(report.summary.sessions).toMatchObject({ attempted: 100, established: 100, peak: 100 });
    expect(report.findings.peakSessions).toBe(100);
    const crossed = report.findings.p95CrossedAtSessions;
    expect(crossed === null || (typeof crossed === 'number' && crossed > 0 && crossed <= 100)).toBe(true);
    expect(report.timeline.some((w) => w.p95Ms !== null)).toBe(true);
  });

  it('bombing: the excess is rate limited and nothing else fails', async () => {
    const { report } = await runLoadReport(['--scenario', 'bombing', '--sessions', '5', '--duration', '1']);
    expectConsistent(report);
    const e = report.summary.requests.errors;
    expect(e.rate_limited).toBeGreaterThan(0);
    expect([e.overloaded, e.circuit_open, e.timeout, e.transport, e.protocol]).toEqual([0, 0, 0, 0, 0]);
    expect(report.summary.requests.ok).toBeGreaterThan(0);
    expect(report.findings).toMatchObject({ nonRateLimitErrors: 0, lost: 0, demandedPerSec: 50_000 });
    expect(report.findings.rejectedPerSec).toBeGreaterThan(0);
    expect(report.findings.admittedPerSec).toBeGreaterThan(0);
    expect(typeof report.findings.rejectLatencyP99Ms).toBe('number');
    expect(typeof report.findings.memoryRatio).toBe('number');
    expect(report.summary.rejectLatencyMs?.count).toBe(e.rate_limited);
    expect(report.summary.throughput.offeredPerSec).toBeCloseTo(50_000, -3);
  });

  it('idle: holds every session asked and measures memory per session', async () => {
    const { report } = await runLoadReport(['--scenario', 'idle', '--sessions', '200', '--duration', '1']);
    expectConsistent(report);
    expect(report.summary.requests.sent).toBe(0);
    expect(report.findings).toMatchObject({ askedSessions: 200, heldSessions: 200, limitedBy: 'target reached' });
    expect(typeof report.findings.bytesPerSession).toBe('number');
    expect(typeof report.summary.server?.memoryPerSessionKb).toBe('number');
  });
});
