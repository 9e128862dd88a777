/**
 * subscriptions/listen (2026-07-28) over a MemoryTransport connection: the acknowledgement first
 * with the honoured subset, every notification tagged with the listen's JSON-RPC id, filters
 * honoured (nothing unrequested leaks), several listens on one connection, the ways a listen
 * ends, its exemption from the request deadline, and the maxSubscriptions limit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { McpServer, type McpServerOptions } from '../../src/mcp/server.js';
import type { ServerContext } from '../../src/mcp/server-context.js';
import { bounded, type EraClient, eraClient, request2026, SERVER_INFO, SUB_ID, until } from './era.js';
import type { Wire } from './harness.js';

const INFO = { name: 'subs', version: '1.2.3' };
const TASKS = 'io.modelcontextprotocol/tasks';

const servers: McpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function newServer(
  options: McpServerOptions = {},
  kinds: ('tools' | 'resources' | 'prompts')[] = ['tools', 'resources'],
): McpServer {
  const s = new McpServer(INFO, options);
  if (kinds.includes('tools')) {
    s.registerTool(
      'hang',
      {},
      (_a, ctx: ServerContext) =>
        new Promise((_r, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
    );
  }
  if (kinds.includes('resources')) {
    s.registerResource('config', 'file:///config.json', {}, (uri) => ({ contents: [{ uri, text: '{}' }] }));
    s.registerResource('other', 'file:///other.json', {}, (uri) => ({ contents: [{ uri, text: '{}' }] }));
  }
  if (kinds.includes('prompts')) s.registerPrompt('p', {}, () => ({ messages: [] }));
  servers.push(s);
  return s;
}

function listen(c: EraClient, id: string | number, notifications: unknown): void {
  c.send(request2026(id, 'subscriptions/listen', { notifications }));
}

const ack = (id: string | number, notifications: Record<string, unknown>): Wire => ({
  jsonrpc: '2.0',
  method: 'notifications/subscriptions/acknowledged',
  params: { notifications, _meta: { [SUB_ID]: id } },
});

const tagged = (method: string, id: string | number, params: Record<string, unknown> = {}): Wire => ({
  jsonrpc: '2.0',
  method,
  params: { ...params, _meta: { [SUB_ID]: id } },
});

const completion = (id: string | number): Wire => ({
  jsonrpc: '2.0',
  id,
  result: { resultType: 'complete', _meta: { [SUB_ID]: id, [SERVER_INFO]: INFO } },
});

describe('subscriptions/listen', () => {
  it('acknowledges first with the honoured subset, then sends only what was asked, tagged with the listen id', async () => {
    const s = newServer({}, ['tools']);
    const c = await eraClient(s);
    listen(c, 'L1', {
      toolsListChanged: true,
      promptsListChanged: true,
      resourcesListChanged: true,
      resourceSubscriptions: ['file:///x'],
    });
    expect(await c.next()).toEqual(ack('L1', { toolsListChanged: true }));
    await until(() => s.subscriptions === 1);
    s.registerTool('new', {}, () => ({ content: [] }));
    expect(await c.next()).toEqual(tagged('notifications/tools/list_changed', 'L1'));
    // Prompts appearing later were not honoured at listen time: nothing is sent for them.
    s.registerPrompt('late', {}, () => ({ messages: [] }));
    s.notifyResourceUpdated('file:///x');
    await c.settle();
    expect(c.inbox).toEqual([]);
    expect(s.subscriptions).toBe(1);
  });

  it('registrations in one tick give one list_changed per listen', async () => {
    const s = newServer();
    const c = await eraClient(s);
    listen(c, 7, { toolsListChanged: true });
    expect(await c.next()).toEqual(ack(7, { toolsListChanged: true }));
    s.registerTool('a', {}, () => ({ content: [] }));
    s.registerTool('b', {}, () => ({ content: [] }));
    s.registerTool('c', {}, () => ({ content: [] })).disable();
    await c.settle();
    expect(c.takeNotifications()).toEqual([tagged('notifications/tools/list_changed', 7)]);
  });

  it('resourceSubscriptions: updates of the named URIs only, each tagged; duplicates are acknowledged once', async () => {
    const s = newServer();
    const c = await eraClient(s);
    listen(c, 'r', { resourceSubscriptions: ['file:///config.json', 'file:///config.json', 'file:///missing'] });
    expect(await c.next()).toEqual(ack('r', { resourceSubscriptions: ['file:///config.json', 'file:///missing'] }));
    s.notifyResourceUpdated('file:///other.json');
    s.notifyResourceUpdated('file:///config.json');
    expect(await c.next()).toEqual(tagged('notifications/resources/updated', 'r', { uri: 'file:///config.json' }));
    await c.settle();
    expect(c.inbox).toEqual([]);
  });

  it('several listens on one connection are demultiplexed by their ids; nothing leaks between them', async () => {
    const s = newServer({}, ['tools', 'resources', 'prompts']);
    const c = await eraClient(s);
    listen(c, 'tools', { toolsListChanged: true });
    listen(c, 'res', { resourceSubscriptions: ['file:///config.json'], resourcesListChanged: true });
    listen(c, 42, { promptsListChanged: true, toolsListChanged: true });
    await until(() => s.subscriptions === 3);
    expect(c.takeNotifications()).toEqual([
      ack('tools', { toolsListChanged: true }),
      ack('res', { resourcesListChanged: true, resourceSubscriptions: ['file:///config.json'] }),
      ack(42, { toolsListChanged: true, promptsListChanged: true }),
    ]);
    s.registerTool('t2', {}, () => ({ content: [] }));
    await c.settle();
    expect(c.takeNotifications()).toEqual([
      tagged('notifications/tools/list_changed', 'tools'),
      tagged('notifications/tools/list_changed', 42),
    ]);
    s.notifyResourceUpdated('file:///config.json');
    s.registerResource('more', 'file:///more', {}, (uri) => ({ contents: [{ uri, text: '' }] }));
    s.registerPrompt('p2', {}, () => ({ messages: [] }));
    await c.settle();
    expect(c.takeNotifications()).toEqual([
      tagged('notifications/resources/updated', 'res', { uri: 'file:///config.json' }),
      tagged('notifications/resources/list_changed', 'res'),
      tagged('notifications/prompts/list_changed', 42),
    ]);
  });

  it('listens of one connection never reach another connection, nor a 2026 connection without a listen', async () => {
    const s = newServer();
    const a = await eraClient(s);
    const b = await eraClient(s);
    listen(a, 1, { toolsListChanged: true, resourceSubscriptions: ['file:///config.json'] });
    expect((await a.next()).method).toBe('notifications/subscriptions/acknowledged');
    await b.call(1, 'tools/list'); // b is a 2026 client too, but asked for nothing
    s.registerTool('x', {}, () => ({ content: [] }));
    s.notifyResourceUpdated('file:///config.json');
    await a.settle();
    // (list_changed is coalesced to the end of the tick, so it comes second.)
    expect(a.takeNotifications().map((n) => n.method)).toEqual([
      'notifications/resources/updated',
      'notifications/tools/list_changed',
    ]);
    expect(b.inbox).toEqual([]);
  });

  it('a filter asking for nothing honourable is acknowledged empty and answered at once', async () => {
    const s = newServer({}, ['tools']);
    const c = await eraClient(s);
    listen(c, 'e', { promptsListChanged: true });
    expect(await c.next()).toEqual(ack('e', {}));
    expect(await c.next()).toEqual(completion('e'));
    listen(c, 'none', {});
    expect(await c.next()).toEqual(ack('none', {}));
    expect(await c.next()).toEqual(completion('none'));
    listen(c, 'absent', undefined);
    expect(await c.next()).toEqual(ack('absent', {}));
    expect(await c.next()).toEqual(completion('absent'));
    expect(s.subscriptions).toBe(0);
  });

  it.each([
    ['notifications not an object', 'all', 'notifications must be an object'],
    ['notifications an array', [], 'notifications must be an object'],
    ['a flag that is not a boolean', { toolsListChanged: 'yes' }, 'notifications.toolsListChanged must be a boolean'],
    [
      'URIs that are not strings',
      { resourceSubscriptions: ['a', 1] },
      'notifications.resourceSubscriptions must be an array of strings',
    ],
    ['URIs not an array', { resourceSubscriptions: 'file:///x' }, 'must be an array of strings'],
    [
      'more URIs than maxEntries',
      { resourceSubscriptions: ['a', 'b', 'c'] },
      'lists 3 entries, more than the 2 allowed',
    ],
  ])('a malformed filter (%s) is -32602 and opens nothing', async (_what, notifications, detail) => {
    const s = newServer({ subscriptions: { maxEntries: 2 } });
    const c = await eraClient(s);
    listen(c, 9, notifications);
    const r = await c.response(9);
    expect(r.error.code).toBe(-32602);
    expect(r.error.message).toContain(detail);
    expect(c.takeNotifications()).toEqual([]);
    expect(s.subscriptions).toBe(0);
  });

  it('taskIds need the tasks extension in the clientCapabilities: -32021', async () => {
    const s = newServer();
    const c = await eraClient(s);
    c.send(request2026('t', 'subscriptions/listen', { notifications: { taskIds: ['task-1'] } }));
    expect(await c.response('t')).toEqual({
      jsonrpc: '2.0',
      id: 't',
      error: {
        code: -32021,
        message: `Missing required client capability: task notifications need the ${TASKS} extension`,
        data: { requiredCapabilities: { extensions: { [TASKS]: {} } } },
      },
    });
    expect(c.takeNotifications()).toEqual([]);
  });

  it('notifications/cancelled from the client ends the listen: no answer, nothing more sent, slot freed', async () => {
    const s = newServer();
    const c = await eraClient(s);
    listen(c, 'L', { toolsListChanged: true });
    await c.next();
    await until(() => s.subscriptions === 1);
    expect(s.inFlight).toBe(1);
    expect(s.gate.admission.globalDepth).toBe(0); // acknowledged: it holds a stream, not an admission slot
    c.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'L', reason: 'done' } });
    await until(() => s.subscriptions === 0);
    expect(s.inFlight).toBe(0);
    s.registerTool('after', {}, () => ({ content: [] }));
    await c.settle();
    expect(c.inbox).toEqual([]);
  });

  // A cancellation that arrives while the listen is still sending its acknowledgement (both
  // read in one chunk, as on stdio) must free it as well: a listen that is gone but still
  // counted holds a place of maxSubscriptions until the server stops.
  it('a listen cancelled before its acknowledgement went out is freed too', async () => {
    const s = newServer({ subscriptions: { maxSubscriptions: 1 } });
    const c = await eraClient(s);
    listen(c, 'gone', { resourceSubscriptions: ['file:///config.json'] });
    c.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'gone' } });
    await c.settle();
    expect(s.inFlight).toBe(0);
    await until(() => s.subscriptions === 0, 2_000, 'the cancelled listen to be freed').catch(() => {});
    expect(s.subscriptions).toBe(0);
    // Its place can be taken again.
    listen(c, 'next', { toolsListChanged: true });
    await c.settle();
    expect(c.inbox.filter((m) => m.id === 'next')).toEqual([]);
    expect(c.takeNotifications().map((n) => n.params._meta[SUB_ID])).toEqual(['gone', 'next']);
  });

  it('the connection closing frees every listen on it', async () => {
    const s = newServer();
    const c = await eraClient(s);
    listen(c, 1, { toolsListChanged: true });
    listen(c, 2, { resourceSubscriptions: ['file:///config.json'] });
    await until(() => s.subscriptions === 2);
    await c.transport.close();
    await until(() => s.subscriptions === 0);
    expect(s.inFlight).toBe(0);
    expect(s.sessions.size).toBe(0);
  });

  it('graceful shutdown answers every listen with a completion result carrying its subscriptionId', async () => {
    const s = newServer();
    const c = await eraClient(s);
    listen(c, 'a', { toolsListChanged: true });
    listen(c, 3, { resourceSubscriptions: ['file:///config.json'] });
    await until(() => s.subscriptions === 2);
    c.takeNotifications();
    await s.shutdown(2_000);
    expect(c.inbox).toEqual([completion('a'), completion(3)]);
    expect(s.subscriptions).toBe(0);
    expect(s.inFlight).toBe(0);
  });

  it('a listen is not failed by requestTimeoutMs (an ordinary request on the same connection is)', async () => {
    const s = newServer({ requestTimeoutMs: 60 });
    const c = await eraClient(s);
    listen(c, 'long', { toolsListChanged: true });
    expect(await c.next()).toEqual(ack('long', { toolsListChanged: true }));
    // The deadline sweep has certainly run past the deadline once this one is answered.
    const hung = await c.call('hang', 'tools/call', { name: 'hang' });
    expect(hung.error).toEqual({ code: -32001, message: 'Request timed out after 60 ms', data: { timeoutMs: 60 } });
    const second = await c.call('hang2', 'tools/call', { name: 'hang' });
    expect(second.error.code).toBe(-32001);
    expect(s.subscriptions).toBe(1);
    s.registerTool('still', {}, () => ({ content: [] }));
    expect(await c.next()).toEqual(tagged('notifications/tools/list_changed', 'long'));
    expect(c.inbox).toEqual([]);
  });

  it('maxSubscriptions: one more is -32012 with reason max_subscriptions; a freed place can be taken again', async () => {
    const s = newServer({ subscriptions: { maxSubscriptions: 2 } });
    const c = await eraClient(s);
    listen(c, 1, { toolsListChanged: true });
    listen(c, 2, { toolsListChanged: true });
    await until(() => s.subscriptions === 2);
    listen(c, 3, { toolsListChanged: true });
    expect(await c.response(3)).toEqual({
      jsonrpc: '2.0',
      id: 3,
      error: {
        code: -32012,
        message: 'Server overloaded: 2 subscriptions are open',
        data: { reason: 'max_subscriptions', retryAfterMs: 1000 },
      },
    });
    c.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } });
    await until(() => s.subscriptions === 1);
    listen(c, 4, { toolsListChanged: true });
    await until(() => s.subscriptions === 2);
    expect(
      c
        .takeNotifications()
        .filter((n) => n.method === 'notifications/subscriptions/acknowledged')
        .map((n) => n.params._meta[SUB_ID]),
    ).toEqual([1, 2, 4]);
  });

  it('a server that is shutting down refuses new listens (-32014)', async () => {
    const s = newServer();
    const c = await eraClient(s);
    c.send(request2026('busy', 'tools/call', { name: 'hang' })); // keeps shutdown waiting
    await until(() => s.inFlight === 1);
    const done = s.shutdown(2_000);
    listen(c, 'late', { toolsListChanged: true });
    const r = await bounded(c.response('late'), 5_000, 'the refusal');
    expect(r.error).toEqual({
      code: -32014,
      message: 'Session is closing: no new requests are accepted',
      data: { reason: 'session_closing' },
    });
    await c.transport.close(); // lets the shutdown finish now
    await done;
    expect(s.subscriptions).toBe(0);
  });
});
