/**
 * `npm run bench:check`: compares load reports with the committed baseline
 * (bench/baseline.json) by the seeds' regression rule: throughput below 0.95x, p95 above 1.2x
 * or server memory above 1.1x the baseline is a regression. Pure functions; the CLI
 * (bench/scenarios/check.mjs) only reads files, prints and exits.
 */
import { ErlmcpError } from '../core/errors.js';
import type { LoadMachine, LoadReport } from './report.js';
import { formatFixed } from './table.js';

/** Schema tag of {@link Baseline}. */
export const BASELINE_SCHEMA = 'erlmcp-load-baseline/1';

/** The limits of the regression rule, as ratios current / baseline. */
export const REGRESSION_LIMITS = {
  /** Fail when achieved throughput falls below this ratio. */
  minThroughputRatio: 0.95,
  /** Fail when p95 latency rises above this ratio. */
  maxP95Ratio: 1.2,
  /** Fail when server peak memory rises above this ratio. */
  maxMemoryRatio: 1.1,
} as const;

/** The reference figures of one scenario. */
export interface BaselineEntry {
  /**
   * Ok answers per second (`summary.throughput.achievedPerSec`; steps: the mean of its passing
   * rows' achieved rates; idle: null, it sends nothing).
   */
  achievedPerSec: number | null;
  /** p95 latency of ok answers in ms (`summary.latencyMs.p95`; steps: the highest p95 of its passing rows; idle: null). */
  p95Ms: number | null;
  /** Server peak RSS in MB (`summary.server.memoryMb.peak`); null when the report had no server block. */
  memoryMb: number | null;
  /** `startedAt` of the report it was taken from. */
  recordedAt: string;
  /** The command that produced that report. */
  command: string;
}

/** The machine a baseline was recorded on: figures from another machine compare poorly. */
export type BaselineMachine = Pick<LoadMachine, 'cpus' | 'cpuModel' | 'node'>;

/** bench/baseline.json. */
export interface Baseline {
  /** Always {@link BASELINE_SCHEMA}. */
  schema: typeof BASELINE_SCHEMA;
  /** Machine of the most recent update. */
  machine: BaselineMachine;
  /** Reference figures by scenario name. */
  scenarios: Record<string, BaselineEntry>;
}

/** The metrics compared. */
export type Metric = 'achievedPerSec' | 'p95Ms' | 'memoryMb';

/** The comparison of one metric. */
export interface MetricCheck {
  metric: Metric;
  /** Baseline value; null when the baseline has none (memory of an unobserved server). */
  baseline: number | null;
  /** Value in the report; null when the report has none. */
  current: number | null;
  /** current / baseline; null when either is missing or the baseline is 0. */
  ratio: number | null;
  /** The ratio limit of this metric (a floor for throughput, a ceiling otherwise). */
  limit: number;
  /** SKIP when the metric cannot be compared (a value is missing). */
  verdict: 'PASS' | 'FAIL' | 'SKIP';
}

/** The comparison of one report with the baseline. */
export interface Comparison {
  scenario: string;
  /** `missing`: the baseline has no entry for the scenario (record one with --update). */
  status: 'pass' | 'fail' | 'missing';
  /** One check per metric; empty when the scenario is missing. */
  checks: MetricCheck[];
  /** How the report's machine differs from the baseline's, e.g. `cpus 2 -> 4`; empty when the same. */
  machineDifferences: string[];
}

/** Exit status of bench:check: 0 all passed, 1 a regression, 2 a scenario missing from the baseline. */
export function checkExitCode(comparisons: readonly Comparison[]): 0 | 1 | 2 {
  if (comparisons.some((c) => c.status === 'missing')) return 2;
  return comparisons.some((c) => c.status === 'fail') ? 1 : 0;
}

/** Compares one (valid) report with `baseline`. */
export function compareReport(baseline: Baseline, report: LoadReport): Comparison {
  const entry = Object.hasOwn(baseline.scenarios, report.scenario) ? baseline.scenarios[report.scenario] : undefined;
  const machineDifferences = compareMachines(baseline.machine, report.machine);
  if (!entry) return { scenario: report.scenario, status: 'missing', checks: [], machineDifferences };
  const current = baselineEntryFromReport(report);
  const checks = [
    check(
      'achievedPerSec',
      entry.achievedPerSec,
      current.achievedPerSec,
      REGRESSION_LIMITS.minThroughputRatio,
      'floor',
    ),
    check('p95Ms', entry.p95Ms, current.p95Ms, REGRESSION_LIMITS.maxP95Ratio, 'ceiling'),
    check('memoryMb', entry.memoryMb, current.memoryMb, REGRESSION_LIMITS.maxMemoryRatio, 'ceiling'),
  ];
  const status = checks.some((c) => c.verdict === 'FAIL') ? 'fail' : 'pass';
  return { scenario: report.scenario, status, checks, machineDifferences };
}

/**
 * Ratio current / baseline against the limit. Comparing the ratio (not current against
 * limit x baseline) keeps the boundary exact: 95 / 100 is the double 0.95, 0.95 * 100 is not 95.
 */
function check(
  metric: Metric,
  baseline: number | null,
  current: number | null,
  limit: number,
  kind: 'floor' | 'ceiling',
): MetricCheck {
  if (baseline === null || current === null) return { metric, baseline, current, ratio: null, limit, verdict: 'SKIP' };
  if (baseline === 0) {
    // No ratio to a zero baseline: only a throughput floor of 0 or a ceiling still at 0 passes.
    const ok = kind === 'floor' || current === 0;
    return { metric, baseline, current, ratio: null, limit, verdict: ok ? 'PASS' : 'FAIL' };
  }
  const ratio = current / baseline;
  const ok = kind === 'floor' ? ratio >= limit : ratio <= limit;
  return { metric, baseline, current, ratio, limit, verdict: ok ? 'PASS' : 'FAIL' };
}

/**
 * The headline throughput and p95 of a report. A steps run's summary mixes the failing
 * sub-runs of its rate search in, so its figures come from the rows it reports (the best
 * passing rate per step); an idle run sends nothing, so only its memory is compared.
 */
function headline(report: LoadReport): { achievedPerSec: number | null; p95Ms: number | null } {
  if (report.scenario === 'idle') return { achievedPerSec: null, p95Ms: null };
  if (report.scenario === 'steps') {
    const rows = report.steps.filter((r) => r.passed);
    if (rows.length === 0) return { achievedPerSec: 0, p95Ms: null };
    const mean = rows.reduce((a, r) => a + r.achievedPerSec, 0) / rows.length;
    return { achievedPerSec: Math.round(mean * 10) / 10, p95Ms: Math.max(...rows.map((r) => r.latencyMs.p95)) };
  }
  return { achievedPerSec: report.summary.throughput.achievedPerSec, p95Ms: report.summary.latencyMs.p95 };
}

/** The baseline figures a report would record. */
export function baselineEntryFromReport(report: LoadReport): BaselineEntry {
  return {
    ...headline(report),
    memoryMb: report.summary.server === null ? null : report.summary.server.memoryMb.peak,
    recordedAt: report.startedAt,
    command: report.command,
  };
}

/** Differences between two machines as `field old -> new`; empty when cpus, cpuModel and node match. */
export function compareMachines(baseline: BaselineMachine, current: BaselineMachine): string[] {
  const out: string[] = [];
  for (const key of ['cpus', 'cpuModel', 'node'] as const) {
    if (baseline[key] !== current[key]) out.push(`${key} ${String(baseline[key])} -> ${String(current[key])}`);
  }
  return out;
}

/**
 * `baseline` (null: none yet) with the entries of `reports` written in, other scenarios kept.
 * When several reports share a scenario the last one wins. The machine becomes the last
 * report's. Returns a new object; `baseline` is not modified.
 */
export function updateBaseline(baseline: Baseline | null, reports: readonly LoadReport[]): Baseline {
  if (reports.length === 0) throw new ErlmcpError('ERR_INVALID_ARG', 'updateBaseline needs at least one report');
  const scenarios: Record<string, BaselineEntry> = { ...(baseline?.scenarios ?? {}) };
  for (const r of reports) scenarios[r.scenario] = baselineEntryFromReport(r);
  const last = (reports[reports.length - 1] as LoadReport).machine;
  const sorted = Object.fromEntries(Object.entries(scenarios).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return {
    schema: BASELINE_SCHEMA,
    machine: { cpus: last.cpus, cpuModel: last.cpuModel, node: last.node },
    scenarios: sorted,
  };
}

/** `baseline` as the file's text: 2-space JSON, scenarios in name order, final newline. */
export function serializeBaseline(baseline: Baseline): string {
  return `${JSON.stringify(baseline, null, 2)}\n`;
}

/**
 * A parsed bench/baseline.json checked field by field; throws ErlmcpError
 * `ERR_REPORT_INVALID` naming `source` and every problem.
 */
export function parseBaseline(value: unknown, source = 'baseline'): Baseline {
  const problems: string[] = [];
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const nonNegative = (path: string, v: unknown) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) problems.push(`${path}: expected a finite number >= 0`);
  };
  const text = (path: string, v: unknown) => {
    if (typeof v !== 'string') problems.push(`${path}: expected a string`);
  };
  if (!isObj(value)) {
    problems.push('expected a JSON object');
  } else {
    if (value.schema !== BASELINE_SCHEMA) problems.push(`schema: expected ${JSON.stringify(BASELINE_SCHEMA)}`);
    const m = value.machine;
    if (!isObj(m)) {
      problems.push('machine: expected an object');
    } else {
      if (typeof m.cpus !== 'number' || !Number.isInteger(m.cpus)) problems.push('machine.cpus: expected an integer');
      text('machine.cpuModel', m.cpuModel);
      text('machine.node', m.node);
    }
    if (!isObj(value.scenarios)) {
      problems.push('scenarios: expected an object');
    } else {
      for (const [name, e] of Object.entries(value.scenarios)) {
        const path = `scenarios.${name}`;
        if (!isObj(e)) {
          problems.push(`${path}: expected an object`);
          continue;
        }
        if (e.achievedPerSec !== null) nonNegative(`${path}.achievedPerSec`, e.achievedPerSec);
        if (e.p95Ms !== null) nonNegative(`${path}.p95Ms`, e.p95Ms);
        if (e.memoryMb !== null) nonNegative(`${path}.memoryMb`, e.memoryMb);
        text(`${path}.recordedAt`, e.recordedAt);
        text(`${path}.command`, e.command);
      }
    }
  }
  if (problems.length > 0) {
    throw new ErlmcpError('ERR_REPORT_INVALID', `${source} is not a valid load baseline:\n  ${problems.join('\n  ')}`);
  }
  return value as unknown as Baseline;
}

const UNITS: Record<Metric, string> = { achievedPerSec: 'req/s', p95Ms: 'ms', memoryMb: 'MB' };

/**
 * The lines bench:check prints for one comparison: a heading, a warning when the machine
 * differs, then one line per metric with baseline, current, ratio, limit and verdict; for a
 * missing scenario, a line saying how to record it.
 */
export function formatComparison(c: Comparison, source: string): string[] {
  const lines = [`${source}: scenario ${c.scenario}`];
  if (c.machineDifferences.length > 0) {
    lines.push(
      `  warning: this machine differs from the baseline's (${c.machineDifferences.join('; ')}); ` +
        'the comparison says little',
    );
  }
  if (c.status === 'missing') {
    lines.push(
      `  MISSING: the baseline has no entry for scenario "${c.scenario}"; ` +
        `record one with: npm run bench:check -- --update ${source}`,
    );
    return lines;
  }
  const value = (v: number | null, m: Metric) => (v === null ? '-' : `${formatFixed(v, 2)} ${UNITS[m]}`);
  const rows = c.checks.map((k) => [
    k.metric,
    `baseline ${value(k.baseline, k.metric)}`,
    `current ${value(k.current, k.metric)}`,
    `ratio ${k.ratio === null ? '-' : k.ratio.toFixed(3)}`,
    `${k.metric === 'achievedPerSec' ? 'min' : 'max'} ${k.limit}`,
    k.verdict,
  ]);
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length))) ?? [];
  for (const r of rows)
    lines.push(
      `  ${r
        .map((cell, i) => cell.padEnd(widths[i] as number))
        .join('  ')
        .trimEnd()}`,
    );
  return lines;
}

/** The lines `--update` prints for a recorded entry. */
export function formatRecorded(scenario: string, e: BaselineEntry): string {
  const memory = e.memoryMb === null ? 'no server memory' : `memory ${formatFixed(e.memoryMb, 2)} MB`;
  const rate = e.achievedPerSec === null ? 'no throughput' : `${formatFixed(e.achievedPerSec, 2)} req/s`;
  const p95 = e.p95Ms === null ? 'no p95' : `p95 ${formatFixed(e.p95Ms, 2)} ms`;
  return `recorded ${scenario}: ${rate}, ${p95}, ` + `${memory} (${e.recordedAt})`;
}
