/**
 * The official SDK runs on our stdio and WebSocket transports: its Client over our
 * StdioClientTransport (against an SDK server on the SDK's own stdio), an SDK McpServer on our
 * WebSocketServerTransport reached by the SDK's WebSocketClientTransport and by ours, and SDK
 * client and server on two cross-wired StdioServerTransports.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { WebSocketClientTransport as SdkWebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport as SdkTransport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { z } from 'zod';
import { StdioClientTransport, StdioServerTransport } from '../../src/transports/stdio.js';
import type { Transport } from '../../src/transports/transport.js';
import { WebSocketClientTransport } from '../../src/transports/ws-client.js';
import { WebSocketListener } from '../../src/transports/ws-server.js';

// The SDK's WebSocket client uses the global WebSocket, which Node 20 does not have.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

const SDK_STDIO_SERVER = fileURLToPath(new URL('../fixtures/sdk-stdio-server.mjs', import.meta.url));

function sdkServer(): McpServer {
  const server = new McpServer({ name: 'sdk-on-erlmcp', version: '1.0.0' });
  server.registerTool('echo', { description: 'echo', inputSchema: { message: z.string() } }, async ({ message }) => ({
    content: [{ type: 'text', text: message }],
  }));
  return server;
}

/** initialize (inside connect), tools/list, tools/call; then close. */
async function converse(transport: Transport | SdkTransport, serverName: string): Promise<void> {
  const client = new Client({ name: 'sdk-client', version: '1.0.0' });
  await client.connect(transport as SdkTransport);
  expect(client.getServerVersion()?.name).toBe(serverName);
  const { tools } = await client.listTools();
  expect(tools.map((t) => t.name)).toEqual(['echo']);
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) => client.callTool({ name: 'echo', arguments: { message: `hi ${i}` } })),
  );
  expect(results.map((r) => (r.content as Array<{ text: string }>)[0]?.text)).toEqual(
    Array.from({ length: 20 }, (_, i) => `hi ${i}`),
  );
  await client.close();
}

describe('official SDK on erlmcp transports', () => {
  let server: http.Server;
  let listener: WebSocketListener;
  let url: string;

  beforeAll(async () => {
    // McpServer takes one transport: one server per connection.
    listener = new WebSocketListener({ onconnection: (t) => sdkServer().connect(t as SdkTransport) });
    server = http.createServer();
    listener.attach(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  });

  afterAll(async () => {
    await listener.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('SDK Client over our StdioClientTransport against an SDK stdio server', async () => {
    const t = new StdioClientTransport({ command: process.execPath, args: [SDK_STDIO_SERVER] });
    let closes = 0;
    t.onclose = () => closes++;
    await converse(t, 'sdk-stdio-fixture');
    expect(closes).toBe(1); // the SDK chains the onclose it finds: the child exited, once
  });

  it("SDK McpServer on our WebSocketServerTransport, SDK's WebSocketClientTransport", async () => {
    await converse(new SdkWebSocketClientTransport(new URL(url)), 'sdk-on-erlmcp');
  });

  it('SDK McpServer on our WebSocketServerTransport, our WebSocketClientTransport', async () => {
    await converse(new WebSocketClientTransport(url), 'sdk-on-erlmcp');
    await new Promise((r) => setTimeout(r, 50));
    expect(listener.connections).toBe(0);
    expect(listener.limiter.count).toBe(0);
  });

  it('SDK Client and McpServer on two cross-wired StdioServerTransports', async () => {
    const up = new PassThrough();
    const down = new PassThrough();
    await sdkServer().connect(new StdioServerTransport({ stdin: up, stdout: down }) as SdkTransport);
    await converse(new StdioServerTransport({ stdin: down, stdout: up }), 'sdk-on-erlmcp');
  });
});
