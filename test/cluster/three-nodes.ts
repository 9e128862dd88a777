/**
 * The cluster most cluster tests run: real `erlmcp serve --cluster` processes a (1 worker),
 * b (2 workers) and c (1 worker) on one private Redis, under a key prefix of their own, started
 * and waited for until every node lists all three. killPools() (afterEach) stops them.
 */
import { type ServedPool, servePool } from '../workers/serve-pool.js';
import type { PrivateRedis } from './redis-server.js';

/** What `node`'s /health says of the cluster: the node ids it lists, and Redis' state. */
export async function clusterHealth(node: ServedPool): Promise<{ ids: string[]; redis: string | undefined }> {
  const h = (await (await fetch(new URL('/health', node.url))).json()) as {
    cluster?: { nodes: { id: string }[]; redis: string };
  };
  return { ids: (h.cluster?.nodes ?? []).map((n) => n.id), redis: h.cluster?.redis };
}

/** The node ids `node`'s /health lists. */
export async function listed(node: ServedPool): Promise<string[]> {
  return (await clusterHealth(node)).ids;
}

/** Starts a, b and c (see the module comment); `prefix` starts their key prefix. */
export async function threeNodes(redis: PrivateRedis, prefix: string): Promise<ServedPool[]> {
  const env = { ERLMCP_CLUSTER_KEY_PREFIX: `${prefix}${Date.now()}` };
  const join = (id: string, workers: number) => servePool(workers, ['--cluster', redis.url, '--node-id', id], env);
  const nodes = [await join('a', 1), await join('b', 2), await join('c', 1)];
  // Every node must know the others' advertise URLs before a request is proxied.
  const until = Date.now() + 15_000;
  for (;;) {
    const views = await Promise.all(nodes.map(listed));
    if (views.every((v) => v.length === 3)) return nodes;
    if (Date.now() > until) throw new Error('the nodes did not all see each other');
    await new Promise((r) => setTimeout(r, 50));
  }
}
