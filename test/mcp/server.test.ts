import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, McpError } from '../../src/mcp/jsonrpc.js';
import { McpServer } from '../../src/mcp/server.js';
import type { ServerContext } from '../../src/mcp/server-context.js';
import { rawClient } from './harness.js';

const servers: McpServer[] = [];
function newServer(options = {}): McpServer {
  const s = new McpServer({ name: 'test', version: '1.0.0' }, options);
  s.registerTool(
    'echo',
    { inputSchema: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] } },
    (a: { message: string }) => ({ content: [{ type: 'text', text: a.message }] }),
  );
  s.registerTool(
    'sleep',
    { inputSchema: { type: 'object', properties: { ms: { type: 'integer' } } } },
    async (a: { ms: number }, ctx: ServerContext) => {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, a.ms);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(t);
          reject(ctx.signal.reason);
        });
      });
      return { content: [{ type: 'text', text: 'done' }] };
    },
  );
  servers.push(s);
  return s;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('lifecycle', () => {
  it('negotiates the protocol version', async () => {
    const server = newServer();
    for (const [asked, answered] of [
      ['2025-11-25', '2025-11-25'],
      ['2025-06-18', '2025-06-18'],
      ['2025-03-26', '2025-03-26'],
      ['2024-11-05', '2024-11-05'],
      ['1999-01-01', '2025-11-25'],
    ]) {
      const c = await rawClient(server);
      const r = await c.initialize(asked);
      expect(r.result.protocolVersion).toBe(answered);
      expect(r.result.serverInfo).toEqual({ name: 'test', version: '1.0.0' });
      expect(r.result.capabilities.tools).toEqual({ listChanged: true });
      expect(c.session.protocolVersion).toBe(answered);
    }
  });

  it('rejects requests before initialize, but answers ping', async () => {
    const c = await rawClient(newServer());
    const r = await c.request(1, 'tools/list');
    expect(r).toEqual({
      jsonrpc: '2.0',
      id: 1,
      error: { code: -32600, message: expect.stringContaining('not initialized') },
    });
    expect(await c.request(2, 'ping')).toEqual({ jsonrpc: '2.0', id: 2, result: {} });
    await c.initialize();
    expect((await c.request(3, 'tools/list')).result.tools.map((t: { name: string }) => t.name)).toEqual([
      'echo',
      'sleep',
    ]);
  });

  it('rejects a second initialize and malformed initialize params', async () => {
    const c = await rawClient(newServer());
    const bad = await c.request(1, 'initialize', { protocolVersion: 5 });
    expect(bad.error.code).toBe(ErrorCode.INVALID_PARAMS);
    await c.initialize();
    const again = await c.request(2, 'initialize', {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: 'x', version: '1' },
    });
    expect(again.error).toEqual({ code: -32600, message: expect.stringContaining('already initialized') });
  });

  it('closing a session unregisters it from the native registry', async () => {
    const server = newServer();
    const c = await rawClient(server);
    await c.initialize();
    const id = c.session.id;
    expect(server.gate.registry.lookup(id)).toBe(c.session.ticket.handle);
    expect(server.gate.sessions).toBe(1);
    await c.transport.close();
    await c.settle();
    expect(server.gate.registry.lookup(id)).toBeUndefined();
    expect(server.gate.sessions).toBe(0);
    expect(server.sessions.size).toBe(0);
  });
});

describe('JSON-RPC error paths', () => {
  it('echoes ids of every valid type', async () => {
    const c = await rawClient(newServer());
    await c.initialize();
    for (const id of ['abc', '', 0, -7, 1.5, 2 ** 40]) {
      expect(await c.request(id, 'ping')).toEqual({ jsonrpc: '2.0', id, result: {} });
    }
  });

  it('answers unknown methods with -32601 and never answers notifications', async () => {
    const c = await rawClient(newServer());
    await c.initialize();
    c.send({ jsonrpc: '2.0', method: 'notifications/whatever' });
    c.send({ jsonrpc: '2.0', method: 'tools/list' }); // a notification, even with a request's name
    const r = await c.request(9, 'no/such/method');
    expect(r).toEqual({ jsonrpc: '2.0', id: 9, error: { code: -32601, message: 'Method not found: no/such/method' } });
    expect(c.inbox).toEqual([]);
  });

  it('answers invalid requests with -32600 and keeps serving', async () => {
    const c = await rawClient(newServer());
    await c.initialize();
    const cases: [unknown, string | number | null][] = [
      [{ jsonrpc: '1.0', id: 1, method: 'ping' }, 1],
      [{ id: 2, method: 'ping' }, 2],
      [{ jsonrpc: '2.0', id: 3, method: 'ping', params: [1, 2] }, 3],
      [{ jsonrpc: '2.0', id: 4, method: 42 }, 4],
      [{ jsonrpc: '2.0', id: { x: 1 }, method: 'ping' }, null],
      [{ jsonrpc: '2.0', id: 5 }, 5],
      [[{ jsonrpc: '2.0', id: 6, method: 'ping' }], null],
      [42, null],
      ['text', null],
    ];
    for (const [message, id] of cases) {
      c.send(message);
      const r = await c.next();
      expect(r.id).toBe(id);
      expect(r.error.code).toBe(-32600);
      expect(r.error.message).toMatch(/^Invalid request: /);
    }
    expect(await c.request(10, 'ping')).toEqual({ jsonrpc: '2.0', id: 10, result: {} });
  });

  it('refuses a duplicate id while the first request is in flight, then answers the first', async () => {
    const server = newServer();
    const c = await rawClient(server);
    await c.initialize();
    c.send({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'sleep', arguments: { ms: 30 } } });
    c.send({ jsonrpc: '2.0', id: 7, method: 'ping' });
    const dup = await c.next();
    expect(dup).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32600, message: expect.stringContaining('already in use'), data: { id: 7 } },
    });
    const first = await c.response(7);
    expect(first.result.content).toEqual([{ type: 'text', text: 'done' }]);
    // The id is free again once answered.
    expect((await c.request(7, 'ping')).result).toEqual({});
  });

  it('a failure in one session does not disturb another', async () => {
    const server = newServer();
    const a = await rawClient(server);
    const b = await rawClient(server);
    await a.initialize();
    await b.initialize();
    a.send([1, 2, 3]);
    a.send({ jsonrpc: '2.0', id: 1, method: 'nope' });
    const r = await b.request(1, 'tools/call', { name: 'echo', arguments: { message: 'hi' } });
    expect(r.result.content[0].text).toBe('hi');
    expect((await a.next()).error.code).toBe(-32600);
    expect((await a.next()).error.code).toBe(-32601);
  });
});

describe('tools', () => {
  it('paginates tools/list deterministically with opaque cursors', async () => {
    const server = newServer({ pageSize: 2 });
    for (const n of ['c', 'a', 'b']) server.registerTool(n, {}, () => ({ content: [] }));
    const c = await rawClient(server);
    await c.initialize();
    const names: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const r = await c.request(pages, 'tools/list', cursor === undefined ? {} : { cursor });
      names.push(...r.result.tools.map((t: { name: string }) => t.name));
      cursor = r.result.nextCursor;
      pages++;
    } while (cursor);
    expect(names).toEqual(['echo', 'sleep', 'c', 'a', 'b']);
    expect(pages).toBe(3);
    const bad = await c.request('x', 'tools/list', { cursor: 'garbage' });
    expect(bad.error.code).toBe(ErrorCode.INVALID_PARAMS);
  });

  it('validates arguments, reports tool failures as isError and protocol errors as errors', async () => {
    const server = newServer();
    server.registerTool('boom', {}, () => {
      throw new Error('kaput');
    });
    server.registerTool('rpc-error', {}, () => {
      throw new McpError(ErrorCode.INVALID_PARAMS, 'nope', { why: 1 });
    });
    server.registerTool(
      'typed',
      { outputSchema: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] } },
      async (a: { n: unknown }) => ({ content: [], structuredContent: { n: a.n } }),
    );
    const c = await rawClient(server);
    await c.initialize();
    const call = (id: number, name: string, args?: unknown) => c.request(id, 'tools/call', { name, arguments: args });
    expect((await call(1, 'echo', { message: 'x' })).result).toEqual({ content: [{ type: 'text', text: 'x' }] });
    const invalid = (await call(2, 'echo', { message: 5 })).result;
    expect(invalid.isError).toBe(true);
    expect(invalid.content[0].text).toMatch(/^Invalid arguments for tool echo: .*message.*string/);
    expect((await call(3, 'echo', {})).result.isError).toBe(true);
    expect((await call(4, 'nope')).error).toEqual({
      code: -32602,
      message: 'Unknown tool: nope',
      data: { name: 'nope' },
    });
    expect((await call(5, 'boom')).result).toEqual({ content: [{ type: 'text', text: 'kaput' }], isError: true });
    expect((await call(6, 'rpc-error')).error).toEqual({ code: -32602, message: 'nope', data: { why: 1 } });
    expect((await call(7, 'typed', { n: 3 })).result).toEqual({ content: [], structuredContent: { n: 3 } });
    const mismatch = await call(8, 'typed', { n: 'three' });
    expect(mismatch.error.code).toBe(-32603);
    expect(mismatch.error.message).toMatch(/does not match its outputSchema/);
    expect((await c.request(9, 'tools/call', { arguments: {} })).error.code).toBe(-32602);
  });

  it('sends one tools/list_changed per tick to initialized sessions', async () => {
    const server = newServer();
    const c = await rawClient(server);
    await c.initialize();
    await c.settle();
    server.registerTool('new1', {}, () => ({ content: [] }));
    const t = server.registerTool('new2', {}, () => ({ content: [] }));
    expect(await c.next()).toEqual({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
    await c.settle();
    expect(c.inbox).toEqual([]);
    t.disable();
    expect((await c.next()).method).toBe('notifications/tools/list_changed');
    const list = await c.request(1, 'tools/list');
    expect(list.result.tools.map((x: { name: string }) => x.name)).toEqual(['echo', 'sleep', 'new1']);
  });
});

describe('progress, cancellation, timeouts', () => {
  it('sends progress for a request that asked for it', async () => {
    const server = newServer();
    server.registerTool('steps', {}, async (_a, ctx: ServerContext) => {
      for (let i = 1; i <= 3; i++) await ctx.progress(i, 3, `s${i}`);
      return { content: [] };
    });
    const c = await rawClient(server);
    await c.initialize();
    c.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'steps', _meta: { progressToken: 'tok' } } });
    const got = [await c.next(), await c.next(), await c.next(), await c.next()];
    expect(got.slice(0, 3)).toEqual(
      [1, 2, 3].map((i) => ({
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: 'tok', progress: i, total: 3, message: `s${i}` },
      })),
    );
    expect(got[3]).toEqual({ jsonrpc: '2.0', id: 1, result: { content: [] } });
  });

  it('cancellation aborts the handler, sends no response and releases admission', async () => {
    const server = newServer();
    let aborted: unknown;
    server.registerTool(
      'wait',
      {},
      (_a, ctx: ServerContext) =>
        new Promise((_, reject) =>
          ctx.signal.addEventListener('abort', () => {
            aborted = ctx.signal.reason;
            reject(ctx.signal.reason);
          }),
        ),
    );
    const c = await rawClient(server);
    await c.initialize();
    c.send({ jsonrpc: '2.0', id: 'w', method: 'tools/call', params: { name: 'wait' } });
    await c.settle();
    expect(server.gate.admission.stats().globalDepth).toBe(1);
    c.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'w', reason: 'user' } });
    await c.settle();
    expect(aborted).toBeInstanceOf(Error);
    expect((aborted as Error).message).toBe('user');
    expect(server.gate.admission.stats().globalDepth).toBe(0);
    expect(c.session.inFlight).toBe(0);
    expect(await c.request(2, 'ping')).toEqual({ jsonrpc: '2.0', id: 2, result: {} });
    expect(c.inbox).toEqual([]);
  });

  it('answers REQUEST_TIMEOUT past the deadline and aborts the handler', async () => {
    const server = newServer({ requestTimeoutMs: 40 });
    const c = await rawClient(server);
    await c.initialize();
    const r = await c.request(1, 'tools/call', { name: 'sleep', arguments: { ms: 5_000 } });
    expect(r.error).toEqual({ code: -32001, message: 'Request timed out after 40 ms', data: { timeoutMs: 40 } });
    expect(server.gate.admission.stats().globalDepth).toBe(0);
  });

  it('releases admission of in-flight requests when the session closes', async () => {
    const server = newServer();
    const c = await rawClient(server);
    await c.initialize();
    for (let i = 0; i < 5; i++)
      c.send({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'sleep', arguments: { ms: 5_000 } } });
    await c.settle();
    expect(server.gate.admission.stats().globalDepth).toBe(5);
    await c.transport.close();
    await c.settle();
    expect(server.gate.admission.stats().globalDepth).toBe(0);
  });
});

describe('resources, prompts, completion, logging', () => {
  function withContent(server: McpServer) {
    server.registerResource('info', 'test://info', { mimeType: 'text/plain' }, (uri) => ({
      contents: [{ uri, text: 'info' }],
    }));
    server.registerResourceTemplate(
      'user',
      'test://users/{id}',
      {
        list: () => [{ uri: 'test://users/1', name: 'user 1' }],
        complete: { id: (v) => ['1', '10', '2'].filter((x) => x.startsWith(v)) },
      },
      (uri, vars) => ({ contents: [{ uri, text: `user ${vars.id}` }] }),
    );
    server.registerPrompt(
      'greet',
      { arguments: [{ name: 'name', required: true }, { name: 'tone' }], complete: { tone: () => ['warm', 'cold'] } },
      (a) => ({ messages: [{ role: 'user', content: { type: 'text', text: `hi ${a.name} (${a.tone ?? 'plain'})` } }] }),
    );
    return server;
  }

  it('lists and reads resources and templates', async () => {
    const c = await rawClient(withContent(newServer()));
    await c.initialize();
    expect((await c.request(1, 'resources/list')).result.resources).toEqual([
      { uri: 'test://info', name: 'info', mimeType: 'text/plain' },
      { uri: 'test://users/1', name: 'user 1' },
    ]);
    expect((await c.request(2, 'resources/templates/list')).result.resourceTemplates).toEqual([
      { uriTemplate: 'test://users/{id}', name: 'user' },
    ]);
    expect((await c.request(3, 'resources/read', { uri: 'test://info' })).result.contents).toEqual([
      { uri: 'test://info', text: 'info' },
    ]);
    expect((await c.request(4, 'resources/read', { uri: 'test://users/42' })).result.contents[0].text).toBe('user 42');
    expect((await c.request(5, 'resources/read', { uri: 'test://nothing' })).error).toEqual({
      code: -32002,
      message: 'Resource not found: test://nothing',
      data: { uri: 'test://nothing' },
    });
    expect((await c.request(6, 'resources/read', {})).error.code).toBe(-32602);
  });

  it('delivers resources/updated only to subscribed sessions', async () => {
    const server = withContent(newServer());
    const a = await rawClient(server);
    const b = await rawClient(server);
    await a.initialize();
    await b.initialize();
    await a.request(1, 'resources/subscribe', { uri: 'test://info' });
    server.notifyResourceUpdated('test://info');
    expect(await a.next()).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/resources/updated',
      params: { uri: 'test://info' },
    });
    await a.request(2, 'resources/unsubscribe', { uri: 'test://info' });
    server.notifyResourceUpdated('test://info');
    await a.settle();
    expect(a.inbox).toEqual([]);
    expect(b.inbox).toEqual([]);
  });

  it('gets prompts with argument checks and completes arguments', async () => {
    const c = await rawClient(withContent(newServer()));
    await c.initialize();
    expect((await c.request(1, 'prompts/list')).result.prompts[0].name).toBe('greet');
    const got = await c.request(2, 'prompts/get', { name: 'greet', arguments: { name: 'Ada', tone: 'warm' } });
    expect(got.result.messages[0].content.text).toBe('hi Ada (warm)');
    expect((await c.request(3, 'prompts/get', { name: 'greet' })).error.code).toBe(-32602);
    expect((await c.request(4, 'prompts/get', { name: 'greet', arguments: { name: 5 } })).error.code).toBe(-32602);
    expect((await c.request(5, 'prompts/get', { name: 'nope' })).error.code).toBe(-32602);
    const tone = await c.request(6, 'completion/complete', {
      ref: { type: 'ref/prompt', name: 'greet' },
      argument: { name: 'tone', value: '' },
    });
    expect(tone.result).toEqual({ completion: { values: ['warm', 'cold'], total: 2, hasMore: false } });
    const id = await c.request(7, 'completion/complete', {
      ref: { type: 'ref/resource', uri: 'test://users/{id}' },
      argument: { name: 'id', value: '1' },
    });
    expect(id.result.completion.values).toEqual(['1', '10']);
    expect(
      (await c.request(8, 'completion/complete', { ref: { type: 'bad' }, argument: { name: 'a', value: '' } })).error
        .code,
    ).toBe(-32602);
  });

  it('filters log messages by the level the client set', async () => {
    const server = newServer();
    server.registerTool('log', {}, async (_a, ctx: ServerContext) => {
      await ctx.log('info', 'i');
      await ctx.log('error', { e: 1 }, 'svc');
      return { content: [] };
    });
    const c = await rawClient(server);
    await c.initialize();
    expect((await c.request(1, 'logging/setLevel', { level: 'loud' })).error.code).toBe(-32602);
    await c.request(2, 'logging/setLevel', { level: 'warning' });
    await c.request(3, 'tools/call', { name: 'log' });
    expect(c.inbox).toEqual([
      { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'error', data: { e: 1 }, logger: 'svc' } },
    ]);
  });
});

describe('graceful shutdown', () => {
  it('refuses new requests with SESSION_CLOSING, finishes in-flight ones, then closes', async () => {
    const server = newServer();
    const c = await rawClient(server);
    await c.initialize();
    c.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'sleep', arguments: { ms: 50 } } });
    await c.settle();
    const done = server.shutdown(2_000);
    const refused = await c.request(2, 'ping');
    expect(refused.error.code).toBe(ErrorCode.SESSION_CLOSING);
    expect((await c.response(1)).result.content[0].text).toBe('done');
    await done;
    expect(server.sessions.size).toBe(0);
    expect(c.transport.closed).toBe(true);
  });
});

describe('capabilities', () => {
  it('methods of capabilities the server lacks are not found', async () => {
    const server = new McpServer({ name: 'bare', version: '1' });
    servers.push(server);
    const c = await rawClient(server);
    const init = await c.initialize();
    expect(init.result.capabilities).toEqual({ logging: {} });
    for (const m of [
      'tools/list',
      'resources/list',
      'prompts/list',
      'completion/complete',
      'constructor',
      '__proto__',
    ]) {
      expect((await c.request(m, m)).error.code).toBe(-32601);
    }
  });
});
