import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { JsonRpcMessage } from '../../src/mcp/jsonrpc.js';
import { ConnectionLimiter } from '../../src/transports/limiter.js';
import { WebSocketClientTransport } from '../../src/transports/ws-client.js';
import {
  SLOW_CONSUMER_REASON,
  WebSocketListener,
  type WebSocketListenerOptions,
  type WebSocketServerTransport,
} from '../../src/transports/ws-server.js';
import { expectRejectCode } from '../helpers.js';

interface Harness {
  url: string;
  listener: WebSocketListener;
  server: http.Server;
  transports: WebSocketServerTransport[];
  errors: Error[];
  closes: number;
  warnings: string[];
  /** Methods of the messages the server received, in order. */
  seen: string[];
}

const harnesses: Harness[] = [];
const sockets: WebSocket[] = [];

/**
 * A listener on 127.0.0.1:0 whose connections run a tiny echo protocol: requests are answered
 * `{ echo: params }`; `fill` sends 16 KiB notifications until the unsent bytes reach
 * params.until; `flood` sends them until send() rejects, recording the peak unsent bytes.
 */
async function harness(options: Partial<WebSocketListenerOptions> = {}): Promise<Harness> {
  const h = { transports: [], errors: [], closes: 0, warnings: [], seen: [] } as unknown as Harness;
  h.listener = new WebSocketListener({
    onwarning: (m) => h.warnings.push(m),
    ...options,
    onconnection: options.onconnection ?? ((t) => serveEcho(h, t)),
  });
  h.server = http.createServer();
  h.listener.attach(h.server);
  await new Promise<void>((r) => h.server.listen(0, '127.0.0.1', r));
  h.url = `ws://127.0.0.1:${(h.server.address() as AddressInfo).port}/mcp`;
  harnesses.push(h);
  return h;
}

const PAD = 'x'.repeat(16 * 1024);
interface Flood {
  sent: number;
  resolved: number;
  peak: number;
  rejected?: Error;
}
const floods = new Map<WebSocketServerTransport, Flood>();

function serveEcho(h: Harness, t: WebSocketServerTransport): void {
  h.transports.push(t);
  t.onerror = (e) => h.errors.push(e);
  t.onclose = () => h.closes++;
  t.onmessage = (raw) => {
    const m = raw as { id?: number | string; method?: string; params?: Record<string, unknown> };
    if (m.id === undefined || m.method === undefined) return;
    h.seen.push(m.method);
    if (m.method === 'fill') {
      let sent = 0;
      while (t.bufferedAmount < (m.params?.until as number)) {
        void t.send({ jsonrpc: '2.0', method: 'pad', params: { n: sent++, pad: PAD } });
      }
      floods.set(t, { sent, resolved: sent, peak: t.bufferedAmount });
      return;
    }
    if (m.method === 'flood') {
      const state: Flood = { sent: 0, resolved: 0, peak: 0 };
      floods.set(t, state);
      const burst = () => {
        for (let i = 0; i < 8; i++) {
          t.send({ jsonrpc: '2.0', method: 'pad', params: { n: state.sent++, pad: PAD } }).then(
            () => state.resolved++,
            (e) => {
              state.rejected ??= e;
            },
          );
          state.peak = Math.max(state.peak, t.bufferedAmount);
        }
        setImmediate(() => {
          if (state.rejected === undefined) burst();
        });
      };
      burst();
      return;
    }
    void t.send({ jsonrpc: '2.0', id: m.id, result: { echo: m.params ?? null } }).catch(() => {});
  };
  void t.start();
}

function raw(url: string, protocols?: string | string[], options: WebSocket.ClientOptions = {}): WebSocket {
  const ws = new WebSocket(url, protocols, options);
  sockets.push(ws);
  return ws;
}

function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
}

function closedWith(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

/** The status line and headers a refused upgrade gets. */
function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.get(url.replace('ws:', 'http:'), {
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        ...headers,
      },
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res);
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      reject(new Error('unexpectedly upgraded'));
    });
    req.on('error', reject);
  });
}

async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  for (const h of harnesses.splice(0)) {
    await h.listener.close();
    h.server.closeAllConnections();
    await new Promise((r) => h.server.close(r));
    expect(h.listener.limiter.count).toBe(0);
  }
  floods.clear();
});

describe('WebSocketListener + WebSocketServerTransport', () => {
  it('echoes 5,000 concurrent requests over our client: in order, none lost or duplicated', async () => {
    const h = await harness();
    const c = new WebSocketClientTransport(h.url);
    const got: JsonRpcMessage[] = [];
    c.onmessage = (m) => got.push(m);
    await c.start();
    expect(c.protocol).toBe('mcp');
    const n = 5_000;
    await Promise.all(
      Array.from({ length: n }, (_, i) => c.send({ jsonrpc: '2.0', id: i, method: 'm', params: { i } })),
    );
    await until(() => got.length >= n);
    await new Promise((r) => setTimeout(r, 20));
    expect(got).toEqual(Array.from({ length: n }, (_, i) => ({ jsonrpc: '2.0', id: i, result: { echo: { i } } })));
    expect(h.transports).toHaveLength(1);
    expect(h.transports[0]?.sessionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(h.transports[0]?.protocol).toBe('mcp');
    await c.close();
    await until(() => h.closes === 1);
    expect(h.listener.connections).toBe(0);
  });

  it('serves many connections at once with distinct session ids', async () => {
    const h = await harness();
    const clients = Array.from({ length: 50 }, () => new WebSocketClientTransport(h.url));
    const got = clients.map(() => [] as JsonRpcMessage[]);
    clients.forEach((c, i) => {
      c.onmessage = (m) => got[i]?.push(m);
    });
    await Promise.all(clients.map((c) => c.start()));
    for (let k = 0; k < 20; k++)
      for (const [i, c] of clients.entries()) void c.send({ jsonrpc: '2.0', id: k, method: 'm', params: { i } });
    await until(() => got.every((g) => g.length === 20));
    got.forEach((g, i) => {
      expect(g).toEqual(Array.from({ length: 20 }, (_, k) => ({ jsonrpc: '2.0', id: k, result: { echo: { i } } })));
    });
    expect(new Set(h.transports.map((t) => t.sessionId)).size).toBe(50);
    await Promise.all(clients.map((c) => c.close()));
    await until(() => h.listener.limiter.count === 0);
  });

  it('accepts clients that offer no subprotocol, refuses (400) those that offer others only', async () => {
    const h = await harness();
    const ws = raw(h.url);
    await opened(ws);
    expect(ws.protocol).toBe('');
    const both = raw(h.url, ['other', 'mcp']);
    await opened(both);
    expect(both.protocol).toBe('mcp');
    expect((await upgradeStatus(h.url, { 'Sec-WebSocket-Protocol': 'graphql-ws, chat' })).statusCode).toBe(400);
    const c = new WebSocketClientTransport(h.url, { protocols: ['chat'] });
    await expect(c.start()).rejects.toMatchObject({ code: 'ERR_TRANSPORT', message: expect.stringContaining('400') });
  });

  it('refuses a browser Origin not in allowedOrigins with 403; accepts listed and absent Origins', async () => {
    const h = await harness({ allowedOrigins: ['https://app.example.com'] });
    expect((await upgradeStatus(h.url, { Origin: 'https://evil.example.com' })).statusCode).toBe(403);
    await opened(raw(h.url, 'mcp', { origin: 'https://APP.example.com' }));
    await opened(raw(h.url, 'mcp'));
    expect(h.listener.connections).toBe(2);
  });

  it('by default refuses cross-site Origins and rebinding Hosts on a loopback listener (403)', async () => {
    const h = await harness();
    expect((await upgradeStatus(h.url, { Origin: 'https://evil.example.com' })).statusCode).toBe(403);
    expect((await upgradeStatus(h.url, { Host: 'evil.example.com' })).statusCode).toBe(403);
    expect((await upgradeStatus(h.url, { Origin: 'null' })).statusCode).toBe(403);
    await opened(raw(h.url, 'mcp', { origin: 'http://localhost:3000' }));
    await opened(raw(h.url, 'mcp'));
    expect(h.listener.connections).toBe(2);
  });

  it('answers 404 for other paths', async () => {
    const h = await harness();
    expect((await upgradeStatus(h.url.replace('/mcp', '/other'))).statusCode).toBe(404);
    await opened(raw(`${h.url}?token=1`, 'mcp'));
    expect(h.listener.connections).toBe(1);
  });

  it('attach() leaves other paths to other upgrade listeners', async () => {
    const h = await harness();
    h.server.on('upgrade', (req, socket) => {
      if (req.url === '/other') socket.end("HTTP/1.1 418 I'm a Teapot\r\nContent-Length: 0\r\n\r\n");
    });
    expect((await upgradeStatus(h.url.replace('/mcp', '/other'))).statusCode).toBe(418);
    await opened(raw(h.url, 'mcp'));
  });

  it('answers 503 with Retry-After beyond the limiter; the slot comes back when a connection closes', async () => {
    const limiter = new ConnectionLimiter(2);
    const h = await harness({ limiter });
    const a = new WebSocketClientTransport(h.url);
    const b = new WebSocketClientTransport(h.url);
    await a.start();
    await b.start();
    expect(limiter.count).toBe(2);
    const res = await upgradeStatus(h.url);
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    const c = new WebSocketClientTransport(h.url);
    await expect(c.start()).rejects.toMatchObject({ code: 'ERR_TRANSPORT', message: expect.stringContaining('503') });
    expect(limiter.refused).toBe(2);
    await a.close();
    await until(() => limiter.count === 1);
    const d = new WebSocketClientTransport(h.url);
    await d.start();
    expect(limiter.count).toBe(2);
    await b.close();
    await d.close();
    await until(() => limiter.count === 0);
    expect(h.closes).toBe(3);
  });

  it('answers non-JSON text and invalid-UTF-8 binary frames with -32700 and keeps serving', async () => {
    const h = await harness();
    const ws = raw(h.url, 'mcp');
    const got: unknown[] = [];
    ws.on('message', (d) => got.push(JSON.parse(d.toString())));
    await opened(ws);
    ws.send('{nope');
    ws.send(Buffer.from([0x7b, 0xff, 0x7d]), { binary: true });
    ws.send(Buffer.from('{"jsonrpc":"2.0","id":"bin","method":"m"}'), { binary: true });
    ws.send('{"jsonrpc":"2.0","id":"txt","method":"m"}');
    await until(() => got.length === 4);
    expect(got[0]).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
    expect(got[1]).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
    expect(got.slice(2)).toEqual([
      { jsonrpc: '2.0', id: 'bin', result: { echo: null } },
      { jsonrpc: '2.0', id: 'txt', result: { echo: null } },
    ]);
    expect(h.errors.map((e) => (e as { code?: string }).code)).toEqual(['ERR_TRANSPORT', 'ERR_TRANSPORT']);
  });

  it('closes with 1007 on a text frame that is not UTF-8 (ws does this itself)', async () => {
    const h = await harness();
    const ws = raw(h.url, 'mcp');
    await opened(ws);
    const closed = closedWith(ws);
    ws.send(Buffer.from([0x22, 0xff, 0x22]), { binary: false });
    expect((await closed).code).toBe(1007);
    await until(() => h.closes === 1);
  });

  it('closes with 1009 on a message over maxPayload; onerror gets ERR_MESSAGE_TOO_LARGE', async () => {
    const h = await harness({ maxPayload: 1024 });
    const ws = raw(h.url, 'mcp');
    await opened(ws);
    const closed = closedWith(ws);
    ws.send(JSON.stringify({ jsonrpc: '2.0', method: 'big', params: { pad: 'x'.repeat(2000) } }));
    expect((await closed).code).toBe(1009);
    await until(() => h.closes === 1);
    expect(h.errors.map((e) => (e as { code?: string }).code)).toEqual(['ERR_MESSAGE_TOO_LARGE']);
    expect(h.listener.limiter.count).toBe(0);
  });

  it('terminates a peer that does not answer pings; keeps one that does', async () => {
    const h = await harness({ keepAliveMs: 50 });
    const mute = raw(h.url, 'mcp', { autoPong: false });
    const alive = raw(h.url, 'mcp');
    await Promise.all([opened(mute), opened(alive)]);
    const muteClosed = closedWith(mute);
    expect((await muteClosed).code).toBe(1006);
    await until(() => h.closes === 1);
    expect(h.errors.map((e) => (e as { code?: string }).code)).toEqual(['ERR_TIMEOUT']);
    await new Promise((r) => setTimeout(r, 200));
    expect(alive.readyState).toBe(WebSocket.OPEN);
    expect(h.listener.connections).toBe(1);
    expect(h.listener.limiter.count).toBe(1);
  });

  it('spreads keep-alive pings over the period instead of pinging every connection at once', async () => {
    const h = await harness({ keepAliveMs: 1_000 });
    const clients = Array.from({ length: 32 }, () => raw(h.url, 'mcp'));
    await Promise.all(clients.map(opened));
    const pinged = new Set<number>();
    for (const [i, c] of clients.entries()) c.on('ping', () => pinged.add(i));
    // 64 slices of 15.6 ms: a fifth of the period reaches at most a fifth of the slices.
    await new Promise((r) => setTimeout(r, 200));
    expect(pinged.size).toBeLessThan(32);
    await until(() => pinged.size === 32, 3_000);
    expect(pinged.size).toBe(32);
    expect(h.listener.connections).toBe(32);
    for (const c of clients) c.close();
  });

  it('closes a client that stops reading with 1008 while unsent bytes stay bounded; nothing sent is lost', async () => {
    const max = 256 * 1024;
    const h = await harness({ maxBufferedBytes: max, stallTimeoutMs: 10_000 });
    const ws = raw(h.url, 'mcp');
    await opened(ws);
    const pads: number[] = [];
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString());
      if (m.method === 'pad') pads.push(m.params.n);
    });
    const closed = closedWith(ws);
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'flood' }));
    ws.pause(); // stop reading at the TCP level
    await until(() => h.errors.length > 0, 15_000);
    const t = h.transports[0] as WebSocketServerTransport;
    const state = floods.get(t);
    expect(h.errors[0]).toMatchObject({ code: 'ERR_SLOW_CONSUMER' });
    expect(state?.rejected).toMatchObject({ code: 'ERR_CONNECTION_CLOSED' });
    // The bound: 95 % of maxBufferedBytes plus the one message that crossed it.
    expect(state?.peak).toBeLessThanOrEqual(Math.floor(max * 0.95) + PAD.length + 200);
    expect(h.warnings.length).toBe(1);
    ws.resume();
    const { code, reason } = await closed;
    expect(code).toBe(1008);
    expect(reason).toBe(SLOW_CONSUMER_REASON);
    // Every send that resolved reached the client, in order; every other one was rejected.
    expect(state?.resolved).toBeGreaterThan(0);
    expect(pads).toEqual(Array.from({ length: state?.resolved ?? 0 }, (_, i) => i));
    await until(() => h.closes === 1);
  });

  it('pauses reading at 75 % and resumes once the client drains; closes with 1008 after stallTimeoutMs', async () => {
    const max = 256 * 1024;
    const h = await harness({ maxBufferedBytes: max, stallTimeoutMs: 60_000 });
    const ws = raw(h.url, 'mcp');
    await opened(ws);
    const answers: unknown[] = [];
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString());
      if (m.id !== undefined) answers.push(m);
    });
    ws.pause();
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 'fill', method: 'fill', params: { until: max * 0.8 } }));
    await until(() => h.warnings.length === 1, 15_000);
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 'after', method: 'm' }));
    await new Promise((r) => setTimeout(r, 100));
    expect(h.seen).toEqual(['fill']); // the server does not read a client that does not read
    ws.resume();
    await until(() => answers.length === 1);
    expect(answers).toEqual([{ jsonrpc: '2.0', id: 'after', result: { echo: null } }]);
    expect(h.errors).toEqual([]);

    const h2 = await harness({ maxBufferedBytes: max, stallTimeoutMs: 200 });
    const ws2 = raw(h2.url, 'mcp');
    await opened(ws2);
    ws2.pause();
    const closed = closedWith(ws2);
    ws2.send(JSON.stringify({ jsonrpc: '2.0', id: 'fill', method: 'fill', params: { until: max * 0.8 } }));
    await until(() => h2.errors.length === 1, 15_000);
    expect(h2.errors[0]).toMatchObject({ code: 'ERR_SLOW_CONSUMER', message: expect.stringContaining('200 ms') });
    ws2.resume();
    expect(await closed).toEqual({ code: 1008, reason: SLOW_CONSUMER_REASON });
  });

  it('delivers messages sent before start() once the transport starts', async () => {
    const h = await harness({
      onconnection: (t) => {
        h.transports.push(t);
        const got: unknown[] = [];
        t.onmessage = (m) => got.push(m);
        setTimeout(() => {
          const before = got.length;
          void t.start();
          setTimeout(() => void t.send({ jsonrpc: '2.0', method: 'seen', params: { before, got } }), 20);
        }, 100);
      },
    });
    const ws = raw(h.url, 'mcp');
    await opened(ws);
    const seen = new Promise<unknown>((r) => ws.once('message', (d) => r(JSON.parse(d.toString()))));
    for (let i = 0; i < 3; i++) ws.send(JSON.stringify({ jsonrpc: '2.0', method: 'n', params: { i } }));
    expect(await seen).toEqual({
      jsonrpc: '2.0',
      method: 'seen',
      params: { before: 0, got: [0, 1, 2].map((i) => ({ jsonrpc: '2.0', method: 'n', params: { i } })) },
    });
  });

  it('closes with 1011 when onconnection throws', async () => {
    const h = await harness({
      onconnection: () => {
        throw new Error('boom');
      },
    });
    const ws = raw(h.url, 'mcp');
    const closed = closedWith(ws);
    expect(await closed).toEqual({ code: 1011, reason: 'internal error' });
  });

  it('close(): 1001 to every client, 503 afterwards, onclose once each, slots released', async () => {
    const h = await harness();
    const clients = [raw(h.url, 'mcp'), raw(h.url, 'mcp'), raw(h.url)];
    await Promise.all(clients.map(opened));
    const closes = clients.map(closedWith);
    await h.listener.close();
    for (const c of await Promise.all(closes)) expect(c).toEqual({ code: 1001, reason: 'server shutting down' });
    expect(h.closes).toBe(3);
    expect(h.listener.limiter.count).toBe(0);
    expect((await upgradeStatus(h.url)).statusCode).toBe(503);
    await h.listener.close();
  });

  it('transport close() is idempotent, fires onclose once, and send afterwards rejects', async () => {
    const h = await harness();
    const c = new WebSocketClientTransport(h.url);
    let clientCloses = 0;
    c.onclose = () => clientCloses++;
    const closedByServer = new Promise<void>((r) => {
      c.onclose = () => {
        clientCloses++;
        r();
      };
    });
    await c.start();
    await until(() => h.transports.length === 1);
    const t = h.transports[0] as WebSocketServerTransport;
    await Promise.all([t.close(), t.close()]);
    await t.close();
    await closedByServer;
    expect(h.closes).toBe(1);
    expect(clientCloses).toBe(1);
    await expectRejectCode(t.send({ jsonrpc: '2.0', method: 'x' }), 'ERR_CONNECTION_CLOSED');
    await expectRejectCode(c.send({ jsonrpc: '2.0', method: 'x' }), 'ERR_CONNECTION_CLOSED');
    await c.close();
    expect(clientCloses).toBe(1);
  });
});

describe('WebSocketClientTransport', () => {
  it('reports the HTTP status of a refused upgrade', async () => {
    const server = http.createServer();
    server.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const c = new WebSocketClientTransport(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
      let closes = 0;
      c.onclose = () => closes++;
      await expect(c.start()).rejects.toMatchObject({ code: 'ERR_TRANSPORT', message: expect.stringContaining('401') });
      await c.close();
      expect(closes).toBe(0);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('sends headers, reports non-JSON from the server through onerror', async () => {
    let auth: string | undefined;
    const h = await harness({
      onconnection: (t) => {
        h.transports.push(t);
        t.onmessage = (_m, extra) => {
          auth = extra?.requestInfo?.headers.authorization as string;
        };
        void t.start();
      },
    });
    const c = new WebSocketClientTransport(h.url, { headers: { Authorization: 'Bearer t' } });
    const errors: Error[] = [];
    c.onerror = (e) => errors.push(e);
    await c.start();
    await c.send({ jsonrpc: '2.0', method: 'n' });
    await until(() => auth !== undefined);
    expect(auth).toBe('Bearer t');
    await expectRejectCode(c.start(), 'ERR_ALREADY_STARTED');
    await c.close();
  });
});
