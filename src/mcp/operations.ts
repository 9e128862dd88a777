import { OperationTimings } from '../core/op-timings.js';

/**
 * MCP methods with their own duration series; anything else is recorded as `_OTHER` (the
 * OpenTelemetry convention for values outside a known set), so a client inventing method
 * names cannot grow the metric's cardinality.
 */
export const OPERATION_METHODS = [
  'initialize',
  'ping',
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'resources/subscribe',
  'resources/unsubscribe',
  'prompts/list',
  'prompts/get',
  'completion/complete',
  'logging/setLevel',
  '_OTHER',
] as const;

/**
 * Bucket upper bounds in seconds: the OpenTelemetry MCP conventions' advice for
 * `mcp.server.operation.duration` (10 ms .. 300 s) with finer buckets below 10 ms added,
 * because most requests here finish in well under a millisecond.
 */
export const OPERATION_BOUNDS_SECONDS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300,
] as const;

const INDEX = new Map<string, number>(OPERATION_METHODS.map((m, i) => [m, i]));
const OTHER = OPERATION_METHODS.length - 1;

/** Index of `method` in {@link OPERATION_METHODS} (the `_OTHER` index when unknown). */
export function operationIndex(method: string): number {
  return INDEX.get(method) ?? OTHER;
}

/** Request durations per MCP method and outcome, read at scrape time. */
export interface OperationDurationsSnapshot {
  /** Ascending bucket upper bounds in seconds (no +Inf). */
  boundsSeconds: readonly number[];
  series: ReadonlyArray<{
    method: string;
    ok: boolean;
    /** Non-cumulative; length `boundsSeconds.length + 1`, the last above the top bound. */
    counts: readonly number[];
    sumSeconds: number;
    count: number;
  }>;
}

const OPERATION_BOUNDS_US = OPERATION_BOUNDS_SECONDS.map((s) => Math.round(s * 1e6));

/**
 * A native table sized for {@link OPERATION_METHODS}: a private one, or with `name` the
 * process-wide table of that name (shared by every worker_thread that opens it).
 */
export function createOperationTimings(name?: string): OperationTimings {
  return name === undefined
    ? new OperationTimings(OPERATION_METHODS.length, OPERATION_BOUNDS_US)
    : OperationTimings.open(name, OPERATION_METHODS.length, OPERATION_BOUNDS_US);
}

/** Reads `timings` as per-method series (empty series included). */
export function operationDurations(timings: OperationTimings): OperationDurationsSnapshot {
  return {
    boundsSeconds: OPERATION_BOUNDS_SECONDS,
    series: timings.snapshot().map((s) => ({
      method: OPERATION_METHODS[s.op] ?? '_OTHER',
      ok: s.ok,
      counts: s.counts,
      sumSeconds: s.sumUs / 1e6,
      count: s.count,
    })),
  };
}
