/**
 * The official SDK's Client against erlmcp's server, over each of our transports: stdio (the
 * `erlmcp serve --stdio` process), WebSocket and Streamable HTTP (an in-process `listen`).
 */
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import type { Transport as SdkTransport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { registerDemoToolset } from '../../src/demo/toolset.js';
import { McpServer } from '../../src/mcp/server.js';
import { type Listener, listen } from '../../src/transports/listen.js';
import { requestsOf, type Tap, tapTransport } from './wire-tap.js';

// The SDK's WebSocket client uses the global WebSocket, which Node 20 does not have.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

const root = path.join(__dirname, '..', '..');
let server: McpServer;
let listener: Listener;

beforeAll(async () => {
  server = new McpServer({ name: 'erlmcp-demo', version: '0.0.0-test' });
  registerDemoToolset(server);
  listener = await listen(server, { host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await listener?.close();
  await server?.close();
});

const transports: [string, () => SdkTransport, boolean][] = [
  [
    'stdio',
    () =>
      new StdioClientTransport({
        command: process.execPath,
        args: [path.join(root, 'dist', 'cli', 'erlmcp.js'), 'serve', '--stdio', '--log-level', 'silent'],
        stderr: 'inherit',
      }),
    false,
  ],
  ['websocket', () => new WebSocketClientTransport(new URL(listener.url.replace(/^http/, 'ws'))), true],
  ['streamable http', () => new StreamableHTTPClientTransport(new URL(listener.url)), true],
];

describe.each(transports)('SDK Client over %s', (_name, makeTransport, inProcess) => {
  let client: Client;
  let tap: Tap;

  beforeAll(async () => {
    client = new Client({ name: 'sdk-interop', version: '1.0.0' }, { capabilities: { sampling: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, async (req) => ({
      role: 'assistant',
      model: 'fake-model',
      content: {
        type: 'text',
        text: `sampled: ${(req.params.messages[0]?.content as { text: string } | undefined)?.text}`,
      },
    }));
    const transport = makeTransport();
    tap = tapTransport(transport);
    await client.connect(transport);
  });

  afterAll(async () => {
    await client?.close();
  });

  it('initializes with our server info and capabilities', () => {
    expect(client.getServerVersion()?.name).toBe('erlmcp-demo');
    expect(client.getServerCapabilities()).toMatchObject({
      tools: { listChanged: true },
      resources: { subscribe: true },
    });
  });

  it('lists and calls tools, with valid and invalid arguments', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['echo', 'add', 'progress', 'sleep', 'ask_llm', 'long_job']);
    expect(await client.callTool({ name: 'echo', arguments: { message: 'interop' } })).toEqual({
      content: [{ type: 'text', text: 'interop' }],
    });
    const sum = await client.callTool({ name: 'add', arguments: { a: 40, b: 2 } });
    expect(sum.structuredContent).toEqual({ sum: 42 });
    const bad = await client.callTool({ name: 'echo', arguments: { message: 42 } });
    expect(bad.isError).toBe(true);
    expect((bad.content as { text: string }[])[0]?.text).toMatch(/Invalid arguments for tool echo/);
  });

  it('reads a resource and a template, gets a prompt', async () => {
    const info = await client.readResource({ uri: 'erlmcp://server/info' });
    expect(JSON.parse((info.contents[0] as { text: string }).text).name).toBe('erlmcp-demo');
    const greeting = await client.readResource({ uri: 'erlmcp://greeting/Grace' });
    expect(greeting.contents).toEqual([
      { uri: 'erlmcp://greeting/Grace', mimeType: 'text/plain', text: 'Hello, Grace!' },
    ]);
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(['erlmcp://greeting/{name}']);
    const prompt = await client.getPrompt({ name: 'summarize', arguments: { text: 'x' } });
    expect(prompt.messages[0]?.content).toEqual({
      type: 'text',
      text: 'Summarize the following as one paragraph:\n\nx',
    });
  });

  it('receives progress', async () => {
    const seen: number[] = [];
    const r = await client.callTool({ name: 'progress', arguments: { steps: 3, delayMs: 1 } }, undefined, {
      onprogress: (p) => seen.push(p.progress),
    });
    expect(r.content).toEqual([{ type: 'text', text: 'completed 3 steps' }]);
    // erlmcp sends every step's progress, then the result.
    const call = requestsOf(tap.sent, 'tools/call', 'progress')[0] as {
      id: unknown;
      params: { _meta: { progressToken: unknown } };
    };
    const token = call.params._meta.progressToken;
    const wire = (
      tap.received as { id?: unknown; method?: string; params?: { progressToken?: unknown; progress?: number } }[]
    )
      .filter((m) => (m.method === 'notifications/progress' && m.params?.progressToken === token) || m.id === call.id)
      .map((m) => (m.method === undefined ? 'result' : m.params?.progress));
    expect(wire).toEqual([1, 2, 3, 'result']);
    // The SDK's Protocol handles notifications a microtask later than responses, so progress
    // that arrives in one read with the result is dropped (it saw the result first) — on a busy
    // machine all of it. Every progress it does see must be ours and in order.
    expect(seen).toEqual([1, 2, 3].slice(0, seen.length));
  });

  it('cancels a slow tool', async () => {
    const ac = new AbortController();
    const call = client.callTool({ name: 'sleep', arguments: { ms: 30_000 } }, undefined, { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 50));
    if (inProcess) expect(server.inFlight).toBeGreaterThanOrEqual(1);
    ac.abort('stop');
    await expect(call).rejects.toBeDefined();
    if (inProcess) {
      for (let i = 0; i < 50 && server.inFlight > 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(server.inFlight).toBe(0);
      expect(server.gate.admission.stats().globalDepth).toBe(0);
    }
  });

  it('round-trips sampling', async () => {
    const r = await client.callTool({ name: 'ask_llm', arguments: { question: 'ping?' } });
    expect(r.content).toEqual([{ type: 'text', text: 'sampled: ping?' }]);
  });
});
