import { afterEach, describe, expect, it } from 'vitest';
import { hasErrorCode } from '../../src/core/errors.js';
import { registerDemoToolset } from '../../src/demo/toolset.js';
import { McpClient } from '../../src/mcp/client.js';
import { ErrorCode, McpError } from '../../src/mcp/jsonrpc.js';
import { McpServer } from '../../src/mcp/server.js';
import type { ServerContext } from '../../src/mcp/server-context.js';
import { createMemoryTransportPair } from '../../src/transports/memory.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0)) await f();
});

async function pair(configure?: (client: McpClient) => void, server = demoServer()) {
  const client = new McpClient({ name: 'test-client', version: '1.0.0' });
  configure?.(client);
  const [c, s] = createMemoryTransportPair();
  const session = await server.connect(s);
  await client.connect(c);
  cleanup.push(async () => {
    await client.close();
    await server.close();
  });
  return { client, server, session };
}

function demoServer(): McpServer {
  const server = new McpServer({ name: 'demo', version: '1.2.3' }, { instructions: 'be nice' });
  registerDemoToolset(server);
  return server;
}

describe('McpClient against McpServer', () => {
  it('initializes and exposes what the server said', async () => {
    const { client, session } = await pair();
    expect(client.serverInfo).toEqual({ name: 'demo', version: '1.2.3' });
    expect(client.protocolVersion).toBe('2025-11-25');
    expect(client.instructions).toBe('be nice');
    expect(client.serverCapabilities).toMatchObject({
      tools: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
      prompts: { listChanged: true },
      logging: {},
      completions: {},
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(session.initialized).toBe(true);
    expect(session.clientInfo).toEqual({ name: 'test-client', version: '1.0.0' });
  });

  it('lists and calls tools, reads resources, gets prompts, completes', async () => {
    const { client } = await pair();
    const tools = await client.listAllTools();
    expect(tools.map((t) => t.name)).toEqual(['echo', 'add', 'progress', 'sleep', 'ask_llm', 'long_job']);
    expect(await client.callTool({ name: 'echo', arguments: { message: 'hey' } })).toEqual({
      content: [{ type: 'text', text: 'hey' }],
    });
    expect((await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } })).structuredContent).toEqual({ sum: 5 });
    const info = await client.readResource({ uri: 'erlmcp://server/info' });
    expect(JSON.parse((info.contents[0] as { text: string }).text)).toEqual({
      name: 'demo',
      version: '1.2.3',
      sessions: 1,
      statelessClients: 0,
    });
    const greeting = await client.readResource({ uri: 'erlmcp://greeting/Ada' });
    expect(greeting.contents).toEqual([{ uri: 'erlmcp://greeting/Ada', mimeType: 'text/plain', text: 'Hello, Ada!' }]);
    const prompt = await client.getPrompt({ name: 'summarize', arguments: { text: 'abc', style: 'haiku' } });
    expect(prompt.messages[0]?.content).toEqual({ type: 'text', text: 'Summarize the following as haiku:\n\nabc' });
    const names = await client.complete({
      ref: { type: 'ref/resource', uri: 'erlmcp://greeting/{name}' },
      argument: { name: 'name', value: 'a' },
    });
    expect(names.completion.values).toEqual(['Ada', 'Alan']);
  });

  it('rejects with McpError carrying the server error', async () => {
    const { client } = await pair();
    const err = await client.callTool({ name: 'missing' }).catch((e) => e);
    expect(err).toBeInstanceOf(McpError);
    expect(err.code).toBe(ErrorCode.INVALID_PARAMS);
    const nf = await client.readResource({ uri: 'nowhere://x' }).catch((e) => e);
    expect(nf.code).toBe(ErrorCode.RESOURCE_NOT_FOUND);
  });

  it('receives progress', async () => {
    const { client } = await pair();
    const seen: number[] = [];
    const r = await client.callTool(
      { name: 'progress', arguments: { steps: 4, delayMs: 1 } },
      { onprogress: (p) => seen.push(p.progress) },
    );
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(r.content).toEqual([{ type: 'text', text: 'completed 4 steps' }]);
  });

  it('cancels through an AbortSignal: the server handler aborts and admission is released', async () => {
    const { client, server } = await pair();
    const ac = new AbortController();
    const call = client.callTool({ name: 'sleep', arguments: { ms: 10_000 } }, { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 10));
    expect(server.inFlight).toBe(1);
    ac.abort(new Error('changed my mind'));
    await expect(call).rejects.toThrow('changed my mind');
    await new Promise((r) => setTimeout(r, 10));
    expect(server.inFlight).toBe(0);
    expect(server.gate.admission.stats().globalDepth).toBe(0);
    expect(client.pendingRequests).toBe(0);
  });

  it('times out a request on the client side and tells the server', async () => {
    const { client, server } = await pair();
    const err = await client.callTool({ name: 'sleep', arguments: { ms: 10_000 } }, { timeoutMs: 30 }).catch((e) => e);
    expect(err).toBeInstanceOf(McpError);
    expect(err.code).toBe(ErrorCode.REQUEST_TIMEOUT);
    await new Promise((r) => setTimeout(r, 10));
    expect(server.inFlight).toBe(0);
  });

  it('round-trips sampling, elicitation and roots', async () => {
    const server = demoServer();
    server.registerTool('ask', {}, async (_a, ctx: ServerContext) => {
      const e = await ctx.elicit({
        message: 'name?',
        requestedSchema: { type: 'object', properties: { n: { type: 'string' } } },
      });
      const roots = await ctx.listRoots();
      return {
        content: [{ type: 'text', text: `${e.action}:${String(e.content?.n)}:${roots.map((r) => r.uri).join(',')}` }],
      };
    });
    const { client } = await pair((c) => {
      c.onSampling(async (p) => ({
        role: 'assistant',
        model: 'fake-1',
        content: { type: 'text', text: `you asked: ${(p.messages[0]?.content as { text: string } | undefined)?.text}` },
      }));
      c.onElicitation(() => ({ action: 'accept', content: { n: 'Ada' } }));
      c.setRoots([{ uri: 'file:///tmp', name: 'tmp' }]);
    }, server);
    const r = await client.callTool({ name: 'ask_llm', arguments: { question: 'why?' } });
    expect(r.content).toEqual([{ type: 'text', text: 'you asked: why?' }]);
    expect((await client.callTool({ name: 'ask' })).content).toEqual([
      { type: 'text', text: 'accept:Ada:file:///tmp' },
    ]);
  });

  it('a tool needing sampling from a client without it fails as a tool error', async () => {
    const server = demoServer();
    server.registerTool('needs', {}, async (_a, ctx: ServerContext) => {
      await ctx.sample({ messages: [], maxTokens: 1 });
      return { content: [] };
    });
    const { client } = await pair(undefined, server);
    const r = await client.callTool({ name: 'needs' });
    expect(r).toEqual({
      content: [{ type: 'text', text: 'the client did not declare the "sampling" capability' }],
      isError: true,
    });
  });

  it('delivers notifications and fails pending requests when the connection closes', async () => {
    const { client, server } = await pair();
    const logs: unknown[] = [];
    client.onNotification('notifications/message', (p) => logs.push(p));
    await client.setLoggingLevel('info');
    server.sendLog('debug', 'hidden');
    server.sendLog('warning', 'shown', 'core');
    await new Promise((r) => setTimeout(r, 10));
    expect(logs).toEqual([{ level: 'warning', data: 'shown', logger: 'core' }]);
    const pending = client.callTool({ name: 'sleep', arguments: { ms: 10_000 } });
    await new Promise((r) => setTimeout(r, 5));
    await server.close();
    const err = await pending.catch((e) => e);
    expect(err.code).toBe(ErrorCode.CONNECTION_CLOSED);
    const after = await client.ping().catch((e) => e);
    expect(hasErrorCode(after, 'ERR_NOT_CONNECTED')).toBe(true);
  });
});
