/**
 * The 2026-07-28 method table of McpServer over a MemoryTransport connection: server/discover,
 * resultType and serverInfo on every result, cache hints, list pages serialized once per change,
 * pagination, resource-not-found spelled per era, the removed methods, and both eras on one
 * connection (a connection is not a session in 2026).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, type JsonRpcMessage, McpError, RawResult } from '../../src/mcp/jsonrpc.js';
import { McpServer, type McpServerOptions } from '../../src/mcp/server.js';
import type { CallToolResult } from '../../src/mcp/types.js';
import { createMemoryTransportPair } from '../../src/transports/memory.js';
import { expectCode } from '../helpers.js';
import {
  CAPS,
  type EraClient,
  envelope,
  eraClient,
  INFO,
  LOG_LEVEL,
  PV,
  request2026,
  SERVER_INFO,
  V2026,
} from './era.js';
import type { Wire } from './harness.js';

const INFO_SERVER = { name: 'stateless', version: '0.9.0' };
const META = { [SERVER_INFO]: INFO_SERVER };
const text = (t: string): CallToolResult => ({ content: [{ type: 'text', text: t }] });

const servers: McpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function newServer(options: McpServerOptions = {}): McpServer {
  const s = new McpServer(INFO_SERVER, options);
  servers.push(s);
  return s;
}

function withTools(s: McpServer, n = 1): McpServer {
  for (let i = 0; i < n; i++) s.registerTool(`t${i}`, { description: `tool ${i}` }, () => text(`t${i}`));
  return s;
}

const names = (r: Wire, key = 'tools') => (r.result[key] as { name: string }[]).map((t) => t.name);

/**
 * A raw connection whose server side records every outgoing message object, so that a test
 * can tell whether two answers carried the very same pre-serialized result.
 */
async function recordingClient(server: McpServer): Promise<{ c: EraClient; sent: JsonRpcMessage[] }> {
  const [ct, st] = createMemoryTransportPair();
  const sent: JsonRpcMessage[] = [];
  const send = st.send.bind(st);
  st.send = (m, o) => {
    sent.push(m);
    return send(m, o);
  };
  const inbox: Wire[] = [];
  let wake: (() => void) | undefined;
  ct.onmessage = (m) => {
    inbox.push(m);
    wake?.();
  };
  await ct.start();
  const session = await server.connect(st);
  const response = async (id: string | number): Promise<Wire> => {
    for (;;) {
      const i = inbox.findIndex((m) => m.id === id && ('result' in m || 'error' in m));
      if (i >= 0) return inbox.splice(i, 1)[0];
      await new Promise<void>((r) => {
        wake = r;
      });
    }
  };
  const c = {
    transport: ct,
    session,
    inbox,
    send: (m: Wire) => ct.sendRaw(JSON.stringify(m)),
    response,
    call: (id: string | number, method: string, params = {}, options = {}) => {
      ct.sendRaw(JSON.stringify(request2026(id, method, params, options)));
      return response(id);
    },
  } as unknown as EraClient;
  return { c, sent };
}

/** The result object the server handed its transport for the answer to `id`. */
function sentResult(sent: JsonRpcMessage[], id: string | number): unknown {
  const m = sent.find((x) => (x as { id?: unknown }).id === id && 'result' in x);
  return (m as { result?: unknown } | undefined)?.result;
}

describe('server/discover', () => {
  it('answers the exact DiscoverResult with the default hints', async () => {
    const s = withTools(newServer({ instructions: 'Use t0 first.' }));
    const c = await eraClient(s);
    expect(await c.call('d', 'server/discover')).toEqual({
      jsonrpc: '2.0',
      id: 'd',
      result: {
        resultType: 'complete',
        supportedVersions: [V2026],
        capabilities: { logging: {}, tools: { listChanged: true } },
        instructions: 'Use t0 first.',
        ttlMs: 0,
        cacheScope: 'private',
        _meta: META,
      },
    });
  });

  it('declares extensions from the options, configured hints, and no instructions when none were given', async () => {
    const s = newServer({
      capabilities: { extensions: { 'com.example/widgets': { version: 2 } } },
      cacheHints: { discover: { ttlMs: 3_600_000, cacheScope: 'public' } },
    });
    s.registerResource('r', 'mem://r', {}, (uri) => ({ contents: [{ uri, text: 'r' }] }));
    s.registerPrompt('p', {}, () => ({ messages: [] }));
    const c = await eraClient(s);
    const r = await c.call(1, 'server/discover');
    expect(r.result).toEqual({
      resultType: 'complete',
      supportedVersions: [V2026],
      capabilities: {
        logging: {},
        extensions: { 'com.example/widgets': { version: 2 } },
        resources: { subscribe: true, listChanged: true },
        prompts: { listChanged: true },
        completions: {},
      },
      ttlMs: 3_600_000,
      cacheScope: 'public',
      _meta: META,
    });
    expect(r.result).not.toHaveProperty('instructions');
    expect(r.result).not.toHaveProperty('serverInfo');
  });

  it('a partial hint keeps the default for the other part; invalid hints are ERR_INVALID_ARG', async () => {
    const c = await eraClient(newServer({ cacheHints: { discover: { ttlMs: 10 } } }));
    const r = await c.call(1, 'server/discover');
    expect([r.result.ttlMs, r.result.cacheScope]).toEqual([10, 'private']);
    expectCode(() => new McpServer(INFO_SERVER, { cacheHints: { discover: { ttlMs: -1 } } }), 'ERR_INVALID_ARG');
    expectCode(() => new McpServer(INFO_SERVER, { cacheHints: { lists: { ttlMs: 1.5 } } }), 'ERR_INVALID_ARG');
    expectCode(
      () => new McpServer(INFO_SERVER, { cacheHints: { read: { cacheScope: 'shared' as never } } }),
      'ERR_INVALID_ARG',
    );
    const s = newServer();
    expectCode(
      () => s.registerResource('r', 'mem://r', { cache: { ttlMs: -5 } }, (uri) => ({ contents: [{ uri, text: '' }] })),
      'ERR_INVALID_ARG',
    );
  });

  it('works without clientInfo and is the same serialized result until the capabilities change', async () => {
    const s = withTools(newServer());
    const { c, sent } = await recordingClient(s);
    c.send({ jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: { [PV]: V2026, [CAPS]: {} } } });
    const r1 = await c.response(1);
    expect(r1.result.capabilities).toEqual({ logging: {}, tools: { listChanged: true } });
    await c.call(2, 'server/discover');
    expect(sentResult(sent, 1)).toBeInstanceOf(RawResult);
    expect(sentResult(sent, 2)).toBe(sentResult(sent, 1));
    s.registerPrompt('late', {}, () => ({ messages: [] }));
    const r3 = await c.call(3, 'server/discover');
    expect(sentResult(sent, 3)).not.toBe(sentResult(sent, 1));
    expect(r3.result.capabilities).toEqual({
      logging: {},
      tools: { listChanged: true },
      prompts: { listChanged: true },
      completions: {},
    });
  });

  it('a 2025 session has no server/discover (-32601)', async () => {
    const c = await eraClient(withTools(newServer()));
    await c.initialize();
    expect(await c.request(1, 'server/discover')).toEqual({
      jsonrpc: '2.0',
      id: 1,
      error: { code: -32601, message: 'Method not found: server/discover' },
    });
  });
});

describe('resultType and serverInfo on every 2026 result', () => {
  function fullServer(): McpServer {
    const s = newServer();
    s.registerTool('plain', {}, () => text('plain'));
    s.registerTool('meta', {}, () => ({
      ...text('m'),
      _meta: { 'com.example/trace': 'abc', [SERVER_INFO]: { name: 'spoof', version: '0' } },
    }));
    s.registerTool(
      'typed',
      { inputSchema: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] } },
      ({ n }: { n: number }) => text(String(n)),
    );
    s.registerResource('r', 'mem://r', {}, (uri) => ({ contents: [{ uri, text: 'r' }] }));
    s.registerResourceTemplate(
      'item',
      'items://{id}',
      { complete: { id: (v) => ['a1', 'a2', 'b1'].filter((x) => x.startsWith(v)) } },
      (uri, { id }) => ({
        contents: [{ uri, text: `item ${String(id)}` }],
      }),
    );
    s.registerPrompt('p', { arguments: [{ name: 'x' }] }, () => ({
      messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }],
    }));
    return s;
  }

  it('tools/call, prompts/get, completion/complete: resultType complete and serverInfo in _meta', async () => {
    const c = await eraClient(fullServer());
    expect((await c.call(1, 'tools/call', { name: 'plain', arguments: {} })).result).toEqual({
      ...text('plain'),
      resultType: 'complete',
      _meta: META,
    });
    // A result's own _meta is kept; serverInfo is the server's own, whatever the handler wrote.
    expect((await c.call(2, 'tools/call', { name: 'meta' })).result._meta).toEqual({
      'com.example/trace': 'abc',
      [SERVER_INFO]: INFO_SERVER,
    });
    expect((await c.call(3, 'prompts/get', { name: 'p' })).result).toEqual({
      messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }],
      resultType: 'complete',
      _meta: META,
    });
    expect(
      (
        await c.call(4, 'completion/complete', {
          ref: { type: 'ref/resource', uri: 'items://{id}' },
          argument: { name: 'id', value: 'a' },
        })
      ).result,
    ).toEqual({ completion: { values: ['a1', 'a2'], total: 2, hasMore: false }, resultType: 'complete', _meta: META });
    // A tool whose arguments fail validation is still a complete result (isError).
    const bad = await c.call(5, 'tools/call', { name: 'typed', arguments: { n: 'x' } });
    expect(bad.result.isError).toBe(true);
    expect(bad.result.resultType).toBe('complete');
    expect(bad.result._meta).toEqual(META);
  });

  it('a 2025 session on the same server gets undressed results', async () => {
    const c = await eraClient(fullServer());
    await c.initialize();
    expect((await c.request(1, 'tools/call', { name: 'plain', arguments: {} })).result).toEqual(text('plain'));
    const list = await c.request(2, 'tools/list');
    expect(Object.keys(list.result)).toEqual(['tools']);
    const read = await c.request(3, 'resources/read', { uri: 'mem://r' });
    expect(read.result).toEqual({ contents: [{ uri: 'mem://r', text: 'r' }] });
  });

  it('an unknown tool is -32602 in both eras', async () => {
    const c = await eraClient(fullServer());
    expect((await c.call(1, 'tools/call', { name: 'nope' })).error).toEqual({
      code: -32602,
      message: 'Unknown tool: nope',
      data: { name: 'nope' },
    });
  });
});

describe('lists: hints, pagination, one serialization per change', () => {
  it('every page of every list carries resultType and the list hints; cursors page through in order', async () => {
    const s = newServer({ pageSize: 2, cacheHints: { lists: { ttlMs: 60_000, cacheScope: 'public' } } });
    withTools(s, 5);
    for (let i = 0; i < 3; i++) s.registerPrompt(`p${i}`, {}, () => ({ messages: [] }));
    for (let i = 0; i < 3; i++)
      s.registerResource(`r${i}`, `mem://r${i}`, {}, (uri) => ({ contents: [{ uri, text: '' }] }));
    for (let i = 0; i < 3; i++)
      s.registerResourceTemplate(`tp${i}`, `tp${i}://{x}`, {}, (uri) => ({ contents: [{ uri, text: '' }] }));
    const c = await eraClient(s);
    const walk = async (method: string, key: string, field = 'name') => {
      const seen: string[] = [];
      let cursor: string | undefined;
      let id = 0;
      for (;;) {
        const r = await c.call(`${method}-${id++}`, method, cursor === undefined ? {} : { cursor });
        expect(r.result.resultType).toBe('complete');
        expect(r.result.ttlMs).toBe(60_000);
        expect(r.result.cacheScope).toBe('public');
        expect(r.result._meta).toEqual(META);
        seen.push(...(r.result[key] as Record<string, string>[]).map((x) => x[field] as string));
        if (r.result.nextCursor === undefined) break;
        expect(r.result.nextCursor).toMatch(/^[A-Za-z0-9_-]{11}$/);
        cursor = r.result.nextCursor;
      }
      return seen;
    };
    expect(await walk('tools/list', 'tools')).toEqual(['t0', 't1', 't2', 't3', 't4']);
    expect(await walk('prompts/list', 'prompts')).toEqual(['p0', 'p1', 'p2']);
    expect(await walk('resources/list', 'resources')).toEqual(['r0', 'r1', 'r2']);
    expect(await walk('resources/templates/list', 'resourceTemplates')).toEqual(['tp0', 'tp1', 'tp2']);
  });

  it('default list hints are ttlMs 0, private', async () => {
    const c = await eraClient(withTools(newServer()));
    const r = await c.call(1, 'tools/list');
    expect(r.result).toEqual({
      tools: [{ name: 't0', description: 'tool 0', inputSchema: { type: 'object' } }],
      resultType: 'complete',
      ttlMs: 0,
      cacheScope: 'private',
      _meta: META,
    });
  });

  it('an invalid cursor is -32602 in the 2026 era', async () => {
    const c = await eraClient(withTools(newServer({ pageSize: 1 }), 3));
    for (const [id, cursor] of [
      [1, 'garbage'],
      [2, 'AAAAAAAAAAA'],
      [3, ''],
    ] as const) {
      const r = await c.call(id, 'tools/list', { cursor });
      expect(r.error).toEqual({ code: -32602, message: 'Invalid cursor' });
    }
  });

  // A cursor that is not a string is invalid params (tools.ts cursorOf). Whether the first page
  // happens to be cached already must not change the answer.
  it('a non-string cursor is -32602 whether or not the first page is cached', async () => {
    const c = await eraClient(withTools(newServer({ pageSize: 1 }), 3));
    const cold = await c.call(1, 'tools/list', { cursor: 5 });
    expect(cold.error).toEqual({ code: -32602, message: 'Invalid params: "cursor" must be a string' });
    expect(names(await c.call(2, 'tools/list'))).toEqual(['t0']); // caches the first page
    const warm = await c.call(3, 'tools/list', { cursor: 5 });
    expect(warm.error).toEqual({ code: -32602, message: 'Invalid params: "cursor" must be a string' });
  });

  it('a list page is the same pre-serialized result until the list changes, in each era', async () => {
    const s = newServer();
    const schema: Record<string, unknown> = { type: 'object' };
    s.registerTool('a', { inputSchema: schema }, () => text('a'));
    const { c, sent } = await recordingClient(s);
    await c.call(1, 'tools/list');
    await c.call(2, 'tools/list');
    expect(sentResult(sent, 1)).toBeInstanceOf(RawResult);
    expect(sentResult(sent, 2)).toBe(sentResult(sent, 1));
    // Serialized once: a change behind the server's back does not show until the list changes.
    schema.description = 'mutated';
    const r3 = await c.call(3, 'tools/list');
    expect(r3.result.tools).toEqual([{ name: 'a', inputSchema: { type: 'object' } }]);
    s.registerTool('b', {}, () => text('b'));
    const r4 = await c.call(4, 'tools/list');
    expect(sentResult(sent, 4)).not.toBe(sentResult(sent, 1));
    expect(r4.result.tools).toEqual([
      { name: 'a', inputSchema: { type: 'object', description: 'mutated' } },
      { name: 'b', inputSchema: { type: 'object' } },
    ]);
    // The 2025 era has its own page (no hints), also cached.
    c.send({
      jsonrpc: '2.0',
      id: 'i',
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
    });
    await c.response('i');
    c.send({ jsonrpc: '2.0', id: 5, method: 'tools/list' });
    c.send({ jsonrpc: '2.0', id: 6, method: 'tools/list' });
    const r5 = await c.response(5);
    await c.response(6);
    expect(Object.keys(r5.result)).toEqual(['tools']);
    expect(sentResult(sent, 6)).toBe(sentResult(sent, 5));
    expect(sentResult(sent, 5)).not.toBe(sentResult(sent, 4));
  });

  it('disable, enable, update and remove each give a new page', async () => {
    const s = newServer();
    const a = s.registerTool('a', {}, () => text('a'));
    s.registerTool('b', {}, () => text('b'));
    const c = await eraClient(s);
    let id = 0;
    const list = async () => names(await c.call(id++, 'tools/list'));
    expect(await list()).toEqual(['a', 'b']);
    a.disable();
    expect(await list()).toEqual(['b']);
    a.enable();
    expect(await list()).toEqual(['a', 'b']);
    a.update({ description: 'new' });
    expect((await c.call(id++, 'tools/list')).result.tools[0]).toEqual({
      name: 'a',
      description: 'new',
      inputSchema: { type: 'object' },
    });
    a.remove();
    expect(await list()).toEqual(['b']);
    // (A kind with nothing registered has no capability, hence no list method: keep one.)
    s.registerPrompt('keep', {}, () => ({ messages: [] }));
    const p = s.registerPrompt('p', {}, () => ({ messages: [] }));
    expect(names(await c.call(id++, 'prompts/list'), 'prompts')).toEqual(['keep', 'p']);
    p.remove();
    expect(names(await c.call(id++, 'prompts/list'), 'prompts')).toEqual(['keep']);
    s.registerResource('keep', 'mem://keep', {}, (uri) => ({ contents: [{ uri, text: '' }] }));
    const r = s.registerResource('r', 'mem://r', {}, (uri) => ({ contents: [{ uri, text: '' }] }));
    expect(names(await c.call(id++, 'resources/list'), 'resources')).toEqual(['keep', 'r']);
    r.remove();
    expect(names(await c.call(id++, 'resources/list'), 'resources')).toEqual(['keep']);
  });

  it('resources/list with a listing template is built on every request (never a stale page), with hints', async () => {
    const s = newServer({ cacheHints: { lists: { ttlMs: 7, cacheScope: 'public' } } });
    let items = ['one'];
    let calls = 0;
    s.registerResourceTemplate(
      'item',
      'items://{id}',
      {
        list: () => {
          calls++;
          return items.map((id) => ({ uri: `items://${id}`, name: id }));
        },
      },
      (uri) => ({ contents: [{ uri, text: '' }] }),
    );
    const c = await eraClient(s);
    const r1 = await c.call(1, 'resources/list');
    expect(r1.result).toEqual({
      resources: [{ uri: 'items://one', name: 'one' }],
      resultType: 'complete',
      ttlMs: 7,
      cacheScope: 'public',
      _meta: META,
    });
    items = ['one', 'two'];
    expect(names(await c.call(2, 'resources/list'), 'resources')).toEqual(['one', 'two']);
    expect(calls).toBe(2);
  });
});

describe('resources/read: hints and not-found per era', () => {
  function resourceServer(options: McpServerOptions = {}): McpServer {
    const s = newServer(options);
    s.registerResource('plain', 'mem://plain', {}, (uri) => ({ contents: [{ uri, text: 'p' }] }));
    s.registerResource('hinted', 'mem://hinted', { cache: { ttlMs: 30_000, cacheScope: 'public' } }, (uri) => ({
      contents: [{ uri, text: 'h' }],
    }));
    s.registerResourceTemplate('tpl', 'tpl://{id}', { cache: { ttlMs: 9, cacheScope: 'private' } }, (uri) => ({
      contents: [{ uri, text: 't' }],
    }));
    s.registerResourceTemplate('strict', 'strict://{id}', {}, (uri, { id }) => {
      if (id !== 'known') throw new McpError(ErrorCode.RESOURCE_NOT_FOUND, `Resource not found: ${uri}`, { uri });
      return { contents: [{ uri, text: 'k' }] };
    });
    s.registerResourceTemplate('strictAsync', 'lazy://{id}', {}, async (uri, { id }) => {
      if (id !== 'known') throw new McpError(ErrorCode.RESOURCE_NOT_FOUND, `Resource not found: ${uri}`, { uri });
      return { contents: [{ uri, text: 'k' }] };
    });
    return s;
  }

  it('per-resource and per-template hints; the server default for the rest', async () => {
    const c = await eraClient(resourceServer({ cacheHints: { read: { ttlMs: 1_000, cacheScope: 'public' } } }));
    const read = async (id: number, uri: string) => (await c.call(id, 'resources/read', { uri })).result;
    expect(await read(1, 'mem://plain')).toEqual({
      contents: [{ uri: 'mem://plain', text: 'p' }],
      resultType: 'complete',
      ttlMs: 1_000,
      cacheScope: 'public',
      _meta: META,
    });
    expect([(await read(2, 'mem://hinted')).ttlMs, (await read(3, 'mem://hinted')).cacheScope]).toEqual([
      30_000,
      'public',
    ]);
    const t = await read(4, 'tpl://x');
    expect([t.ttlMs, t.cacheScope]).toEqual([9, 'private']);
    const c2 = await eraClient(resourceServer());
    const d = (await c2.call(5, 'resources/read', { uri: 'mem://plain' })).result;
    expect([d.ttlMs, d.cacheScope]).toEqual([0, 'private']);
  });

  it('an unknown URI is -32602 with data.uri in 2026 and -32002 in a 2025 session, on the same connection', async () => {
    const c = await eraClient(resourceServer());
    expect(await c.call('m', 'resources/read', { uri: 'mem://missing' })).toEqual({
      jsonrpc: '2.0',
      id: 'm',
      error: { code: -32602, message: 'Resource not found: mem://missing', data: { uri: 'mem://missing' } },
    });
    await c.initialize();
    expect(await c.request('l', 'resources/read', { uri: 'mem://missing' })).toEqual({
      jsonrpc: '2.0',
      id: 'l',
      error: { code: -32002, message: 'Resource not found: mem://missing', data: { uri: 'mem://missing' } },
    });
  });

  it('a template handler reporting not-found asynchronously is -32602 in 2026', async () => {
    const c = await eraClient(resourceServer());
    expect((await c.call(1, 'resources/read', { uri: 'lazy://other' })).error).toEqual({
      code: -32602,
      message: 'Resource not found: lazy://other',
      data: { uri: 'lazy://other' },
    });
    expect((await c.call(2, 'resources/read', { uri: 'lazy://known' })).result.contents).toEqual([
      { uri: 'lazy://known', text: 'k' },
    ]);
  });

  // -32002 must not be emitted in 2026: a handler that throws it synchronously is the same
  // not-found as one that throws it from an async function.
  it('a template handler reporting not-found synchronously is -32602 in 2026 too', async () => {
    const c = await eraClient(resourceServer());
    expect((await c.call(1, 'resources/read', { uri: 'strict://other' })).error).toEqual({
      code: -32602,
      message: 'Resource not found: strict://other',
      data: { uri: 'strict://other' },
    });
  });
});

describe('removed methods', () => {
  const removed: [string, Record<string, unknown>][] = [
    ['initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } }],
    ['ping', {}],
    ['logging/setLevel', { level: 'info' }],
    ['resources/subscribe', { uri: 'mem://r' }],
    ['resources/unsubscribe', { uri: 'mem://r' }],
  ];

  function server(): McpServer {
    const s = withTools(newServer());
    s.registerResource('r', 'mem://r', {}, (uri) => ({ contents: [{ uri, text: 'r' }] }));
    return s;
  }

  it.each(removed)('%s carrying an envelope is -32601', async (method, params) => {
    const c = await eraClient(server());
    expect(await c.call('x', method, params)).toEqual({
      jsonrpc: '2.0',
      id: 'x',
      error: { code: -32601, message: `Method not found: ${method}` },
    });
  });

  it('an initialize carrying an envelope does not start a session', async () => {
    const s = server();
    const c = await eraClient(s);
    const r = await c.call(1, 'initialize', removed[0]?.[1]);
    expect(r.error.code).toBe(-32601);
    expect(c.session.state).toBe('new');
    expect(c.session.protocolVersion).toBeUndefined();
    const legacy = await c.request(2, 'tools/list');
    expect(legacy.error.code).toBe(-32600);
  });

  it('the same methods keep working in a 2025 session of the same server, interleaved with 2026 requests', async () => {
    const s = server();
    const modern = await eraClient(s);
    const legacy = await eraClient(s);
    const init = await legacy.initialize();
    expect(init.result.protocolVersion).toBe('2025-11-25');
    expect(await legacy.request(1, 'ping')).toEqual({ jsonrpc: '2.0', id: 1, result: {} });
    expect((await modern.call(1, 'ping')).error.code).toBe(-32601);
    expect(await legacy.request(2, 'logging/setLevel', { level: 'error' })).toEqual({
      jsonrpc: '2.0',
      id: 2,
      result: {},
    });
    expect((await modern.call(2, 'logging/setLevel', { level: 'error' })).error.code).toBe(-32601);
    expect(await legacy.request(3, 'resources/subscribe', { uri: 'mem://r' })).toEqual({
      jsonrpc: '2.0',
      id: 3,
      result: {},
    });
    expect((await modern.call(3, 'resources/subscribe', { uri: 'mem://r' })).error.code).toBe(-32601);
    s.notifyResourceUpdated('mem://r');
    expect(await legacy.next()).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/resources/updated',
      params: { uri: 'mem://r' },
    });
    expect(await legacy.request(4, 'resources/unsubscribe', { uri: 'mem://r' })).toEqual({
      jsonrpc: '2.0',
      id: 4,
      result: {},
    });
    // subscriptions/listen exists only in 2026.
    expect((await legacy.request(5, 'subscriptions/listen', { notifications: {} })).error.code).toBe(-32601);
    await modern.settle();
    expect(modern.inbox).toEqual([]);
  });
});

describe('a connection is not a session', () => {
  function whoServer(): McpServer {
    const s = newServer();
    s.registerTool('whoami', {}, (_a, ctx) =>
      text(
        JSON.stringify({
          protocolVersion: ctx.protocolVersion ?? null,
          capabilities: ctx.clientCapabilities,
          clientInfo: ctx.clientInfo ?? null,
          stateless: ctx.stateless,
        }),
      ),
    );
    return s;
  }
  const who = (r: Wire) => JSON.parse(r.result.content[0].text);

  it('2026 requests work on a connection that never initialized; a 2025 request there still needs initialize', async () => {
    const s = whoServer();
    const c = await eraClient(s);
    const r = await c.call(1, 'tools/call', { name: 'whoami' }, { caps: { sampling: {} } });
    expect(who(r)).toEqual({
      protocolVersion: V2026,
      capabilities: { sampling: {} },
      clientInfo: { name: 'era-test', version: '1.0.0' },
      stateless: true,
    });
    expect(c.session.state).toBe('new');
    expect(await c.request(2, 'tools/call', { name: 'whoami' })).toEqual({
      jsonrpc: '2.0',
      id: 2,
      error: { code: -32600, message: expect.stringContaining('not initialized') },
    });
    expect(s.sessions.size).toBe(1);
    expect(s.statelessClients.size).toBe(0);
  });

  it('each 2026 request is judged by its own envelope, never by the session or an earlier request', async () => {
    const c = await eraClient(whoServer());
    await c.initialize('2025-06-18', { roots: {} });
    const legacy = await c.request(1, 'tools/call', { name: 'whoami' });
    expect(who(legacy)).toEqual({
      protocolVersion: '2025-06-18',
      capabilities: { roots: {} },
      clientInfo: { name: 'raw', version: '0' },
      stateless: false,
    });
    const a = await c.call(2, 'tools/call', { name: 'whoami' }, { caps: { elicitation: {} } });
    expect(who(a).capabilities).toEqual({ elicitation: {} });
    const b = await c.call(3, 'tools/call', { name: 'whoami' });
    expect(who(b)).toEqual({
      protocolVersion: V2026,
      capabilities: {},
      clientInfo: { name: 'era-test', version: '1.0.0' },
      stateless: true,
    });
    c.send({
      jsonrpc: '2.0',
      id: 4,
      method: 'tools/call',
      params: { name: 'whoami', _meta: { [PV]: V2026, [CAPS]: {} } },
    });
    expect(who(await c.response(4)).clientInfo).toBeNull();
    // The session itself was not touched by the 2026 requests.
    expect(c.session.protocolVersion).toBe('2025-06-18');
    expect(c.session.clientCapabilities).toEqual({ roots: {} });
  });
});

describe('request-scoped logging and progress (2026, over a connection)', () => {
  function logServer(): McpServer {
    const s = newServer();
    s.registerTool('chatty', {}, async (_a, ctx) => {
      for (const level of ['debug', 'info', 'warning', 'error', 'emergency'] as const)
        await ctx.log(level, { level }, 'chatty');
      await ctx.progress(1, 2, 'half');
      await ctx.progress(2, 2);
      return text('done');
    });
    return s;
  }

  it('no notifications/message and no progress without logLevel and progressToken', async () => {
    const s = logServer();
    const c = await eraClient(s);
    const r = await c.call(1, 'tools/call', { name: 'chatty' });
    expect(r.result.content).toEqual([{ type: 'text', text: 'done' }]);
    s.sendLog('error', 'broadcast to 2025 sessions only');
    await c.settle();
    expect(c.inbox).toEqual([]);
  });

  it('logLevel filters at and above the level; progressToken gets progress; all before the answer', async () => {
    const c = await eraClient(logServer());
    c.send(
      request2026(7, 'tools/call', { name: 'chatty' }, { meta: { [LOG_LEVEL]: 'warning', progressToken: 'tok' } }),
    );
    const all: Wire[] = [];
    for (;;) {
      const m = await c.next();
      all.push(m);
      if (m.id === 7) break;
    }
    expect(all).toEqual([
      {
        jsonrpc: '2.0',
        method: 'notifications/message',
        params: { level: 'warning', data: { level: 'warning' }, logger: 'chatty' },
      },
      {
        jsonrpc: '2.0',
        method: 'notifications/message',
        params: { level: 'error', data: { level: 'error' }, logger: 'chatty' },
      },
      {
        jsonrpc: '2.0',
        method: 'notifications/message',
        params: { level: 'emergency', data: { level: 'emergency' }, logger: 'chatty' },
      },
      {
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: 'tok', progress: 1, total: 2, message: 'half' },
      },
      { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'tok', progress: 2, total: 2 } },
      { jsonrpc: '2.0', id: 7, result: { ...text('done'), resultType: 'complete', _meta: META } },
    ]);
  });

  it('the level of one request does not leak to the next', async () => {
    const c = await eraClient(logServer());
    c.send(request2026(1, 'tools/call', { name: 'chatty' }, { meta: { [LOG_LEVEL]: 'emergency' } }));
    await c.response(1);
    expect(c.takeNotifications()).toEqual([
      {
        jsonrpc: '2.0',
        method: 'notifications/message',
        params: { level: 'emergency', data: { level: 'emergency' }, logger: 'chatty' },
      },
    ]);
    await c.call(2, 'tools/call', { name: 'chatty' });
    expect(c.takeNotifications()).toEqual([]);
  });

  it('an envelope of a 2025 session is not needed for 2025 logging, and 2025 levels do not apply to 2026', async () => {
    const c = await eraClient(logServer());
    await c.initialize();
    await c.request('lvl', 'logging/setLevel', { level: 'emergency' });
    c.send(request2026(2, 'tools/call', { name: 'chatty' }, { meta: { [LOG_LEVEL]: 'error' } }));
    await c.response(2);
    expect(c.takeNotifications().map((n) => n.params.level)).toEqual(['error', 'emergency']);
  });
});

describe('envelope keys', () => {
  it('the reserved keys are spelled as the spec spells them', () => {
    expect([PV, CAPS, INFO, LOG_LEVEL, SERVER_INFO]).toEqual([
      'io.modelcontextprotocol/protocolVersion',
      'io.modelcontextprotocol/clientCapabilities',
      'io.modelcontextprotocol/clientInfo',
      'io.modelcontextprotocol/logLevel',
      'io.modelcontextprotocol/serverInfo',
    ]);
    expect(envelope()).toEqual({ [PV]: '2026-07-28', [CAPS]: {}, [INFO]: { name: 'era-test', version: '1.0.0' } });
  });
});
