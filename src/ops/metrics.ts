import { Counter, Gauge, type Metric, Registry } from 'prom-client';
import type { Gate } from '../mcp/gate.js';
import type { OperationDurationsSnapshot } from '../mcp/operations.js';
import type { ShardSet } from '../shards/shard-set.js';
import type { ConnectionCloses, ConnectionStats } from '../transports/conn-guard.js';
import type { ConnectionLimiter } from '../transports/limiter.js';
import type { WorkerStats } from '../workers/worker-stats.js';
import { addClusterMetrics } from './cluster-metrics.js';
import type { McpCounts } from './health.js';
import { operationDurationMetric } from './operation-histogram.js';
import { addProcessMetrics } from './process-metrics.js';
import type { RestartCounter } from './restarts.js';

export type { OperationDurationsSnapshot } from '../mcp/operations.js';

/** Where the metrics come from; every value is read at scrape time. */
export interface MetricsSources {
  gate: Gate;
  /** The shard managers, for per-shard restarts (none without). */
  shards?: ShardSet;
  /** The listener's connection limiter (undefined while there is no listener). */
  limiter: () => ConnectionLimiter | undefined;
  /** The listener's raw TCP connection counts (`listener.connectionStats()`; no such series without). */
  connections?: () => ConnectionStats | undefined;
  /** Restarts by supervisor. */
  restarts: RestartCounter;
  /** The native per-method durations (no histogram series without). */
  operationDurations?: () => OperationDurationsSnapshot;
  /** Counts only the MCP server knows (no such gauges without). */
  counts?: () => McpCounts;
  /**
   * In a worker pool: every worker's snapshot (one round of mesh calls, shared by the gauges
   * of one scrape). Adds the `erlmcp_worker_*` series and `erlmcp_workers`, and makes the
   * per-thread gauges (stateless clients, subscriptions, tasks, TCP connections) totals.
   */
  workers?: () => Promise<WorkerStats[]>;
}

/** The outcomes of `erlmcp_messages_total`, in exposition order. */
export const MESSAGE_OUTCOMES = [
  'ok',
  'failed',
  'rate_limited',
  'shard_overloaded',
  'global_overloaded',
  'circuit_open',
] as const;

/** The reasons of `erlmcp_http_connections_closed_total`, in exposition order, with their stats field. */
export const CONNECTION_CLOSE_REASONS: readonly (readonly [string, keyof ConnectionCloses])[] = [
  ['headers_timeout', 'headersTimeout'],
  ['body_timeout', 'bodyTimeout'],
  ['idle_timeout', 'idleTimeout'],
  ['over_limit', 'overLimit'],
];

const BREAKER_STATE_VALUE = { closed: 0, half_open: 1, open: 2 } as const;

/**
 * A prom-client Registry of its own (never the global one, so servers in one process do not
 * clash) with the process metrics and erlmcp's: sessions, connections, in-flight requests,
 * per-shard sessions and queue depth, messages by outcome, dropped notifications and flood
 * disconnects, breaker state, restarts and the per-method duration histogram. Every value is
 * read in a `collect()` callback (or `get()`) at scrape time from the native counters (the
 * notification tallies are plain numbers the gate bumps on the drop path only): nothing is
 * recorded per message here.
 */
export function createMetricsRegistry(s: MetricsSources): Registry {
  const registry = new Registry();
  addProcessMetrics(registry);
  const registers = [registry];
  const { gate } = s;

  new Gauge({
    name: 'erlmcp_sessions',
    help: 'MCP sessions registered in the gate.',
    registers,
    collect() {
      this.set(gate.sessions);
    },
  });
  const counts = s.counts;
  const workers = s.workers;
  /** This thread's value, or in a pool the total over the workers that answered. */
  const total = async (field: keyof WorkerStats, local: () => number): Promise<number> => {
    if (!workers) return local();
    let n = 0;
    for (const w of await workers()) if (w.up && typeof w[field] === 'number') n += w[field] as number;
    return n;
  };
  if (counts) {
    new Gauge({
      name: 'erlmcp_stateless_clients',
      help: 'Stateless channels: client addresses sending MCP 2026-07-28 requests over Streamable HTTP.',
      registers,
      async collect() {
        this.set(await total('stateless_clients', () => counts().statelessClients));
      },
    });
    new Gauge({
      name: 'erlmcp_subscriptions',
      help: 'Open subscriptions/listen streams (MCP 2026-07-28).',
      registers,
      async collect() {
        this.set(await total('subscriptions', () => counts().subscriptions));
      },
    });
    new Gauge({
      name: 'erlmcp_tasks_running',
      help: 'Tasks (Tasks extension) running in this process.',
      registers,
      async collect() {
        this.set(await total('tasks_running', () => counts().tasksRunning ?? 0));
      },
    });
  }
  new Gauge({
    name: 'erlmcp_connections',
    help: 'Transport connections held (WebSocket connections + Streamable HTTP sessions).',
    registers,
    collect() {
      this.set(s.limiter()?.count ?? 0);
    },
  });
  new Counter({
    name: 'erlmcp_connections_refused_total',
    help: 'Connections refused with 503 because maxConnections were held.',
    registers,
    collect() {
      this.reset();
      this.inc(s.limiter()?.refused ?? 0);
    },
  });
  const connections = s.connections;
  if (connections) {
    new Gauge({
      name: 'erlmcp_tcp_connections',
      help: 'TCP connections open on the listening port (requests, SSE streams, WebSockets, idle keep-alive).',
      registers,
      async collect() {
        this.set(await total('tcp_connections', () => connections()?.open ?? 0));
      },
    });
    new Counter({
      name: 'erlmcp_http_connections_closed_total',
      help: 'Connections closed by the server: request headers or body not received in time, keep-alive idle, or over maxRawConnections on accept.',
      labelNames: ['reason'],
      registers,
      collect() {
        const closed = connections()?.closed;
        this.reset();
        for (const [reason, field] of CONNECTION_CLOSE_REASONS) this.inc({ reason }, closed?.[field] ?? 0);
      },
    });
  }
  new Gauge({
    name: 'erlmcp_inflight',
    help: 'Requests admitted and not yet finished (queued or running), all shards.',
    registers,
    collect() {
      this.set(gate.admission.globalDepth);
    },
  });
  new Gauge({
    name: 'erlmcp_shard_sessions',
    help: 'MCP sessions registered per registry shard.',
    labelNames: ['shard'],
    registers,
    collect() {
      this.reset();
      gate.registry.stats().perShard.forEach((n, shard) => {
        this.set({ shard }, n);
      });
    },
  });
  new Gauge({
    name: 'erlmcp_shard_queue_depth',
    help: 'Requests admitted and not yet finished per shard (its admission depth; limit maxPerShard).',
    labelNames: ['shard'],
    registers,
    collect() {
      this.reset();
      gate.admission.stats().perShardDepth.forEach((n, shard) => {
        this.set({ shard }, n);
      });
    },
  });
  new Counter({
    name: 'erlmcp_messages_total',
    help: 'Requests by outcome: ok/failed once finished, or the admission refusal.',
    labelNames: ['outcome'],
    registers,
    collect() {
      const r = gate.router.stats();
      const v = r.verdicts;
      // A request refused by a full shard queue passed admission and was completed at once:
      // the client got shard_overloaded, so count it there and not as ok.
      let queueFull = 0;
      for (const st of s.shards?.stats() ?? []) queueFull += st.queueFull;
      const counts = [
        r.completedOk - queueFull,
        r.completedFailed,
        v.rate_limited,
        v.shard_overloaded + queueFull,
        v.global_overloaded,
        v.circuit_open,
      ];
      this.reset();
      MESSAGE_OUTCOMES.forEach((outcome, i) => {
        this.inc({ outcome }, counts[i] as number);
      });
    },
  });
  new Counter({
    name: 'erlmcp_notifications_dropped_total',
    help: "Inbound notifications dropped because the sender's token bucket was empty.",
    labelNames: ['reason'],
    registers,
    collect() {
      this.reset();
      this.inc({ reason: 'rate_limited' }, gate.notificationStats().dropped);
    },
  });
  new Counter({
    name: 'erlmcp_notification_floods_total',
    help: 'Times a sender broke the flood rule (more than floodDisconnectAfter notifications dropped within floodWindowMs) and was disconnected.',
    registers,
    collect() {
      this.reset();
      this.inc(gate.notificationStats().floods);
    },
  });
  new Gauge({
    name: 'erlmcp_breaker_state',
    help: 'Global circuit breaker state: 0 closed, 1 half_open, 2 open.',
    registers,
    collect() {
      this.set(BREAKER_STATE_VALUE[gate.breaker.state]);
    },
  });
  new Counter({
    name: 'erlmcp_breaker_opened_total',
    help: 'Times the global circuit breaker opened.',
    registers,
    collect() {
      this.reset();
      this.inc(gate.breaker.stats().opened);
    },
  });
  new Counter({
    name: 'erlmcp_supervisor_restarts_total',
    help: 'Child restarts by supervisor.',
    labelNames: ['supervisor'],
    registers,
    collect() {
      this.reset();
      for (const [supervisor, n] of s.restarts.counts()) this.inc({ supervisor }, n);
    },
  });
  new Counter({
    name: 'erlmcp_shard_restarts_total',
    help: 'Restarts of each shard manager.',
    labelNames: ['shard'],
    registers,
    collect() {
      this.reset();
      for (const st of s.shards?.stats() ?? []) this.inc({ shard: st.shard }, st.restarts);
    },
  });
  if (workers) addWorkerMetrics(registry, workers);
  addClusterMetrics(registry);
  const durations = s.operationDurations;
  if (durations) {
    // Not a prom-client class: a metric object whose get() renders the native counts (see
    // operation-histogram.ts); the registry only reads name/help/type and awaits get().
    registry.registerMetric(operationDurationMetric(durations) as unknown as Metric);
  }
  return registry;
}

/** Per-worker gauge/counter values: the field of every worker that answered. */
const WORKER_SERIES: readonly {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  value: (w: WorkerStats) => number | null;
}[] = [
  {
    name: 'erlmcp_worker_tcp_connections',
    help: "TCP connections open on each worker's listener.",
    type: 'gauge',
    value: (w) => w.tcp_connections,
  },
  {
    name: 'erlmcp_worker_sessions',
    help: "MCP sessions held by each worker's server (2025 sessions, WebSocket connections).",
    type: 'gauge',
    value: (w) => w.sessions,
  },
  {
    name: 'erlmcp_worker_stateless_clients',
    help: "Stateless channels held by each worker's server.",
    type: 'gauge',
    value: (w) => w.stateless_clients,
  },
  {
    name: 'erlmcp_worker_heap_used_bytes',
    help: "Each worker's V8 heap used (one isolate per thread), at its control plane's last sample.",
    type: 'gauge',
    value: (w) => (w.heap_used_mb === null ? null : w.heap_used_mb * 2 ** 20),
  },
  {
    name: 'erlmcp_worker_event_loop_delay_p99_seconds',
    help: "Each worker's event-loop delay p99 over its control plane's last sample window.",
    type: 'gauge',
    value: (w) => (w.event_loop_delay_p99_ms === null ? null : w.event_loop_delay_p99_ms / 1000),
  },
  {
    name: 'erlmcp_worker_requests_total',
    help: "Requests completed by each worker's sessions.",
    type: 'counter',
    value: (w) => w.requests_completed,
  },
  {
    name: 'erlmcp_worker_forwarded_total',
    help: 'Requests each worker received for a session of another worker and relayed to it.',
    type: 'counter',
    value: (w) => w.forwarded,
  },
  {
    name: 'erlmcp_worker_served_total',
    help: 'Requests each worker served for its sessions that arrived at another worker.',
    type: 'counter',
    value: (w) => w.served,
  },
];

/**
 * The pool's series: `erlmcp_workers`, `erlmcp_worker_up{worker}` for every worker, and the
 * per-worker readings of the workers that answered (a worker that did not has no sample: its
 * counters cannot be read, and a 0 would look like a reset).
 */
function addWorkerMetrics(registry: Registry, workers: () => Promise<WorkerStats[]>): void {
  const registers = [registry];
  new Gauge({
    name: 'erlmcp_workers',
    help: 'Worker threads in the pool.',
    registers,
    async collect() {
      this.set((await workers()).length);
    },
  });
  new Gauge({
    name: 'erlmcp_worker_up',
    help: 'Each worker: 1 when it runs and answered within the deadline, 0 when down or unresponsive.',
    labelNames: ['worker'],
    registers,
    async collect() {
      const all = await workers();
      this.reset();
      for (const w of all) this.set({ worker: w.worker }, w.up ? 1 : 0);
    },
  });
  for (const series of WORKER_SERIES) {
    /** Every answered worker's value of this series. */
    const values = async (): Promise<[number, number][]> => {
      const out: [number, number][] = [];
      for (const w of await workers()) {
        const v = w.up ? series.value(w) : null;
        if (v !== null) out.push([w.worker, v]);
      }
      return out;
    };
    const config = { name: series.name, help: series.help, labelNames: ['worker'], registers };
    if (series.type === 'gauge') {
      new Gauge({
        ...config,
        async collect() {
          const vs = await values();
          this.reset();
          for (const [worker, v] of vs) this.set({ worker }, v);
        },
      });
    } else {
      new Counter({
        ...config,
        async collect() {
          const vs = await values();
          this.reset();
          for (const [worker, v] of vs) this.inc({ worker }, v);
        },
      });
    }
  }
}
