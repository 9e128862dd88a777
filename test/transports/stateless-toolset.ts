/**
 * The McpServer the 2026 transport tests serve (HTTP, WebSocket; the stdio fixture has the
 * same tools in plain JS): an echo, a "whoami" that shows the request's era, a chatty tool
 * (logs at every level and progress), tools that wait until the test releases them or the
 * request is cancelled, an elicitation, and a tool with x-mcp-header parameters.
 */
import { McpServer, type McpServerOptions } from '../../src/mcp/server.js';
import type { ServerContext } from '../../src/mcp/server-context.js';
import type { CallToolResult } from '../../src/mcp/types.js';

export const TOOLSET_INFO = { name: 'stateless-toolset', version: '4.0.0' };

export const text = (t: string): CallToolResult => ({ content: [{ type: 'text', text: t }] });

/** What the waiting tools report, and how a test lets them go. */
export interface Controls {
  /** Keys of `wait` calls that started. */
  readonly started: string[];
  /** Keys of `wait` calls whose ctx.signal aborted, with the reason's message. */
  readonly aborted: { key: string; reason: string }[];
  /** Lets the `wait` call with this key return (also when it starts later). */
  release(key: string): void;
}

export function buildToolset(options: McpServerOptions = {}): { server: McpServer; controls: Controls } {
  const server = new McpServer(TOOLSET_INFO, options);
  const gates = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  const gate = (key: string) => {
    let g = gates.get(key);
    if (!g) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      g = { promise, resolve };
      gates.set(key, g);
    }
    return g;
  };
  const controls: Controls = { started: [], aborted: [], release: (key) => gate(key).resolve() };

  const waitFor = (key: string, ctx: ServerContext): Promise<CallToolResult> => {
    controls.started.push(key);
    return new Promise<CallToolResult>((resolve, reject) => {
      ctx.signal.addEventListener(
        'abort',
        () => {
          const reason = ctx.signal.reason;
          controls.aborted.push({ key, reason: reason instanceof Error ? reason.message : String(reason) });
          reject(reason);
        },
        { once: true },
      );
      gate(key).promise.then(() => resolve(text(`released ${key}`)));
    });
  };

  server.registerTool(
    'echo',
    { inputSchema: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] } },
    ({ message }: { message: string }) => text(message),
  );
  server.registerTool('whoami', {}, (_a, ctx) =>
    text(
      JSON.stringify({
        protocolVersion: ctx.protocolVersion ?? null,
        capabilities: ctx.clientCapabilities,
        stateless: ctx.stateless,
        sessionId: ctx.stateless ? null : ctx.session.id,
      }),
    ),
  );
  server.registerTool('chatty', {}, async (_a, ctx) => {
    for (const level of ['debug', 'info', 'notice', 'warning', 'error'] as const) await ctx.log(level, `at ${level}`);
    await ctx.progress(1, 2);
    await ctx.progress(2, 2, 'done');
    return text('chatted');
  });
  server.registerTool(
    'wait',
    { inputSchema: { type: 'object', properties: { key: { type: 'string' } }, required: ['key'] } },
    ({ key }: { key: string }, ctx) => waitFor(key, ctx),
  );
  server.registerTool(
    'progressThenWait',
    { inputSchema: { type: 'object', properties: { key: { type: 'string' } }, required: ['key'] } },
    async ({ key }: { key: string }, ctx) => {
      await ctx.progress(0, 1, 'started');
      return waitFor(key, ctx);
    },
  );
  server.registerTool('greet', {}, async (_a, ctx) => {
    const r = await ctx.elicit({
      message: 'Name?',
      requestedSchema: { type: 'object', properties: { name: { type: 'string' } } },
    });
    return text(`Hello ${String(r.content?.name)}`);
  });
  server.registerTool(
    'sql',
    {
      inputSchema: {
        type: 'object',
        properties: {
          region: { type: 'string', 'x-mcp-header': 'Region' },
          limit: { type: 'integer', 'x-mcp-header': 'Limit' },
          dry: { type: 'boolean', 'x-mcp-header': 'Dry-Run' },
          config: { type: 'object', properties: { zone: { type: 'string', 'x-mcp-header': 'Zone' } } },
          query: { type: 'string' },
        },
      },
    },
    (args) => text(JSON.stringify(args)),
  );
  server.registerResource('readme', 'mem://readme', { cache: { ttlMs: 1_000, cacheScope: 'public' } }, (uri) => ({
    contents: [{ uri, text: 'read me' }],
  }));
  server.registerResourceTemplate('item', 'items://{id}', {}, (uri, { id }) => ({
    contents: [{ uri, text: `item ${String(id)}` }],
  }));
  server.registerPrompt('brief', { arguments: [{ name: 'topic', required: true }] }, ({ topic }) => ({
    messages: [{ role: 'user', content: { type: 'text', text: `Brief on ${topic}` } }],
  }));
  return { server, controls };
}
