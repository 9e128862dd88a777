// Resource updates across the copies of a server, with real `erlmcp serve` processes: between
// the workers of one process (the mesh), and across the nodes of a cluster (Redis pub/sub):
// every subscriptions/listen stream naming the resource hears each update exactly once,
// whichever worker of whichever node it sits on and whichever one told it.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { McpClient } from '../../src/mcp/client.js';
import { StreamableHttpClientTransport } from '../../src/transports/http-client.js';
import { freshFetch } from '../workers/fresh-fetch.js';
import { killPools, type ServedPool, servePool } from '../workers/serve-pool.js';
import { killRedis, type PrivateRedis, startRedis } from './redis-server.js';

const URI = 'mem://shared-thing';
const clients: McpClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => {});
  killPools();
});

/** A 2026 client of `node` whose every request (each listen too) opens a fresh connection. */
async function client(node: ServedPool): Promise<McpClient> {
  const c = new McpClient({ name: 'events', version: '1' }, { versionNegotiation: { pin: '2026-07-28' } });
  await c.connect(new StreamableHttpClientTransport(new URL(node.url), { fetch: freshFetch }));
  clients.push(c);
  return c;
}

/** `count` listen streams on `node` (spread over its workers by the kernel); the updates each heard. */
async function listeners(node: ServedPool, count: number): Promise<string[][]> {
  const c = await client(node);
  const heard: string[][] = [];
  for (let i = 0; i < count; i++) {
    const mine: string[] = [];
    heard.push(mine);
    await c.listen({ resourceSubscriptions: [URI] }, { onResourceUpdated: (uri) => mine.push(uri) });
  }
  return heard;
}

/** Tells the update from whichever worker the request lands on; returns which worker told it. */
async function touch(c: McpClient): Promise<string> {
  const r = await c.callTool({ name: 'touch_resource', arguments: { uri: URI } });
  return (r.content as { text: string }[])[0]?.text ?? '';
}

async function heardAll(heard: string[][], n: number): Promise<void> {
  const until = Date.now() + 10_000;
  while (!heard.every((h) => h.length >= n) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  // Time for a duplicate to show up, if there were one.
  await new Promise((r) => setTimeout(r, 100));
  expect(heard).toEqual(heard.map(() => Array(n).fill(URI)));
}

describe('resource updates between workers and nodes', { timeout: 60_000 }, () => {
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => killRedis());

  it('one process, 2 workers: an update told on either worker reaches every listen stream once', async () => {
    const node = await servePool(2);
    const heard = await listeners(node, 6);
    const toucher = await client(node);
    const from = new Set<string>();
    for (let i = 0; i < 8; i++) from.add(await touch(toucher));
    await heardAll(heard, 8);
    // Both workers told updates (the kernel spreads the fresh connections).
    expect([...from].map((t) => t.replace(/^touched \S+ on /, '')).sort()).toEqual(['0', '1']);
  });

  it('a cluster of two nodes (1 and 2 workers): an update told on any worker of any node reaches every listener once', async () => {
    const env = { ERLMCP_CLUSTER_KEY_PREFIX: 'events' };
    const a = await servePool(1, ['--cluster', redis.url, '--node-id', 'a'], env);
    const b = await servePool(2, ['--cluster', redis.url, '--node-id', 'b'], env);
    const heard = [...(await listeners(a, 2)), ...(await listeners(b, 6))];
    const onA = await client(a);
    const onB = await client(b);
    await touch(onA);
    await heardAll(heard, 1);
    for (let i = 0; i < 6; i++) await touch(onB);
    await heardAll(heard, 7);
  });
});
