import { type ChildProcess, execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BASELINE_SCHEMA,
  type Baseline,
  baselineEntryFromReport,
  checkExitCode,
  compareReport,
  formatComparison,
  parseBaseline,
  serializeBaseline,
  updateBaseline,
} from '../../src/load/regression.js';
import { type LoadReport, REPORT_SCHEMA, validateReport } from '../../src/load/report.js';
import { expectCode } from '../helpers.js';

const MACHINE = { cpus: 2, cpuModel: 'Test CPU', node: 'v20.17.0' };

/** A valid report of `scenario` with the three compared figures (memory null: no server block). */
function report(scenario: string, achievedPerSec: number, p95Ms: number, memoryMb: number | null): LoadReport {
  return {
    schema: REPORT_SCHEMA,
    scenario,
    startedAt: '2026-11-23T12:00:00.000Z',
    durationSec: 10,
    command: `erlmcp load --scenario ${scenario}`,
    machine: { ...MACHINE, memoryGb: 8, platform: 'linux', fdLimit: 1024 },
    target: { url: 'ws://127.0.0.1:9999/mcp', transport: 'ws', startedByHarness: true, sourceAddresses: [] },
    params: {},
    summary: {
      sessions: { attempted: 25, established: 25, refused: 0, failed: 0, peak: 25 },
      requests: {
        sent: 100,
        ok: 100,
        errors: { rate_limited: 0, overloaded: 0, circuit_open: 0, timeout: 0, transport: 0, protocol: 0 },
        lost: 0,
        duplicated: 0,
      },
      throughput: { offeredPerSec: achievedPerSec, achievedPerSec },
      latencyMs: { p50: p95Ms / 2, p95: p95Ms, p99: p95Ms, p999: p95Ms, max: p95Ms, mean: p95Ms / 2, count: 100 },
      rejectLatencyMs: null,
      server:
        memoryMb === null
          ? null
          : {
              memoryMb: { start: memoryMb / 2, peak: memoryMb, end: memoryMb },
              memoryPerSessionKb: 1,
              eventLoopDelayP99Ms: { max: 1 },
              gcPauseMs: { max: 1, total: 1 },
            },
    },
    steps: [],
    timeline: [],
    findings: {},
    warnings: [],
  };
}

function baseline(): Baseline {
  return {
    schema: BASELINE_SCHEMA,
    machine: MACHINE,
    scenarios: {
      baseline: {
        achievedPerSec: 1000,
        p95Ms: 10,
        memoryMb: 100,
        recordedAt: '2026-11-01T00:00:00.000Z',
        command: 'b',
      },
      flood: { achievedPerSec: 2500, p95Ms: 45, memoryMb: null, recordedAt: '2026-11-01T00:00:00.000Z', command: 'f' },
    },
  };
}

const verdicts = (r: LoadReport) => compareReport(baseline(), r).checks.map((c) => c.verdict);

describe('compareReport', () => {
  it('passes exactly at 0.95x throughput, 1.2x p95 and 1.1x memory and fails just beyond', () => {
    expect(verdicts(report('baseline', 950, 12, 110))).toEqual(['PASS', 'PASS', 'PASS']);
    expect(verdicts(report('baseline', 949.99, 12, 110))).toEqual(['FAIL', 'PASS', 'PASS']);
    expect(verdicts(report('baseline', 950, 12.001, 110))).toEqual(['PASS', 'FAIL', 'PASS']);
    expect(verdicts(report('baseline', 950, 12, 110.001))).toEqual(['PASS', 'PASS', 'FAIL']);
    expect(verdicts(report('baseline', 5000, 1, 1))).toEqual(['PASS', 'PASS', 'PASS']);
    // Another baseline value: 0.95 x 2500 = 2375.
    expect(verdicts(report('flood', 2375, 54, null))).toEqual(['PASS', 'PASS', 'SKIP']);
    expect(verdicts(report('flood', 2374, 54.01, null))).toEqual(['FAIL', 'FAIL', 'SKIP']);
  });

  it('reports the ratios and the overall status', () => {
    const c = compareReport(baseline(), report('baseline', 900, 11, 120));
    expect(c).toEqual({
      scenario: 'baseline',
      status: 'fail',
      machineDifferences: [],
      checks: [
        { metric: 'achievedPerSec', baseline: 1000, current: 900, ratio: 0.9, limit: 0.95, verdict: 'FAIL' },
        { metric: 'p95Ms', baseline: 10, current: 11, ratio: 1.1, limit: 1.2, verdict: 'PASS' },
        { metric: 'memoryMb', baseline: 100, current: 120, ratio: 1.2, limit: 1.1, verdict: 'FAIL' },
      ],
    });
    expect(compareReport(baseline(), report('baseline', 1000, 10, 100)).status).toBe('pass');
  });

  it('skips memory when the report has no server block', () => {
    const c = compareReport(baseline(), report('baseline', 1000, 10, null));
    expect(c.checks[2]).toEqual({
      metric: 'memoryMb',
      baseline: 100,
      current: null,
      ratio: null,
      limit: 1.1,
      verdict: 'SKIP',
    });
    expect(c.status).toBe('pass');
  });

  it('marks a scenario missing from the baseline (exit 2) and says to record it with --update', () => {
    const c = compareReport(baseline(), report('chaos', 1, 1, 1));
    expect(c).toEqual({ scenario: 'chaos', status: 'missing', checks: [], machineDifferences: [] });
    expect(formatComparison(c, 'chaos.json')).toEqual([
      'chaos.json: scenario chaos',
      '  MISSING: the baseline has no entry for scenario "chaos"; record one with: npm run bench:check -- --update chaos.json',
    ]);
    // A scenario named like an Object.prototype member is missing too.
    expect(compareReport(baseline(), { ...report('baseline', 1, 1, 1), scenario: 'constructor' }).status).toBe(
      'missing',
    );
  });

  it('exits 2 on any missing scenario, else 1 on any failure, else 0', () => {
    const pass = compareReport(baseline(), report('baseline', 1000, 10, 100));
    const fail = compareReport(baseline(), report('baseline', 1, 10, 100));
    const missing = compareReport(baseline(), report('idle', 1, 1, 1));
    expect(checkExitCode([pass, pass])).toBe(0);
    expect(checkExitCode([pass, fail])).toBe(1);
    expect(checkExitCode([fail, missing, pass])).toBe(2);
    expect(checkExitCode([])).toBe(0);
  });

  it('formats one line per metric and warns when the machine differs', () => {
    const r = report('baseline', 960, 12.5, null);
    r.machine.cpus = 4;
    r.machine.node = 'v22.0.0';
    expect(formatComparison(compareReport(baseline(), r), 'r.json')).toEqual([
      'r.json: scenario baseline',
      "  warning: this machine differs from the baseline's (cpus 2 -> 4; node v20.17.0 -> v22.0.0); the comparison says little",
      '  achievedPerSec  baseline 1,000.00 req/s  current 960.00 req/s  ratio 0.960  min 0.95  PASS',
      '  p95Ms           baseline 10.00 ms        current 12.50 ms      ratio 1.250  max 1.2   FAIL',
      '  memoryMb        baseline 100.00 MB       current -             ratio -      max 1.1   SKIP',
    ]);
  });
});

describe('baselineEntryFromReport', () => {
  it('takes steps figures from the passing rows, not the summary that mixes in the search', () => {
    const r = report('steps', 9_000, 400, 300);
    const row = (sessions: number, achievedPerSec: number, p95: number, passed: boolean) => ({
      label: String(sessions),
      sessions,
      offeredPerSec: achievedPerSec,
      achievedPerSec,
      latencyMs: { p50: 1, p95, p99: p95, p999: p95, max: p95 },
      errors: 0,
      serverMemoryMb: null,
      passed,
    });
    r.steps = [row(1000, 12_000, 40, true), row(5000, 10_000, 45, true), row(10000, 500, 80, false)];
    expect(validateReport(r)).toEqual([]);
    expect(baselineEntryFromReport(r)).toMatchObject({ achievedPerSec: 11_000, p95Ms: 45, memoryMb: 300 });
  });

  it('compares an idle run by memory only', () => {
    const entry = baselineEntryFromReport(report('idle', 0, 0, 280));
    expect(entry).toMatchObject({ achievedPerSec: null, p95Ms: null, memoryMb: 280 });
    const b: Baseline = { ...baseline(), scenarios: { idle: entry } };
    expect(compareReport(b, report('idle', 0, 0, 300)).checks.map((c) => c.verdict)).toEqual(['SKIP', 'SKIP', 'PASS']);
    expect(compareReport(b, report('idle', 0, 0, 310)).checks.map((c) => c.verdict)).toEqual(['SKIP', 'SKIP', 'FAIL']);
  });
});

describe('updateBaseline', () => {
  it('writes the reports’ scenarios, keeps the others and round-trips through the file format', () => {
    const old = baseline();
    const updated = updateBaseline(old, [report('baseline', 1200, 8, 90), report('steps', 300, 20, null)]);
    expect(old.scenarios.baseline?.achievedPerSec).toBe(1000);
    expect(Object.keys(updated.scenarios)).toEqual(['baseline', 'flood', 'steps']);
    expect(updated.scenarios.flood).toEqual(old.scenarios.flood);
    expect(updated.scenarios.baseline).toEqual({
      achievedPerSec: 1200,
      p95Ms: 8,
      memoryMb: 90,
      recordedAt: '2026-11-23T12:00:00.000Z',
      command: 'erlmcp load --scenario baseline',
    });
    expect(updated.scenarios.steps?.memoryMb).toBeNull();
    const text = serializeBaseline(updated);
    expect(text.endsWith('}\n')).toBe(true);
    const reread = parseBaseline(JSON.parse(text), 'file');
    expect(reread).toEqual(updated);
    expect(compareReport(reread, report('baseline', 1200, 8, 90)).checks.map((c) => c.ratio)).toEqual([1, 1, 1]);
  });

  it('starts a baseline from nothing, last report of a scenario winning, machine from the last report', () => {
    const later = report('chaos', 20, 2, 50);
    later.machine.cpuModel = 'Other CPU';
    const b = updateBaseline(null, [report('chaos', 10, 1, 40), later]);
    expect(b).toEqual({
      schema: BASELINE_SCHEMA,
      machine: { cpus: 2, cpuModel: 'Other CPU', node: 'v20.17.0' },
      scenarios: { chaos: { ...b.scenarios.chaos, achievedPerSec: 20, p95Ms: 2, memoryMb: 50 } },
    });
    expectCode(() => updateBaseline(null, []), 'ERR_INVALID_ARG');
  });
});

describe('parseBaseline', () => {
  it('names the file and every problem', () => {
    const bad = { schema: 'x', machine: { cpus: '2', cpuModel: 'c', node: 'n' }, scenarios: { a: { p95Ms: -1 } } };
    const err = expectCode(() => parseBaseline(bad, 'bench/baseline.json'), 'ERR_REPORT_INVALID');
    expect(err.message).toBe(
      'bench/baseline.json is not a valid load baseline:\n' +
        '  schema: expected "erlmcp-load-baseline/1"\n' +
        '  machine.cpus: expected an integer\n' +
        '  scenarios.a.achievedPerSec: expected a finite number >= 0\n' +
        '  scenarios.a.p95Ms: expected a finite number >= 0\n' +
        '  scenarios.a.memoryMb: expected a finite number >= 0\n' +
        '  scenarios.a.recordedAt: expected a string\n' +
        '  scenarios.a.command: expected a string',
    );
    expectCode(() => parseBaseline([], 'f'), 'ERR_REPORT_INVALID');
  });
});

describe('bench/scenarios/check.mjs', () => {
  const root = path.join(__dirname, '..', '..');
  const script = path.join(root, 'bench', 'scenarios', 'check.mjs');
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = execFile(process.execPath, [script, ...args], { cwd: root }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
      });
      children.push(child);
    });
  }

  it('compares, fails, reports missing scenarios and updates, on real files', async () => {
    expect(
      fs.existsSync(path.join(root, 'dist', 'load', 'regression.js')),
      'dist/load/regression.js is missing: run `npm run build:ts` before this test',
    ).toBe(true);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'erlmcp-check-'));
    dirs.push(dir);
    const file = (name: string, value: unknown) => {
      const p = path.join(dir, name);
      fs.writeFileSync(p, JSON.stringify(value));
      return p;
    };
    const baselineFile = file('baseline.json', baseline());
    const good = file('good.json', report('baseline', 950, 12, 110));
    const slow = file('slow.json', report('baseline', 949, 12, 110));
    const chaos = file('chaos.json', report('chaos', 10, 1, 5));
    const invalid = report('baseline', 1, 1, 1);
    invalid.summary.requests.lost = 1;
    const broken = file('broken.json', invalid);
    expect(validateReport(JSON.parse(fs.readFileSync(good, 'utf8')))).toEqual([]);

    const passed = await run(['--baseline', baselineFile, good]);
    expect(passed.stdout).toBe(
      `${good}: scenario baseline\n` +
        '  achievedPerSec  baseline 1,000.00 req/s  current 950.00 req/s  ratio 0.950  min 0.95  PASS\n' +
        '  p95Ms           baseline 10.00 ms        current 12.00 ms      ratio 1.200  max 1.2   PASS\n' +
        '  memoryMb        baseline 100.00 MB       current 110.00 MB     ratio 1.100  max 1.1   PASS\n' +
        'bench:check: all metrics within the limits\n',
    );
    expect(passed.code).toBe(0);

    const failed = await run(['--baseline', baselineFile, good, slow]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('ratio 0.949  min 0.95  FAIL\n');
    expect(failed.stdout.endsWith('bench:check: REGRESSION\n')).toBe(true);

    const missing = await run(['--baseline', baselineFile, chaos]);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toContain(`record one with: npm run bench:check -- --update ${chaos}`);

    const rejected = await run(['--baseline', baselineFile, broken]);
    expect(rejected.code).toBe(2);
    expect(rejected.stderr).toContain(`${broken} is not a valid load report:\n  summary.requests: sent (100)`);

    const updated = await run(['--baseline', baselineFile, '--update', chaos]);
    expect(updated.code).toBe(0);
    expect(updated.stdout).toBe(
      'recorded chaos: 10.00 req/s, p95 1.00 ms, memory 5.00 MB (2026-11-23T12:00:00.000Z)\n' +
        `wrote ${baselineFile}\n`,
    );
    const written = parseBaseline(JSON.parse(fs.readFileSync(baselineFile, 'utf8')));
    expect(Object.keys(written.scenarios)).toEqual(['baseline', 'chaos', 'flood']);
    expect((await run(['--baseline', baselineFile, chaos])).code).toBe(0);

    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('This is a tool for people, not a CI gate');
    const usage = await run([]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('no report given');
  });
});
