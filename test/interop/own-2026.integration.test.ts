/**
 * erlmcp's McpClient pinned to MCP 2026-07-28 against erlmcp's own McpServer: the two halves
 * of the stateless era meeting, over Streamable HTTP, WebSocket and stdio (`erlmcp serve
 * --stdio`, the demo toolset). Everything the era adds: discovery, the envelope, resultType,
 * caching hints honoured by the client, MRTR rounds answered by the client's handlers,
 * progress, cancellation, subscriptions with real notifications, and tasks.
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registerDemoToolset } from '../../src/demo/toolset.js';
import { McpClient } from '../../src/mcp/client.js';
import { McpServer } from '../../src/mcp/server.js';
import type { ServerContext } from '../../src/mcp/server-context.js';
import { StreamableHttpClientTransport } from '../../src/transports/http-client.js';
import { type Listener, listen } from '../../src/transports/listen.js';
import { StdioClientTransport } from '../../src/transports/stdio.js';
import type { Transport } from '../../src/transports/transport.js';
import { WebSocketClientTransport } from '../../src/transports/ws-client.js';

const root = path.join(__dirname, '..', '..');
const PIN = { pin: '2026-07-28' } as const;

/** What the in-process server's own tools saw. */
const seen = { aborted: 0, listCalls: 0 };

function waitFor(cond: () => boolean, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (cond()) resolve();
      else if (Date.now() > until) reject(new Error('condition not met in time'));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

let server: McpServer;
let listener: Listener;
const clients: McpClient[] = [];

beforeAll(async () => {
  server = new McpServer(
    { name: 'own-2026', version: '1.0.0' },
    { cacheHints: { lists: { ttlMs: 60_000, cacheScope: 'public' } }, tasks: { pollIntervalMs: 20 } },
  );
  registerDemoToolset(server);
  server.registerTool('ask_name', { inputSchema: { type: 'object' } }, async (_a, ctx: ServerContext) => {
    const r = await ctx.elicit(
      { message: 'Name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } },
      { key: 'name' },
    );
    return { content: [{ type: 'text', text: `Hello, ${String(r.content?.name)}` }] };
  });
  server.registerTool('wait', { inputSchema: { type: 'object' } }, async (_a, ctx: ServerContext) => {
    try {
      await sleep(30_000, ctx.signal);
    } catch (err) {
      seen.aborted++;
      throw err;
    }
    return { content: [] };
  });
  server.registerTool(
    'region',
    {
      inputSchema: {
        type: 'object',
        properties: { region: { type: 'string', 'x-mcp-header': 'Region' } },
        required: ['region'],
      },
    },
    ({ region }: { region: string }) => ({ content: [{ type: 'text', text: `in ${region}` }] }),
  );
  server.registerTool(
    'confirm',
    { inputSchema: { type: 'object' }, task: { support: 'required', pollIntervalMs: 20 } },
    async (_a, ctx: ServerContext) => {
      const r = await ctx.elicit({ message: 'Go?', requestedSchema: { type: 'object' } });
      return { content: [{ type: 'text', text: `task ${r.action}` }] };
    },
  );
  listener = await listen(server, { host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await listener?.close();
  await server?.shutdown(100);
});

afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.close()));
});

function client(options: ConstructorParameters<typeof McpClient>[1] = {}): McpClient {
  const c = new McpClient({ name: 'own-client', version: '2.0.0' }, { versionNegotiation: PIN, ...options });
  c.onElicitation(() => ({ action: 'accept', content: { name: 'Ada' } }));
  c.onSampling((p) => ({
    role: 'assistant',
    model: 'test-model',
    content: { type: 'text', text: `answer to ${(p.messages[0]?.content as { text?: string } | undefined)?.text}` },
  }));
  clients.push(c);
  return c;
}

const networked: [string, () => Transport][] = [
  ['streamable http', () => new StreamableHttpClientTransport(listener.url)],
  ['websocket', () => new WebSocketClientTransport(listener.url.replace(/^http/, 'ws'))],
];

describe.each(networked)('pinned 2026-07-28 client against erlmcp over %s', (_name, transport) => {
  it('connects statelessly: discovery, the server identity and its extensions', async () => {
    const c = client();
    const r = await c.connect(transport());
    expect(r.era).toBe('modern');
    expect(r.protocolVersion).toBe('2026-07-28');
    expect(r.supportedVersions).toEqual(['2026-07-28']);
    expect(r.serverInfo).toEqual({ name: 'own-2026', version: '1.0.0' });
    expect(r.capabilities.extensions).toEqual({ 'io.modelcontextprotocol/tasks': {} });
    // No 2025 session was opened for it.
    expect([...server.sessions].some((s) => s.state === 'ready')).toBe(false);
  });

  it('calls tools and answers the MRTR rounds of sampling and elicitation with its handlers', async () => {
    const c = client();
    await c.connect(transport());
    expect((await c.callTool({ name: 'echo', arguments: { message: 'x' } })).content).toEqual([
      { type: 'text', text: 'x' },
    ]);
    const llm = await c.callTool({ name: 'ask_llm', arguments: { question: 'why?' } });
    expect(llm.content).toEqual([{ type: 'text', text: 'answer to why?' }]);
    const hello = await c.callTool({ name: 'ask_name', arguments: {} });
    expect(hello.content).toEqual([{ type: 'text', text: 'Hello, Ada' }]);
  });

  it('gets progress, and a cancelled call aborts the handler on the server', async () => {
    const c = client();
    await c.connect(transport());
    const progress: number[] = [];
    const r = await c.callTool(
      { name: 'progress', arguments: { steps: 3, delayMs: 1 } },
      { onprogress: (p) => progress.push(p.progress) },
    );
    expect(r.content).toEqual([{ type: 'text', text: 'completed 3 steps' }]);
    expect(progress).toEqual([1, 2, 3]);
    const before = seen.aborted;
    const ac = new AbortController();
    const call = c.callTool({ name: 'wait', arguments: {} }, { signal: ac.signal });
    await waitFor(() => server.inFlight > 0);
    ac.abort(new Error('stop'));
    await expect(call).rejects.toThrow('stop');
    await waitFor(() => seen.aborted === before + 1);
    await waitFor(() => server.inFlight === 0);
  });

  it('hears list changes and resource updates on a listen stream', async () => {
    const c = client();
    await c.connect(transport());
    const events: string[] = [];
    const sub = await c.listen(
      { toolsListChanged: true, resourceSubscriptions: ['erlmcp://demo/clock'] },
      {
        onToolsListChanged: () => events.push('tools'),
        onResourceUpdated: (uri) => events.push(uri),
      },
    );
    expect(sub.filter).toEqual({ toolsListChanged: true, resourceSubscriptions: ['erlmcp://demo/clock'] });
    const tool = server.registerTool(`temp-${Date.now()}`, {}, () => ({ content: [] }));
    server.notifyResourceUpdated('erlmcp://demo/clock');
    await waitFor(() => events.length === 2);
    expect(events.sort()).toEqual(['erlmcp://demo/clock', 'tools']);
    tool.remove();
    await sub.close();
    await waitFor(() => server.subscriptions === 0);
  });

  it('keeps tools/list for its ttlMs and drops it on list_changed', async () => {
    const c = client();
    await c.connect(transport());
    const sub = await c.listen({ toolsListChanged: true });
    const count = () =>
      server.gate
        .operationDurations()
        .series.filter((s) => s.method === 'tools/list')
        .reduce((n, s) => n + s.count, 0);
    const n0 = count();
    const first = await c.listTools();
    const second = await c.listTools();
    expect(second).toEqual(first);
    expect(count()).toBe(n0 + 1); // the second came from the client's cache (ttlMs 60 s)
    const tool = server.registerTool(`cached-${Date.now()}`, {}, () => ({ content: [] }));
    await waitFor(() => count() === n0 + 1); // nothing refetched by itself
    await new Promise((r) => setTimeout(r, 50)); // let the list_changed reach the client
    const third = await c.listTools();
    expect(count()).toBe(n0 + 2);
    expect(third.tools.map((t) => t.name)).toContain(tool.name);
    tool.remove();
    await sub.close();
  });

  it('runs tools as tasks: polls to the result, answers a task input request, and cancels', async () => {
    const c = client({ tasks: true });
    await c.connect(transport());
    const job = await c.callTool({ name: 'long_job', arguments: { steps: 3, stepMs: 5 } });
    expect(job.content).toEqual([{ type: 'text', text: 'finished 3 steps' }]);
    expect(job.structuredContent).toEqual({ steps: 3 });
    const confirmed = await c.callTool({ name: 'confirm', arguments: {} });
    expect(confirmed.content).toEqual([{ type: 'text', text: 'task accept' }]);
    const start = await c.startToolCall({ name: 'long_job', arguments: { steps: 1000, stepMs: 50 } });
    if (!('task' in start) || start.task === undefined) throw new Error('expected a task');
    const { taskId } = start.task;
    expect((await c.getTask(taskId)).status).toBe('working');
    await c.cancelTask(taskId);
    await expect(c.waitForTask(taskId)).rejects.toMatchObject({ code: 'ERR_TASK_CANCELLED' });
    expect((await c.getTask(taskId)).status).toBe('cancelled');
  });
});

describe('pinned 2026-07-28 client against erlmcp over Streamable HTTP only', () => {
  it('sends the Mcp-Param header of an x-mcp-header argument by itself', async () => {
    const c = client();
    await c.connect(new StreamableHttpClientTransport(listener.url));
    await c.listTools(); // learns the annotation
    expect((await c.callTool({ name: 'region', arguments: { region: 'eu-west' } })).content).toEqual([
      { type: 'text', text: 'in eu-west' },
    ]);
  });

  it('a required-task tool without the extension is -32021 naming it', async () => {
    const c = client();
    await c.connect(new StreamableHttpClientTransport(listener.url));
    await expect(c.callTool({ name: 'confirm', arguments: {} })).rejects.toMatchObject({
      code: -32021,
      data: { requiredCapabilities: { extensions: { 'io.modelcontextprotocol/tasks': {} } } },
    });
  });
});

describe('pinned 2026-07-28 client against `erlmcp serve --stdio`', () => {
  it('discovers, calls, answers an MRTR round, listens and runs a task over one stdio process', async () => {
    const c = client({ tasks: true });
    const t = new StdioClientTransport({
      command: process.execPath,
      args: [path.join(root, 'dist', 'cli', 'erlmcp.js'), 'serve', '--stdio', '--log-level', 'silent'],
      stderr: 'inherit',
    });
    const r = await c.connect(t);
    expect(r.era).toBe('modern');
    expect(r.serverInfo.name).toBe('erlmcp-demo');
    expect((await c.callTool({ name: 'echo', arguments: { message: 'over stdio' } })).content).toEqual([
      { type: 'text', text: 'over stdio' },
    ]);
    expect((await c.callTool({ name: 'ask_llm', arguments: { question: 'q' } })).content).toEqual([
      { type: 'text', text: 'answer to q' },
    ]);
    const a = await c.listen({ resourceSubscriptions: ['erlmcp://demo/clock'] });
    const b = await c.listen({ toolsListChanged: true });
    expect(a.id).not.toEqual(b.id);
    expect(a.filter).toEqual({ resourceSubscriptions: ['erlmcp://demo/clock'] });
    expect(b.filter).toEqual({ toolsListChanged: true });
    const job = await c.callTool({ name: 'long_job', arguments: { steps: 2, stepMs: 5 } });
    expect(job.content).toEqual([{ type: 'text', text: 'finished 2 steps' }]);
    await a.close();
    await b.close();
    await c.close();
  });
});
