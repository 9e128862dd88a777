import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterView } from '../../src/cluster/membership.js';
import { ClusterSessionPeers, FORWARDED_BY } from '../../src/cluster/session-peers.js';
import type { Claim } from '../../src/cluster/session-store.js';
import type { SessionSnapshot } from '../../src/mcp/handover.js';
import { createLogger } from '../../src/ops/logger.js';
import type { SessionPeers } from '../../src/transports/http-forward.js';

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

const view = (nodes: { id: string; advertise: string }[]) =>
  (() => ({ nodes: nodes.map((n) => ({ ...n, self: false })) }) as unknown as ClusterView) as () => ClusterView;

async function listen(handler: http.RequestListener): Promise<number> {
  const s = http.createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const port = await listen(() => {});
  const s = servers.pop() as http.Server;
  await new Promise((r) => s.close(r));
  return port;
}

/** Serves every request by forwarding it to the owner ownerOf names; returns status and body. */
async function through(
  peers: ClusterSessionPeers,
  sid: string,
  headers: Record<string, string> = {},
  stateless = false,
) {
  const port = await listen((req, res) => {
    const owner = peers.ownerOf(sid);
    if (owner === undefined) {
      res.writeHead(418).end();
      return;
    }
    const body = JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tasks/get', params: { taskId: sid } });
    peers.forward(owner, { method: 'POST', headers: req.headers, body, id: 5, stateless }, res);
  });
  const r = await fetch(`http://127.0.0.1:${port}/mcp`, { method: 'POST', headers, body: '{}' });
  return { status: r.status, retryAfter: r.headers.get('retry-after'), body: r.status === 418 ? null : await r.json() };
}

const log = createLogger('silent');

describe('ClusterSessionPeers', () => {
  it('prefixes its sessions with the node id and hands its own ids to the worker relay', () => {
    const seen: string[] = [];
    const inner = {
      sessionIdPrefix: 'w1.',
      attach() {},
      ownerOf: (sid: string) => {
        seen.push(sid);
        return sid.startsWith('w0.') ? 0 : undefined;
      },
      forward() {},
    } satisfies SessionPeers;
    const p = new ClusterSessionPeers({ nodeId: 'a', path: '/mcp', view: view([]), inner, logger: log });
    expect(p.sessionIdPrefix).toBe('a~w1.');
    expect(p.ownerOf('a~w0.x')).toBe(0);
    expect(p.ownerOf('a~w1.x')).toBeUndefined();
    expect(p.ownerOf('w0.task')).toBe(0); // task ids name no node
    expect(seen).toEqual(['w0.x', 'w1.x', 'w0.task']);
    // Other nodes get negative owner numbers, one per node, stable.
    const b = p.ownerOf('b~w0.x') as number;
    expect(b).toBeLessThan(0);
    expect(p.ownerOf('b~other')).toBe(b);
    expect(p.ownerOf('c~w0.x')).not.toBe(b);
  });

  it('proxies to the owner node with the forwarded-by mark, the answer streamed back', async () => {
    let got: { headers: http.IncomingHttpHeaders; body: string; url?: string } | undefined;
    const owner = await listen((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        got = { headers: req.headers, body, url: req.url };
        res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'b~s' });
        res.end('{"jsonrpc":"2.0","id":5,"result":{}}');
      });
    });
    const p = new ClusterSessionPeers({
      nodeId: 'a',
      path: '/mcp',
      view: view([{ id: 'b', advertise: `http://127.0.0.1:${owner}` }]),
      logger: log,
    });
    const r = await through(p, 'b~s', { 'mcp-session-id': 'b~s', authorization: 'Bearer t' });
    expect(r).toEqual({ status: 200, retryAfter: null, body: { jsonrpc: '2.0', id: 5, result: {} } });
    expect(got?.url).toBe('/mcp');
    expect(JSON.parse(got?.body ?? '')).toEqual({
      jsonrpc: '2.0',
      id: 5,
      method: 'tasks/get',
      params: { taskId: 'b~s' },
    });
    expect(got?.headers[FORWARDED_BY]).toBe('a');
    expect(got?.headers.authorization).toBe('Bearer t');
    expect(got?.headers['mcp-session-id']).toBe('b~s');
    expect(p.forwarded).toBe(1);
    p.close();
  });

  it('404 for a gone node without a session store; 503 session_moving past two hops or back to a node passed; 503 node_unreachable for a node that does not answer', async () => {
    const dead = await closedPort();
    const p = new ClusterSessionPeers({
      nodeId: 'a',
      path: '/mcp',
      view: view([{ id: 'b', advertise: `http://127.0.0.1:${dead}` }]),
      logger: log,
    });
    const gone = await through(p, 'z~s');
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ id: 5, error: { code: -32600 } });
    for (const passed of ['c,d', 'b', 'a']) {
      const loop = await through(p, 'b~s', { [FORWARDED_BY]: passed, 'mcp-session-id': 'b~s' });
      expect(loop.status).toBe(503);
      expect(loop.body).toMatchObject({
        id: 5,
        error: { code: -32014, data: { reason: 'session_moving', retryAfterMs: 250 } },
      });
    }
    // A 2026 task of a node that left: the task manager's own answer for an unknown task.
    const task = await through(p, 'z~w0.t1', {}, true);
    expect(task.status).toBe(200);
    expect(task.body).toMatchObject({
      id: 5,
      error: {
        code: -32602,
        message: 'Unknown task: z~w0.t1 (node z has left the cluster)',
        data: { taskId: 'z~w0.t1' },
      },
    });
    const down = await through(p, 'b~s');
    expect(down.status).toBe(503);
    expect(down.retryAfter).toBe('1');
    expect(down.body).toMatchObject({ id: 5, error: { data: { reason: 'node_unreachable', retryAfterMs: 1000 } } });
    p.close();
  });

  it("a gone node's session: claimed here and served restored, proxied to the node that claimed it, 404 when gone, 503 while Redis is away", async () => {
    let got: { headers: http.IncomingHttpHeaders } | undefined;
    const other = await listen((req, res) => {
      got = { headers: req.headers };
      req.resume();
      req.on('end', () =>
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":5,"result":{"via":"c"}}'),
      );
    });
    const claims: Record<string, Claim | Error> = {
      'z~claimed': { kind: 'claimed', snapshot: snap('z~claimed') },
      'z~elsewhere': { kind: 'elsewhere', owner: 'c' },
      'z~gone': { kind: 'gone' },
      'z~away': new Error('cluster: Redis unavailable (down)'),
    };
    const asked: string[] = [];
    const restored: string[] = [];
    const p = new ClusterSessionPeers({
      nodeId: 'a',
      path: '/mcp',
      view: view([{ id: 'c', advertise: `http://127.0.0.1:${other}` }]),
      claims: {
        claim: async (sid) => {
          asked.push(sid);
          const c = claims[sid] as Claim | Error;
          if (c instanceof Error) throw c;
          return c;
        },
      },
      logger: log,
    });
    p.attach({
      serveForwarded: () => {},
      serveRestored: (snapshot, _request, res) => {
        restored.push(snapshot.id);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":5,"result":{"via":"a"}}');
      },
    });
    const claimed = await through(p, 'z~claimed', { 'mcp-session-id': 'z~claimed' });
    expect(claimed).toMatchObject({ status: 200, body: { result: { via: 'a' } } });
    expect(restored).toEqual(['z~claimed']);
    expect(p.continued).toBe(1);
    const elsewhere = await through(p, 'z~elsewhere', { 'mcp-session-id': 'z~elsewhere' });
    expect(elsewhere).toMatchObject({ status: 200, body: { result: { via: 'c' } } });
    expect(got?.headers[FORWARDED_BY]).toBe('a');
    // The new owner is remembered: no second claim.
    await through(p, 'z~elsewhere', { 'mcp-session-id': 'z~elsewhere' });
    expect(asked.filter((s) => s === 'z~elsewhere')).toHaveLength(1);
    expect((await through(p, 'z~gone', { 'mcp-session-id': 'z~gone' })).status).toBe(404);
    const away = await through(p, 'z~away', { 'mcp-session-id': 'z~away' });
    expect(away.status).toBe(503);
    expect(away.body).toMatchObject({
      error: { code: -32014, data: { reason: 'cluster_unavailable', retryAfterMs: 1000 } },
    });
    p.close();
  });

  it('with workers, the session goes to the worker home() names before any claim', async () => {
    const forwarded: number[] = [];
    const inner = {
      sessionIdPrefix: 'w0.',
      attach() {},
      ownerOf: () => undefined,
      home: (sid: string) => (sid.startsWith('w1.') ? 1 : undefined),
      forward: (owner: number, _r: unknown, res: http.ServerResponse) => {
        forwarded.push(owner);
        res.writeHead(204).end();
      },
    } satisfies SessionPeers;
    const claim = async (): Promise<Claim> => ({ kind: 'gone' });
    const p = new ClusterSessionPeers({
      nodeId: 'a',
      path: '/mcp',
      view: view([]),
      inner,
      claims: { claim },
      logger: log,
    });
    const r = await fetch(
      `http://127.0.0.1:${await listen((req, res) => p.recover('z~w1.s', { method: 'GET', headers: req.headers }, res))}/`,
    );
    expect(r.status).toBe(204);
    expect(forwarded).toEqual([1]);
    p.close();
  });
});

function snap(id: string): SessionSnapshot {
  return {
    v: 1,
    id,
    protocolVersion: '2025-11-25',
    clientInfo: { name: 't', version: '1' },
    capabilities: {},
    initialized: true,
    logLevel: 0,
    subscriptions: [],
  };
}
