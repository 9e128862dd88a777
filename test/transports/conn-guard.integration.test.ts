/**
 * The connection deadlines and the raw connection limit on a real listen(): what is closed,
 * with which answer, what stays open (SSE streams, WebSockets), and the counters. Deadlines
 * are short; timings are only checked against generous bounds (deadline + 5 s).
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { McpClient } from '../../src/mcp/client.js';
import { WebSocketClientTransport } from '../../src/transports/ws-client.js';
import { cleanup, HALF_REQUEST, INIT_BODY, onCleanup, rawConnect, serve, sleep, until } from './conn-guard-fixtures.js';

afterEach(cleanup);

const SHORT = { headersTimeoutMs: 300, bodyTimeoutMs: 500, idleTimeoutMs: 300 };
const SLACK_MS = 5_000;
const NONE = { headersTimeout: 0, bodyTimeout: 0, idleTimeout: 0, overLimit: 0 };
const TIMEOUT_408 = 'HTTP/1.1 408 Request Timeout\r\n';

const ACCEPT_BOTH = 'application/json, text/event-stream';

/** Initializes a 2025 session over plain HTTP; returns the headers its later requests carry. */
async function openSession(url: string): Promise<Record<string, string>> {
  const init = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT_BOTH },
    body: INIT_BODY,
  });
  expect(init.status).toBe(200);
  const common = {
    'mcp-session-id': init.headers.get('mcp-session-id') as string,
    'mcp-protocol-version': '2025-11-25',
  };
  await init.text();
  const initialized = await fetch(url, {
    method: 'POST',
    headers: { ...common, 'content-type': 'application/json', accept: ACCEPT_BOTH },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  expect(initialized.status).toBe(202);
  await initialized.text();
  return common;
}

describe('request deadlines', () => {
  it('closes a connection that never sends a byte, without an answer', async () => {
    const { listener } = await serve(SHORT);
    const raw = await rawConnect(listener.port);
    const { afterMs, received } = await raw.closed;
    expect(received).toBe('');
    expect(afterMs).toBeGreaterThanOrEqual(200);
    expect(afterMs).toBeLessThan(300 + SLACK_MS);
    await until(() => listener.connectionStats().open === 0);
    expect(listener.connectionStats().closed).toEqual({ ...NONE, headersTimeout: 1 });
  });

  it('answers 408 and closes a connection that sent half a request line', async () => {
    const { listener } = await serve(SHORT);
    const raw = await rawConnect(listener.port, 'POST /mcp HT');
    const { afterMs, received } = await raw.closed;
    expect(received.startsWith(TIMEOUT_408)).toBe(true);
    expect(afterMs).toBeLessThan(300 + SLACK_MS);
    expect(listener.connectionStats().closed).toEqual({ ...NONE, headersTimeout: 1 });
  });

  it('answers 408 to headers that stop half way', async () => {
    const { listener } = await serve(SHORT);
    const raw = await rawConnect(listener.port, HALF_REQUEST);
    const { received } = await raw.closed;
    expect(received.startsWith(TIMEOUT_408)).toBe(true);
    expect(listener.connectionStats().closed).toEqual({ ...NONE, headersTimeout: 1 });
  });

  it('answers 408 when the headers came but the body never finished', async () => {
    const { listener } = await serve(SHORT);
    const head =
      'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
      `Accept: application/json, text/event-stream\r\nContent-Length: ${INIT_BODY.length}\r\n\r\n`;
    const raw = await rawConnect(listener.port, head + INIT_BODY.slice(0, 20));
    const { afterMs, received } = await raw.closed;
    expect(received.startsWith(TIMEOUT_408)).toBe(true);
    // The body deadline (500 ms), not the headers one, closed it.
    expect(afterMs).toBeGreaterThanOrEqual(400);
    expect(afterMs).toBeLessThan(500 + SLACK_MS);
    expect(listener.connectionStats().closed).toEqual({ ...NONE, bodyTimeout: 1 });
  });

  it('closes a keep-alive connection left idle after its response', async () => {
    const { listener } = await serve(SHORT);
    const raw = await rawConnect(listener.port, 'GET /elsewhere HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const { afterMs, received } = await raw.closed;
    // One answer (404, keep-alive), then nothing more: no 408 for a request never started.
    expect(received.startsWith('HTTP/1.1 404 ')).toBe(true);
    expect(received).not.toContain('408');
    expect(received).toContain('Connection: keep-alive');
    // node (20, 22, 24) adds 1 s of grace to keepAliveTimeout.
    expect(afterMs).toBeLessThan(300 + 1_000 + SLACK_MS);
    expect(listener.connectionStats().closed).toEqual({ ...NONE, idleTimeout: 1 });
  });

  it('serves requests on a keep-alive connection that keeps sending them', async () => {
    const { listener } = await serve(SHORT);
    const raw = await rawConnect(listener.port);
    // Five requests 150 ms apart: each within the idle and headers deadlines of the last.
    for (let i = 0; i < 5; i++) {
      raw.socket.write('GET /elsewhere HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      await sleep(150);
    }
    await until(() => raw.received.split('HTTP/1.1 404 ').length - 1 === 5);
    expect(raw.isClosed()).toBe(false);
    raw.socket.destroy();
    expect(listener.connectionStats().closed).toEqual(NONE);
  });
});

describe('what the deadlines leave alone', () => {
  it('keeps a 2025 session GET stream open past every deadline while keep-alive comments flow', async () => {
    const { listener } = await serve(SHORT, { http: { sseKeepAliveMs: 100 } });
    const common = await openSession(listener.url);

    let comments = 0;
    let ended = false;
    const req = http.get(listener.url, { agent: false, headers: { ...common, accept: 'text/event-stream' } });
    onCleanup(() => {
      req.destroy();
    });
    const res = await new Promise<http.IncomingMessage>((resolve) => req.once('response', resolve));
    expect(res.statusCode).toBe(200);
    res.on('data', (d: Buffer) => {
      comments += d.toString().split(': keep-alive').length - 1;
    });
    res.once('close', () => {
      ended = true;
    });
    // Well past headers (300), body (500) and idle (300 + 1,000 grace).
    await sleep(2_500);
    expect(ended).toBe(false);
    expect(comments).toBeGreaterThanOrEqual(5);
    req.destroy();
    expect(listener.connectionStats().closed).toEqual(NONE);
  });

  it('keeps a POST answered with an SSE stream open past every deadline while it flows', async () => {
    const { server, listener } = await serve(SHORT);
    server.registerTool('slow', {}, async (_args, ctx) => {
      for (let i = 1; i <= 15; i++) {
        await ctx.progress(i, 15);
        await sleep(100);
      }
      return { content: [{ type: 'text', text: 'done' }] };
    });
    const common = await openSession(listener.url);
    const started = performance.now();
    const res = await fetch(listener.url, {
      method: 'POST',
      headers: { ...common, 'content-type': 'application/json', accept: ACCEPT_BOTH },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'slow', arguments: {}, _meta: { progressToken: 'p' } },
      }),
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const body = await res.text();
    expect(performance.now() - started).toBeGreaterThan(1_400);
    expect(body.split('notifications/progress').length - 1).toBe(15);
    expect(body).toContain('"text":"done"');
    expect(listener.connectionStats().closed).toEqual(NONE);
  });

  it('keeps a WebSocket open past every deadline: after the upgrade the ws ping owns it', async () => {
    const { listener } = await serve(SHORT);
    const client = new McpClient({ name: 'ws', version: '1' });
    await client.connect(new WebSocketClientTransport(new URL(listener.url.replace(/^http/, 'ws'))));
    onCleanup(() => client.close());
    await sleep(2_000);
    expect(await client.ping()).toEqual({});
    expect((await client.callTool({ name: 'echo', arguments: { text: 'still here' } })).content).toEqual([
      { type: 'text', text: 'still here' },
    ]);
    expect(listener.connectionStats().open).toBe(1);
    expect(listener.connectionStats().closed).toEqual(NONE);
  });

  it('still closes an upgrade request whose headers stop half way', async () => {
    const { listener } = await serve(SHORT);
    const raw = await rawConnect(listener.port, 'GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n');
    const { received } = await raw.closed;
    expect(received.startsWith(TIMEOUT_408)).toBe(true);
    expect(listener.connectionStats().closed).toEqual({ ...NONE, headersTimeout: 1 });
  });
});

describe('maxRawConnections', () => {
  it('closes new sockets beyond the limit at once while the clients it holds keep working', async () => {
    // Default deadlines: the held raw sockets must not time out during the test.
    const { listener } = await serve({ maxRawConnections: 4 });
    const client = new McpClient({ name: 'ws', version: '1' });
    await client.connect(new WebSocketClientTransport(new URL(listener.url.replace(/^http/, 'ws'))));
    onCleanup(() => client.close());
    const held = [await rawConnect(listener.port), await rawConnect(listener.port), await rawConnect(listener.port)];
    await until(() => listener.connectionStats().open === 4);

    const refused = await Promise.all([rawConnect(listener.port), rawConnect(listener.port)]);
    for (const r of refused) {
      const { afterMs, received } = await r.closed;
      expect(received).toBe('');
      // Closed on accept, long before the 5 s headers deadline could have done it.
      expect(afterMs).toBeLessThan(4_000);
    }
    await until(() => listener.connectionStats().closed.overLimit === 2);
    expect(held.every((h) => !h.isClosed())).toBe(true);
    expect(await client.ping()).toEqual({});
    expect(listener.connectionStats()).toEqual({
      open: 4,
      maxRawConnections: 4,
      closed: { ...NONE, overLimit: 2 },
    });

    // A slot freed is a slot taken again.
    held[0]?.socket.destroy();
    await until(() => listener.connectionStats().open === 3);
    const again = await rawConnect(listener.port);
    await sleep(200);
    expect(again.isClosed()).toBe(false);
    expect(listener.connectionStats().closed.overLimit).toBe(2);
  });
});
