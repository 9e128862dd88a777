import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig, runtimeOptions } from '../../src/config/index.js';
import { McpServer } from '../../src/mcp/server.js';
import { listen } from '../../src/transports/listen.js';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

async function serve(env: NodeJS.ProcessEnv) {
  const rt = runtimeOptions(loadConfig({ env: { ERLMCP_SERVER_PORT: '0', ...env } }));
  const server = new McpServer({ name: 'cfg', version: '1' }, { gate: rt.gate, ...rt.server });
  const listener = await listen(server, rt.listen);
  stops.push(async () => {
    await listener.close();
    await server.close();
  });
  return listener;
}

function upgrade(url: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws'), 'mcp');
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => {});
  });
}

describe('runtimeOptions(config).listen with listen()', () => {
  it('binds the configured host and path and leaves out a disabled transport', async () => {
    const listener = await serve({ ERLMCP_SERVER_PATH: '/rpc', ERLMCP_WEBSOCKET_ENABLED: 'false' });
    expect(listener.host).toBe('127.0.0.1');
    expect(listener.url).toBe(`http://127.0.0.1:${listener.port}/rpc`);
    expect(await upgrade(listener.url)).toBe(404);
    const res = await fetch(listener.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: 'x'.repeat(200),
    });
    // A parse error (400), not 404: the Streamable HTTP transport answers on /rpc.
    expect(res.status).toBe(400);
    await res.text();
  });

  it('applies the HTTP body limit and maxConnections', async () => {
    const listener = await serve({ ERLMCP_HTTP_MAX_BODY_BYTES: '100', ERLMCP_SERVER_MAX_CONNECTIONS: '1' });
    expect(listener.limiter.max).toBe(1);
    const res = await fetch(listener.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ pad: 'x'.repeat(200) }),
    });
    expect(res.status).toBe(413);
    await res.text();
    expect(await upgrade(listener.url)).toBe(101);
  });
});
