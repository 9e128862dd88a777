import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ControlReadings } from '../../src/app/control-plane.js';
import { Gate } from '../../src/mcp/gate.js';
import { createObservability, type Observability } from '../../src/ops/endpoints.js';
import { type HealthReport, healthReport, withWorkers } from '../../src/ops/health.js';
import {
  absentWorkerStats,
  coalesce,
  collectWorkerStats,
  type StatsMesh,
  WORKER_STATS_KIND,
  type WorkerStats,
} from '../../src/workers/worker-stats.js';

/** What a fake peer does when asked. */
type Peer = { down: true } | { answer: (kind: string) => unknown } | { hang: true } | { fail: string };

/** A mesh of `peers.length` workers seen from `index`; records the calls made. */
function fakeMesh(
  index: number,
  peers: Peer[],
): StatsMesh & { calls: { to: number; kind: string; timeoutMs: number }[] } {
  const calls: { to: number; kind: string; timeoutMs: number }[] = [];
  return {
    index,
    size: peers.length,
    calls,
    isUp: (i) => !('down' in (peers[i] as Peer)),
    call(to, kind, _body, timeoutMs) {
      calls.push({ to, kind, timeoutMs });
      const p = peers[to] as Peer;
      if ('answer' in p) return Promise.resolve(p.answer(kind));
      if ('fail' in p) return Promise.reject(new Error(p.fail));
      // Like WorkerMesh.call: rejects at the deadline.
      return new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs));
    },
  };
}

function stats(worker: number, over: Partial<WorkerStats> = {}): WorkerStats {
  return {
    worker,
    up: true,
    unresponsive: false,
    thread_id: worker + 1,
    tcp_connections: 1,
    sessions: 2,
    stateless_clients: 0,
    subscriptions: 0,
    tasks_running: null,
    heap_used_mb: 10,
    event_loop_delay_p99_ms: 1,
    requests_completed: 5,
    forwarded: 1,
    served: 2,
    ...over,
  };
}

describe('collectWorkerStats', () => {
  it('lists every worker in index order: itself read locally, the others asked in parallel', async () => {
    const mesh = fakeMesh(1, [
      { answer: () => stats(0, { sessions: 4 }) },
      { answer: () => stats(1) },
      { answer: () => stats(2, { sessions: 7 }) },
    ]);
    const all = await collectWorkerStats(mesh, () => stats(1, { sessions: 3 }));
    expect(all.map((w) => [w.worker, w.up, w.sessions])).toEqual([
      [0, true, 4],
      [1, true, 3],
      [2, true, 7],
    ]);
    expect(mesh.calls).toEqual([
      { to: 0, kind: WORKER_STATS_KIND, timeoutMs: 500 },
      { to: 2, kind: WORKER_STATS_KIND, timeoutMs: 500 },
    ]);
  });

  it('lists a down worker without asking it', async () => {
    const mesh = fakeMesh(0, [{ answer: () => null }, { down: true }]);
    const all = await collectWorkerStats(mesh, () => stats(0));
    expect(all[1]).toEqual(absentWorkerStats(1, false));
    expect(mesh.calls).toEqual([]);
  });

  it('lists a worker that does not answer within the deadline as unresponsive, after the deadline only', async () => {
    const mesh = fakeMesh(0, [{ answer: () => null }, { hang: true }, { answer: () => stats(2) }]);
    const t0 = performance.now();
    const all = await collectWorkerStats(mesh, () => stats(0), 80);
    const ms = performance.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(70);
    expect(ms).toBeLessThan(400);
    expect(all[1]).toMatchObject({ worker: 1, up: false, unresponsive: true, sessions: null });
    expect(all[2]?.up).toBe(true);
  });

  it('treats an answer that is not a snapshot of that worker as unresponsive', async () => {
    const mesh = fakeMesh(0, [
      { answer: () => null },
      { answer: () => null },
      { answer: () => stats(1) },
      { answer: () => 'nonsense' },
    ]);
    const all = await collectWorkerStats(mesh, () => stats(0));
    expect(all.slice(1).map((w) => [w.up, w.unresponsive])).toEqual([
      [false, true],
      [false, true],
      [false, true],
    ]);
  });

  it('a failed call of a worker that went down meanwhile lists it as down, otherwise as unresponsive', async () => {
    const peers: Peer[] = [{ answer: () => null }, { fail: 'worker 1 is not running' }, { fail: 'no handler' }];
    const mesh = fakeMesh(0, peers);
    const call = mesh.call.bind(mesh);
    mesh.call = (to, kind, body, timeoutMs) => {
      const p = call(to, kind, body, timeoutMs);
      if (to === 1) peers[1] = { down: true };
      return p;
    };
    const all = await collectWorkerStats(mesh, () => stats(0));
    expect(all[1]).toEqual(absentWorkerStats(1, false));
    expect(all[2]).toEqual(absentWorkerStats(2, true));
  });
});

describe('coalesce', () => {
  it('shares one run among the callers that ask while it runs, then runs again', async () => {
    let runs = 0;
    const once = coalesce(async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 5));
      return runs;
    });
    const [a, b, c] = await Promise.all([once(), once(), once()]);
    expect([a, b, c, runs]).toEqual([1, 1, 1, 1]);
    expect(await once()).toBe(2);
  });
});

describe('withWorkers', () => {
  const gate = new Gate({ shards: 2 });
  const base = (): HealthReport =>
    healthReport({
      gate,
      readings: {
        health: {
          at: 0,
          rssMb: 100,
          heapUsedMb: 10,
          eventLoopDelayP99Ms: 2,
          gcPauseMaxMs: 0,
          gcPauseTotalMs: 0,
          gcCount: 0,
        },
      },
      limiter: () => undefined,
      ready: () => true,
      startedAt: Date.now(),
      counts: () => ({ sessions: 2, statelessClients: 1, subscriptions: 0, tasksRunning: undefined }),
    });

  it('a single-thread report has no worker fields', () => {
    const r = base();
    expect(r).not.toHaveProperty('workers');
    expect(r).not.toHaveProperty('worker');
    expect(r.sessions).toBe(2);
  });

  it('totals the per-thread counts over the workers that answered and keeps process-wide fields', () => {
    const r0 = base();
    const workers = [
      stats(0, { sessions: 2, stateless_clients: 1, heap_used_mb: 10, event_loop_delay_p99_ms: 2 }),
      stats(1, { sessions: 5, stateless_clients: 0, heap_used_mb: 12, event_loop_delay_p99_ms: 7.5 }),
    ];
    const r = withWorkers(r0, 0, workers);
    expect(r).toMatchObject({
      status: 'healthy',
      worker: 0,
      sessions: 7,
      stateless_clients: 1,
      subscriptions: 0,
      tasks_running: null,
      heap_used_mb: 22,
      event_loop_delay_p99_ms: 7.5,
      memory_mb: r0.memory_mb,
      connections: r0.connections,
      queue_depth: r0.queue_depth,
    });
    expect(r.workers).toBe(workers);
    // The harness's fields are still there, as numbers.
    for (const k of ['memory_mb', 'heap_used_mb', 'event_loop_delay_p99_ms', 'connections', 'sessions', 'queue_depth'])
      expect(typeof (r as unknown as Record<string, unknown>)[k]).toBe('number');
  });

  it('a worker down or unresponsive makes healthy degraded (and leaves its counts out)', () => {
    const r = withWorkers(base(), 0, [stats(0, { sessions: 2 }), absentWorkerStats(1, true)]);
    expect(r.status).toBe('degraded');
    expect(r.sessions).toBe(2);
  });

  it('a worker whose loop lags over 100 ms makes it degraded', () => {
    const r = withWorkers(base(), 0, [stats(0), stats(1, { event_loop_delay_p99_ms: 150 })]);
    expect(r.status).toBe('degraded');
    expect(r.event_loop_delay_p99_ms).toBe(150);
  });

  it('unhealthy stays unhealthy', () => {
    const r = withWorkers({ ...base(), status: 'unhealthy' }, 0, [stats(0), absentWorkerStats(1, false)]);
    expect(r.status).toBe('unhealthy');
  });
});

describe('createObservability in a pool worker (fake mesh)', () => {
  let http: Server | undefined;
  let obs: Observability | undefined;
  afterEach(async () => {
    obs?.close();
    await new Promise<void>((r) => (http ? http.close(() => r()) : r()));
    http = undefined;
  });

  async function serve(mesh: StatsMesh): Promise<string> {
    const gate = new Gate({ shards: 2 });
    const readings: ControlReadings = {};
    obs = createObservability({
      gate,
      readings,
      limiter: () => undefined,
      connections: () => ({
        open: 3,
        maxRawConnections: 100,
        closed: { headersTimeout: 0, bodyTimeout: 0, idleTimeout: 0, overLimit: 0 },
      }),
      ready: () => true,
      counts: () => ({ sessions: 1, statelessClients: 2, subscriptions: 0, tasksRunning: undefined }),
      worker: { index: mesh.index, mesh, relay: { forwarded: 4, served: 6 }, timeoutMs: 100 },
      logger: pino({ level: 'silent' }),
    });
    const o = obs;
    http = createServer((req, res) => {
      if (!o.handle(req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((r) => http?.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  }

  it('answers its own snapshot for the other workers', async () => {
    await serve(fakeMesh(0, [{ answer: () => null }]));
    expect((obs as Observability).workerStats()).toMatchObject({
      worker: 0,
      up: true,
      unresponsive: false,
      tcp_connections: 3,
      sessions: 1,
      stateless_clients: 2,
      requests_completed: 0,
      forwarded: 4,
      served: 6,
    });
  });

  it('/health lists every worker and totals', async () => {
    const url = await serve(
      fakeMesh(1, [
        { answer: () => stats(0, { sessions: 4, stateless_clients: 0 }) },
        { answer: () => null },
        { hang: true },
      ]),
    );
    const res = await fetch(`${url}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as HealthReport;
    expect(body.worker).toBe(1);
    expect(body.workers?.map((w) => [w.worker, w.up, w.unresponsive, w.sessions])).toEqual([
      [0, true, false, 4],
      [1, true, false, 1],
      [2, false, true, null],
    ]);
    expect(body.sessions).toBe(5);
    expect(body.stateless_clients).toBe(2);
    expect(body.status).toBe('degraded');
  });

  it('/metrics has the per-worker series, with one round of mesh calls per scrape', async () => {
    const mesh = fakeMesh(0, [
      { answer: () => null },
      {
        answer: () => stats(1, { tcp_connections: 5, sessions: 7, requests_completed: 9, event_loop_delay_p99_ms: 12 }),
      },
      { down: true },
    ]);
    const url = await serve(mesh);
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(mesh.calls).toHaveLength(1);
    const lines = text.split('\n');
    for (const line of [
      'erlmcp_workers 3',
      'erlmcp_worker_up{worker="0"} 1',
      'erlmcp_worker_up{worker="1"} 1',
      'erlmcp_worker_up{worker="2"} 0',
      'erlmcp_worker_tcp_connections{worker="0"} 3',
      'erlmcp_worker_tcp_connections{worker="1"} 5',
      'erlmcp_worker_sessions{worker="0"} 1',
      'erlmcp_worker_sessions{worker="1"} 7',
      'erlmcp_worker_stateless_clients{worker="0"} 2',
      'erlmcp_worker_event_loop_delay_p99_seconds{worker="1"} 0.012',
      'erlmcp_worker_requests_total{worker="0"} 0',
      'erlmcp_worker_requests_total{worker="1"} 9',
      'erlmcp_worker_forwarded_total{worker="0"} 4',
      'erlmcp_worker_served_total{worker="0"} 6',
      'erlmcp_worker_heap_used_bytes{worker="1"} 10485760',
      // Per-thread gauges become totals over the workers that answered.
      'erlmcp_tcp_connections 8',
      'erlmcp_stateless_clients 2',
    ]) {
      expect(lines).toContain(line);
    }
    // The down worker has no readings, only erlmcp_worker_up 0.
    expect(lines.filter((l) => l.includes('worker="2"'))).toEqual(['erlmcp_worker_up{worker="2"} 0']);
    expect(text).toContain('# TYPE erlmcp_worker_requests_total counter');
    expect(text).toContain('# TYPE erlmcp_worker_sessions gauge');
  });

  it('without a worker nothing about workers is reported', async () => {
    const gate = new Gate({ shards: 2 });
    obs = createObservability({
      gate,
      readings: {},
      limiter: () => undefined,
      ready: () => true,
      logger: pino({ level: 'silent' }),
    });
    const text = await obs.registry.metrics();
    expect(text).not.toContain('erlmcp_worker');
  });
});
