import { Counter, Gauge, type Metric, Registry } from 'prom-client';
import type { Gate } from '../mcp/gate.js';
import type { OperationDurationsSnapshot } from '../mcp/operations.js';
import type { ShardSet } from '../shards/shard-set.js';
import type { ConnectionCloses, ConnectionStats } from '../transports/conn-guard.js';
import type { ConnectionLimiter } from '../transports/limiter.js';
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
  if (counts) {
    new Gauge({
      name: 'erlmcp_stateless_clients',
      help: 'Stateless channels: client addresses sending MCP 2026-07-28 requests over Streamable HTTP.',
      registers,
      collect() {
        this.set(counts().statelessClients);
      },
    });
    new Gauge({
      name: 'erlmcp_subscriptions',
      help: 'Open subscriptions/listen streams (MCP 2026-07-28).',
      registers,
      collect() {
        this.set(counts().subscriptions);
      },
    });
    new Gauge({
      name: 'erlmcp_tasks_running',
      help: 'Tasks (Tasks extension) running in this process.',
      registers,
      collect() {
        this.set(counts().tasksRunning ?? 0);
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
      collect() {
        this.set(connections()?.open ?? 0);
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
  const durations = s.operationDurations;
  if (durations) {
    // Not a prom-client class: a metric object whose get() renders the native counts (see
    // operation-histogram.ts); the registry only reads name/help/type and awaits get().
    registry.registerMetric(operationDurationMetric(durations) as unknown as Metric);
  }
  return registry;
}
