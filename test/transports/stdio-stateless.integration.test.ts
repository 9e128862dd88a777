/**
 * MCP 2026-07-28 over stdio against a spawned erlmcp server (test/fixtures/stateless-stdio-server.mjs):
 * the process is not a session (2026 requests need no initialize, a 2025 request still does),
 * the body-only ladder, request-scoped progress and logging on the one channel, cancellation
 * with notifications/cancelled, MRTR, and several subscriptions/listen demultiplexed by id.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { JsonRpcMessage } from '../../src/mcp/jsonrpc.js';
import { StdioClientTransport } from '../../src/transports/stdio.js';
import { bounded, CAPS, LOG_LEVEL, PV, request2026, SERVER_INFO, SUB_ID, until, V2026 } from '../mcp/era.js';
import type { Wire } from '../mcp/harness.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/stateless-stdio-server.mjs', import.meta.url));
const META = { [SERVER_INFO]: { name: 'stdio-stateless', version: '5.0.0' } };
const text = (t: string) => ({ content: [{ type: 'text', text: t }] });

interface Child {
  t: StdioClientTransport;
  inbox: Wire[];
  errors: Error[];
  send(m: Wire): Promise<void>;
  /** The answer to `id` (bounded wait); notifications before it stay in the inbox. */
  answer(id: string | number | null, ms?: number): Promise<Wire>;
  call(
    id: string | number,
    method: string,
    params?: Record<string, unknown>,
    meta?: Record<string, unknown>,
    caps?: Record<string, unknown>,
  ): Promise<Wire>;
  notifications(): Wire[];
  events(): Promise<{ started: string[]; aborted: string[]; subscriptions: number; inFlight: number }>;
}

const live: StdioClientTransport[] = [];
afterEach(async () => {
  await Promise.all(live.splice(0).map((t) => t.close()));
});

let nextId = 0;
async function spawnServer(flags: string[] = []): Promise<Child> {
  const t = new StdioClientTransport({
    command: process.execPath,
    args: [FIXTURE, ...flags],
    stderr: 'ignore',
    closeGraceMs: 1_000,
  });
  live.push(t);
  const inbox: Wire[] = [];
  const errors: Error[] = [];
  t.onmessage = (m: JsonRpcMessage) => inbox.push(m);
  t.onerror = (e) => errors.push(e);
  await t.start();
  const answer = async (id: string | number | null, ms = 10_000): Promise<Wire> => {
    let found: Wire | undefined;
    await bounded(
      until(() => {
        const i = inbox.findIndex((m) => m.id === id && ('result' in m || 'error' in m));
        if (i < 0) return false;
        found = inbox.splice(i, 1)[0];
        return true;
      }, ms),
      ms + 1_000,
      `the answer to ${JSON.stringify(id)}`,
    );
    return found;
  };
  const child: Child = {
    t,
    inbox,
    errors,
    send: (m) => t.send(m),
    answer,
    call: async (id, method, params = {}, meta = {}, caps = {}) => {
      await t.send(request2026(id, method, params, { meta, caps }));
      return answer(id);
    },
    notifications: () => {
      const out: Wire[] = [];
      for (let i = 0; i < inbox.length; ) {
        if (inbox[i].id === undefined) out.push(...inbox.splice(i, 1));
        else i++;
      }
      return out;
    },
    events: async () => {
      const id = `events-${nextId++}`;
      const r = await child.call(id, 'tools/call', { name: 'events' });
      return JSON.parse(r.result.content[0].text);
    },
  };
  return child;
}

describe('stdio: a process is not a session', () => {
  it('2026 requests work without initialize; a 2025 request needs it; both eras then interleave', async () => {
    const c = await spawnServer();
    const discover = await c.call('d', 'server/discover');
    expect(discover).toEqual({
      jsonrpc: '2.0',
      id: 'd',
      result: {
        resultType: 'complete',
        supportedVersions: [V2026],
        capabilities: {
          logging: {},
          tools: { listChanged: true },
          resources: { subscribe: true, listChanged: true },
          completions: {},
        },
        ttlMs: 0,
        cacheScope: 'private',
        _meta: META,
      },
    });
    expect(await c.call(1, 'tools/call', { name: 'echo', arguments: { message: 'hi' } })).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: { ...text('hi'), resultType: 'complete', _meta: META },
    });
    await c.send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    const legacy = await c.answer(2);
    expect(legacy.error.code).toBe(-32600);
    expect(legacy.error.message).toContain('not initialized');
    await c.send({
      jsonrpc: '2.0',
      id: 'init',
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
    });
    expect((await c.answer('init')).result.protocolVersion).toBe('2025-11-25');
    await c.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await c.send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'whoami', arguments: {} } });
    await c.send(request2026(4, 'tools/call', { name: 'whoami' }, { caps: { roots: {} } }));
    await c.send({ jsonrpc: '2.0', id: 5, method: 'ping' });
    await c.send(request2026(6, 'ping'));
    const who = (r: Wire) => JSON.parse(r.result.content[0].text);
    expect(who(await c.answer(3))).toEqual({ protocolVersion: '2025-11-25', capabilities: {}, stateless: false });
    expect(who(await c.answer(4))).toEqual({ protocolVersion: V2026, capabilities: { roots: {} }, stateless: true });
    expect(await c.answer(5)).toEqual({ jsonrpc: '2.0', id: 5, result: {} });
    expect((await c.answer(6)).error).toEqual({ code: -32601, message: 'Method not found: ping' });
  });

  it('the ladder without headers: each refusal with its id; a batch is -32600 and the next request is served', async () => {
    const c = await spawnServer();
    await c.send({ jsonrpc: '2.0', id: 'a', method: 'tools/list', params: { _meta: { [PV]: V2026 } } });
    await c.send({
      jsonrpc: '2.0',
      id: 'b',
      method: 'tools/list',
      params: { _meta: { [PV]: '2099-01-01', [CAPS]: {} } },
    });
    await c.send(request2026('c', 'tools/list', {}, { meta: { [LOG_LEVEL]: 'nope' } }));
    await c.send(
      request2026('d', 'initialize', {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'x', version: '1' },
      }),
    );
    const a = await c.answer('a');
    expect([a.error.code, a.error.message]).toEqual([-32602, `Invalid _meta envelope: ${CAPS}: missing`]);
    expect((await c.answer('b')).error).toEqual({
      code: -32022,
      message: 'Unsupported protocol version: 2099-01-01',
      data: { supported: [V2026], requested: '2099-01-01' },
    });
    expect((await c.answer('c')).error.code).toBe(-32602);
    expect((await c.answer('d')).error.code).toBe(-32601);
    await c.send([request2026(1, 'tools/list')] as unknown as Wire);
    const batch = await c.answer(null);
    expect(batch.error.code).toBe(-32600);
    expect(
      (await c.call('e', 'tools/call', { name: 'echo', arguments: { message: 'still here' } })).result.content,
    ).toEqual([{ type: 'text', text: 'still here' }]);
  });
});

describe('stdio: raw bytes', () => {
  it('a line that is not JSON is answered -32700 (id null) and the next 2026 request is served', async () => {
    const child = spawn(process.execPath, [FIXTURE], { stdio: ['pipe', 'pipe', 'ignore'] });
    try {
      let out = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (d: string) => {
        out += d;
      });
      child.stdin.write('this is not json\n');
      child.stdin.write(
        `${JSON.stringify(request2026(1, 'tools/call', { name: 'echo', arguments: { message: 'ok' } }))}\n`,
      );
      await until(() => out.split('\n').filter(Boolean).length >= 2, 10_000);
      const lines = out
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
      expect(lines[0].id).toBeNull();
      expect(lines[0].error.code).toBe(-32700);
      expect(lines[1]).toEqual({
        jsonrpc: '2.0',
        id: 1,
        result: { ...text('ok'), resultType: 'complete', _meta: META },
      });
    } finally {
      child.stdin.end();
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    }
  });
});

describe('stdio: a listen cancelled in the same read', () => {
  // On stdio a client that opens a listen and cancels it at once can have both lines read in
  // one chunk: the cancellation then arrives while the listen is sending its acknowledgement.
  it('is freed: the server holds no subscription for it', async () => {
    const child = spawn(process.execPath, [FIXTURE], { stdio: ['pipe', 'pipe', 'ignore'] });
    try {
      let out = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (d: string) => {
        out += d;
      });
      const lines = [
        request2026('L', 'subscriptions/listen', { notifications: { resourceSubscriptions: ['file:///config.json'] } }),
        { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'L' } },
      ];
      child.stdin.write(lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
      await until(() => out.includes('acknowledged'), 10_000);
      child.stdin.write(`${JSON.stringify(request2026('ev', 'tools/call', { name: 'events' }))}\n`);
      await until(() => out.includes('"id":"ev"'), 10_000);
      const ev = out
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .find((m) => m.id === 'ev');
      expect(JSON.parse(ev.result.content[0].text).subscriptions).toBe(0);
    } finally {
      child.stdin.end();
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    }
  });
});

describe('stdio: request-scoped progress and logging', () => {
  it('nothing without logLevel / progressToken; with them, filtered logs and progress precede the answer', async () => {
    const c = await spawnServer();
    expect((await c.call(1, 'tools/call', { name: 'chatty' })).result.content).toEqual([
      { type: 'text', text: 'chatted' },
    ]);
    expect(c.notifications()).toEqual([]);
    const r = await c.call(2, 'tools/call', { name: 'chatty' }, { [LOG_LEVEL]: 'notice', progressToken: 'p' });
    expect(r.result.content).toEqual([{ type: 'text', text: 'chatted' }]);
    expect(c.notifications()).toEqual([
      { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'notice', data: 'at notice' } },
      { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'warning', data: 'at warning' } },
      { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'error', data: 'at error' } },
      { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'p', progress: 1, total: 2 } },
      {
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: 'p', progress: 2, total: 2, message: 'done' },
      },
    ]);
  });
});

describe('stdio: cancellation and MRTR', () => {
  it('notifications/cancelled aborts the handler; the cancelled request is never answered', async () => {
    const c = await spawnServer();
    await c.send(request2026('w', 'tools/call', { name: 'wait', arguments: { key: 'w' } }));
    let ev = await c.events();
    for (let i = 0; ev.started.length === 0 && i < 200; i++) ev = await c.events();
    expect(ev.started).toEqual(['w']);
    await c.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'w', reason: 'user' } });
    for (let i = 0; ev.aborted.length === 0 && i < 200; i++) ev = await c.events();
    expect(ev.aborted).toEqual(['w']);
    expect(ev.inFlight).toBe(1); // the events call itself
    await c.call('rel', 'tools/call', { name: 'release', arguments: { key: 'w' } });
    await c.call('after', 'tools/call', { name: 'echo', arguments: { message: 'x' } });
    expect(c.inbox.filter((m) => m.id === 'w')).toEqual([]);
  });

  it('input_required and the retry over stdio', async () => {
    const c = await spawnServer();
    const first = await c.call(1, 'tools/call', { name: 'greet' }, {}, { elicitation: {} });
    expect(first.result.resultType).toBe('input_required');
    expect(first.result.inputRequests).toEqual({
      'elicitation-1': {
        method: 'elicitation/create',
        params: { mode: 'form', message: 'Name?', requestedSchema: { type: 'object' } },
      },
    });
    const done = await c.call(
      2,
      'tools/call',
      {
        name: 'greet',
        inputResponses: { 'elicitation-1': { action: 'accept', content: { name: 'Ada' } } },
        requestState: first.result.requestState,
      },
      {},
      { elicitation: {} },
    );
    expect(done.result).toEqual({ ...text('Hello Ada'), resultType: 'complete', _meta: META });
    // No server -> client request was ever written to stdout.
    expect(c.inbox.filter((m) => m.method !== undefined && m.id !== undefined)).toEqual([]);
  });
});

describe('stdio: subscriptions/listen', () => {
  const listen = (c: Child, id: string | number, notifications: Record<string, unknown>) =>
    c.send(request2026(id, 'subscriptions/listen', { notifications }));

  it('several listens on one connection, demultiplexed by subscriptionId; cancelling one leaves the others', async () => {
    const c = await spawnServer();
    await listen(c, 'tools', { toolsListChanged: true });
    await listen(c, 'cfg', { resourceSubscriptions: ['file:///config.json'] });
    await listen(c, 3, { toolsListChanged: true, resourceSubscriptions: ['file:///config.json'] });
    await until(() => c.inbox.filter((m) => m.method === 'notifications/subscriptions/acknowledged').length === 3);
    const acks = c.notifications();
    expect(acks).toEqual([
      {
        jsonrpc: '2.0',
        method: 'notifications/subscriptions/acknowledged',
        params: { notifications: { toolsListChanged: true }, _meta: { [SUB_ID]: 'tools' } },
      },
      {
        jsonrpc: '2.0',
        method: 'notifications/subscriptions/acknowledged',
        params: { notifications: { resourceSubscriptions: ['file:///config.json'] }, _meta: { [SUB_ID]: 'cfg' } },
      },
      {
        jsonrpc: '2.0',
        method: 'notifications/subscriptions/acknowledged',
        params: {
          notifications: { toolsListChanged: true, resourceSubscriptions: ['file:///config.json'] },
          _meta: { [SUB_ID]: 3 },
        },
      },
    ]);
    expect((await c.events()).subscriptions).toBe(3);
    await c.call('t1', 'tools/call', { name: 'touch', arguments: { uri: 'file:///config.json' } });
    await c.call('a1', 'tools/call', { name: 'addTool', arguments: { name: 'fresh' } });
    await until(() => c.inbox.filter((m) => m.method !== undefined).length === 4);
    const got = c.notifications();
    const bySub = (id: string | number) => got.filter((n) => n.params._meta[SUB_ID] === id).map((n) => n.method);
    expect(bySub('tools')).toEqual(['notifications/tools/list_changed']);
    expect(bySub('cfg')).toEqual(['notifications/resources/updated']);
    expect(bySub(3)).toEqual(['notifications/resources/updated', 'notifications/tools/list_changed']);
    expect(got.find((n) => n.method === 'notifications/resources/updated')?.params.uri).toBe('file:///config.json');

    await c.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'cfg' } });
    let ev = await c.events();
    for (let i = 0; ev.subscriptions !== 2 && i < 200; i++) ev = await c.events();
    expect(ev.subscriptions).toBe(2);
    await c.call('t2', 'tools/call', { name: 'touch', arguments: { uri: 'file:///config.json' } });
    await until(() => c.inbox.filter((m) => m.method !== undefined).length === 1);
    expect(c.notifications()).toEqual([
      {
        jsonrpc: '2.0',
        method: 'notifications/resources/updated',
        params: { uri: 'file:///config.json', _meta: { [SUB_ID]: 3 } },
      },
    ]);
    expect(c.inbox.filter((m) => m.id === 'cfg')).toEqual([]);
  });

  it('a listen is not failed by requestTimeoutMs', async () => {
    const c = await spawnServer(['--timeout', '80']);
    await listen(c, 'L', { toolsListChanged: true });
    await until(() => c.inbox.some((m) => m.method === 'notifications/subscriptions/acknowledged'));
    c.notifications();
    await c.send(request2026('slow', 'tools/call', { name: 'wait', arguments: { key: 'never' } }));
    expect((await c.answer('slow')).error.code).toBe(-32001);
    await c.call('add', 'tools/call', { name: 'addTool', arguments: { name: 'late' } });
    await until(() => c.inbox.some((m) => m.method === 'notifications/tools/list_changed'));
    expect(c.notifications()).toEqual([
      { jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: { _meta: { [SUB_ID]: 'L' } } },
    ]);
    expect(c.inbox.filter((m) => m.id === 'L')).toEqual([]);
  });

  it('graceful shutdown (SIGTERM) answers every open listen with a completion result, then the process exits', async () => {
    const c = await spawnServer();
    let closed = false;
    c.t.onclose = () => {
      closed = true;
    };
    await listen(c, 'x', { toolsListChanged: true });
    await listen(c, 9, { resourceSubscriptions: ['file:///config.json'] });
    await until(() => c.inbox.filter((m) => m.method === 'notifications/subscriptions/acknowledged').length === 2);
    c.notifications();
    expect((await c.events()).subscriptions).toBe(2);
    process.kill(c.t.pid as number, 'SIGTERM');
    await until(() => closed, 10_000, 'the server process to exit');
    expect(c.inbox).toEqual([
      { jsonrpc: '2.0', id: 'x', result: { resultType: 'complete', _meta: { [SUB_ID]: 'x', ...META } } },
      { jsonrpc: '2.0', id: 9, result: { resultType: 'complete', _meta: { [SUB_ID]: 9, ...META } } },
    ]);
  });
});
