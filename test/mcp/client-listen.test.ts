import { afterEach, describe, expect, it } from 'vitest';
import { hasErrorCode } from '../../src/core/errors.js';
import type { SubscriptionEnd } from '../../src/mcp/client/subscription.js';
import { McpClient } from '../../src/mcp/client.js';
import { McpError } from '../../src/mcp/jsonrpc.js';
import { type FakeServer, fakeServer, METHOD_NOT_FOUND, metaOf, modern } from './fake-server.js';

const SUB = 'io.modelcontextprotocol/subscriptionId';
const clients: McpClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
});

/** A modern server that acknowledges listens with what they asked minus prompts, and answers tools/list. */
async function connected(): Promise<{ client: McpClient; fake: FakeServer }> {
  const fake = await fakeServer(
    modern((req) => {
      if (req.method === 'subscriptions/listen') {
        const { promptsListChanged: _dropped, ...honoured } = (req.params?.notifications ?? {}) as Record<
          string,
          unknown
        >;
        fake.send({
          jsonrpc: '2.0',
          method: 'notifications/subscriptions/acknowledged',
          params: { _meta: { [SUB]: req.id }, notifications: honoured },
        });
        return undefined; // the stream stays open
      }
      if (req.method === 'tools/list') return { result: { tools: [], ttlMs: 60_000, cacheScope: 'public' } };
      return METHOD_NOT_FOUND;
    }),
  );
  const client = new McpClient({ name: 'listen', version: '1' }, { versionNegotiation: 'auto' });
  clients.push(client);
  await client.connect(fake.clientEnd);
  return { client, fake };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('McpClient.listen (subscriptions/listen)', () => {
  it('resolves once acknowledged, with the filter the server honours', async () => {
    const { client, fake } = await connected();
    const sub = await client.listen({ toolsListChanged: true, promptsListChanged: true });
    expect(sub.filter).toEqual({ toolsListChanged: true });
    expect(sub.requested).toEqual({ toolsListChanged: true, promptsListChanged: true });
    const req = fake.of('subscriptions/listen')[0];
    expect(req?.id).toBe(sub.id);
    expect(req?.params?.notifications).toEqual({ toolsListChanged: true, promptsListChanged: true });
    expect(metaOf(req)['io.modelcontextprotocol/protocolVersion']).toBe('2026-07-28');
  });

  it('demultiplexes notifications by subscriptionId across concurrent listens', async () => {
    const { client, fake } = await connected();
    const seen: string[] = [];
    const global: unknown[] = [];
    client.onNotification('notifications/resources/updated', (p) => global.push(p.uri));
    const a = await client.listen({ toolsListChanged: true }, { onToolsListChanged: () => seen.push('a:tools') });
    const b = await client.listen(
      { resourceSubscriptions: ['a://1'] },
      { onResourceUpdated: (uri) => seen.push(`b:${uri}`), onNotification: (m) => seen.push(`b:any:${m}`) },
    );
    fake.send({
      jsonrpc: '2.0',
      method: 'notifications/resources/updated',
      params: { _meta: { [SUB]: b.id }, uri: 'a://1' },
    });
    fake.send({ jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: { _meta: { [SUB]: a.id } } });
    await tick();
    expect(seen).toEqual(['b:a://1', 'b:any:notifications/resources/updated', 'a:tools']);
    expect(global).toEqual(['a://1']);
  });

  it('its list_changed invalidates the cache', async () => {
    const { client, fake } = await connected();
    const sub = await client.listen({ toolsListChanged: true });
    await client.listTools();
    await client.listTools();
    fake.send({ jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: { _meta: { [SUB]: sub.id } } });
    await tick();
    await client.listTools();
    expect(fake.of('tools/list')).toHaveLength(2);
  });

  it('close() cancels with notifications/cancelled on a shared channel and ends as closed', async () => {
    const { client, fake } = await connected();
    const ends: SubscriptionEnd[] = [];
    const sub = await client.listen({ toolsListChanged: true }, { onClose: (e) => ends.push(e) });
    await sub.close();
    expect(await sub.closed).toEqual({ reason: 'closed' });
    expect(sub.active).toBe(false);
    expect(await fake.nextNotification('notifications/cancelled')).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: sub.id, reason: 'closed by the client' },
    });
    // Late notifications of a closed subscription go nowhere.
    const late: unknown[] = [];
    client.onNotification('notifications/tools/list_changed', (p) => late.push(p));
    fake.send({ jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: { _meta: { [SUB]: sub.id } } });
    await tick();
    expect(late).toEqual([]);
    await sub.close();
    expect(ends).toEqual([{ reason: 'closed' }]);
  });

  it('reports the server ending it: a graceful result, a cancellation, an error', async () => {
    const { client, fake } = await connected();
    const a = await client.listen({ toolsListChanged: true });
    const b = await client.listen({ toolsListChanged: true });
    const c = await client.listen({ toolsListChanged: true });
    fake.send({ jsonrpc: '2.0', id: a.id, result: { resultType: 'complete', _meta: { [SUB]: a.id } } });
    fake.send({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: b.id, reason: 'shutting down' },
    });
    fake.send({ jsonrpc: '2.0', id: c.id, error: { code: -32603, message: 'boom' } });
    expect(await a.closed).toEqual({ reason: 'completed' });
    expect(await b.closed).toEqual({ reason: 'cancelled', error: new Error('shutting down') });
    const end = await c.closed;
    expect(end.reason).toBe('error');
    expect(end.error).toEqual(new McpError(-32603, 'boom'));
    // None of these were anyone else's business: no error reported.
    expect(client.pendingRequests).toBe(0);
  });

  it('an unexpected end of the connection ends every subscription as ended', async () => {
    const { client, fake } = await connected();
    const a = await client.listen({ toolsListChanged: true });
    await fake.clientEnd.peer?.close();
    const end = await a.closed;
    expect(end.reason).toBe('ended');
    expect((end.error as McpError).code).toBe(-32000);
    void client;
  });

  it('an error before the acknowledgement rejects listen(); so does the ack timeout', async () => {
    const fake = await fakeServer(
      modern((req) =>
        (req.params?.notifications as { taskIds?: string[] })?.taskIds
          ? { error: { code: -32021, message: 'Missing required client capability' } }
          : undefined,
      ),
    );
    const client = new McpClient({ name: 'l', version: '1' }, { versionNegotiation: 'auto' });
    clients.push(client);
    await client.connect(fake.clientEnd);
    const err = await client.listen({ taskIds: ['t1'] }).catch((e) => e);
    expect(err).toEqual(new McpError(-32021, 'Missing required client capability'));
    const timeout = await client.listen({ toolsListChanged: true }, {}, { timeoutMs: 20 }).catch((e) => e);
    expect(timeout.code).toBe(-32001);
    const cancels = fake.notifications.filter((n) => n.method === 'notifications/cancelled');
    expect(cancels.map((n) => n.params?.reason)).toEqual(['timeout']);
  });

  it('an AbortSignal closes it, before or after the acknowledgement', async () => {
    const { client } = await connected();
    const ac = new AbortController();
    const sub = await client.listen({ toolsListChanged: true }, {}, { signal: ac.signal });
    ac.abort(new Error('done listening'));
    expect(await sub.closed).toEqual({ reason: 'closed' });
    const pre = new AbortController();
    pre.abort(new Error('never mind'));
    expect((await client.listen({ toolsListChanged: true }, {}, { signal: pre.signal }).catch((e) => e)).message).toBe(
      'never mind',
    );
  });

  it('rejects a malformed filter with ERR_INVALID_ARG', async () => {
    const { client } = await connected();
    for (const f of [null, [], { toolsListChanged: 'yes' }, { resourceSubscriptions: 'a://1' }]) {
      expect(hasErrorCode(await client.listen(f as never).catch((e) => e), 'ERR_INVALID_ARG')).toBe(true);
    }
  });
});
