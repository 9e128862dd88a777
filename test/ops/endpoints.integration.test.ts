/**
 * The observability routes on a real listen(): /health, /ready, /live, /metrics and the fault
 * injection endpoint, against an McpServer with shard managers and real WebSocket clients.
 */
import { register as globalRegistry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, McpError } from '../../src/mcp/jsonrpc.js';
import type { HealthReport } from '../../src/ops/health.js';
import type { OperationDurationsSnapshot } from '../../src/ops/metrics.js';
import { type Fixture, type FixtureOptions, sample, startFixture, until } from './fixture.js';

const fixtures: Fixture[] = [];
afterEach(async () => {
  for (const f of fixtures.splice(0).reverse()) await f.stop();
});

async function start(o: FixtureOptions = {}): Promise<Fixture> {
  const f = await startFixture(o);
  fixtures.push(f);
  return f;
}

async function health(f: Fixture): Promise<{ status: number; body: HealthReport }> {
  const res = await f.get('/health');
  return { status: res.status, body: (await res.json()) as HealthReport };
}

async function metrics(f: Fixture): Promise<string> {
  const res = await f.get('/metrics');
  expect(res.status).toBe(200);
  return res.text();
}

/** Sessions per shard from the server's own tickets. */
function sessionsByShard(f: Fixture, shards: number): number[] {
  const out = new Array<number>(shards).fill(0);
  for (const s of f.server.sessions) out[s.ticket.shard] = (out[s.ticket.shard] ?? 0) + 1;
  return out;
}

/**
 * Two sessions: the greedy one sends 10 pings with 2 tokens left (2 ok, 8 rate limited); the
 * other calls echo (ok) and boom (failed). With the two initializes: ok 5, failed 1, limited 8.
 */
async function traffic(f: Fixture): Promise<void> {
  const greedy = await f.client();
  const other = await f.client();
  const pings = await Promise.allSettled(Array.from({ length: 10 }, () => greedy.ping()));
  expect(pings.filter((p) => p.status === 'fulfilled').length).toBe(2);
  for (const p of pings.filter((p) => p.status === 'rejected')) {
    expect((p as PromiseRejectedResult).reason).toBeInstanceOf(McpError);
    expect((p as PromiseRejectedResult).reason.code).toBe(ErrorCode.RATE_LIMITED);
  }
  expect(await other.callTool({ name: 'echo', arguments: { message: 'hi' } })).toEqual({
    content: [{ type: 'text', text: 'hi' }],
  });
  await expect(other.callTool({ name: 'boom', arguments: {} })).rejects.toMatchObject({
    code: ErrorCode.INTERNAL_ERROR,
  });
}

// initialize and notifications/initialized take a token each: 2 pings of 10 get through.
const TINY_BUCKET = { bucket: { capacity: 4, refillPerSec: 1 } };

describe('GET /health', () => {
  it('reports the exact fields, the deterministic values and the per-shard summary', async () => {
    const f = await start({ gate: TINY_BUCKET, controlPeriodMs: 20 });
    await traffic(f);
    // errors_1m comes from the control plane's samples: 8 refused + 1 failed.
    await until(async () => (await health(f)).body.errors_1m === 9);
    const { status, body } = await health(f);
    expect(status).toBe(200);
    expect(Object.keys(body)).toEqual([
      'status',
      'uptime_s',
      'connections',
      'sessions',
      'stateless_clients',
      'subscriptions',
      'tasks_running',
      'queue_depth',
      'memory_mb',
      'heap_used_mb',
      'gc_pause_ms',
      'gc_pause_total_ms',
      'gc_count',
      'event_loop_delay_p99_ms',
      'throughput_msg_sec',
      'errors_1m',
      'breaker',
      'shards',
    ]);
    expect(body.status).toBe('healthy');
    expect(body.connections).toBe(2);
    expect(body.sessions).toBe(2);
    // No 2026 traffic yet; the demo toolset's long_job turns the Tasks extension on.
    expect(body.stateless_clients).toBe(0);
    expect(body.subscriptions).toBe(0);
    expect(body.tasks_running).toBe(0);
    expect(body.queue_depth).toBe(0);
    expect(body.errors_1m).toBe(9);
    expect(body.breaker).toEqual({ state: 'closed', opened: 0 });
    expect(body.memory_mb).toBeGreaterThan(0);
    expect(body.heap_used_mb).toBeGreaterThan(0);
    for (const k of [
      'uptime_s',
      'gc_pause_ms',
      'gc_pause_total_ms',
      'gc_count',
      'event_loop_delay_p99_ms',
      'throughput_msg_sec',
    ] as const) {
      expect(typeof body[k]).toBe('number');
      expect(body[k]).toBeGreaterThanOrEqual(0);
    }
    const shards = body.shards;
    expect(shards).not.toBeNull();
    if (!shards) return;
    expect(Object.keys(shards)).toEqual(['count', 'restarts', 'restart_ms', 'depth_max', 'per_shard']);
    expect(shards.count).toBe(4);
    expect(shards.restarts).toBe(0);
    expect(shards.restart_ms).toBeNull();
    expect(shards.depth_max).toBe(0);
    expect(shards.per_shard.map((s) => s.shard)).toEqual([0, 1, 2, 3]);
    expect(Object.keys(shards.per_shard[0] ?? {})).toEqual([
      'shard',
      'sessions',
      'depth',
      'accepted',
      'rejected',
      'delivered',
      'failed',
      'restarts',
    ]);
    expect(shards.per_shard.map((s) => s.sessions)).toEqual(sessionsByShard(f, 4));
    const sum = (k: 'accepted' | 'rejected' | 'delivered' | 'failed' | 'depth') =>
      shards.per_shard.reduce((n, s) => n + s[k], 0);
    // Accepted into the shard queues: 2 initializes, 2 pings, echo, boom; refused: 8 pings.
    expect(sum('accepted')).toBe(6);
    expect(sum('delivered')).toBe(6);
    expect(sum('rejected')).toBe(8);
    expect(sum('failed')).toBe(0);
    expect(sum('depth')).toBe(0);
  });

  it('is unhealthy (503) when the breaker is open or the server is not ready, degraded when half open', async () => {
    const f = await start({ gate: { breaker: { failureThreshold: 1, openMs: 50 } } });
    expect((await health(f)).body.status).toBe('healthy');
    f.setReady(false);
    expect(await health(f)).toMatchObject({ status: 503, body: { status: 'unhealthy' } });
    f.setReady(true);
    f.gate.breaker.recordFailure(); // trips it: one failure is the threshold here
    expect(await health(f)).toMatchObject({
      status: 503,
      body: { status: 'unhealthy', breaker: { state: 'open', opened: 1 } },
    });
    await new Promise((r) => setTimeout(r, 80));
    expect(await health(f)).toMatchObject({
      status: 200,
      body: { status: 'degraded', breaker: { state: 'half_open', opened: 1 } },
    });
  });

  it('is degraded when requests in flight reach 75 % of the admission global maximum', async () => {
    const f = await start({ gate: { admission: { maxGlobal: 4 } } });
    const c = await f.client();
    const sleeps = Array.from({ length: 3 }, () => c.callTool({ name: 'sleep', arguments: { ms: 300 } }));
    await until(() => f.gate.admission.globalDepth === 3);
    expect(await health(f)).toMatchObject({ status: 200, body: { status: 'degraded', queue_depth: 3 } });
    await Promise.all(sleeps);
    expect(await health(f)).toMatchObject({ status: 200, body: { status: 'healthy', queue_depth: 0 } });
  });

  it('has shards: null without a ShardSet', async () => {
    const f = await start({ shards: false });
    await f.client();
    const { body } = await health(f);
    expect(body.shards).toBeNull();
    expect(body.sessions).toBe(1);
    expect(body.connections).toBe(1);
  });

  it('answers HEAD without a body, 405 with Allow for other methods, and ignores query strings', async () => {
    const f = await start();
    const head = await f.get('/health', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(0);
    expect(await head.text()).toBe('');
    const post = await f.get('/health', { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await f.get('/health?verbose=1')).status).toBe(200);
  });
});

describe('GET /ready and /live', () => {
  it('/ready flips to 503 with a reason; /live stays 200', async () => {
    const f = await start();
    let res = await f.get('/ready');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ready: true });
    f.setReady(false);
    res = await f.get('/ready');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ ready: false, reason: 'starting or shutting down' });
    res = await f.get('/live?probe=k8s');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ live: true });
    const del = await f.get('/live', { method: 'DELETE' });
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('GET, HEAD');
  });

  it('leaves other paths to the listener (404) and the MCP endpoint working', async () => {
    const f = await start();
    const res = await f.get('/healthz');
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('not found: the MCP endpoint is /mcp\n');
    const c = await f.client();
    expect(await c.ping()).toEqual({});
  });
});

describe('GET /metrics', () => {
  it('exposes sessions, connections, per-shard series and messages by outcome with exact counts', async () => {
    const f = await start({ gate: TINY_BUCKET });
    await traffic(f);
    const res = await f.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(f.obs.registry.contentType);
    const text = await res.text();
    expect(sample(text, 'erlmcp_sessions')).toBe(2);
    expect(sample(text, 'erlmcp_connections')).toBe(2);
    expect(sample(text, 'erlmcp_connections_refused_total')).toBe(0);
    // At least the scrape's own socket; the clients' keep-alive sockets come and go.
    expect(sample(text, 'erlmcp_tcp_connections')).toBeGreaterThanOrEqual(1);
    for (const reason of ['headers_timeout', 'body_timeout', 'idle_timeout', 'over_limit']) {
      expect(sample(text, `erlmcp_http_connections_closed_total{reason="${reason}"}`)).toBe(0);
    }
    expect(sample(text, 'erlmcp_inflight')).toBe(0);
    const expected = { ok: 5, failed: 1, rate_limited: 8, shard_overloaded: 0, global_overloaded: 0, circuit_open: 0 };
    for (const [outcome, n] of Object.entries(expected)) {
      expect(sample(text, `erlmcp_messages_total{outcome="${outcome}"}`)).toBe(n);
    }
    const bySessions = sessionsByShard(f, 4);
    for (let shard = 0; shard < 4; shard++) {
      expect(sample(text, `erlmcp_shard_sessions{shard="${shard}"}`)).toBe(bySessions[shard]);
      expect(sample(text, `erlmcp_shard_queue_depth{shard="${shard}"}`)).toBe(0);
      expect(sample(text, `erlmcp_shard_restarts_total{shard="${shard}"}`)).toBe(0);
    }
    expect(sample(text, 'erlmcp_breaker_state')).toBe(0);
    expect(sample(text, 'erlmcp_breaker_opened_total')).toBe(0);
    // Every notification (2 x notifications/initialized) was under the limit.
    expect(sample(text, 'erlmcp_notifications_dropped_total{reason="rate_limited"}')).toBe(0);
    expect(sample(text, 'erlmcp_notification_floods_total')).toBe(0);
    expect(text).toContain('# TYPE erlmcp_notifications_dropped_total counter');
    expect(sample(text, 'erlmcp_supervisor_restarts_total{supervisor="shards"}')).toBe(0);
    expect(text).toContain('# TYPE erlmcp_messages_total counter');
    expect(text).toContain('# TYPE erlmcp_shard_queue_depth gauge');
    // Not in a cluster: the cluster series are declared, with no samples.
    expect(text).toContain('# TYPE erlmcp_cluster_nodes gauge');
    expect(text).not.toMatch(/^erlmcp_cluster_/m);
    // prom-client's process metrics are there too.
    expect(sample(text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    // The gate's native per-method durations: refused requests never ran, so they are not there.
    const count = (method: string, errorType: string) =>
      sample(
        text,
        `mcp_server_operation_duration_seconds_count{mcp_method_name="${method}",error_type="${errorType}"}`,
      );
    expect(count('initialize', '')).toBe(2);
    expect(count('ping', '')).toBe(2);
    expect(count('tools/call', '')).toBe(1);
    expect(count('tools/call', '_OTHER')).toBe(1);
    expect(count('ping', '_OTHER')).toBeUndefined();
    expect(
      sample(text, 'mcp_server_operation_duration_seconds_bucket{mcp_method_name="ping",error_type="",le="+Inf"}'),
    ).toBe(2);
    // HEAD: headers only.
    const head = await f.get('/metrics', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('reports the breaker state and how often it opened', async () => {
    const f = await start({ gate: { breaker: { failureThreshold: 1 } } });
    f.gate.breaker.recordFailure();
    const text = await metrics(f);
    expect(sample(text, 'erlmcp_breaker_state')).toBe(2);
    expect(sample(text, 'erlmcp_breaker_opened_total')).toBe(1);
  });

  it('exposes the native operation durations as a cumulative Prometheus histogram per method and outcome', async () => {
    const snapshot: OperationDurationsSnapshot = {
      boundsSeconds: [0.005, 0.1, 1],
      series: [
        { method: 'tools/call', ok: true, counts: [2, 1, 0, 1], sumSeconds: 2.5, count: 4 },
        { method: 'tools/call', ok: false, counts: [0, 0, 1, 0], sumSeconds: 0.5, count: 1 },
        { method: 'ping', ok: true, counts: [0, 0, 0, 0], sumSeconds: 0, count: 0 },
      ],
    };
    const f = await start({ operationDurations: () => snapshot });
    const text = await metrics(f);
    const name = 'mcp_server_operation_duration_seconds';
    const lines = text.split('\n').filter((l) => l.startsWith(name) || l.includes(` ${name} `));
    expect(lines).toEqual([
      `# HELP ${name} MCP request duration as observed on the server, from the time it was received until the result was sent.`,
      `# TYPE ${name} histogram`,
      `${name}_bucket{mcp_method_name="tools/call",error_type="",le="0.005"} 2`,
      `${name}_bucket{mcp_method_name="tools/call",error_type="",le="0.1"} 3`,
      `${name}_bucket{mcp_method_name="tools/call",error_type="",le="1"} 3`,
      `${name}_bucket{mcp_method_name="tools/call",error_type="",le="+Inf"} 4`,
      `${name}_sum{mcp_method_name="tools/call",error_type=""} 2.5`,
      `${name}_count{mcp_method_name="tools/call",error_type=""} 4`,
      `${name}_bucket{mcp_method_name="tools/call",error_type="_OTHER",le="0.005"} 0`,
      `${name}_bucket{mcp_method_name="tools/call",error_type="_OTHER",le="0.1"} 0`,
      `${name}_bucket{mcp_method_name="tools/call",error_type="_OTHER",le="1"} 1`,
      `${name}_bucket{mcp_method_name="tools/call",error_type="_OTHER",le="+Inf"} 1`,
      `${name}_sum{mcp_method_name="tools/call",error_type="_OTHER"} 0.5`,
      `${name}_count{mcp_method_name="tools/call",error_type="_OTHER"} 1`,
    ]);
  });

  it('answers 500 when a scrape fails, and keeps serving afterwards', async () => {
    let broken = true;
    const f = await start({
      operationDurations: () =>
        broken
          ? { boundsSeconds: [1], series: [{ method: 'ping', ok: true, counts: [1], sumSeconds: 0, count: 1 }] }
          : { boundsSeconds: [1], series: [] },
    });
    const res = await f.get('/metrics');
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: 'metrics collection failed' });
    broken = false;
    expect((await f.get('/metrics')).status).toBe(200);
  });

  it('two servers in one process keep separate registries and leave the global one alone', async () => {
    const a = await start();
    const b = await start();
    await a.client();
    const [ta, tb] = [await metrics(a), await metrics(b)];
    expect(sample(ta, 'erlmcp_sessions')).toBe(1);
    expect(sample(tb, 'erlmcp_sessions')).toBe(0);
    expect(sample(tb, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(globalRegistry.getMetricsAsArray()).toEqual([]);
  });
});

describe('POST /admin/crash-shard', () => {
  it('is unknown (404) when fault injection is off', async () => {
    const f = await start();
    const res = await f.get('/admin/crash-shard', { method: 'POST', body: '{"shard":0}' });
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('not found: the MCP endpoint is /mcp\n');
  });

  it('crashes the chosen shard manager; the restart shows in /health and /metrics and the request is served', async () => {
    const f = await start({ faultInjection: true });
    const c = await f.client();
    const shard = [...f.server.sessions][0]?.ticket.shard ?? -1;
    const before = f.shards?.manager(shard);
    const res = await f.get('/admin/crash-shard', { method: 'POST', body: JSON.stringify({ shard }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ shard });
    // The crash fires while the manager routes this request; the restarted manager delivers it.
    expect(await c.callTool({ name: 'echo', arguments: { message: 'through a crash' } })).toEqual({
      content: [{ type: 'text', text: 'through a crash' }],
    });
    await f.shards?.supervisor.idle();
    expect(f.shards?.manager(shard)).not.toBe(before);
    const { body } = await health(f);
    expect(body.shards?.restarts).toBe(1);
    expect(body.shards?.per_shard[shard]?.restarts).toBe(1);
    expect(body.shards?.restart_ms?.max).toBeGreaterThanOrEqual(0);
    const text = await metrics(f);
    expect(sample(text, `erlmcp_shard_restarts_total{shard="${shard}"}`)).toBe(1);
    expect(sample(text, 'erlmcp_supervisor_restarts_total{supervisor="shards"}')).toBe(1);
  });

  it('without a body picks a shard that has sessions', async () => {
    const f = await start({ faultInjection: true });
    await f.client();
    const shard = [...f.server.sessions][0]?.ticket.shard;
    const res = await f.get('/admin/crash-shard', { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ shard });
  });

  it('answers 400 for a bad body or a shard out of range, 405 for GET, 409 without a ShardSet', async () => {
    const f = await start({ faultInjection: true });
    const post = (body: string) => f.get('/admin/crash-shard', { method: 'POST', body });
    for (const [body, error] of [
      ['nope', /^the body is not JSON: /],
      ['[1]', /^the body must be a JSON object/],
      ['{"shard":4}', /^shard must be an integer in 0\.\.3, got 4$/],
      ['{"shard":-1}', /^shard must be an integer in 0\.\.3, got -1$/],
      ['{"shard":1.5}', /^shard must be an integer in 0\.\.3, got 1\.5$/],
      ['{"shard":"1"}', /^shard must be an integer in 0\.\.3, got "1"$/],
      ['{"shards":1}', /^unknown field "shards"/],
    ] as const) {
      const res = await post(body);
      expect(res.status, body).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(error);
    }
    expect((await post('x'.repeat(2000))).status).toBe(413);
    const get = await f.get('/admin/crash-shard');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(f.shards?.stats().every((s) => s.restarts === 0)).toBe(true);

    const plain = await start({ shards: false, faultInjection: true });
    const res = await plain.get('/admin/crash-shard', { method: 'POST' });
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({ error: 'this server runs no shard managers (no ShardSet)' });
  });
});
