/**
 * MCP 2026-07-28 over WebSocket (erlmcp's `listen()`, subprotocol `mcp`): a connection is not
 * a session (2026 requests work on one that never initialized, a 2025 request there still
 * needs initialize), the body-only ladder (no per-request headers on a WebSocket), cancellation
 * with notifications/cancelled, and subscriptions/listen on a connection.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Listener, listen } from '../../src/transports/listen.js';
import { bounded, CAPS, LOG_LEVEL, PV, request2026, SERVER_INFO, SUB_ID, until, V2026 } from '../mcp/era.js';
import type { Wire } from '../mcp/harness.js';
import { buildToolset, type Controls, TOOLSET_INFO, text } from './stateless-toolset.js';

const META = { [SERVER_INFO]: TOOLSET_INFO };

interface Conn {
  ws: WebSocket;
  inbox: Wire[];
  send(m: unknown): void;
  answer(id: string | number | null): Promise<Wire>;
  call(
    id: string | number,
    method: string,
    params?: Record<string, unknown>,
    meta?: Record<string, unknown>,
  ): Promise<Wire>;
  notifications(): Wire[];
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(
  options = {},
): Promise<{ listener: Listener; server: ReturnType<typeof buildToolset>['server']; controls: Controls }> {
  const { server, controls } = buildToolset(options);
  const listener = await listen(server, { host: '127.0.0.1', port: 0, websocket: { keepAliveMs: 0 } });
  cleanups.push(async () => {
    await listener.close();
    await server.close();
  });
  return { listener, server, controls };
}

async function connect(l: Listener): Promise<Conn> {
  const ws = new WebSocket(l.url.replace('http:', 'ws:'), 'mcp');
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  cleanups.push(async () => {
    if (ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((r) => {
      ws.once('close', () => r());
      ws.close();
    });
  });
  const inbox: Wire[] = [];
  ws.on('message', (data) => inbox.push(JSON.parse(String(data))));
  const answer = async (id: string | number | null): Promise<Wire> => {
    let found: Wire | undefined;
    await bounded(
      until(() => {
        const i = inbox.findIndex((m) => m.id === id && ('result' in m || 'error' in m));
        if (i < 0) return false;
        found = inbox.splice(i, 1)[0];
        return true;
      }, 10_000),
      11_000,
      `the answer to ${JSON.stringify(id)}`,
    );
    return found;
  };
  const conn: Conn = {
    ws,
    inbox,
    send: (m) => ws.send(typeof m === 'string' ? m : JSON.stringify(m)),
    answer,
    call: (id, method, params = {}, meta = {}) => {
      ws.send(JSON.stringify(request2026(id, method, params, { meta })));
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
  };
  return conn;
}

describe('WebSocket: a connection is not a session', () => {
  it('2026 requests work on a connection that never initialized; a 2025 request still needs initialize', async () => {
    const { listener, server } = await serve();
    const c = await connect(listener);
    expect((await c.call(1, 'server/discover')).result).toMatchObject({
      resultType: 'complete',
      supportedVersions: [V2026],
      _meta: META,
    });
    expect(await c.call(2, 'tools/call', { name: 'echo', arguments: { message: 'ws' } })).toEqual({
      jsonrpc: '2.0',
      id: 2,
      result: { ...text('ws'), resultType: 'complete', _meta: META },
    });
    c.send({ jsonrpc: '2.0', id: 3, method: 'tools/list' });
    expect((await c.answer(3)).error.code).toBe(-32600);
    expect(server.sessions.size).toBe(1);
    c.send({
      jsonrpc: '2.0',
      id: 'i',
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'w', version: '1' } },
    });
    expect((await c.answer('i')).result.protocolVersion).toBe('2025-06-18');
    c.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    c.send({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'whoami', arguments: {} } });
    c.send(request2026(5, 'tools/call', { name: 'whoami' }, { caps: { elicitation: {} } }));
    const who = (r: Wire) => JSON.parse(r.result.content[0].text);
    const legacy = who(await c.answer(4));
    expect(legacy).toMatchObject({ protocolVersion: '2025-06-18', capabilities: {}, stateless: false });
    expect(who(await c.answer(5))).toEqual({
      protocolVersion: V2026,
      capabilities: { elicitation: {} },
      stateless: true,
      sessionId: null,
    });
  });

  it('no per-request headers on a WebSocket: x-mcp-header tools are called without Mcp-Param-*', async () => {
    const { listener } = await serve();
    const c = await connect(listener);
    const r = await c.call(1, 'tools/call', { name: 'sql', arguments: { region: 'us-west1', limit: 3 } });
    expect(JSON.parse(r.result.content[0].text)).toEqual({ region: 'us-west1', limit: 3 });
  });

  it('the body-only ladder answers with each id; an unparseable frame is -32700 and the connection keeps serving', async () => {
    const { listener } = await serve();
    const c = await connect(listener);
    c.send({ jsonrpc: '2.0', id: 'a', method: 'tools/list', params: { _meta: { [CAPS]: {}, [PV]: '1.0' } } });
    c.send({ jsonrpc: '2.0', id: 'b', method: 'tools/list', params: { _meta: { [PV]: V2026 } } });
    c.send(request2026('c', 'tools/list', {}, { meta: { [LOG_LEVEL]: 'x' } }));
    c.send(request2026('d', 'resources/subscribe', { uri: 'mem://readme' }));
    c.send('{"broken');
    expect((await c.answer('a')).error).toEqual({
      code: -32022,
      message: 'Unsupported protocol version: 1.0',
      data: { supported: [V2026], requested: '1.0' },
    });
    expect((await c.answer('b')).error.code).toBe(-32602);
    expect((await c.answer('c')).error.code).toBe(-32602);
    expect((await c.answer('d')).error).toEqual({ code: -32601, message: 'Method not found: resources/subscribe' });
    expect((await c.answer(null)).error.code).toBe(-32700);
    expect((await c.call('e', 'tools/call', { name: 'echo', arguments: { message: 'fine' } })).result.content).toEqual([
      { type: 'text', text: 'fine' },
    ]);
  });

  it('two connections with the same ids, one sending garbage: the good one gets exact answers', async () => {
    const { listener } = await serve();
    const good = await connect(listener);
    const bad = await connect(listener);
    for (let i = 0; i < 30; i++) {
      bad.send('not json');
      bad.send(request2026(i % 3, 'tools/list', {}, { meta: { [PV]: '2099-01-01' } }));
      good.send(request2026(i % 3, 'tools/call', { name: 'echo', arguments: { message: `g${i}` } }));
    }
    const answers: Wire[] = [];
    await until(() => good.inbox.length === 30);
    answers.push(...good.inbox.splice(0));
    expect(answers.map((a) => a.result.content[0].text).sort()).toEqual(
      Array.from({ length: 30 }, (_, i) => `g${i}`).sort(),
    );
    for (const a of answers) expect(a.result.resultType).toBe('complete');
  });
});

describe('WebSocket: cancellation and listen', () => {
  it('notifications/cancelled aborts the handler, no answer is sent, the slot is released', async () => {
    const { listener, server, controls } = await serve();
    const c = await connect(listener);
    c.send(request2026('w', 'tools/call', { name: 'wait', arguments: { key: 'w' } }));
    await until(() => controls.started.includes('w'));
    expect(server.gate.admission.globalDepth).toBe(1);
    c.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'w', reason: 'user' } });
    await until(() => controls.aborted.length === 1);
    expect(controls.aborted).toEqual([{ key: 'w', reason: 'user' }]);
    await until(() => server.inFlight === 0 && server.gate.admission.globalDepth === 0);
    controls.release('w');
    await c.call('next', 'tools/call', { name: 'echo', arguments: { message: 'x' } });
    expect(c.inbox.filter((m) => m.id === 'w')).toEqual([]);
  });

  it('subscriptions/listen: ack, tagged notifications, and the socket closing frees the listen', async () => {
    const { listener, server } = await serve();
    const c = await connect(listener);
    c.send(
      request2026('L', 'subscriptions/listen', {
        notifications: { toolsListChanged: true, resourceSubscriptions: ['mem://readme'] },
      }),
    );
    await until(() => server.subscriptions === 1 && c.inbox.length === 1);
    expect(c.notifications()).toEqual([
      {
        jsonrpc: '2.0',
        method: 'notifications/subscriptions/acknowledged',
        params: {
          notifications: { toolsListChanged: true, resourceSubscriptions: ['mem://readme'] },
          _meta: { [SUB_ID]: 'L' },
        },
      },
    ]);
    server.notifyResourceUpdated('mem://readme');
    server.registerTool('more', {}, () => text('more'));
    await until(() => c.inbox.length === 2);
    expect(c.notifications()).toEqual([
      {
        jsonrpc: '2.0',
        method: 'notifications/resources/updated',
        params: { uri: 'mem://readme', _meta: { [SUB_ID]: 'L' } },
      },
      { jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: { _meta: { [SUB_ID]: 'L' } } },
    ]);
    c.ws.close();
    await until(() => server.subscriptions === 0 && server.sessions.size === 0);
    expect(server.inFlight).toBe(0);
  });
});
