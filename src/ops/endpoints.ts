import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { ControlReadings } from '../app/control-plane.js';
import type { Gate } from '../mcp/gate.js';
import type { ShardSet } from '../shards/shard-set.js';
import type { ConnectionStats } from '../transports/conn-guard.js';
import type { ConnectionLimiter } from '../transports/limiter.js';
import {
  coalesce,
  collectWorkerStats,
  localWorkerStats,
  type StatsMesh,
  type WorkerStats,
} from '../workers/worker-stats.js';
import { crashShard } from './crash-shard.js';
import { healthHttpStatus, healthReport, type McpCounts, withWorkers } from './health.js';
import { methodNotAllowed, pathOf, reply, replyJson } from './http-reply.js';
import type { Logger } from './logger.js';
import { createMetricsRegistry, type OperationDurationsSnapshot } from './metrics.js';
import { RestartCounter } from './restarts.js';

/** Options of {@link createObservability}. */
export interface ObservabilityOptions {
  /** The server's gate: sessions, admission, breaker, router counters. */
  gate: Gate;
  /** The shard managers, if the server runs its requests through them. */
  shards?: ShardSet;
  /** The control plane's readings (memory, GC, event loop, throughput, errors). */
  readings: ControlReadings;
  /** The listener's connection limiter; undefined while there is none (connections 0). */
  limiter: () => ConnectionLimiter | undefined;
  /** The listener's raw TCP connection counts (`() => listener?.connectionStats()`); no such metrics without. */
  connections?: () => ConnectionStats | undefined;
  /**
   * Counts restarts by supervisor (default: a new one, reachable as `Observability.restarts`).
   * Call its `watch(supervisor)` for every supervisor of the tree as it is created.
   */
  restarts?: RestartCounter;
  /** False while the server is starting or shutting down: /ready answers 503 then. */
  ready: () => boolean;
  /** Serve `POST /admin/crash-shard` (default false: the path is then unknown, 404). */
  faultInjection?: boolean;
  /** The natively recorded per-method durations (default: the gate's, `gate.operationDurations()`). */
  operationDurations?: () => OperationDurationsSnapshot;
  /** What the MCP server holds (e.g. `() => server.counts()`): sessions vs stateless clients, subscriptions, tasks. */
  counts?: () => McpCounts;
  /**
   * In a pool worker (`currentWorker()`): its index, its mesh and its session relay. /health
   * and /metrics then report every worker (see {@link WorkerStats}), asking the others over
   * the mesh; without it nothing about workers is reported.
   */
  worker?: ObservabilityWorker;
  logger: Logger;
}

/** The pool worker an {@link Observability} runs in. */
export interface ObservabilityWorker {
  readonly index: number;
  readonly mesh: StatsMesh;
  readonly relay?: { readonly forwarded: number; readonly served: number };
  /** How long to wait for another worker's snapshot (default 500 ms). */
  readonly timeoutMs?: number;
}

/** Health, readiness, liveness and metrics routes for `listen({ routes })`. */
export interface Observability {
  /**
   * Answers the observability routes and returns true; returns false (without touching the
   * response) for every other path. Plug it in as `listen(server, { routes: o.handle })`.
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** The Prometheus registry behind /metrics (add your own metrics to it). */
  readonly registry: Registry;
  /** The restart counter behind erlmcp_supervisor_restarts_total. */
  readonly restarts: RestartCounter;
  /** This thread's worker snapshot, read now (what it answers other workers' `worker-stats` calls with). */
  workerStats(): WorkerStats;
  /** Empties the registry; `handle` answers nothing afterwards. */
  close(): void;
}

/** GET and HEAD only; other methods get 405 with Allow. */
function readOnly(req: IncomingMessage, res: ServerResponse, answer: () => void): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') answer();
  else methodNotAllowed(req, res, 'GET, HEAD');
  return true;
}

/**
 * The server's observability endpoints:
 * - `GET /health`: JSON health report (see {@link healthReport}); 200, or 503 when unhealthy.
 * - `GET /ready`: 200 `{"ready":true}`, or 503 `{"ready":false,"reason":...}` while starting
 *   or shutting down.
 * - `GET /live`: 200 `{"live":true}` while the process answers at all.
 * - `GET /metrics`: Prometheus text exposition of {@link Observability.registry}.
 * - `POST /admin/crash-shard`: fault injection, only with `faultInjection` (see crash-shard.ts).
 *
 * HEAD works like GET without the body; other methods get 405. Query strings are ignored.
 * Every value is read at request time from native counters and the control plane's readings:
 * nothing is recorded per message.
 */
export function createObservability(o: ObservabilityOptions): Observability {
  const restarts = o.restarts ?? new RestartCounter();
  const worker = o.worker;
  const workerStats = () =>
    localWorkerStats({
      index: worker?.index ?? 0,
      readings: o.readings,
      gate: o.gate,
      connections: o.connections,
      counts: o.counts,
      relay: worker?.relay,
    });
  const workers = worker ? coalesce(() => collectWorkerStats(worker.mesh, workerStats, worker.timeoutMs)) : undefined;
  const registry = createMetricsRegistry({
    gate: o.gate,
    shards: o.shards,
    limiter: o.limiter,
    connections: o.connections,
    restarts,
    operationDurations: o.operationDurations ?? (() => o.gate.operationDurations()),
    counts: o.counts,
    workers,
  });
  const sources = {
    gate: o.gate,
    shards: o.shards,
    readings: o.readings,
    limiter: o.limiter,
    ready: o.ready,
    startedAt: Date.now(),
    counts: o.counts,
  };
  let closed = false;

  const metrics = (req: IncomingMessage, res: ServerResponse) => {
    registry.metrics().then(
      (text) => reply(req, res, 200, registry.contentType, text),
      (err: unknown) => {
        o.logger.error({ err }, 'metrics scrape failed');
        replyJson(req, res, 500, { error: 'metrics collection failed' });
      },
    );
  };

  const handle = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (closed) return false;
    switch (pathOf(req)) {
      case '/health':
        return readOnly(req, res, () => {
          if (!workers || !worker) {
            const report = healthReport(sources);
            replyJson(req, res, healthHttpStatus(report), report);
            return;
          }
          // Resolves within the mesh deadline: a worker that does not answer is listed as such.
          workers().then(
            (all) => {
              const report = withWorkers(healthReport(sources), worker.index, all);
              replyJson(req, res, healthHttpStatus(report), report);
            },
            (err: unknown) => {
              o.logger.error({ err }, 'health report failed');
              replyJson(req, res, 500, { error: 'health report failed' });
            },
          );
        });
      case '/ready':
        return readOnly(req, res, () => {
          if (o.ready()) replyJson(req, res, 200, { ready: true });
          else replyJson(req, res, 503, { ready: false, reason: 'starting or shutting down' });
        });
      case '/live':
        return readOnly(req, res, () => replyJson(req, res, 200, { live: true }));
      case '/metrics':
        return readOnly(req, res, () => metrics(req, res));
      case '/admin/crash-shard':
        // Off: not even a 405, so a probe learns nothing about the endpoint.
        if (!o.faultInjection) return false;
        crashShard(req, res, o.shards, o.logger);
        return true;
      default:
        return false;
    }
  };

  return {
    handle,
    registry,
    restarts,
    workerStats,
    close() {
      closed = true;
      registry.clear();
    },
  };
}
