import { afterEach, describe, expect, it } from 'vitest';
import { Gate } from '../../src/mcp/gate.js';
import { McpServer } from '../../src/mcp/server.js';
import { ShardSet } from '../../src/shards/shard-set.js';
import { rawClient } from './harness.js';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

async function shardedServer(shards = 8) {
  const gate = new Gate({ shards, bucket: { capacity: 100_000, refillPerSec: 100_000 } });
  const set = new ShardSet({ registry: gate.registry, router: gate.router, releaseOnDelivery: false });
  await set.start();
  const server = new McpServer({ name: 'sharded', version: '1' }, { gate, shards: set });
  server.registerTool('echo', {}, (a: { m?: string }) => ({ content: [{ type: 'text', text: a.m ?? '' }] }));
  stops.push(async () => {
    await server.close();
    await set.stop();
  });
  return { gate, set, server };
}

describe('McpServer with shard managers', () => {
  it('refuses shards built over another registry', () => {
    const other = new Gate();
    const set = new ShardSet({ registry: other.registry, router: other.router });
    expect(() => new McpServer({ name: 'x', version: '1' }, { shards: set })).toThrow(/shards must be built over/);
  });

  it('answers every request exactly once while random shard managers crash', async () => {
    const { gate, set, server } = await shardedServer(8);
    const clients = await Promise.all(Array.from({ length: 24 }, () => rawClient(server)));
    await Promise.all(clients.map((c) => c.initialize()));
    let crashes = 0;
    for (let round = 0; round < 10; round++) {
      clients.forEach((c, s) => {
        for (let i = 0; i < 10; i++) {
          const id = round * 10 + i;
          c.send({
            jsonrpc: '2.0',
            id,
            method: 'tools/call',
            params: { name: 'echo', arguments: { m: `s${s}-${id}` } },
          });
        }
      });
      const m = set.manager(Math.floor(Math.random() * set.shards));
      if (m?.running) {
        m.crashNext();
        crashes++;
      }
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(
      clients.map(async (c, s) => {
        for (let id = 0; id < 100; id++) {
          const r = await c.response(id);
          expect(r.result.content[0].text).toBe(`s${s}-${id}`);
        }
      }),
    );
    await set.supervisor.idle();
    for (const c of clients) expect(c.inbox).toEqual([]);
    // A crash is injected into the manager's routing: it fires at that shard's next frame.
    const restarts = set.stats().reduce((a, s) => a + s.restarts, 0);
    expect(restarts).toBeGreaterThan(2);
    expect(restarts).toBeLessThanOrEqual(crashes);
    expect(gate.admission.stats().globalDepth).toBe(0);
  });

  it('a request cancelled while queued is never run, never answered, and released', async () => {
    const { gate, server } = await shardedServer(2);
    let ran = 0;
    server.registerTool('count', {}, () => {
      ran++;
      return { content: [] };
    });
    const c = await rawClient(server);
    await c.initialize();
    c.send({ jsonrpc: '2.0', id: 'q', method: 'tools/call', params: { name: 'count' } });
    c.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'q' } });
    expect(await c.request('p', 'ping')).toEqual({ jsonrpc: '2.0', id: 'p', result: {} });
    await c.settle();
    expect(ran).toBe(0);
    expect(c.inbox).toEqual([]);
    expect(gate.admission.stats().globalDepth).toBe(0);
  });

  it('requests queued for a session that closes are released, not run', async () => {
    const { gate, server } = await shardedServer(2);
    let ran = 0;
    server.registerTool('count', {}, () => {
      ran++;
      return { content: [] };
    });
    const c = await rawClient(server);
    await c.initialize();
    for (let i = 0; i < 20; i++) c.send({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'count' } });
    void c.transport.close();
    await c.settle();
    await c.settle();
    expect(gate.admission.stats().globalDepth).toBe(0);
    expect(ran).toBeLessThan(20);
  });
});
