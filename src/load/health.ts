/**
 * The server's GET /health answer, as the harness reads it. Only the fields it uses are
 * required; anything else (a server that is not erlmcp, an older erlmcp) makes the endpoint
 * count as unavailable rather than half-read.
 */

/** Shard-manager restart figures of /health (`shards`). */
export interface HealthShards {
  count: number;
  restarts: number;
  /** Restart durations in ms; null before the first restart. */
  restartMs: { p50: number; p99: number; max: number } | null;
}

/** One /health sample. */
export interface HealthSample {
  /** When it was taken (performance.now()). */
  at: number;
  status: string;
  memoryMb: number;
  heapUsedMb: number;
  /** Longest GC pause of the server's last sample window. */
  gcPauseMs: number;
  /** GC pauses since the server started. */
  gcPauseTotalMs: number;
  eventLoopP99Ms: number;
  connections: number;
  sessions: number;
  queueDepth: number;
  /** null when the server runs requests inline (no shard managers). */
  shards: HealthShards | null;
}

const REQUIRED = [
  'memory_mb',
  'heap_used_mb',
  'gc_pause_ms',
  'gc_pause_total_ms',
  'event_loop_delay_p99_ms',
  'connections',
  'sessions',
  'queue_depth',
] as const;

/** The sample in a /health body taken at `at`, or a sentence saying why it is not one. */
export function parseHealth(body: unknown, at: number): HealthSample | string {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'the body is not a JSON object';
  const b = body as Record<string, unknown>;
  for (const k of REQUIRED) {
    if (typeof b[k] !== 'number' || !Number.isFinite(b[k])) return `field ${k} is missing or not a number`;
  }
  const n = (k: (typeof REQUIRED)[number]) => b[k] as number;
  return {
    at,
    status: typeof b.status === 'string' ? b.status : 'unknown',
    memoryMb: n('memory_mb'),
    heapUsedMb: n('heap_used_mb'),
    gcPauseMs: n('gc_pause_ms'),
    gcPauseTotalMs: n('gc_pause_total_ms'),
    eventLoopP99Ms: n('event_loop_delay_p99_ms'),
    connections: n('connections'),
    sessions: n('sessions'),
    queueDepth: n('queue_depth'),
    shards: parseShards(b.shards),
  };
}

function parseShards(value: unknown): HealthShards | null {
  if (value === null || typeof value !== 'object') return null;
  const s = value as Record<string, unknown>;
  const r = s.restart_ms as Record<string, unknown> | null | undefined;
  const restartMs =
    r !== null && typeof r === 'object' && [r.p50, r.p99, r.max].every((v) => typeof v === 'number')
      ? { p50: r.p50 as number, p99: r.p99 as number, max: r.max as number }
      : null;
  return {
    count: typeof s.count === 'number' ? s.count : 0,
    restarts: typeof s.restarts === 'number' ? s.restarts : 0,
    restartMs,
  };
}
