import { ErlmcpError } from '../core/errors.js';
import type { OperationDurationsSnapshot } from './metrics.js';

/**
 * The OpenTelemetry MCP metric `mcp.server.operation.duration` (unit s) as Prometheus names it:
 * dots become underscores and the unit is appended.
 */
export const OPERATION_DURATION_METRIC = 'mcp_server_operation_duration_seconds';

/** One exposition line's data, as prom-client's registry renders it. */
export interface ExpositionValue {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

/**
 * A metric object prom-client's Registry accepts besides its own classes: it reads `name`,
 * `help`, `type` and `aggregator`, awaits `get()` at every scrape and calls `reset()` from
 * `resetMetrics()`.
 */
export interface ScrapedMetric {
  readonly name: string;
  readonly help: string;
  readonly type: 'histogram';
  readonly aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: ExpositionValue[] }>;
  reset(): void;
}

/**
 * Renders a snapshot as Prometheus histogram series, one per (method, outcome) with at least one
 * observation: cumulative `_bucket{le}` per bound, `le="+Inf"`, `_sum`, `_count`. Labels follow
 * the OTel MCP conventions: `mcp_method_name`, and `error_type` "" when the operation succeeded,
 * "_OTHER" otherwise. The +Inf bucket and `_count` are the sum of the bucket counts, so the
 * series is consistent even if the native counters moved while the snapshot was read.
 * ERR_INVALID_ARG when a series has the wrong number of buckets.
 */
export function histogramValues(name: string, snapshot: OperationDurationsSnapshot): ExpositionValue[] {
  const bounds = snapshot.boundsSeconds;
  const out: ExpositionValue[] = [];
  for (const s of snapshot.series) {
    if (s.counts.length !== bounds.length + 1) {
      throw new ErlmcpError(
        'ERR_INVALID_ARG',
        `operation durations of ${s.method}: ${s.counts.length} bucket counts for ${bounds.length} bounds (expected ${bounds.length + 1})`,
      );
    }
    let total = 0;
    for (const c of s.counts) total += c;
    if (total === 0) continue;
    const labels = { mcp_method_name: s.method, error_type: s.ok ? '' : '_OTHER' };
    let cumulative = 0;
    bounds.forEach((le, i) => {
      cumulative += s.counts[i] as number;
      // prom-client renders `le` from the number itself (String(0.005) === '0.005'); so do we.
      out.push({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: cumulative });
    });
    out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: total });
    out.push({ metricName: `${name}_sum`, labels, value: s.sumSeconds });
    out.push({ metricName: `${name}_count`, labels, value: total });
  }
  return out;
}

/**
 * The operation-duration histogram as a metric object for a prom-client Registry: the data is
 * recorded natively and read from `source` at scrape time only.
 */
export function operationDurationMetric(source: () => OperationDurationsSnapshot): ScrapedMetric {
  const name = OPERATION_DURATION_METRIC;
  const help =
    'MCP request duration as observed on the server, from the time it was received until the result was sent.';
  return {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    async get() {
      return { name, help, type: 'histogram', aggregator: 'sum', values: histogramValues(name, source()) };
    },
    // The counts are native and cumulative; there is nothing here to reset.
    reset() {},
  };
}
