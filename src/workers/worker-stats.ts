/**
 * Per-worker readings for /health and /metrics in a pool (`erlmcp serve --workers N`). The
 * native state is process-wide, so any worker reads it alike; what lives in a thread does not:
 * its listener's TCP connections, its McpServer's sessions, its event loop, its V8 heap, the
 * requests it completed and the requests it relayed. The worker answering /health or /metrics
 * asks every other up worker for its snapshot over the mesh (`worker-stats`, in parallel, with
 * a deadline), so one blocked worker costs the endpoint the deadline, never more.
 */
import { threadId } from 'node:worker_threads';
import type { ControlReadings } from '../app/control-plane.js';
import type { McpCounts } from '../ops/health.js';
import type { ConnectionStats } from '../transports/conn-guard.js';

/** The mesh call kind of a worker's snapshot. */
export const WORKER_STATS_KIND = 'worker-stats';
/** How long the answering worker waits for each other worker's snapshot (ms). */
export const WORKER_STATS_TIMEOUT_MS = 500;

/** One worker's line in /health `workers` (the field names are a contract, like the report's). */
export interface WorkerStats {
  /** The worker's index in the pool (also the `worker` label in /metrics). */
  worker: number;
  /** The worker runs and answered (false: it is down, or see `unresponsive`). */
  up: boolean;
  /** It is up on the mesh but did not answer within the deadline (or answered nonsense). */
  unresponsive: boolean;
  /** Every field below is null when the worker did not answer. */
  thread_id: number | null;
  /** TCP connections open on this worker's listener (requests, SSE streams, WebSockets, idle keep-alive). */
  tcp_connections: number | null;
  /** MCP sessions this worker's McpServer holds (2025 sessions, WebSocket connections). */
  sessions: number | null;
  /** Stateless channels this worker's McpServer holds. */
  stateless_clients: number | null;
  subscriptions: number | null;
  /** Null also when the Tasks extension is off. */
  tasks_running: number | null;
  /** This worker's V8 heap (each thread has its own isolate), MB. */
  heap_used_mb: number | null;
  /** This worker's event-loop delay p99 over its control plane's last window, ms. */
  event_loop_delay_p99_ms: number | null;
  /** Requests completed by this worker's sessions since it started. */
  requests_completed: number | null;
  /** Requests this worker received for a session of another worker and relayed there. */
  forwarded: number | null;
  /** Requests this worker served for sessions it owns that arrived at another worker. */
  served: number | null;
}

/** What a worker's own snapshot is read from; every value is read when asked for. */
export interface WorkerStatsSources {
  index: number;
  readings: ControlReadings;
  /** The per-thread gate object (its `requestsCompleted`). */
  gate: { readonly requestsCompleted: number };
  /** The listener's raw connection counts. */
  connections?: () => ConnectionStats | undefined;
  /** The McpServer's counts. */
  counts?: () => McpCounts;
  /** The session relay's tallies. */
  relay?: { readonly forwarded: number; readonly served: number };
}

/** The part of the worker mesh the collection uses (a fake one in tests). */
export interface StatsMesh {
  readonly index: number;
  readonly size: number;
  isUp(index: number): boolean;
  call(to: number, kind: string, body: unknown, timeoutMs: number): Promise<unknown>;
}

/** This thread's snapshot, read now. */
export function localWorkerStats(s: WorkerStatsSources): WorkerStats {
  const counts = s.counts?.();
  const heapUsedMb = s.readings.health?.heapUsedMb ?? Math.round(process.memoryUsage().heapUsed / 2 ** 20);
  return {
    worker: s.index,
    up: true,
    unresponsive: false,
    thread_id: threadId,
    tcp_connections: s.connections?.()?.open ?? null,
    sessions: counts?.sessions ?? null,
    stateless_clients: counts?.statelessClients ?? null,
    subscriptions: counts?.subscriptions ?? null,
    tasks_running: counts?.tasksRunning ?? null,
    heap_used_mb: heapUsedMb,
    event_loop_delay_p99_ms: s.readings.health?.eventLoopDelayP99Ms ?? 0,
    requests_completed: s.gate.requestsCompleted,
    forwarded: s.relay?.forwarded ?? null,
    served: s.relay?.served ?? null,
  };
}

/** The line of a worker that is down (`unresponsive` false) or did not answer (true). */
export function absentWorkerStats(worker: number, unresponsive: boolean): WorkerStats {
  return {
    worker,
    up: false,
    unresponsive,
    thread_id: null,
    tcp_connections: null,
    sessions: null,
    stateless_clients: null,
    subscriptions: null,
    tasks_running: null,
    heap_used_mb: null,
    event_loop_delay_p99_ms: null,
    requests_completed: null,
    forwarded: null,
    served: null,
  };
}

/** An answer of worker `worker` that is a snapshot of it (anything else counts as no answer). */
function isStatsOf(value: unknown, worker: number): value is WorkerStats {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Partial<WorkerStats>;
  return v.worker === worker && v.up === true;
}

/**
 * Answers other workers' `worker-stats` calls with `local()` (register it before the worker
 * reports itself listening: it is asked as soon as it is up). `local` returning undefined
 * (nothing to read yet) answers null, which the asker lists as unresponsive.
 */
export function answerWorkerStats(
  mesh: { answer(kind: string, handler: (from: number, body: unknown) => unknown): void },
  local: () => WorkerStats | undefined,
): void {
  mesh.answer(WORKER_STATS_KIND, () => local() ?? null);
}

/**
 * Every worker's snapshot in index order: this one's read now, each other up worker's asked
 * for in parallel. A worker down on the mesh is listed at once; one that does not answer
 * within `timeoutMs` is listed as unresponsive. Never rejects; resolves within `timeoutMs`
 * (plus the turn of this worker's loop that reads the answers).
 */
export async function collectWorkerStats(
  mesh: StatsMesh,
  local: () => WorkerStats,
  timeoutMs = WORKER_STATS_TIMEOUT_MS,
): Promise<WorkerStats[]> {
  const asks: Promise<WorkerStats>[] = [];
  for (let i = 0; i < mesh.size; i++) {
    if (i === mesh.index) asks.push(Promise.resolve(local()));
    else if (!mesh.isUp(i)) asks.push(Promise.resolve(absentWorkerStats(i, false)));
    else {
      asks.push(
        mesh.call(i, WORKER_STATS_KIND, null, timeoutMs).then(
          (v) => (isStatsOf(v, i) ? v : absentWorkerStats(i, true)),
          // Down between isUp and the call ("not running", "stopped before answering") is
          // still down; anything else (the deadline, no answerer yet) is unresponsive.
          () => absentWorkerStats(i, mesh.isUp(i)),
        ),
      );
    }
  }
  return Promise.all(asks);
}

/**
 * `fn` shared by the callers that ask while it runs: a /metrics scrape's per-worker gauges
 * (collected in parallel) and a concurrent /health cost one round of mesh calls.
 */
export function coalesce<T>(fn: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  return () => {
    if (running) return running;
    const p = fn().finally(() => {
      if (running === p) running = undefined;
    });
    running = p;
    return p;
  };
}
