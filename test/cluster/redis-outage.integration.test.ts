// Redis killed and restarted empty under load, with three real `erlmcp serve --cluster` nodes:
// stateless 2026 requests and 2025 sessions served across nodes go on without a single failure
// (neither needs Redis on its path), and once Redis is back the sessions' snapshots are written
// again, so a session whose node is then killed still continues on another node.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killPools, type ServedPool, servePool } from '../workers/serve-pool.js';
import { killRedis, type PrivateRedis, startRedis } from './redis-server.js';
import { clusterHealth } from './three-nodes.js';

afterEach(() => killPools());

const V = '2025-11-25';
const MODERN = '2026-07-28';

async function post(node: ServedPool, headers: Record<string, string>, message: Record<string, unknown>) {
  const res = await fetch(node.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', ...message }),
  });
  const text = await res.text();
  return { status: res.status, sid: res.headers.get('mcp-session-id'), body: text ? JSON.parse(text) : null };
}

const echo = (id: number, message: string, meta?: Record<string, unknown>) => ({
  id,
  method: 'tools/call',
  params: { name: 'echo', arguments: { message }, ...(meta ? { _meta: meta } : {}) },
});

const envelope = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientInfo': { name: 'outage', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

describe('Redis killed and restarted under load', { timeout: 120_000 }, () => {
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => killRedis());

  it('serves every request through the outage, then moves a killed node’s session with the snapshot written again', async () => {
    const env = { ERLMCP_CLUSTER_KEY_PREFIX: `o${Date.now()}` };
    const join = (id: string, workers: number) => servePool(workers, ['--cluster', redis.url, '--node-id', id], env);
    const nodes = [await join('a', 1), await join('b', 2), await join('c', 1)];
    const [a, b, c] = nodes as [ServedPool, ServedPool, ServedPool];
    const views = async () => Promise.all(nodes.map(clusterHealth));
    const until = async (ok: (v: Awaited<ReturnType<typeof views>>) => boolean, what: string) => {
      const end = Date.now() + 20_000;
      for (;;) {
        if (ok(await views())) return;
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await until((v) => v.every((x) => x.ids.length === 3), 'the nodes to see each other');

    // Sessions of each node, to be used through the others.
    const sids: string[] = [];
    for (const n of nodes) {
      const init = await post(
        n,
        { 'mcp-protocol-version': V },
        {
          id: 0,
          method: 'initialize',
          params: { protocolVersion: V, capabilities: {}, clientInfo: { name: 'outage', version: '1' } },
        },
      );
      sids.push(init.sid as string);
      await post(
        n,
        { 'mcp-protocol-version': V, 'mcp-session-id': init.sid as string },
        { method: 'notifications/initialized' },
      );
    }

    let sent = 0;
    const failures: string[] = [];
    let stop = false;
    const load = (async () => {
      while (!stop) {
        const k = sent++;
        const node = nodes[k % 3] as ServedPool;
        const sid = sids[(k + 1) % 3] as string; // always another node's session
        const [stateless, session] = await Promise.all([
          post(
            node,
            { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'echo' },
            echo(k, `s${k}`, envelope),
          ),
          post(node, { 'mcp-protocol-version': V, 'mcp-session-id': sid }, echo(k, `m${k}`)),
        ]);
        for (const [r, want] of [
          [stateless, `s${k}`],
          [session, `m${k}`],
        ] as const) {
          const text = r.body?.result?.content?.[0]?.text;
          if (r.status !== 200 || r.body?.id !== k || text !== want)
            failures.push(`${r.status} ${JSON.stringify(r.body)}`);
        }
      }
    })();

    await new Promise((r) => setTimeout(r, 500));
    await redis.kill();
    await until((v) => v.every((x) => x.redis === 'down'), 'every node to see Redis down');
    await new Promise((r) => setTimeout(r, 1_500));
    await redis.restart();
    await until((v) => v.every((x) => x.redis === 'up' && x.ids.length === 3), 'every node back, nobody dead');
    await new Promise((r) => setTimeout(r, 1_000));
    stop = true;
    await load;
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(20);

    // Redis lost every snapshot; the owners wrote them again (renewal). Kill a: its session moves.
    await new Promise((r) => setTimeout(r, 1_200));
    a.child.kill('SIGKILL');
    const end = Date.now() + 15_000;
    for (let k = 0; ; k++) {
      const r = await post(
        k % 2 ? b : c,
        { 'mcp-protocol-version': V, 'mcp-session-id': sids[0] as string },
        echo(9000 + k, 'moved'),
      );
      if (r.status === 200) {
        expect(r.body.result.content[0].text).toBe('moved');
        break;
      }
      expect(r.status).toBe(503);
      if (Date.now() > end) throw new Error('the session of the killed node did not move');
      await new Promise((res) => setTimeout(res, 100));
    }
  });
});
