// 2026 tasks in a cluster whose task store is Redis (src/cluster/tasks), with real `erlmcp serve`
// processes: a task created on one node is read, answered, listened to and cancelled from the
// others (served there, not proxied: it still works once its node is dead); kill -9 of a node
// under load ends every accepted task in a terminal state readable from the survivors (its own
// tasks failed with the reason, nothing announced twice); Redis killed and restarted under load
// refuses task creation with -32012 while it is away and loses no accepted task.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { McpClient } from '../../src/mcp/client.js';
import type { DetailedTask } from '../../src/mcp/types.js';
import { StreamableHttpClientTransport } from '../../src/transports/http-client.js';
import { freshFetch } from '../workers/fresh-fetch.js';
import { killPools, type ServedPool, servePool } from '../workers/serve-pool.js';
import { killRedis, type PrivateRedis, startRedis } from './redis-server.js';

const MODULE = `${__dirname}/fixtures/tasks-server.mjs`;
const EXT = 'io.modelcontextprotocol/tasks';
const LOST = (node: string) => `the node ${node} running the task stopped before it finished`;
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

const clients: McpClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => {});
  killPools();
});
afterAll(() => killRedis());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** A 2026 client of the Tasks extension talking to `node` only, each request on a fresh connection. */
async function clientOf(node: ServedPool): Promise<McpClient> {
  const c = new McpClient({ name: 'tasks', version: '1' }, { versionNegotiation: { pin: '2026-07-28' }, tasks: true });
  // Declares elicitation (ask_name needs it); the tests answer through tasks/update themselves.
  c.onElicitation(async () => ({ action: 'decline' }));
  await c.connect(new StreamableHttpClientTransport(new URL(node.url), { fetch: freshFetch }));
  clients.push(c);
  return c;
}

async function startTask(c: McpClient, name: string, args: Record<string, unknown>): Promise<string> {
  const start = await c.startToolCall({ name, arguments: args });
  if (start.task === undefined) throw new Error(`expected ${name} to answer with a task`);
  return start.task.taskId;
}

/** The node ids `node`'s /health lists. */
async function listed(node: ServedPool): Promise<string[]> {
  const h = (await (await fetch(new URL('/health', node.url))).json()) as { cluster?: { nodes: { id: string }[] } };
  return (h.cluster?.nodes ?? []).map((n) => n.id);
}

async function cluster(
  redisUrl: string,
  spec: Array<[string, number]>,
  prefix = `t${Date.now()}`,
): Promise<ServedPool[]> {
  const env = { ERLMCP_CLUSTER_KEY_PREFIX: prefix };
  const nodes: ServedPool[] = [];
  for (const [id, workers] of spec)
    nodes.push(await servePool(workers, ['--cluster', redisUrl, '--node-id', id, '--module', MODULE], env));
  await until('the nodes to see each other', async () =>
    (await Promise.all(nodes.map(listed))).every((v) => v.length === spec.length),
  );
  return nodes;
}

/** One raw 2026 POST (no client retries): the HTTP status and the JSON-RPC answer. */
async function raw(
  node: ServedPool,
  method: string,
  params: Record<string, unknown>,
  name: string,
): Promise<{ status: number; body: { result?: Record<string, unknown>; error?: { code: number; data?: unknown } } }> {
  const meta = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientCapabilities': { extensions: { [EXT]: {} } },
  };
  const res = await freshFetch(node.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': method,
      'mcp-name': name,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: meta } }),
  });
  const text = await res.text();
  const json = text.startsWith('{') ? text : (/^data: (.*)$/m.exec(text)?.[1] ?? '{}');
  return { status: res.status, body: JSON.parse(json) };
}

describe('2026 tasks in a cluster (Redis task store)', { timeout: 120_000 }, () => {
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });

  it('a task created on one node is read, answered, listened to and cancelled from the others', async () => {
    const nodes = await cluster(redis.url, [
      ['a', 1],
      ['b', 2],
      ['c', 1],
    ]);
    const [ca, cb, cc] = await Promise.all(nodes.map(clientOf));
    const [a, b, c] = [ca, cb, cc] as McpClient[];
    const id = await startTask(a as McpClient, 'long_job', { steps: 1000, stepMs: 100 });
    expect(id.startsWith('a~')).toBe(true);
    // Listen streams on the two other nodes (b's on either of its workers) and on a itself.
    const heard = new Map<string, DetailedTask[]>([
      ['a', []],
      ['b', []],
      ['c', []],
    ]);
    const subs = await Promise.all(
      (['a', 'b', 'c'] as const).map((n, i) =>
        [a, b, c][i]?.listen({ taskIds: [id] }, { onTaskStatus: (t) => heard.get(n)?.push(t as DetailedTask) }),
      ),
    );
    for (const x of [b, c, b, c]) expect((await (x as McpClient).getTask(id)).status).toBe('working');
    await until('progress seen from c', async () =>
      /^step \d+ of 1000$/.test((await (c as McpClient).getTask(id)).statusMessage ?? ''),
    );
    await (c as McpClient).cancelTask(id);
    for (const x of [a, b, c]) {
      const t = await (x as McpClient).getTask(id);
      expect(t.status).toBe('cancelled');
      expect(t.statusMessage).toBe('cancelled by the client');
    }
    // Every stream hears the cancellation exactly once, and no change twice.
    await until('the cancellation on every stream', () =>
      [...heard.values()].every((h) => h.some((t) => t.status === 'cancelled')),
    );
    const settled = (await (b as McpClient).getTask(id)).lastUpdatedAt;
    await sleep(400);
    // The runner stopped: nothing changes after the cancellation.
    expect((await (a as McpClient).getTask(id)).lastUpdatedAt).toBe(settled);
    for (const [, h] of heard) {
      expect(h.filter((t) => t.status === 'cancelled')).toHaveLength(1);
      const keys = h.map((t) => `${t.status}|${t.statusMessage}|${t.lastUpdatedAt}`);
      expect(new Set(keys).size).toBe(keys.length);
      expect(h.at(-1)?.status).toBe('cancelled');
    }
    for (const s of subs) await s?.close();

    // An input round: created on b, its request read on c, answered on a, the result read on c.
    const ask = await startTask(b as McpClient, 'ask_name', {});
    expect(ask.startsWith('b~w')).toBe(true);
    let parked: DetailedTask | undefined;
    await until('input_required seen from c', async () => {
      parked = await (c as McpClient).getTask(ask);
      return parked.status === 'input_required';
    });
    expect(Object.keys(parked?.inputRequests ?? {})).toEqual(['name']);
    await (a as McpClient).updateTask(ask, { name: { action: 'accept', content: { name: 'Ada' } } });
    let done: DetailedTask | undefined;
    await until('the answered task to complete', async () => {
      done = await (c as McpClient).getTask(ask);
      return TERMINAL.has(done.status);
    });
    expect(done?.status).toBe('completed');
    expect(done?.result?.content).toEqual([{ type: 'text', text: 'Hello Ada' }]);

    // An unknown task is -32602 on every node.
    for (const n of nodes) {
      const r = await raw(n, 'tasks/get', { taskId: 'a~w0.nope' }, 'a~w0.nope');
      expect(r.body.error?.code).toBe(-32602);
    }
  });

  it('kill -9 of a node under load: every accepted task ends terminal, readable from the survivors', async () => {
    const nodes = await cluster(redis.url, [
      ['a', 1],
      ['b', 2],
      ['c', 1],
    ]);
    // a started first: it is the leader too, so the sweep of its tasks falls to the next one (b).
    const [na, , nc] = nodes as [ServedPool, ServedPool, ServedPool];
    const cs = await Promise.all(nodes.map(clientOf));
    const [ca, cb, cc] = cs as [McpClient, McpClient, McpClient];
    const accepted = new Map<string, { node: string; long: boolean }>();
    // Each node runs long tasks (they cannot finish during the test) and short ones.
    const create = async (c: McpClient, node: string, n: number) => {
      for (let i = 0; i < n; i++) {
        const long = i % 2 === 0;
        const id = await startTask(c, 'long_job', long ? { steps: 1000, stepMs: 200 } : { steps: 4, stepMs: 40 });
        accepted.set(id, { node, long });
      }
    };
    await Promise.all([create(ca, 'a', 30), create(cb, 'b', 20), create(cc, 'c', 20)]);
    const ofA = [...accepted].filter(([, t]) => t.node === 'a').map(([id]) => id);
    // A listen stream on c for every task of a.
    const terminalHeard = new Map<string, number>();
    const sub = await cc.listen(
      { taskIds: ofA },
      {
        onTaskStatus: (t) => {
          if (TERMINAL.has(t.status)) terminalHeard.set(t.taskId, (terminalHeard.get(t.taskId) ?? 0) + 1);
        },
      },
    );
    // Under load: b and c keep creating and polling while a dies.
    let stop = false;
    const load = Promise.all(
      [
        [cb, 'b'],
        [cc, 'c'],
      ].map(async ([c, node]) => {
        for (let i = 0; !stop && i < 200; i++) {
          const id = await startTask(c as McpClient, 'long_job', { steps: 2, stepMs: 20 });
          accepted.set(id, { node: node as string, long: false });
          await (c as McpClient).getTask(ofA[i % ofA.length] as string);
        }
      }),
    );
    await sleep(300);
    na.child.kill('SIGKILL');
    await sleep(500);
    stop = true;
    await load;

    // Every accepted task ends terminal, read from b and c.
    const final = new Map<string, DetailedTask>();
    await until('every accepted task to end', async () => {
      for (const [id, t] of accepted) {
        if (final.has(id) || (t.node !== 'a' && t.long)) continue;
        const got = await (final.size % 2 === 0 ? cb : cc).getTask(id);
        if (TERMINAL.has(got.status)) final.set(id, got);
      }
      return [...accepted].every(([id, t]) => final.has(id) || (t.node !== 'a' && t.long));
    });
    for (const [id, t] of accepted) {
      if (t.node !== 'a') {
        if (t.long) expect((await cb.getTask(id)).status).toBe('working');
        else expect(final.get(id)?.status).toBe('completed');
        continue;
      }
      const got = final.get(id) as DetailedTask;
      if (t.long || got.status !== 'completed') {
        expect(got.status).toBe('failed');
        expect(got.statusMessage).toBe(LOST('a'));
        expect(got.error).toEqual({ code: -32603, message: LOST('a'), data: { reason: 'node_lost', node: 'a' } });
      }
    }
    expect(ofA.filter((id) => final.get(id)?.status === 'failed').length).toBeGreaterThanOrEqual(15);
    // The stream on c heard each of a's tasks that failed (after it opened) end exactly once, and
    // none twice (a short one may have completed before the stream opened).
    const swept = ofA.filter((id) => final.get(id)?.status === 'failed');
    await until('the stream to hear every failure', () => swept.every((id) => terminalHeard.has(id)), 5_000);
    await sleep(300);
    expect(swept.map((id) => terminalHeard.get(id))).toEqual(swept.map(() => 1));
    expect([...terminalHeard.values()].every((n) => n === 1)).toBe(true);
    await sub.close();
    // The survivors' long tasks were left alone; they cancel from the other survivor.
    for (const [id, t] of accepted) if (t.node !== 'a' && t.long) await (t.node === 'b' ? cc : cb).cancelTask(id);
    for (const [id, t] of accepted)
      if (t.node !== 'a' && t.long) expect((await cb.getTask(id)).status).toBe('cancelled');
    expect(nc.child.exitCode).toBeNull();
  });

  it("a node restarted under the same id fails its predecessor's unfinished tasks", async () => {
    // A cluster of one: nobody else is there to sweep, the new incarnation (the leader) does.
    const prefix = `r${Date.now()}`;
    const [first] = (await cluster(redis.url, [['solo', 1]], prefix)) as [ServedPool];
    const c1 = await clientOf(first);
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await startTask(c1, 'long_job', { steps: 1000, stepMs: 200 }));
    first.child.kill('SIGKILL');
    const [second] = (await cluster(redis.url, [['solo', 1]], prefix)) as [ServedPool];
    const c2 = await clientOf(second);
    for (const id of ids) {
      await until('the leftover to be failed', async () => (await c2.getTask(id)).status !== 'working');
      const t = await c2.getTask(id);
      expect(t.status).toBe('failed');
      expect(t.statusMessage).toBe(LOST('solo'));
    }
    // The new incarnation runs new tasks as usual.
    const fresh = await startTask(c2, 'long_job', { steps: 2, stepMs: 10 });
    await until('the new task', async () => (await c2.getTask(fresh)).status === 'completed');
  });

  it('Redis killed and restarted under load: creation refused with -32012 meanwhile, no accepted task lost', async () => {
    const durable = await startRedis({ persist: true });
    const nodes = await cluster(durable.url, [
      ['a', 1],
      ['b', 2],
    ]);
    const [na, nb] = nodes as [ServedPool, ServedPool];
    const [ca, cb] = (await Promise.all(nodes.map(clientOf))) as [McpClient, McpClient];
    const accepted: string[] = [];
    for (let i = 0; i < 10; i++) {
      accepted.push(await startTask(ca, 'long_job', { steps: 15, stepMs: 100 }));
      accepted.push(await startTask(cb, 'long_job', { steps: 15, stepMs: 100 }));
    }
    await sleep(200);
    await durable.kill();
    // While Redis is away: task creation and reads are refused with a retryable error, at once;
    // what needs no Redis is served.
    for (const n of nodes) {
      const created = await raw(n, 'tools/call', { name: 'long_job', arguments: { steps: 1 } }, 'long_job');
      expect(created.status).toBe(503);
      expect(created.body.error?.code).toBe(-32012);
      expect(created.body.error?.data).toMatchObject({ reason: 'task_store_unavailable' });
      const read = await raw(n, 'tasks/get', { taskId: accepted[0] }, accepted[0] as string);
      expect(read.status).toBe(503);
      expect(read.body.error?.code).toBe(-32012);
      const echo = await raw(n, 'tools/call', { name: 'echo', arguments: { message: 'hi' } }, 'echo');
      expect(echo.status).toBe(200);
      expect(echo.body.result?.content).toEqual([{ type: 'text', text: 'hi' }]);
    }
    // The tasks finish while Redis is away: their last writes wait for it.
    await sleep(2_000);
    await durable.restart();
    const final = new Map<string, DetailedTask>();
    await until('every accepted task to end', async () => {
      for (const id of accepted) {
        if (final.has(id)) continue;
        const got = await (final.size % 2 ? ca : cb).getTask(id).catch(() => undefined);
        if (got && TERMINAL.has(got.status)) final.set(id, got);
      }
      return final.size === accepted.length;
    });
    for (const id of accepted) {
      expect(final.get(id)?.status).toBe('completed');
      expect(final.get(id)?.result?.content).toEqual([{ type: 'text', text: 'finished 15 steps' }]);
    }
    // And new tasks work again, created on one node and read on the other.
    const again = await startTask(cb, 'long_job', { steps: 2, stepMs: 10 });
    await until('the new task', async () => (await ca.getTask(again)).status === 'completed');
    expect(na.child.exitCode).toBeNull();
    expect(nb.child.exitCode).toBeNull();
  });
});
