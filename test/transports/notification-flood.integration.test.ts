/**
 * Notification floods end to end: notifications pay the sender's token bucket; past it they
 * are dropped (WebSocket, silently) or refused (Streamable HTTP: 429 + Retry-After instead of
 * 202), and a sender that breaks the flood rule is disconnected (WebSocket close 1008; HTTP
 * `Connection: close` on its 429s) while every other client keeps being served.
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { McpClient } from '../../src/mcp/client.js';
import type { McpServer, McpServerOptions } from '../../src/mcp/server.js';
import { type Listener, listen } from '../../src/transports/listen.js';
import { WebSocketClientTransport } from '../../src/transports/ws-client.js';
import { NOTIFICATION_FLOOD_REASON } from '../../src/transports/ws-server.js';
import { envelope, request2026, until, V2026 } from '../mcp/era.js';
import type { Wire } from '../mcp/harness.js';
import { initialize2025, post2025, type StatelessHarness, startStateless } from './stateless-fixtures.js';
import { buildToolset } from './stateless-toolset.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('WebSocket', () => {
  async function serve(options: McpServerOptions): Promise<{ listener: Listener; server: McpServer }> {
    const { server } = buildToolset(options);
    const listener = await listen(server, { host: '127.0.0.1', port: 0, websocket: { keepAliveMs: 0 } });
    cleanups.push(async () => {
      await listener.close();
      await server.close();
    });
    return { listener, server };
  }

  it('a flooding client is closed with 1008; another on the same server gets every tools/call answered', async () => {
    // 100 tokens, 1,000/s: the polite client below calls at most ~500/s.
    const { listener, server } = await serve({
      gate: { bucket: { capacity: 100, refillPerSec: 1_000 }, floodDisconnectAfter: 5_000 },
    });
    const errors: string[] = [];
    server.on('sessionerror', (e) => errors.push((e as { code?: string }).code ?? e.message));
    const url = listener.url.replace(/^http/, 'ws');

    const polite = new McpClient({ name: 'polite', version: '1' });
    await polite.connect(new WebSocketClientTransport(new URL(url)));
    cleanups.push(() => polite.close());

    const flooder = new WebSocket(url, 'mcp');
    await new Promise((r) => flooder.once('open', r));
    const closed = new Promise<[number, string]>((resolve) =>
      flooder.once('close', (code, reason) => resolve([code, reason.toString()])),
    );
    let floodClosed = false;
    void closed.then(() => {
      floodClosed = true;
    });

    // The polite client calls throughout: before, during and after the flood.
    const answers: string[] = [];
    let stop = false;
    const calls = (async () => {
      for (let i = 0; !stop; i++) {
        const r = await polite.callTool({ name: 'echo', arguments: { message: `m${i}` } });
        answers.push((r.content as { text: string }[])[0]?.text ?? '');
        await sleep(2);
      }
    })();
    await until(() => answers.length >= 5);

    // Thousands of notifications, in bursts, until the server closes the connection.
    const beforeFlood = answers.length;
    const note = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/roots/list_changed' });
    let sent = 0;
    while (!floodClosed && flooder.readyState === WebSocket.OPEN && sent < 200_000) {
      for (let i = 0; i < 500; i++) flooder.send(note);
      sent += 500;
      // Between bursts the polite client must get an answer: it is served during the flood.
      const n = answers.length;
      await until(() => answers.length > n || floodClosed);
    }
    expect(await closed).toEqual([1008, NOTIFICATION_FLOOD_REASON]);
    expect(sent).toBeGreaterThan(5_100); // at least the bucket and the 5,000 drops of the rule
    const atClose = answers.length;
    expect(atClose - beforeFlood).toBeGreaterThanOrEqual(10);
    await until(() => answers.length >= atClose + 10);
    stop = true;
    await calls;

    expect(answers).toEqual(answers.map((_, i) => `m${i}`));
    expect(errors).toContain('ERR_NOTIFICATION_FLOOD');
    const stats = server.gate.notificationStats();
    expect(stats.floods).toBe(1);
    expect(stats.dropped).toBeGreaterThan(5_000);
    await until(() => server.sessions.size === 1);
    expect(server.gate.admission.stats().globalDepth).toBe(0);
  });
});

/** A POST over a keep-alive agent (so `Connection: close` on the answer means something). */
async function postKept(
  agent: http.Agent,
  port: number,
  body: unknown,
  headers: Record<string, string>,
  from = '127.0.0.1',
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Wire }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/mcp',
        method: 'POST',
        agent,
        localAddress: from,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'content-length': String(Buffer.byteLength(payload)),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text === '' ? undefined : JSON.parse(text),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function serveHttp(options: McpServerOptions): Promise<{ h: StatelessHarness; agent: http.Agent }> {
  const { server } = buildToolset(options);
  const h = await startStateless(server);
  const agent = new http.Agent({ keepAlive: true });
  cleanups.push(async () => {
    agent.destroy();
    await h.close();
  });
  return { h, agent };
}

function expectDropped(r: { status: number; headers: http.IncomingHttpHeaders; body: Wire }, reason: string): void {
  expect(r.status).toBe(429);
  expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(r.body.id).toBeNull();
  expect(r.body.error.code).toBe(-32010);
  expect(r.body.error.data.reason).toBe(reason);
  expect(r.body.error.data.retryAfterMs).toBeGreaterThan(0);
  expect(r.headers.connection).toBe(reason === 'notification_flood' ? 'close' : 'keep-alive');
}

describe('Streamable HTTP, 2025 session', () => {
  it('notification POSTs past the bucket get 429 + Retry-After; flooding adds Connection: close; another session is served', async () => {
    // 1 token/s (the native minimum) refills nothing within this test's few dozen ms.
    const { h, agent } = await serveHttp({
      gate: { bucket: { capacity: 5, refillPerSec: 1 }, floodDisconnectAfter: 3, floodWindowMs: 60_000 },
    });
    const a = await initialize2025(h.port); // initialize + notifications/initialized: 2 of A's 5 tokens
    const b = await initialize2025(h.port);
    const session = (sid: string) => ({ 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' });
    const note = { jsonrpc: '2.0', method: 'notifications/roots/list_changed' };
    const echo = async (i: number) => {
      const r = await post2025(h.port, b, {
        jsonrpc: '2.0',
        id: i,
        method: 'tools/call',
        params: { name: 'echo', arguments: { message: `b${i}` } },
      });
      expect([r.status, r.body.result.content[0].text]).toEqual([200, `b${i}`]);
    };

    for (let i = 0; i < 3; i++) {
      const r = await postKept(agent, h.port, note, session(a));
      expect([r.status, r.body]).toEqual([202, undefined]);
    }
    await echo(1);
    expectDropped(await postKept(agent, h.port, note, session(a)), 'rate_limited');
    // The same bucket: A's requests are refused too.
    const ping = await postKept(agent, h.port, { jsonrpc: '2.0', id: 'p', method: 'ping' }, session(a));
    expect([ping.status, ping.body.id, ping.body.error.code]).toEqual([429, 'p', -32010]);
    await echo(2);
    expectDropped(await postKept(agent, h.port, note, session(a)), 'rate_limited');
    expectDropped(await postKept(agent, h.port, note, session(a)), 'rate_limited');
    // The fourth drop within the window breaks the rule (floodDisconnectAfter 3).
    expectDropped(await postKept(agent, h.port, note, session(a)), 'notification_flood');
    expectDropped(await postKept(agent, h.port, note, session(a)), 'notification_flood');
    await echo(3);
    // The session stays (a new one would start with a full bucket); its bucket keeps applying.
    expect(h.listener.session(a)?.closed).toBe(false);
    expect(h.server.gate.notificationStats()).toEqual({ dropped: 5, floods: 1 });
    const dropped = [...h.server.sessions].map((s) => s.notificationsDropped).sort();
    expect(dropped).toEqual([0, 5]);
  });
});

describe('Streamable HTTP, 2026 stateless channel', () => {
  // Channels are per client address: the flooder posts from 127.0.0.1, the other client from
  // 127.0.0.2 (both on lo), so each has a bucket of its own.
  it('notification POSTs past the bucket get 429 + Retry-After (cancelled ones pay too); another address is served', async () => {
    // 1 token/s (the native minimum) refills nothing within this test's few dozen ms.
    const { h, agent } = await serveHttp({
      gate: { bucket: { capacity: 5, refillPerSec: 1 }, floodDisconnectAfter: 3, floodWindowMs: 60_000 },
    });
    const other = new http.Agent({ keepAlive: true });
    cleanups.push(async () => other.destroy());
    const modern = { 'mcp-protocol-version': V2026 };
    const note = (method: string, params: Record<string, unknown> = {}) => ({
      jsonrpc: '2.0',
      method,
      params: { ...params, _meta: envelope() },
    });
    const echo = async (i: number) => {
      const r = await postKept(
        other,
        h.port,
        request2026(i, 'tools/call', { name: 'echo', arguments: { message: `o${i}` } }),
        { ...modern, 'mcp-method': 'tools/call', 'mcp-name': 'echo' },
        '127.0.0.2',
      );
      expect([r.status, r.body.id, r.body.result.content[0].text]).toEqual([200, i, `o${i}`]);
    };

    // A client's notifications/cancelled is not acted on in 2026, but it costs a token.
    for (let i = 0; i < 5; i++) {
      const r = await postKept(agent, h.port, note('notifications/cancelled', { requestId: i }), modern);
      expect(r.status).toBe(202);
    }
    await echo(1);
    expectDropped(await postKept(agent, h.port, note('notifications/roots/list_changed'), modern), 'rate_limited');
    // The channel's requests share the bucket.
    const call = await postKept(agent, h.port, request2026('r', 'tools/list'), {
      ...modern,
      'mcp-method': 'tools/list',
    });
    expect([call.status, call.body.id, call.body.error.code]).toEqual([429, 'r', -32010]);
    expectDropped(
      await postKept(agent, h.port, note('notifications/cancelled', { requestId: 9 }), modern),
      'rate_limited',
    );
    expectDropped(await postKept(agent, h.port, note('notifications/roots/list_changed'), modern), 'rate_limited');
    await echo(2);
    expectDropped(
      await postKept(agent, h.port, note('notifications/roots/list_changed'), modern),
      'notification_flood',
    );
    await echo(3);
    const channels = [...h.server.statelessClients];
    expect(channels.map((c) => c.notificationsDropped).sort()).toEqual([0, 4]);
    expect(h.server.gate.notificationStats()).toEqual({ dropped: 4, floods: 1 });
  });
});
