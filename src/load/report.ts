/**
 * The report of one `erlmcp load` run (`--json FILE`), and its validator. The format is
 * versioned by `schema`: the HTML report, the terminal table and `npm run bench:check` read
 * nothing else, so every field is checked here once instead of defended against everywhere.
 */
import { ErlmcpError } from '../core/errors.js';

/** Schema tag of {@link LoadReport}; bumped on any incompatible change. */
export const REPORT_SCHEMA = 'erlmcp-load-report/1';

/** Names `LoadReport.scenario` may take: the presets of `erlmcp load --scenario`, or `custom`. */
export const LOAD_SCENARIOS = [
  'baseline',
  'flood',
  'bombing',
  'steps',
  'idle',
  'chaos',
  'recovery',
  'cluster',
  'custom',
] as const;

/** How a sent request that was not answered with a result can end, besides `lost`. */
export const ERROR_KINDS = ['rate_limited', 'overloaded', 'circuit_open', 'timeout', 'transport', 'protocol'] as const;

/** One of {@link ERROR_KINDS}. */
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** The machine the load generator ran on. */
export interface LoadMachine {
  /** Logical CPUs (`os.availableParallelism()`). */
  cpus: number;
  /** Model string of the first CPU. */
  cpuModel: string;
  /** Total memory in GB. */
  memoryGb: number;
  /** Node.js version (`process.version`). */
  node: string;
  /** `process.platform`. */
  platform: string;
  /** Soft file-descriptor limit the generator ran with; null when it could not be read. */
  fdLimit: number | null;
}

/** The server under load. */
export interface LoadTarget {
  /** MCP endpoint the sessions connected to. */
  url: string;
  /** Transport of every session. */
  transport: 'ws' | 'http';
  /** True when no `--url` was given and the harness started the server itself. */
  startedByHarness: boolean;
  /** Local addresses client sockets were bound to (spread to pass one address's ephemeral-port limit). */
  sourceAddresses: string[];
}

/** Latency percentiles of a whole run, in milliseconds, from a histogram. */
export interface LatencySummaryMs {
  /** Median. */
  p50: number;
  /** 95th percentile. */
  p95: number;
  /** 99th percentile. */
  p99: number;
  /** 99.9th percentile. */
  p999: number;
  /** Largest value recorded. */
  max: number;
  /** Arithmetic mean. */
  mean: number;
  /** Number of answers measured. */
  count: number;
}

/** Latency percentiles of one step, in milliseconds. */
export interface StepLatencyMs {
  /** Median. */
  p50: number;
  /** 95th percentile. */
  p95: number;
  /** 99th percentile. */
  p99: number;
  /** 99.9th percentile. */
  p999: number;
  /** Largest value recorded. */
  max: number;
}

/** Outcome of every request sent: `sent === ok + sum(errors) + lost`. */
export interface RequestCounts {
  /** Requests written to a session. */
  sent: number;
  /** Answered with a result. */
  ok: number;
  /** Answered with an error (or failed locally), by kind. */
  errors: Record<ErrorKind, number>;
  /** Sent and never answered by the end of the drain. */
  lost: number;
  /** Answers for ids already answered or never sent (not part of the `sent` sum). */
  duplicated: number;
}

/** Server-side measurements; only when the harness could observe the server process. */
export interface ServerSummary {
  /** Resident set size in MB: at the start, the highest sampled and at the end. */
  memoryMb: { start: number; peak: number; end: number };
  /** (peak - start) per established session in KB; null when no session was established. */
  memoryPerSessionKb: number | null;
  /** Event-loop delay: the highest per-sample p99, in ms. */
  eventLoopDelayP99Ms: { max: number };
  /** Garbage-collection pauses in ms: the longest one and their sum over the run. */
  gcPauseMs: { max: number; total: number };
}

/** Totals of a whole run. */
export interface LoadSummary {
  /** Session opens: `attempted === established + refused + failed`. */
  sessions: {
    /** Opens tried. */
    attempted: number;
    /** Opens that completed the MCP handshake. */
    established: number;
    /** Opens the server turned away (connection limit, admission). */
    refused: number;
    /** Opens that failed otherwise (socket error, timeout, bad handshake). */
    failed: number;
    /** Most sessions open at the same time. */
    peak: number;
  };
  /** Outcome of every request sent. */
  requests: RequestCounts;
  /** Request rates over the measured window. */
  throughput: {
    /** Requests per second the scenario asked for. */
    offeredPerSec: number;
    /** Ok answers per second over the measured window. */
    achievedPerSec: number;
  };
  /** Latency of ok answers only. */
  latencyMs: LatencySummaryMs;
  /** Latency of error answers; null when there was none. */
  rejectLatencyMs: LatencySummaryMs | null;
  /** Server measurements; null when the server was not observable (an external `--url`). */
  server: ServerSummary | null;
}

/** One row of a stepped scenario (e.g. `steps`: 1k, 5k, 10k, 15k sessions). */
export interface LoadStep {
  /** Short name of the step, e.g. `5k`. */
  label: string;
  /** Sessions open during the step; never fewer than in the step before. */
  sessions: number;
  /** Requests per second asked for. */
  offeredPerSec: number;
  /** Ok answers per second. */
  achievedPerSec: number;
  /** Latency of the step's ok answers. */
  latencyMs: StepLatencyMs;
  /** Error answers and lost requests during the step. */
  errors: number;
  /** Server RSS at the end of the step in MB; null when the server was not observable. */
  serverMemoryMb: number | null;
  /** Met the scenario's criterion (e.g. p95 < 50 ms). */
  passed: boolean;
}

/** One sample window of the run. */
export interface TimelinePoint {
  /** Seconds since the start of the run at the end of the window; strictly increasing. */
  t: number;
  /** Sessions open. */
  sessions: number;
  /** Requests sent per second. */
  sentPerSec: number;
  /** Ok answers per second. */
  okPerSec: number;
  /** Error answers per second. */
  errorsPerSec: number;
  /** Median latency of the window's ok answers; null when there was none. */
  p50Ms: number | null;
  /** 95th percentile, null when there was no ok answer. */
  p95Ms: number | null;
  /** 99th percentile, null when there was no ok answer. */
  p99Ms: number | null;
  /** Server RSS in MB; null when not observable. */
  serverMemoryMb: number | null;
  /** Server event-loop delay p99 in ms; null when not observable. */
  serverEventLoopP99Ms: number | null;
}

/** One `erlmcp load` run. Every request sent ends in exactly one of: ok, one error kind, or lost. */
export interface LoadReport {
  /** Always {@link REPORT_SCHEMA}. */
  schema: typeof REPORT_SCHEMA;
  /** One of {@link LOAD_SCENARIOS}. */
  scenario: string;
  /** When the run started, ISO 8601. */
  startedAt: string;
  /** Wall time of the whole run in seconds. */
  durationSec: number;
  /** The command line that produced the report. */
  command: string;
  /** The load generator's machine. */
  machine: LoadMachine;
  /** The server under load. */
  target: LoadTarget;
  /** Scenario parameters actually used. */
  params: Record<string, number | string | boolean>;
  /** Totals of the run. */
  summary: LoadSummary;
  /** One row per step; empty for scenarios without steps. */
  steps: LoadStep[];
  /** Sample windows in time order. */
  timeline: TimelinePoint[];
  /** Scenario-specific results (e.g. `p95CrossedAtSessions`, `recoverySec`). */
  findings: Record<string, number | string | boolean | null>;
  /** Things a reader must know (limits not reached, lowered targets, ...). */
  warnings: string[];
}

const PERCENTILES = ['p50', 'p95', 'p99', 'p999', 'max'] as const;
const SESSION_COUNTS = ['attempted', 'established', 'refused', 'failed', 'peak'] as const;
// ISO 8601 date-time as Date#toISOString and most producers write it, with an offset or Z.
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

type Obj = Record<string, unknown>;

/** Collects problems as `path: what is wrong` lines. */
class Problems {
  readonly list: string[] = [];

  add(path: string, message: string): void {
    this.list.push(`${path}: ${message}`);
  }

  /** The object at `path`, or undefined (and a problem) when `value` is not a plain object. */
  object(path: string, value: unknown): Obj | undefined {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Obj;
    this.add(path, value === undefined ? 'missing' : `expected an object, got ${describe(value)}`);
    return undefined;
  }

  array(path: string, value: unknown): unknown[] | undefined {
    if (Array.isArray(value)) return value;
    this.add(path, value === undefined ? 'missing' : `expected an array, got ${describe(value)}`);
    return undefined;
  }

  string(path: string, value: unknown): value is string {
    if (typeof value === 'string') return true;
    this.add(path, value === undefined ? 'missing' : `expected a string, got ${describe(value)}`);
    return false;
  }

  boolean(path: string, value: unknown): value is boolean {
    if (typeof value === 'boolean') return true;
    this.add(path, value === undefined ? 'missing' : `expected a boolean, got ${describe(value)}`);
    return false;
  }

  /** A finite number >= 0 (rates, times, sizes). */
  amount(path: string, value: unknown): value is number {
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return true;
    this.add(path, value === undefined ? 'missing' : `expected a finite number >= 0, got ${describe(value)}`);
    return false;
  }

  /** A non-negative integer (every count). */
  count(path: string, value: unknown): value is number {
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return true;
    this.add(path, value === undefined ? 'missing' : `expected a non-negative integer, got ${describe(value)}`);
    return false;
  }

  nullableAmount(path: string, value: unknown): value is number | null {
    return value === null || this.amount(path, value);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  return typeof value;
}

/**
 * Every problem of `r` as a {@link LoadReport}, one `path: problem` line each; empty when valid.
 * Checks the schema tag, every required field and its type, that counts are non-negative
 * integers, that requests and sessions add up, that percentiles are ordered in every latency
 * block, that timeline `t` strictly increases and that step sessions never decrease.
 * Unknown extra fields are allowed.
 */
export function validateReport(r: unknown): string[] {
  const p = new Problems();
  const report = p.object('report', r);
  if (!report) return p.list;
  if (report.schema !== REPORT_SCHEMA) {
    p.add('schema', `expected ${JSON.stringify(REPORT_SCHEMA)}, got ${describe(report.schema)}`);
  }
  if (p.string('scenario', report.scenario) && !(LOAD_SCENARIOS as readonly string[]).includes(report.scenario)) {
    p.add('scenario', `expected one of ${LOAD_SCENARIOS.join(', ')}, got ${describe(report.scenario)}`);
  }
  if (p.string('startedAt', report.startedAt) && !isIsoDate(report.startedAt)) {
    p.add('startedAt', `expected an ISO 8601 date-time, got ${describe(report.startedAt)}`);
  }
  p.amount('durationSec', report.durationSec);
  p.string('command', report.command);
  checkMachine(p, report.machine);
  checkTarget(p, report.target);
  checkScalarRecord(p, 'params', report.params, false);
  checkSummary(p, report.summary);
  checkSteps(p, report.steps);
  checkTimeline(p, report.timeline);
  checkScalarRecord(p, 'findings', report.findings, true);
  const warnings = p.array('warnings', report.warnings);
  warnings?.forEach((w, i) => {
    p.string(`warnings[${i}]`, w);
  });
  return p.list;
}

/** Throws ErlmcpError `ERR_REPORT_INVALID` listing every problem unless `r` is a valid {@link LoadReport}. */
export function assertValidReport(r: unknown): asserts r is LoadReport {
  const problems = validateReport(r);
  if (problems.length > 0) {
    throw new ErlmcpError(
      'ERR_REPORT_INVALID',
      `invalid load report (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${problems.join('\n  ')}`,
    );
  }
}

function isIsoDate(s: string): boolean {
  return ISO_8601.test(s) && !Number.isNaN(Date.parse(s));
}

function checkMachine(p: Problems, value: unknown): void {
  const m = p.object('machine', value);
  if (!m) return;
  p.count('machine.cpus', m.cpus);
  p.string('machine.cpuModel', m.cpuModel);
  p.amount('machine.memoryGb', m.memoryGb);
  p.string('machine.node', m.node);
  p.string('machine.platform', m.platform);
  if (m.fdLimit !== null) p.count('machine.fdLimit', m.fdLimit);
}

function checkTarget(p: Problems, value: unknown): void {
  const t = p.object('target', value);
  if (!t) return;
  p.string('target.url', t.url);
  if (t.transport !== 'ws' && t.transport !== 'http') {
    p.add('target.transport', `expected "ws" or "http", got ${describe(t.transport)}`);
  }
  p.boolean('target.startedByHarness', t.startedByHarness);
  const addresses = p.array('target.sourceAddresses', t.sourceAddresses);
  addresses?.forEach((a, i) => {
    p.string(`target.sourceAddresses[${i}]`, a);
  });
}

/** params (string | finite number | boolean) and findings (the same, or null). */
function checkScalarRecord(p: Problems, path: string, value: unknown, nullable: boolean): void {
  const o = p.object(path, value);
  if (!o) return;
  for (const [key, v] of Object.entries(o)) {
    const ok =
      typeof v === 'string' ||
      typeof v === 'boolean' ||
      (typeof v === 'number' && Number.isFinite(v)) ||
      (nullable && v === null);
    if (!ok) {
      p.add(
        `${path}.${key}`,
        `expected a string, finite number, boolean${nullable ? ' or null' : ''}, got ${describe(v)}`,
      );
    }
  }
}

function checkSummary(p: Problems, value: unknown): void {
  const s = p.object('summary', value);
  if (!s) return;
  const sessions = p.object('summary.sessions', s.sessions);
  if (sessions) {
    const ok = SESSION_COUNTS.map((k) => p.count(`summary.sessions.${k}`, sessions[k])).every(Boolean);
    const { attempted, established, refused, failed, peak } = sessions as Record<
      (typeof SESSION_COUNTS)[number],
      number
    >;
    if (ok && attempted !== established + refused + failed) {
      p.add(
        'summary.sessions',
        `attempted (${attempted}) !== established + refused + failed (${established + refused + failed})`,
      );
    }
    if (ok && peak > established) p.add('summary.sessions', `peak (${peak}) > established (${established})`);
  }
  checkRequests(p, s.requests);
  const throughput = p.object('summary.throughput', s.throughput);
  if (throughput) {
    p.amount('summary.throughput.offeredPerSec', throughput.offeredPerSec);
    p.amount('summary.throughput.achievedPerSec', throughput.achievedPerSec);
  }
  checkLatencySummary(p, 'summary.latencyMs', s.latencyMs);
  if (s.rejectLatencyMs !== null) checkLatencySummary(p, 'summary.rejectLatencyMs', s.rejectLatencyMs);
  if (s.server !== null) checkServer(p, s.server);
}

function checkRequests(p: Problems, value: unknown): void {
  const r = p.object('summary.requests', value);
  if (!r) return;
  let ok = ['sent', 'ok', 'lost', 'duplicated'].map((k) => p.count(`summary.requests.${k}`, r[k])).every(Boolean);
  let errorSum = 0;
  const errors = p.object('summary.requests.errors', r.errors);
  if (errors) {
    for (const kind of ERROR_KINDS) {
      if (p.count(`summary.requests.errors.${kind}`, errors[kind])) errorSum += errors[kind] as number;
      else ok = false;
    }
  } else {
    ok = false;
  }
  if (!ok) return;
  const { sent, ok: okCount, lost } = r as Record<'sent' | 'ok' | 'lost', number>;
  const answered = okCount + errorSum + lost;
  if (sent !== answered) {
    p.add(
      'summary.requests',
      `sent (${sent}) !== ok + errors + lost (${okCount} + ${errorSum} + ${lost} = ${answered})`,
    );
  }
}

/** A whole-run latency block: the percentiles, mean and count. */
function checkLatencySummary(p: Problems, path: string, value: unknown): void {
  const l = checkPercentiles(p, path, value);
  if (!l) return;
  p.amount(`${path}.mean`, l.mean);
  p.count(`${path}.count`, l.count);
}

/** The percentiles p50..max of a block: each a finite number >= 0, in non-decreasing order. */
function checkPercentiles(p: Problems, path: string, value: unknown): Obj | undefined {
  const l = p.object(path, value);
  if (!l) return undefined;
  const valid = PERCENTILES.map((k) => p.amount(`${path}.${k}`, l[k])).every(Boolean);
  if (valid) checkOrdered(p, path, PERCENTILES, l as Record<string, number>);
  return l;
}

/** Reports the first pair of `keys` (all numbers in `o`) out of non-decreasing order. */
function checkOrdered(p: Problems, path: string, keys: readonly string[], o: Record<string, number>): void {
  for (let i = 1; i < keys.length; i++) {
    const lo = keys[i - 1] as string;
    const hi = keys[i] as string;
    if ((o[lo] as number) > (o[hi] as number)) {
      p.add(path, `percentiles out of order: ${lo} (${o[lo]}) > ${hi} (${o[hi]})`);
      return;
    }
  }
}

function checkServer(p: Problems, value: unknown): void {
  const s = p.object('summary.server', value);
  if (!s) return;
  const mem = p.object('summary.server.memoryMb', s.memoryMb);
  if (mem) {
    const keys = ['start', 'peak', 'end'] as const;
    const ok = keys.map((k) => p.amount(`summary.server.memoryMb.${k}`, mem[k])).every(Boolean);
    const { start, peak, end } = mem as Record<(typeof keys)[number], number>;
    if (ok && peak < Math.max(start, end)) {
      p.add('summary.server.memoryMb', `peak (${peak}) < max(start, end) (${Math.max(start, end)})`);
    }
  }
  if (s.memoryPerSessionKb !== null) p.amount('summary.server.memoryPerSessionKb', s.memoryPerSessionKb);
  const loop = p.object('summary.server.eventLoopDelayP99Ms', s.eventLoopDelayP99Ms);
  if (loop) p.amount('summary.server.eventLoopDelayP99Ms.max', loop.max);
  const gc = p.object('summary.server.gcPauseMs', s.gcPauseMs);
  if (gc) {
    const ok = p.amount('summary.server.gcPauseMs.max', gc.max) && p.amount('summary.server.gcPauseMs.total', gc.total);
    if (ok && (gc.max as number) > (gc.total as number)) {
      p.add('summary.server.gcPauseMs', `max (${gc.max}) > total (${gc.total})`);
    }
  }
}

function checkSteps(p: Problems, value: unknown): void {
  const steps = p.array('steps', value);
  if (!steps) return;
  let previous: number | undefined;
  steps.forEach((item, i) => {
    const path = `steps[${i}]`;
    const step = p.object(path, item);
    if (!step) return;
    p.string(`${path}.label`, step.label);
    if (p.count(`${path}.sessions`, step.sessions)) {
      if (previous !== undefined && step.sessions < previous) {
        p.add(`${path}.sessions`, `decreases: ${step.sessions} after ${previous}`);
      }
      previous = step.sessions;
    }
    p.amount(`${path}.offeredPerSec`, step.offeredPerSec);
    p.amount(`${path}.achievedPerSec`, step.achievedPerSec);
    checkPercentiles(p, `${path}.latencyMs`, step.latencyMs);
    p.count(`${path}.errors`, step.errors);
    p.nullableAmount(`${path}.serverMemoryMb`, step.serverMemoryMb);
    p.boolean(`${path}.passed`, step.passed);
  });
}

function checkTimeline(p: Problems, value: unknown): void {
  const timeline = p.array('timeline', value);
  if (!timeline) return;
  let previous: number | undefined;
  timeline.forEach((item, i) => {
    const path = `timeline[${i}]`;
    const point = p.object(path, item);
    if (!point) return;
    if (p.amount(`${path}.t`, point.t)) {
      if (previous !== undefined && point.t <= previous) {
        p.add(`${path}.t`, `not strictly increasing: ${point.t} after ${previous}`);
      }
      previous = point.t;
    }
    p.count(`${path}.sessions`, point.sessions);
    p.amount(`${path}.sentPerSec`, point.sentPerSec);
    p.amount(`${path}.okPerSec`, point.okPerSec);
    p.amount(`${path}.errorsPerSec`, point.errorsPerSec);
    const keys = ['p50Ms', 'p95Ms', 'p99Ms'] as const;
    const valid = keys.map((k) => p.nullableAmount(`${path}.${k}`, point[k])).every(Boolean);
    const nulls = keys.filter((k) => point[k] === null).length;
    // The three come from the same window's histogram: all present or all absent.
    if (valid && nulls !== 0 && nulls !== keys.length) {
      p.add(path, 'p50Ms, p95Ms and p99Ms must be all numbers or all null');
    } else if (valid && nulls === 0) {
      checkOrdered(p, path, keys, point as Record<string, number>);
    }
    p.nullableAmount(`${path}.serverMemoryMb`, point.serverMemoryMb);
    p.nullableAmount(`${path}.serverEventLoopP99Ms`, point.serverEventLoopP99Ms);
  });
}
