/**
 * Backpressure end to end, through listen(): rate-limit errors over WebSocket and HTTP (429 +
 * Retry-After) while other sessions are served, and a client that stops reading its responses
 * disconnected with 1008 while the server stops reading its requests (memory stays bounded).
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { McpClient } from '../../src/mcp/client.js';
import { ErrorCode, McpError } from '../../src/mcp/jsonrpc.js';
import { McpServer, type McpServerOptions } from '../../src/mcp/server.js';
import { type Listener, type ListenOptions, listen } from '../../src/transports/listen.js';
import { WebSocketClientTransport } from '../../src/transports/ws-client.js';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

async function start(options: McpServerOptions, listenOptions: ListenOptions = {}) {
  const server = new McpServer({ name: 'bp', version: '1' }, options);
  let handled = 0;
  server.registerTool('echo', {}, (a: { m?: string }) => ({ content: [{ type: 'text', text: a.m ?? '' }] }));
  server.registerTool('big', {}, () => {
    handled++;
    return { content: [{ type: 'text', text: 'x'.repeat(100_000) }] };
  });
  const listener: Listener = await listen(server, { port: 0, ...listenOptions });
  stops.push(async () => {
    await listener.close();
    await server.close();
  });
  return { server, listener, handled: () => handled };
}

async function wsClient(url: string): Promise<McpClient> {
  const c = new McpClient({ name: 'bp-client', version: '1' });
  await c.connect(new WebSocketClientTransport(new URL(url.replace(/^http/, 'ws'))));
  stops.push(() => c.close());
  return c;
}

describe('rate limiting through listen()', () => {
  it('WebSocket: the greedy session gets -32010 with retryAfterMs, the other is served', async () => {
    const { listener, server } = await start({ gate: { bucket: { capacity: 4, refillPerSec: 1 } } });
    const greedy = await wsClient(listener.url); // initialize and notifications/initialized took 1 token each
    const polite = await wsClient(listener.url);
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => greedy.ping()));
    const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
    expect(results.filter((r) => r.status === 'fulfilled').length).toBe(2);
    expect(refused.length).toBe(8);
    for (const e of refused) {
      expect(e).toBeInstanceOf(McpError);
      expect(e.code).toBe(ErrorCode.RATE_LIMITED);
      expect(e.data.reason).toBe('rate_limited');
      expect(e.data.retryAfterMs).toBeGreaterThan(0);
    }
    expect(await polite.callTool({ name: 'echo', arguments: { m: 'ok' } })).toEqual({
      content: [{ type: 'text', text: 'ok' }],
    });
    expect(server.gate.admission.stats().globalDepth).toBe(0);
  });

  it('Streamable HTTP: 429 with Retry-After and the JSON-RPC error body', async () => {
    // initialize, notifications/initialized and one ping: the second ping is over.
    const { listener } = await start({ gate: { bucket: { capacity: 3, refillPerSec: 1 } } });
    const post = (body: unknown, sid?: string) =>
      fetch(listener.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...(sid ? { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' } : {}),
        },
        body: JSON.stringify(body),
      });
    const init = await post({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    expect(init.status).toBe(200);
    const sid = init.headers.get('mcp-session-id') ?? '';
    expect(sid).toMatch(/^[\x21-\x7e]+$/);
    await init.text();
    expect((await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, sid)).status).toBe(202);
    const ok = await post({ jsonrpc: '2.0', id: 1, method: 'ping' }, sid);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ jsonrpc: '2.0', id: 1, result: {} });
    const limited = await post({ jsonrpc: '2.0', id: 2, method: 'ping' }, sid);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const body = (await limited.json()) as {
      id: number;
      error: { code: number; data: { reason: string; retryAfterMs: number } };
    };
    expect(body.id).toBe(2);
    expect(body.error.code).toBe(ErrorCode.RATE_LIMITED);
    expect(body.error.data.reason).toBe('rate_limited');
    expect(body.error.data.retryAfterMs).toBeGreaterThan(0);
  });
});

describe('a client that does not read', () => {
  it('is closed with 1008 after the stall timeout; the server stops reading its requests', async () => {
    const { listener, server, handled } = await start(
      {},
      { websocket: { maxBufferedBytes: 1024 * 1024, stallTimeoutMs: 300 } },
    );
    const errors: string[] = [];
    server.on('sessionerror', (err) => errors.push((err as { code?: string }).code ?? err.message));
    const ws = new WebSocket(listener.url.replace(/^http/, 'ws'), 'mcp');
    await new Promise((r) => ws.once('open', r));
    const first = new Promise((r) => ws.once('message', r));
    ws.send(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'slow', version: '1' } },
      }),
    );
    await first;
    ws.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    // Stop reading at the TCP level, then ask for 200 x 100 KB.
    const socket = (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    for (let i = 1; i <= 200; i++) {
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'big', arguments: {} } }));
    }
    const closed = new Promise<[number, string]>((resolve) =>
      ws.once('close', (code, reason) => resolve([code, reason.toString()])),
    );
    for (let i = 0; i < 300 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(errors).toContain('ERR_SLOW_CONSUMER');
    // Reading was paused at 75 % of 1 MiB: far fewer than 200 responses were produced.
    expect(handled()).toBeLessThan(60);
    socket.resume();
    expect(await closed).toEqual([1008, 'slow consumer: outbound buffer limit exceeded']);
    for (let i = 0; i < 100 && server.sessions.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(server.sessions.size).toBe(0);
    expect(server.gate.sessions).toBe(0);
    expect(server.gate.admission.stats().globalDepth).toBe(0);
    expect(listener.limiter.count).toBe(0);
  });
});
