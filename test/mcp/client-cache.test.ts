import { afterEach, describe, expect, it, vi } from 'vitest';
import { cacheKeyOf, ResponseCache, ttlOf } from '../../src/mcp/client/cache.js';
import { McpClient, type McpClientOptions } from '../../src/mcp/client.js';
import type { JsonRpcRequest } from '../../src/mcp/jsonrpc.js';
import { type Answer, type FakeServer, fakeServer, METHOD_NOT_FOUND, modern } from './fake-server.js';

describe('ResponseCache', () => {
  let now = 1_000;
  const clock = () => now;
  const page = (ttlMs: unknown, n = 1) => ({ tools: [{ name: `t${n}` }], ttlMs, cacheScope: 'public' });

  it('keeps an answer fresh for exactly its ttlMs', () => {
    const c = new ResponseCache(10, clock);
    c.set('tools/list', '', page(500), c.generation('tools/list'));
    now += 499;
    expect(c.get('tools/list', '')).toEqual(page(500));
    now += 1;
    expect(c.get('tools/list', '')).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it('does not store answers with ttlMs 0, negative, missing or not a number', () => {
    const c = new ResponseCache(10, clock);
    for (const ttl of [0, -5, undefined, '100', Number.NaN]) c.set('tools/list', String(ttl), page(ttl), 0);
    expect(c.size).toBe(0);
    expect([0, -5, undefined, 1.5].map((t) => ttlOf({ ttlMs: t }))).toEqual([0, 0, 0, 1.5]);
  });

  it('keys by method and the params that matter (cursor, uri)', () => {
    expect(cacheKeyOf('tools/list', { cursor: 'p2', _meta: { x: 1 } })).toBe('p2');
    expect(cacheKeyOf('tools/list', undefined)).toBe('');
    expect(cacheKeyOf('resources/read', { uri: 'a://b' })).toBe('a://b');
    const c = new ResponseCache(10, clock);
    c.set('tools/list', '', page(1_000, 1), 0);
    c.set('tools/list', 'p2', page(1_000, 2), 0);
    expect(c.get('tools/list', 'p2')).toEqual(page(1_000, 2));
    expect(c.get('prompts/list', '')).toBeUndefined();
  });

  it('hands out copies: a caller mutating an answer does not change the cache', () => {
    const c = new ResponseCache(10, clock);
    const r = page(1_000);
    c.set('tools/list', '', r, 0);
    r.tools.push({ name: 'mutated' });
    const hit = c.get('tools/list', '') as { tools: unknown[] };
    hit.tools.length = 0;
    expect(c.get('tools/list', '')).toEqual(page(1_000));
  });

  it('holds at most maxEntries, dropping the least recently used', () => {
    const c = new ResponseCache(2, clock);
    c.set('resources/read', 'a', { ttlMs: 1_000 }, 0);
    c.set('resources/read', 'b', { ttlMs: 1_000 }, 0);
    c.get('resources/read', 'a');
    c.set('resources/read', 'c', { ttlMs: 1_000 }, 0);
    expect(['a', 'b', 'c'].map((k) => c.get('resources/read', k) !== undefined)).toEqual([true, false, true]);
  });

  it('notifications invalidate: list changes per method, resources/updated per URI', () => {
    const c = new ResponseCache(10, clock);
    for (const m of ['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list'])
      c.set(m, '', { ttlMs: 1_000 }, 0);
    c.set('resources/read', 'a://1', { ttlMs: 1_000 }, 0);
    c.set('resources/read', 'a://2', { ttlMs: 1_000 }, 0);
    c.onNotification('notifications/tools/list_changed', {});
    expect(c.get('tools/list', '')).toBeUndefined();
    expect(c.get('prompts/list', '')).toBeDefined();
    c.onNotification('notifications/resources/list_changed', {});
    expect(c.get('resources/list', '')).toBeUndefined();
    expect(c.get('resources/templates/list', '')).toBeUndefined();
    c.onNotification('notifications/resources/updated', { uri: 'a://1' });
    expect(c.get('resources/read', 'a://1')).toBeUndefined();
    expect(c.get('resources/read', 'a://2')).toBeDefined();
  });

  it('an answer fetched across an invalidation is not stored (it may predate the change)', () => {
    const c = new ResponseCache(10, clock);
    const before = c.generation('tools/list');
    c.onNotification('notifications/tools/list_changed', {});
    c.set('tools/list', '', page(1_000), before);
    expect(c.get('tools/list', '')).toBeUndefined();
  });
});

describe('McpClient caching', () => {
  const clients: McpClient[] = [];
  afterEach(async () => {
    vi.useRealTimers();
    for (const c of clients.splice(0)) await c.close();
  });

  async function connected(
    rest: (req: JsonRpcRequest) => Answer,
    options: McpClientOptions = {},
  ): Promise<{ client: McpClient; fake: FakeServer }> {
    const fake = await fakeServer(modern(rest));
    const client = new McpClient({ name: 'cache', version: '1' }, { versionNegotiation: 'auto', ...options });
    clients.push(client);
    await client.connect(fake.clientEnd);
    return { client, fake };
  }

  let served = 0;
  const lists = (req: JsonRpcRequest): Answer => {
    served++;
    if (req.method === 'tools/list')
      return {
        result: {
          tools: [{ name: `v${served}`, inputSchema: { type: 'object' } }],
          ttlMs: 60_000,
          cacheScope: 'public',
        },
      };
    if (req.method === 'resources/read') {
      return {
        result: { contents: [{ uri: req.params?.uri, text: `v${served}` }], ttlMs: 60_000, cacheScope: 'private' },
      };
    }
    if (req.method === 'prompts/list') return { result: { prompts: [], ttlMs: 0, cacheScope: 'public' } };
    return METHOD_NOT_FOUND;
  };

  it('serves fresh answers from the cache until ttlMs passes', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { client, fake } = await connected(lists);
    const first = await client.listTools();
    expect(await client.listTools()).toEqual(first);
    expect(fake.of('tools/list')).toHaveLength(1);
    vi.setSystemTime(Date.now() + 60_000);
    const third = await client.listTools();
    expect(third.tools[0]?.name).not.toBe(first.tools[0]?.name);
    expect(fake.of('tools/list')).toHaveLength(2);
    // ttlMs 0: never cached.
    await client.listPrompts();
    await client.listPrompts();
    expect(fake.of('prompts/list')).toHaveLength(2);
  });

  it('a change notification (listen stream or session) invalidates at once', async () => {
    const { client, fake } = await connected(lists);
    await client.readResource({ uri: 'a://x' });
    await client.readResource({ uri: 'a://x' });
    expect(fake.of('resources/read')).toHaveLength(1);
    fake.send({ jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: 'a://x' } });
    await new Promise((r) => setImmediate(r));
    await client.readResource({ uri: 'a://x' });
    expect(fake.of('resources/read')).toHaveLength(2);
  });

  it("per call: 'bypass' neither reads nor writes, 'refresh' fetches and stores", async () => {
    const { client, fake } = await connected(lists);
    const a = await client.readResource({ uri: 'a://x' });
    const b = await client.readResource({ uri: 'a://x' }, { cache: 'bypass' });
    expect(b).not.toEqual(a);
    expect(await client.readResource({ uri: 'a://x' })).toEqual(a);
    const c = await client.readResource({ uri: 'a://x' }, { cache: 'refresh' });
    expect(await client.readResource({ uri: 'a://x' })).toEqual(c);
    expect(fake.of('resources/read')).toHaveLength(3);
  });

  it('cache: false turns it off', async () => {
    const { client, fake } = await connected(lists, { cache: false });
    await client.listTools();
    await client.listTools();
    expect(fake.of('tools/list')).toHaveLength(2);
  });
});
