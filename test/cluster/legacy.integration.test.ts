// The legacy registry across nodes, against a real redis-server with real `erlmcp serve`
// processes (one of them with two workers): registrations of every node found and listed on
// every node, routes and broadcasts from any node delivered once each and in order per
// (sender, target), entries of a node that left or was killed -9 gone from the others' view,
// and Redis killed (cross-node calls answer cluster_unavailable, local ones still work) and
// restarted empty (the views converge again, changes made meanwhile included).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { killPools, type ServedPool, servePool } from '../workers/serve-pool.js';
import { killRedis, type PrivateRedis, startRedis } from './redis-server.js';

const MODULE = path.join(__dirname, 'fixtures', 'legacy-server.mjs');

/** What the fixture's endpoints and undelivered listeners report. */
interface Report {
  type: 'delivered' | 'undelivered';
  node?: string;
  worker: number;
  id: string;
  seq?: number;
  envelope?: {
    type: string;
    transportId?: string;
    serverId?: string;
    message: { from: string; tag: string; i: number };
  };
  reason?: string;
  count?: number;
  message?: { tag: string; i: number };
}

interface RouteAnswer {
  node: string;
  worker: number;
  results: { ok: true; delivered: number; forwarded?: number; dropped?: string }[];
}

/** A stateless 2026-07-28 tools/call on `node` (whichever worker answers); the tool's JSON answer. */
async function call<T = Record<string, unknown>>(
  node: ServedPool,
  name: string,
  args: Record<string, unknown>,
): Promise<T> {
  const res = await fetch(node.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': name,
      connection: 'close',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: {
        name,
        arguments: args,
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientCapabilities': {},
          'io.modelcontextprotocol/clientInfo': { name: 'test', version: '1' },
        },
      },
    }),
  });
  const body = (await res.json()) as { result?: { content: { text: string }[] }; error?: unknown };
  if (!body.result) throw new Error(`${name} failed: ${JSON.stringify(body)}`);
  return JSON.parse(body.result.content[0]?.text ?? 'null') as T;
}

/** Polls `check` every 25 ms until it holds; fails with `what` after `ms`. */
async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await check()) return Date.now() - t0;
    if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the legacy registry across nodes over a real Redis', { timeout: 90_000 }, () => {
  let redis: PrivateRedis;
  let collector: http.Server;
  let collectorUrl = '';
  let reports: Report[] = [];
  let prefix = '';
  const join = (id: string, workers = 1) =>
    servePool(workers, ['--module', MODULE, '--cluster', redis.url, '--node-id', id], {
      ERLMCP_CLUSTER_KEY_PREFIX: prefix,
      LEGACY_TEST_COLLECTOR: collectorUrl,
    });
  const delivered = (id: string, tag?: string) =>
    reports.filter(
      (r) => r.type === 'delivered' && r.id === id && (tag === undefined || r.envelope?.message.tag === tag),
    );
  const list = (n: ServedPool) => call<{ servers: string[]; transports: string[] }>(n, 'legacy_list', {});
  /** Every worker of a pool answers alike: ask a few times on fresh connections. */
  const everywhere = async (nodes: ServedPool[], check: (n: ServedPool) => Promise<boolean>) => {
    for (const n of nodes) for (let i = 0; i < 4; i++) if (!(await check(n))) return false;
    return true;
  };
  /** Exactly the messages 0..n-1 of `tag` from `from`, once each, in that order. */
  const expectInOrder = (id: string, tag: string, n: number) => {
    const got = delivered(id, tag).sort((x, y) => (x.seq ?? 0) - (y.seq ?? 0));
    expect(got.map((r) => r.envelope?.message.i)).toEqual(Array.from({ length: n }, (_, i) => i));
  };

  beforeAll(async () => {
    redis = await startRedis();
    collector = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c: string) => {
        body += c;
      });
      req.on('end', () => {
        reports.push(...(JSON.parse(body) as Report[]));
        res.end();
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/`;
  });
  beforeEach((ctx) => {
    prefix = `t${ctx.task.id.replace(/[^A-Za-z0-9]/g, '')}`;
    reports = [];
  });
  afterEach(() => killPools());
  afterAll(async () => {
    killRedis();
    await new Promise((r) => collector.close(r));
  });

  it('every node finds, lists and routes to every node; in order, once; a left or killed node drops out', async () => {
    const a = await join('a');
    const b = await join('b', 2);
    const c = await join('c');
    expect(await call(a, 'legacy_register', { kind: 'server', id: 'srv-a' })).toMatchObject({ ok: true, node: 'a' });
    expect(await call(b, 'legacy_register', { kind: 'server', id: 'srv-b' })).toMatchObject({ ok: true, node: 'b' });
    expect(await call(c, 'legacy_register', { kind: 'server', id: 'srv-c' })).toMatchObject({ ok: true, node: 'c' });
    for (const [n, t] of [
      [a, 't-a'],
      [b, 't-b'],
      [c, 't-c'],
    ] as const) {
      expect(await call(n, 'legacy_register', { kind: 'transport', id: t, serverId: 'srv-a' })).toMatchObject({
        ok: true,
      });
    }
    const full = {
      servers: ['srv-a@a', 'srv-b@b', 'srv-c@c'],
      transports: ['t-a@a', 't-b@b', 't-c@c'],
    };
    await until('every thread lists every registration', 10_000, () =>
      everywhere([a, b, c], async (n) => JSON.stringify(await list(n)) === JSON.stringify(full)),
    );
    // Found with the node (and worker) that holds it, and its config.
    const found = await call<{ ok: boolean; node: string; config: { node: string } }>(c, 'legacy_find', {
      kind: 'server',
      id: 'srv-b',
    });
    expect(found).toMatchObject({ ok: true, node: 'b', config: { node: 'b' } });
    // An id held by another node is taken.
    expect(await call(c, 'legacy_register', { kind: 'server', id: 'srv-a' })).toMatchObject({
      ok: false,
      error: 'already_registered',
    });

    // Routes from every node (both workers of b among them), 100 each, interleaved.
    const N = 100;
    const sends = await Promise.all([
      call<RouteAnswer>(c, 'legacy_route', { to: 'server', id: 'srv-a', via: 't-c', count: N, tag: 'c>a' }),
      call<RouteAnswer>(b, 'legacy_route', { to: 'server', id: 'srv-a', via: 't-b', count: N, tag: 'b>a' }),
      call<RouteAnswer>(a, 'legacy_route', { to: 'server', id: 'srv-c', via: 't-a', count: N, tag: 'a>c' }),
      call<RouteAnswer>(a, 'legacy_route', { to: 'transport', id: 't-b', via: 'srv-a', count: N, tag: 'a>tb' }),
      call<RouteAnswer>(c, 'legacy_route', { to: 'server', id: 'srv-b', via: 't-c', count: N, tag: 'c>b' }),
    ]);
    for (const s of sends) {
      expect(s.results).toHaveLength(N);
      for (const r of s.results) expect(r).toEqual({ ok: true, delivered: 1, forwarded: 1 });
    }
    // A broadcast from c reaches the transports bound to srv-a on all three nodes.
    const bc = await call<RouteAnswer>(c, 'legacy_route', {
      to: 'transport',
      id: 'broadcast',
      via: 'srv-a',
      count: 5,
      tag: 'bc',
    });
    for (const r of bc.results) expect(r).toEqual({ ok: true, delivered: 3, forwarded: 2 });
    await until('every message delivered', 10_000, async () => reports.length >= 5 * N + 15).catch((err) => {
      const counts: Record<string, number> = {};
      for (const r of reports)
        counts[`${r.type} ${r.id} ${r.envelope?.message.tag}`] =
          (counts[`${r.type} ${r.id} ${r.envelope?.message.tag}`] ?? 0) + 1;
      throw new Error(`${(err as Error).message}: ${JSON.stringify(counts)}`);
    });
    await sleep(300);
    expect(reports.filter((r) => r.type === 'undelivered').slice(0, 3)).toEqual([]);
    expect(reports).toHaveLength(5 * N + 15);
    expectInOrder('srv-a', 'c>a', N);
    expectInOrder('srv-a', 'b>a', N);
    expectInOrder('srv-c', 'a>c', N);
    expectInOrder('t-b', 'a>tb', N);
    expectInOrder('srv-b', 'c>b', N);
    for (const t of ['t-a', 't-b', 't-c']) expectInOrder(t, 'bc', 5);
    // The envelopes are the Erlang ones, delivered on the owner's node.
    const one = delivered('srv-a', 'c>a')[0];
    expect(one?.node).toBe('a');
    expect(one?.envelope).toEqual({
      type: 'mcp_message',
      transportId: 't-c',
      message: { from: 'c/0', tag: 'c>a', i: 0 },
    });
    expect(delivered('t-b', 'a>tb')[0]?.envelope).toEqual({
      type: 'mcp_response',
      serverId: 'srv-a',
      message: { from: 'a/0', tag: 'a>tb', i: 0 },
    });

    // kill -9 of c: its entries leave the others' view once the membership declares it dead.
    const exited = new Promise((r) => c.child.once('exit', r));
    c.child.kill('SIGKILL');
    await exited;
    reports = [];
    // Right after the kill a route either answers dropped, or is reported undelivered: never lost silently.
    const after = await call<RouteAnswer>(a, 'legacy_route', {
      to: 'server',
      id: 'srv-c',
      via: 't-a',
      count: 3,
      tag: 'dead',
    });
    await sleep(200);
    const forwarded = after.results.filter((r) => r.forwarded === 1).length;
    const undelivered = reports.filter((r) => r.type === 'undelivered' && r.id === 'srv-c');
    expect(undelivered.map((r) => r.message?.i)).toEqual(after.results.flatMap((r, i) => (r.forwarded ? [i] : [])));
    expect(undelivered.every((r) => r.reason === 'node_unreachable' && r.node === 'c')).toBe(true);
    for (const r of after.results)
      if (!r.forwarded) expect(r).toEqual({ ok: true, delivered: 0, dropped: 'server_not_found' });
    console.log(`routes to the killed node: ${forwarded} reported undelivered, ${3 - forwarded} dropped at once`);
    const without = (n: string) => ({
      servers: full.servers.filter((s) => !s.endsWith(`@${n}`)),
      transports: full.transports.filter((s) => !s.endsWith(`@${n}`)),
    });
    const ms = await until('c gone from every view', 10_000, () =>
      everywhere([a, b], async (n) => JSON.stringify(await list(n)) === JSON.stringify(without('c'))),
    );
    console.log(`entries of the killed node gone from the views ${ms} ms after the first check`);
    expect(await call(b, 'legacy_find', { kind: 'server', id: 'srv-c' })).toEqual({ ok: false, error: 'not_found' });
    expect(
      (await call<RouteAnswer>(b, 'legacy_route', { to: 'server', id: 'srv-c', via: 'x', tag: 'gone' })).results,
    ).toEqual([{ ok: true, delivered: 0, dropped: 'server_not_found' }]);
    // The broadcast now reaches t-a and t-b only; the id srv-c is free again.
    const bc2 = await call<RouteAnswer>(b, 'legacy_route', {
      to: 'transport',
      id: 'broadcast',
      via: 'srv-a',
      tag: 'bc2',
    });
    expect(
      bc2.results[0]?.delivered,
      // On failure: what the bindings of a worker of b are.
      JSON.stringify([bc2, await call(b, 'legacy_bindings', {})]),
    ).toBe(2);
    expect(await call(a, 'legacy_register', { kind: 'server', id: 'srv-c' })).toMatchObject({ ok: true, node: 'a' });

    // A graceful stop of b: its entries leave a's view at a's next heartbeat.
    expect(await b.stop()).toBe(0);
    await until('b gone from a', 5_000, async () => {
      const l = await list(a);
      return JSON.stringify(l) === JSON.stringify({ servers: ['srv-a@a', 'srv-c@a'], transports: ['t-a@a'] });
    });
    expect(a.child.exitCode).toBeNull();
  });

  it('unregister and bind across nodes; a worker that dies takes its entries with it', async () => {
    const a = await join('a');
    const b = await join('b', 2);
    const reg = await call<{ ok: boolean; worker: number }>(b, 'legacy_register', { kind: 'server', id: 'srv-b' });
    expect(reg.ok).toBe(true);
    expect(await call(a, 'legacy_register', { kind: 'transport', id: 't-a' })).toMatchObject({ ok: true });
    let seen = '';
    await until('a sees srv-b, b sees t-a', 10_000, async () => {
      const [la, lb] = [await list(a), await list(b)];
      seen = JSON.stringify([la, lb]);
      return la.servers.includes('srv-b@b') && lb.transports.includes('t-a@a');
    }).catch((err) => {
      throw new Error(`${(err as Error).message}: ${seen}\n${b.logs().slice(-20).join('\n')}`);
    });
    // Bind a's transport to b's server from b, then broadcast from b's server: reaches a.
    expect(await call(b, 'legacy_bind', { transportId: 't-a', serverId: 'srv-b' })).toEqual({ ok: true });
    await until('the binding settled', 5_000, async () => {
      const r = await call<RouteAnswer>(b, 'legacy_route', {
        to: 'transport',
        id: 'broadcast',
        via: 'srv-b',
        tag: 'probe',
      });
      return r.results[0]?.delivered === 1;
    });
    expect(await call(a, 'legacy_bind', { transportId: 't-nope', serverId: 'srv-b' })).toEqual({
      ok: false,
      error: 'transport_not_found',
    });
    // Unregister another node's server: ok at once, gone everywhere shortly after.
    expect(await call(a, 'legacy_register', { kind: 'server', id: 'srv-b2' })).toMatchObject({ ok: true });
    await until('b sees srv-b2', 5_000, () =>
      everywhere([b], async (n) => (await list(n)).servers.includes('srv-b2@a')),
    );
    expect(await call(b, 'legacy_unregister', { kind: 'server', id: 'srv-b2' })).toEqual({ ok: true });
    await until('srv-b2 gone everywhere', 5_000, () =>
      everywhere([a, b], async (n) => !(await list(n)).servers.includes('srv-b2@a')),
    );

    // The worker of b holding srv-b dies (a message asks it to): srv-b leaves a's view.
    reports = [];
    expect(await call(a, 'legacy_crash', { id: 'srv-b' })).toEqual({ ok: true, delivered: 1, forwarded: 1 });
    await until('srv-b gone from a', 10_000, async () => !(await list(a)).servers.includes('srv-b@b'));
    expect(await call(a, 'legacy_find', { kind: 'server', id: 'srv-b' })).toEqual({ ok: false, error: 'not_found' });
    // The id can be registered again (on the restarted worker or the other one).
    await until(
      'srv-b registrable on b again',
      10_000,
      async () => (await call<{ ok: boolean }>(b, 'legacy_register', { kind: 'server', id: 'srv-b' })).ok,
    );
    await until('a sees the new srv-b', 5_000, async () => (await list(a)).servers.includes('srv-b@b'));
  });

  it('Redis killed: local routes served, cross-node ones answer cluster_unavailable; restarted empty: views converge', async () => {
    const a = await join('a');
    const b = await join('b');
    await call(a, 'legacy_register', { kind: 'server', id: 'srv-a' });
    await call(b, 'legacy_register', { kind: 'server', id: 'srv-b' });
    await call(b, 'legacy_register', { kind: 'server', id: 'srv-old' });
    await until('each sees the other', 10_000, async () => {
      const [la, lb] = [await list(a), await list(b)];
      return la.servers.length === 3 && lb.servers.length === 3;
    });

    await redis.kill();
    await until('a answers cluster_unavailable for srv-b', 5_000, async () => {
      const r = await call<RouteAnswer>(a, 'legacy_route', { to: 'server', id: 'srv-b', via: 'x', tag: 'down' });
      return r.results[0]?.dropped === 'cluster_unavailable';
    });
    expect(
      (await call<RouteAnswer>(a, 'legacy_route', { to: 'server', id: 'srv-b', via: 'x', tag: 'down' })).results,
    ).toEqual([{ ok: true, delivered: 0, dropped: 'cluster_unavailable' }]);
    expect(await call(a, 'legacy_find', { kind: 'server', id: 'srv-b' })).toEqual({
      ok: false,
      error: 'not_found',
      clusterUnavailable: true,
    });
    expect(await list(a)).toEqual({ servers: ['srv-a@a'], transports: [] });
    // This node's own registrations are served as before.
    expect(
      (await call<RouteAnswer>(a, 'legacy_route', { to: 'server', id: 'srv-a', via: 'x', tag: 'local' })).results,
    ).toEqual([{ ok: true, delivered: 1 }]);
    await until('the local route reported', 5_000, async () => delivered('srv-a', 'local').length === 1);
    // Changes made on b meanwhile reach nobody now, and a after Redis is back.
    expect(await call(b, 'legacy_unregister', { kind: 'server', id: 'srv-old' })).toEqual({ ok: true });
    expect(await call(b, 'legacy_register', { kind: 'server', id: 'srv-new' })).toMatchObject({ ok: true });

    await redis.restart();
    const expected = JSON.stringify({ servers: ['srv-a@a', 'srv-b@b', 'srv-new@b'], transports: [] });
    let last = '';
    await until('the views converge', 10_000, async () => {
      const [la, lb] = [await list(a), await list(b)];
      last = JSON.stringify([la, lb]);
      return JSON.stringify(la) === expected && JSON.stringify(lb) === expected;
    }).catch((err) => {
      throw new Error(`${(err as Error).message}: ${last}\n${a.logs().slice(-15).join('\n')}`);
    });
    reports = [];
    const r = await call<RouteAnswer>(a, 'legacy_route', {
      to: 'server',
      id: 'srv-new',
      via: 'x',
      count: 10,
      tag: 'back',
    });
    for (const x of r.results) expect(x).toEqual({ ok: true, delivered: 1, forwarded: 1 });
    await until('delivered after the restart', 5_000, async () => delivered('srv-new', 'back').length === 10);
    expectInOrder('srv-new', 'back', 10);
    expect(a.child.exitCode).toBeNull();
    expect(b.child.exitCode).toBeNull();
  });
});
