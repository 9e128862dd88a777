/**
 * /health and /metrics of `erlmcp serve --workers 2`: whichever worker a fresh connection
 * lands on, it reports both, with each worker's own sessions (a session's id says its owner:
 * `w<index>.`). Needs the build (`npm run build:ts`): the worker threads load dist/.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HealthReport } from '../../src/ops/health.js';

const cli = path.join(__dirname, '..', '..', 'dist', 'cli', 'erlmcp.js');
const children = new Set<ChildProcess>();

afterEach(async () => {
  // Also on failure: SIGKILL what a test left running, and wait for it to go.
  await Promise.all(
    [...children].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGKILL');
        }),
    ),
  );
  children.clear();
});

/** Starts the pool; resolves with the MCP endpoint's URL once every worker listens. */
function serve(workers: number): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [cli, 'serve', '--workers', String(workers), '--port', '0', '--host', '127.0.0.1', '--log-level', 'info'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (chunk: string) => {
      buf += chunk;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        try {
          const entry = JSON.parse(line) as { http?: string; workers?: number };
          if (entry.http && entry.workers !== undefined) resolve({ child, url: entry.http });
        } catch {
          // not a log line
        }
      }
    };
    child.stdout?.setEncoding('utf8').on('data', onData);
    child.stderr?.setEncoding('utf8').on('data', onData);
    child.once('exit', (code) => reject(new Error(`erlmcp serve exited with ${code}:\n${lines.join('\n')}`)));
  });
}

/** One request on a connection of its own (no agent), so the kernel picks the worker. */
function fresh(
  url: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method,
        agent: false,
        headers: {
          connection: 'close',
          ...(data ? { 'content-type': 'application/json', accept: 'application/json, text/event-stream' } : {}),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        res.on('error', reject);
      },
    );
    req.once('error', reject);
    req.end(data);
  });
}

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'obs-test', version: '1' } },
};

/** The value of one sample line of a Prometheus exposition (undefined without it). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('erlmcp serve --workers 2: /health and /metrics report every worker', () => {
  it('lists both workers with exact per-worker sessions from any worker, and per-worker series', async () => {
    const { url } = await serve(2);
    const base = url.replace(/\/mcp$/, '');

    // At least 3 sessions, and at least one on each worker (the kernel picks the worker).
    const owned: [number, number] = [0, 0];
    const ids: string[] = [];
    for (let n = 0; n < 40 && (ids.length < 3 || owned[0] === 0 || owned[1] === 0); n++) {
      const res = await fresh(url, 'POST', initialize);
      expect(res.status).toBe(200);
      const id = String(res.headers['mcp-session-id']);
      const m = /^w(\d)\./.exec(id);
      expect(m).not.toBeNull();
      const owner = Number(m?.[1]) as 0 | 1;
      owned[owner]++;
      ids.push(id);
    }
    expect(owned[0]).toBeGreaterThan(0);
    expect(owned[1]).toBeGreaterThan(0);

    // Requests for one session over fresh connections: those landing on the other worker are relayed.
    const session = ids[0] as string;
    for (let n = 0; n < 16; n++) {
      const res = await fresh(
        url,
        'POST',
        { jsonrpc: '2.0', id: 10 + n, method: 'ping' },
        {
          'mcp-session-id': session,
          'mcp-protocol-version': '2025-06-18',
        },
      );
      expect(res.status).toBe(200);
    }

    const answeredBy = new Set<number>();
    for (let n = 0; n < 40 && (n < 6 || answeredBy.size < 2); n++) {
      const res = await fresh(`${base}/health`, 'GET');
      expect(res.status).toBe(200);
      const h = JSON.parse(res.text) as HealthReport;
      answeredBy.add(h.worker as number);
      expect(h.workers).toHaveLength(2);
      expect(h.workers?.map((w) => [w.worker, w.up, w.unresponsive, w.sessions])).toEqual([
        [0, true, false, owned[0]],
        [1, true, false, owned[1]],
      ]);
      expect(h.sessions).toBe(ids.length);
      expect(h.stateless_clients).toBe(0);
      expect(typeof h.connections).toBe('number');
      const [w0, w1] = h.workers ?? [];
      expect(w0?.thread_id).not.toBe(w1?.thread_id);
      // Every relayed request was served by its owner (and counted there once).
      expect((w0?.forwarded ?? 0) + (w1?.forwarded ?? 0)).toBe((w0?.served ?? 0) + (w1?.served ?? 0));
      expect((w0?.forwarded ?? 0) + (w1?.forwarded ?? 0)).toBeGreaterThan(0);
      // The initializes and pings, each completed by the worker that owns the session.
      expect((w0?.requests_completed ?? 0) + (w1?.requests_completed ?? 0)).toBeGreaterThanOrEqual(ids.length + 16);
    }
    expect([...answeredBy].sort()).toEqual([0, 1]);

    const res = await fresh(`${base}/metrics`, 'GET');
    expect(res.status).toBe(200);
    const text = res.text;
    expect(sample(text, 'erlmcp_workers')).toBe(2);
    for (const w of [0, 1]) {
      expect(sample(text, `erlmcp_worker_up{worker="${w}"}`)).toBe(1);
      expect(sample(text, `erlmcp_worker_sessions{worker="${w}"}`)).toBe(owned[w]);
      expect(sample(text, `erlmcp_worker_tcp_connections{worker="${w}"}`)).toBeGreaterThanOrEqual(0);
      expect(sample(text, `erlmcp_worker_event_loop_delay_p99_seconds{worker="${w}"}`)).toBeGreaterThanOrEqual(0);
      expect(sample(text, `erlmcp_worker_requests_total{worker="${w}"}`)).toBeGreaterThanOrEqual(owned[w] as number);
      expect(sample(text, `erlmcp_worker_forwarded_total{worker="${w}"}`)).toBeGreaterThanOrEqual(0);
      expect(sample(text, `erlmcp_worker_served_total{worker="${w}"}`)).toBeGreaterThanOrEqual(0);
    }
    // The gate's registry is process-wide: every session, whichever worker owns it.
    expect(sample(text, 'erlmcp_sessions')).toBe(ids.length);
  }, 60_000);
});
