/** Short runs of the searching and disruptive scenarios: steps, chaos, recovery. */
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, expectConsistent, runLoadReport } from './run-cli.js';

afterEach(cleanup);

// Each run starts a server and searches for real: 'steps' takes about 14 s on an idle 2-core
// box (sub-runs at several rates per step), too close to the 20 s default when CI runs other
// suites beside it.
describe('erlmcp load scenarios (steps, chaos, recovery)', { timeout: 60_000 }, () => {
  it('steps: one row per step, sessions kept open between steps', async () => {
    const { report } = await runLoadReport(['--scenario', 'steps', '--steps', '20,40', '--duration', '0.5']);
    expectConsistent(report);
    expect(report.steps.map((s) => [s.label, s.sessions])).toEqual([
      ['20', 20],
      ['40', 40],
    ]);
    // 40 sessions in all: the second step opened only the 20 more it needed.
    expect(report.summary.sessions).toMatchObject({ attempted: 40, established: 40, peak: 40 });
    for (const s of report.steps) {
      expect(s.offeredPerSec).toBeGreaterThan(0);
      expect(typeof s.passed).toBe('boolean');
      if (s.passed) expect(s.latencyMs.p95).toBeLessThan(50);
    }
    expect(report.params).toMatchObject({ steps: '20,40', subRunSec: 0.5, p95LimitMs: 50 });
  });

  it('chaos: shard managers crash under load and no request is lost or duplicated', async () => {
    const { report } = await runLoadReport([
      '--scenario',
      'chaos',
      '--sessions',
      '20',
      '--rate',
      '1000',
      '--duration',
      '3',
    ]);
    expectConsistent(report);
    expect(report.findings.crashes).toBeGreaterThan(0);
    expect(report.findings).toMatchObject({ lost: 0, duplicated: 0, crashRequestsFailed: 0 });
    expect(report.findings.shardRestarts).toBeGreaterThanOrEqual(report.findings.crashes as number);
    expect(typeof report.findings.restartMsMax).toBe('number');
  });

  it('recovery: measures the baseline p95 and the time back to it after an overload', async () => {
    const { report } = await runLoadReport([
      '--scenario',
      'recovery',
      '--sessions',
      '5',
      '--rate',
      '200',
      '--duration',
      '1',
    ]);
    expectConsistent(report);
    expect(typeof report.findings.baselineP95Ms).toBe('number');
    expect(report.findings.thresholdP95Ms).toBeGreaterThan(report.findings.baselineP95Ms as number);
    const ms = report.findings.recoveryMs;
    expect(report.findings.recovered).toBe(ms !== null);
    if (ms === null) expect(report.warnings.some((w) => w.startsWith('p95 did not come back'))).toBe(true);
    else expect((ms as number) % 1_000).toBe(0);
  });
});
