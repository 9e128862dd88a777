import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { McpServer } from '../../src/mcp/server.js';
import { type Listener, listen } from '../../src/transports/listen.js';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

async function start(maxConnections: number): Promise<{ server: McpServer; listener: Listener }> {
  const server = new McpServer({ name: 'l', version: '1' });
  const listener = await listen(server, { port: 0, maxConnections });
  stops.push(async () => {
    await listener.close();
    await server.close();
  });
  return { server, listener };
}

function openWs(url: string): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws'), 'mcp');
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => {});
  });
}

const initialize = (url: string) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
    }),
  });

describe('listen()', () => {
  it('shares maxConnections between WebSocket connections and HTTP sessions (503 beyond it)', async () => {
    const { listener, server } = await start(2);
    const a = await openWs(listener.url);
    const b = await openWs(listener.url);
    expect(a).toBeInstanceOf(WebSocket);
    expect(b).toBeInstanceOf(WebSocket);
    expect(await openWs(listener.url)).toBe(503);
    const refused = await initialize(listener.url);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).not.toBeNull();
    await refused.text();
    expect(listener.limiter.count).toBe(2);
    (a as WebSocket).close();
    for (let i = 0; i < 100 && listener.limiter.count > 1; i++) await new Promise((r) => setTimeout(r, 10));
    const accepted = await initialize(listener.url);
    expect(accepted.status).toBe(200);
    expect(accepted.headers.get('mcp-session-id')).toBeTruthy();
    await accepted.text();
    expect(server.sessions.size).toBe(2);
    expect(listener.limiter.refused).toBe(2);
    (b as WebSocket).close();
  });

  it('answers 404 for other paths, over HTTP and for upgrades', async () => {
    const { listener } = await start(10);
    const res = await fetch(listener.url.replace('/mcp', '/other'));
    expect(res.status).toBe(404);
    await res.text();
    expect(await openWs(listener.url.replace('/mcp', '/other'))).toBe(404);
  });

  it('stopAccepting refuses new connections and sessions but keeps open ones', async () => {
    const { listener, server } = await start(10);
    const ws = (await openWs(listener.url)) as WebSocket;
    await listener.stopAccepting();
    // The listening socket is closed: new TCP connections fail outright.
    await expect(initialize(listener.url)).rejects.toThrow();
    const reply = new Promise((r) => ws.once('message', (d) => r(JSON.parse(d.toString()))));
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'ping' }));
    expect(await reply).toEqual({ jsonrpc: '2.0', id: 5, result: {} });
    expect(server.sessions.size).toBe(1);
    ws.close();
  });
});
