/**
 * The load clients against small fake servers on 127.0.0.1 that misbehave on purpose: every
 * request sent must end as ok, one error kind or lost; answers for unknown or repeated ids
 * count as duplicated; refused opens are told apart from failed ones.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { runClosedLoop } from '../../src/load/closed-loop.js';
import { OpenLoopDriver } from '../../src/load/open-loop.js';
import { SessionPool } from '../../src/load/pool.js';
import { ECHO_MESSAGE } from '../../src/load/protocol.js';
import { Recorder } from '../../src/load/recorder.js';

type Reply = (msg: { id: unknown; method: string }) => unknown[];

const servers: http.Server[] = [];
const pools: SessionPool[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) p.destroyAll();
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
});

const ok = (id: unknown) => ({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: ECHO_MESSAGE }] } });
const err = (id: unknown, code: number) => ({ jsonrpc: '2.0', id, error: { code, message: 'x' } });
const initResult = { jsonrpc: '2.0', id: 'init', result: { protocolVersion: '2025-06-18', capabilities: {} } };

async function listen(server: http.Server): Promise<URL> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
}

/** A WebSocket MCP server answering load requests with `reply`; refuses upgrades beyond `max`. */
async function wsServer(reply: Reply, max = 1_000): Promise<URL> {
  const server = http.createServer();
  const wss = new WebSocketServer({ noServer: true, handleProtocols: () => 'mcp' });
  let count = 0;
  server.on('upgrade', (req, socket, head) => {
    if (count >= max) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    count++;
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data));
        if (msg.method === 'initialize') ws.send(JSON.stringify(initResult));
        else if (msg.id !== undefined) for (const m of reply(msg)) ws.send(JSON.stringify(m));
      });
    });
  });
  return listen(server);
}

function pool(url: URL, recorder: Recorder, transport: 'ws' | 'http' = 'ws'): SessionPool {
  const p = new SessionPool({ url, transport, recorder, timeoutMs: 2_000, sources: [], httpSockets: 64 });
  pools.push(p);
  return p;
}

async function drain(p: SessionPool, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (p.inflight() > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
}

function expectBalanced(r: Recorder, lost: number): void {
  expect(r.sent).toBe(r.ok + r.errorCount + lost);
}

describe('load clients', () => {
  it('WebSocket: counts ok, errors by kind, duplicated and lost, and they add up', async () => {
    // id % 7 == 0 never answered, id % 5 == 0 rate limited, id % 3 == 0 answered twice,
    // and every 10th request also draws an answer for an id never sent.
    const url = await wsServer((m) => {
      const id = m.id as number;
      if (id % 7 === 0) return [];
      const out: unknown[] = [id % 5 === 0 ? err(id, -32010) : ok(id)];
      if (id % 3 === 0) out.push(ok(id));
      if (id % 10 === 0) out.push(ok(id + 1_000_000));
      return out;
    });
    const recorder = new Recorder(performance.now());
    const p = pool(url, recorder);
    await p.grow(2, { rampRate: Number.POSITIVE_INFINITY, deadline: performance.now() + 5_000 });
    expect([p.attempted, p.established, p.refused, p.failed, p.live]).toEqual([2, 2, 0, 0, 2]);
    const driver = new OpenLoopDriver(p, recorder, { rate: 400, inflightCap: 1_000 });
    await driver.run(500);
    await drain(p, 300);
    const lost = p.abandonAll();
    // Each session numbers its requests 1, 2, 3, ...: count what the fake did per id.
    const perSession = [0, 0];
    for (let k = 0; k < recorder.sent; k++) (perSession[k % 2] as number)++;
    let expectLost = 0;
    let limited = 0;
    let okCount = 0;
    let dup = 0;
    for (const n of perSession) {
      for (let id = 1; id <= n; id++) {
        if (id % 7 === 0) {
          expectLost++;
          continue;
        }
        if (id % 5 === 0) limited++;
        else okCount++;
        if (id % 3 === 0) dup++;
        if (id % 10 === 0) dup++;
      }
    }
    expect(recorder.sent).toBeGreaterThan(150);
    expect(lost).toBe(expectLost);
    expect(recorder.errors.rate_limited).toBe(limited);
    expect(recorder.ok).toBe(okCount);
    expect(recorder.duplicated).toBe(dup);
    expectBalanced(recorder, lost);
  });

  it('never holds more than the in-flight cap per session: the rest is unsent', async () => {
    const url = await wsServer(() => []);
    const recorder = new Recorder(performance.now());
    const p = pool(url, recorder);
    await p.grow(3, { rampRate: Number.POSITIVE_INFINITY, deadline: performance.now() + 5_000 });
    const driver = new OpenLoopDriver(p, recorder, { rate: 1_000, inflightCap: 5 });
    await driver.run(300);
    expect(recorder.sent).toBe(15);
    expect(p.inflight()).toBe(15);
    expect(recorder.unsent + recorder.sent + recorder.unsentBehind).toBeGreaterThanOrEqual(290);
    expect(p.abandonAll()).toBe(15);
  });

  it('tells refused opens (503) from failed ones (nothing listening)', async () => {
    const url = await wsServer((m) => [ok(m.id)], 2);
    const recorder = new Recorder(performance.now());
    const p = pool(url, recorder);
    await p.grow(5, { rampRate: Number.POSITIVE_INFINITY, deadline: performance.now() + 5_000 });
    expect([p.attempted, p.established, p.refused, p.failed, p.peak]).toEqual([5, 2, 3, 0, 2]);
    expect(p.reasonsText()).toBe('refused: HTTP 503 (3)');

    const dead = new URL(url.href);
    const probe = http.createServer();
    const free = await listen(probe);
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    dead.port = free.port;
    const q = pool(dead, recorder);
    await q.grow(2, { rampRate: Number.POSITIVE_INFINITY, deadline: performance.now() + 5_000 });
    expect([q.attempted, q.established, q.refused, q.failed]).toEqual([2, 0, 0, 2]);
    expect(q.reasonsText()).toBe('failed: ECONNREFUSED (2)');
  });

  it('fails the requests of a connection the server closes as transport errors', async () => {
    let closer: WebSocket | undefined;
    const server = http.createServer();
    const wss = new WebSocketServer({ server, handleProtocols: () => 'mcp' });
    wss.on('connection', (ws) => {
      closer = ws;
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data));
        if (msg.method === 'initialize') ws.send(JSON.stringify(initResult));
      });
    });
    const url = await listen(server);
    const recorder = new Recorder(performance.now());
    const p = pool(url, recorder);
    await p.grow(1, { rampRate: Number.POSITIVE_INFINITY, deadline: performance.now() + 5_000 });
    const driver = new OpenLoopDriver(p, recorder, { rate: 200, inflightCap: 100 });
    const run = driver.run(400);
    await new Promise((r) => setTimeout(r, 150));
    closer?.close(1011);
    await run;
    expect(p.live).toBe(0);
    expect(recorder.sent).toBeGreaterThan(0);
    expect(recorder.errors.transport).toBe(recorder.sent);
    expect(p.abandonAll()).toBe(0);
    expect(recorder.unsent).toBeGreaterThan(0);
  });

  it('closed loop keeps K requests in flight per session', async () => {
    const url = await wsServer((m) => [(m.id as number) % 2 === 0 ? err(m.id, -32010) : ok(m.id)]);
    const recorder = new Recorder(performance.now());
    const p = pool(url, recorder);
    await p.grow(2, { rampRate: Number.POSITIVE_INFINITY, deadline: performance.now() + 5_000 });
    await runClosedLoop(p, recorder, { inflight: 4, durationMs: 300, demandedPerSec: 1_000 });
    expect(p.inflight()).toBeLessThanOrEqual(8);
    await drain(p, 500);
    expect(p.abandonAll()).toBe(0);
    expect(recorder.sent).toBeGreaterThan(8);
    expect(recorder.errors.rate_limited).toBeGreaterThan(0);
    expectBalanced(recorder, 0);
    expect(recorder.offeredPerSec).toBeCloseTo(1_000, 5);
  });

  it('Streamable HTTP: reads JSON and SSE answers, classifies 429 and 404, counts refused sessions', async () => {
    let sessions = 0;
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        const msg = JSON.parse(body);
        if (msg.method === 'initialize') {
          if (sessions >= 1) {
            res.writeHead(503, { 'content-type': 'application/json' });
            res.end(JSON.stringify(err('init', -32012)));
            return;
          }
          sessions++;
          res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 's1' });
          res.end(JSON.stringify(initResult));
          return;
        }
        if (msg.id === undefined) {
          res.writeHead(202).end();
          return;
        }
        expect(req.headers['mcp-session-id']).toBe('s1');
        expect(req.headers['mcp-protocol-version']).toBe('2025-06-18');
        const id = msg.id as number;
        if (id % 4 === 1) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(ok(id)));
        } else if (id % 4 === 2) {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write(`event: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{}}\n\n`);
          res.end(`event: message\ndata: ${JSON.stringify(ok(id))}\n\n`);
        } else if (id % 4 === 3) {
          res.writeHead(429, { 'content-type': 'application/json' });
          res.end(JSON.stringify(err(id, -32010)));
        } else {
          res.writeHead(404).end();
        }
      });
    });
    const url = await listen(server);
    const recorder = new Recorder(performance.now());
    const p = pool(url, recorder, 'http');
    await p.grow(2, { rampRate: Number.POSITIVE_INFINITY, deadline: performance.now() + 5_000 });
    expect([p.attempted, p.established, p.refused, p.failed]).toEqual([2, 1, 1, 0]);
    expect(p.reasonsText()).toBe('refused: initialize answered -32012 (1)');
    const driver = new OpenLoopDriver(p, recorder, { rate: 100, inflightCap: 1 });
    await driver.run(300);
    await drain(p, 1_000);
    // Ids 1, 2 ok (JSON, SSE), 3 rate limited, 4 answered 404: the session is gone.
    expect(recorder.sent).toBe(4);
    expect(recorder.ok).toBe(2);
    expect(recorder.errors.rate_limited).toBe(1);
    expect(recorder.errors.transport).toBe(1);
    expect(p.live).toBe(0);
    expectBalanced(recorder, p.abandonAll());
  });
});
