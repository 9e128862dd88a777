import type { ControlReadings } from '../app/control-plane.js';
import { clusterView } from '../cluster/current.js';
import type { ClusterView } from '../cluster/membership.js';
import type { BreakerState } from '../core/breaker.js';
import type { Gate } from '../mcp/gate.js';
import type { ShardSet } from '../shards/shard-set.js';
import type { ConnectionLimiter } from '../transports/limiter.js';
import type { WorkerStats } from '../workers/worker-stats.js';

/** Overall verdict of `GET /health`. */
export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

/** One shard's line in `GET /health`. */
export interface ShardHealth {
  shard: number;
  sessions: number;
  /** Requests queued on the shard and not yet delivered to their session. */
  depth: number;
  accepted: number;
  rejected: number;
  delivered: number;
  failed: number;
  restarts: number;
}

/** The body of `GET /health`; the field names are a contract (the load harness parses them). */
export interface HealthReport {
  status: HealthStatus;
  uptime_s: number;
  /** Transport connections held (WebSocket connections + Streamable HTTP sessions). */
  connections: number;
  /** MCP sessions: 2025 sessions and stdio/WebSocket connections (the gate's registrations without stateless channels when the server's counts are known). */
  sessions: number;
  /** Stateless channels: client addresses sending MCP 2026-07-28 requests over HTTP (null when unknown). */
  stateless_clients: number | null;
  /** Open subscriptions/listen streams (null when unknown). */
  subscriptions: number | null;
  /** Tasks running in this process (null when unknown or the Tasks extension is off). */
  tasks_running: number | null;
  /** Requests admitted and not finished. */
  queue_depth: number;
  /** Resident set size, MB. */
  memory_mb: number;
  heap_used_mb: number;
  /** Longest GC pause in the last sample window, ms. */
  gc_pause_ms: number;
  /** GC pauses added up since start, ms. */
  gc_pause_total_ms: number;
  gc_count: number;
  event_loop_delay_p99_ms: number;
  /** Requests completed per second over the last sample window. */
  throughput_msg_sec: number;
  /** Requests refused or failed over the last 60 s. */
  errors_1m: number;
  breaker: { state: BreakerState; opened: number };
  shards: null | {
    count: number;
    restarts: number;
    restart_ms: null | { p50: number; p99: number; max: number };
    depth_max: number;
    per_shard: ShardHealth[];
  };
  /** In a cluster only (cluster.redis set): this node's view of the cluster (docs/cluster.md). */
  cluster?: ClusterView;
  /** In a worker pool only: the index of the worker that answered. */
  worker?: number;
  /** In a worker pool only: every worker, in index order (see {@link withWorkers}). */
  workers?: WorkerStats[];
}

/** What a health report is made of. */
export interface HealthSources {
  gate: Gate;
  shards?: ShardSet;
  readings: ControlReadings;
  limiter: () => ConnectionLimiter | undefined;
  ready: () => boolean;
  /** When the server started (Date.now() ms), for uptime_s. */
  startedAt: number;
  /** Counts only the MCP server knows (sessions vs stateless channels, subscriptions, tasks). */
  counts?: () => McpCounts;
}

/** What an McpServer holds right now (see `McpServer.counts()`). */
export interface McpCounts {
  sessions: number;
  statelessClients: number;
  subscriptions: number;
  /** Undefined when the Tasks extension is off. */
  tasksRunning: number | undefined;
}

/** Queue depth at or above this share of the admission global maximum is "degraded". */
export const DEGRADED_DEPTH_RATIO = 0.75;
/** Event-loop delay p99 above this (ms) is "degraded". */
export const DEGRADED_EVENT_LOOP_P99_MS = 100;

const round2 = (x: number) => Math.round(x * 100) / 100;

/** Nearest-rank percentile of an ascending array (not empty). */
function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

function shardsSection(shards: ShardSet): HealthReport['shards'] {
  const perShard: ShardHealth[] = shards.stats().map((s) => ({
    shard: s.shard,
    sessions: s.sessions,
    depth: s.depth,
    accepted: s.accepted,
    rejected: s.rejected,
    delivered: s.delivered,
    failed: s.failed,
    restarts: s.restarts,
  }));
  const times = [...shards.restartTimesMs].sort((a, b) => a - b);
  return {
    count: shards.shards,
    restarts: perShard.reduce((n, s) => n + s.restarts, 0),
    restart_ms:
      times.length === 0
        ? null
        : {
            p50: round2(percentile(times, 50)),
            p99: round2(percentile(times, 99)),
            max: round2(times[times.length - 1] as number),
          },
    depth_max: perShard.reduce((m, s) => Math.max(m, s.depth), 0),
    per_shard: perShard,
  };
}

/**
 * The health report: the control plane's latest readings (memory, GC, event loop, throughput,
 * errors) plus native stats read now (sessions, connections, depth, breaker, shards). Before
 * the first sample, memory is read now and the sampled figures are 0.
 *
 * Status: "unhealthy" when the breaker is open or the server is not ready; "degraded" when the
 * breaker is half open, queue_depth is at least 75 % of the admission global maximum, or the
 * event-loop delay p99 exceeds 100 ms, or the node is in a cluster whose Redis it cannot reach
 * (docs/cluster.md); "healthy" otherwise.
 */
export function healthReport(s: HealthSources): HealthReport {
  const h = s.readings.health;
  const m = s.readings.metrics;
  const admission = s.gate.admission.stats();
  const breaker = s.gate.breaker.stats();
  const memory = h ? undefined : process.memoryUsage();
  const eventLoopP99 = h?.eventLoopDelayP99Ms ?? 0;
  let status: HealthStatus = 'healthy';
  if (breaker.state === 'open' || !s.ready()) status = 'unhealthy';
  else if (
    breaker.state === 'half_open' ||
    admission.globalDepth >= DEGRADED_DEPTH_RATIO * admission.maxGlobal ||
    eventLoopP99 > DEGRADED_EVENT_LOOP_P99_MS
  ) {
    status = 'degraded';
  }
  const cluster = clusterView();
  if (status === 'healthy' && cluster?.state === 'degraded') status = 'degraded';
  const counts = s.counts?.();
  return {
    status,
    uptime_s: Math.round((Date.now() - s.startedAt) / 100) / 10,
    connections: s.limiter()?.count ?? 0,
    sessions: counts?.sessions ?? s.gate.sessions,
    stateless_clients: counts?.statelessClients ?? null,
    subscriptions: counts?.subscriptions ?? null,
    tasks_running: counts?.tasksRunning ?? null,
    queue_depth: admission.globalDepth,
    memory_mb: h?.rssMb ?? Math.round((memory as NodeJS.MemoryUsage).rss / 2 ** 20),
    heap_used_mb: h?.heapUsedMb ?? Math.round((memory as NodeJS.MemoryUsage).heapUsed / 2 ** 20),
    gc_pause_ms: h?.gcPauseMaxMs ?? 0,
    gc_pause_total_ms: h?.gcPauseTotalMs ?? 0,
    gc_count: h?.gcCount ?? 0,
    event_loop_delay_p99_ms: eventLoopP99,
    throughput_msg_sec: m?.throughputMsgSec ?? 0,
    errors_1m: m?.errors1m ?? 0,
    breaker: { state: breaker.state, opened: breaker.opened },
    shards: s.shards ? shardsSection(s.shards) : null,
    ...(cluster ? { cluster } : {}),
  };
}

const sum = (workers: readonly WorkerStats[], field: keyof WorkerStats): number | null => {
  let total: number | null = null;
  for (const w of workers) {
    const v = w[field];
    if (typeof v === 'number') total = (total ?? 0) + v;
  }
  return total;
};

/**
 * The report of worker `worker` of a pool made a report of the process: `workers` lists every
 * worker; `sessions`, `stateless_clients`, `subscriptions`, `tasks_running` and
 * `heap_used_mb` (a V8 heap per thread) become totals over the workers that answered, and
 * `event_loop_delay_p99_ms` the worst of their loops. `connections`, `queue_depth`,
 * `memory_mb`, throughput, errors, breaker and shards are process-wide already. A worker down
 * or unresponsive makes a "healthy" report "degraded".
 */
export function withWorkers(report: HealthReport, worker: number, workers: WorkerStats[]): HealthReport {
  const answered = workers.filter((w) => w.up);
  let eventLoopP99 = report.event_loop_delay_p99_ms;
  for (const w of answered) eventLoopP99 = Math.max(eventLoopP99, w.event_loop_delay_p99_ms ?? 0);
  let status = report.status;
  if (status === 'healthy' && (answered.length < workers.length || eventLoopP99 > DEGRADED_EVENT_LOOP_P99_MS)) {
    status = 'degraded';
  }
  return {
    ...report,
    status,
    sessions: sum(answered, 'sessions') ?? report.sessions,
    stateless_clients: sum(answered, 'stateless_clients') ?? report.stateless_clients,
    subscriptions: sum(answered, 'subscriptions') ?? report.subscriptions,
    tasks_running: sum(answered, 'tasks_running') ?? report.tasks_running,
    heap_used_mb: sum(answered, 'heap_used_mb') ?? report.heap_used_mb,
    event_loop_delay_p99_ms: eventLoopP99,
    worker,
    workers,
  };
}

/** 503 for "unhealthy" (take the instance out of rotation), 200 otherwise. */
export function healthHttpStatus(report: HealthReport): number {
  return report.status === 'unhealthy' ? 503 : 200;
}
