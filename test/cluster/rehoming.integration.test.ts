// 2025-era sessions outliving their node, with real `erlmcp serve` processes on a real Redis:
// the owner is killed (kill -9) or stops, and the session goes on from another node under the
// same id, with what it had subscribed to; a request that was in flight on the dead node gets a
// JSON-RPC error instead of an answer, once; exactly one node continues the session.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killPools, type ServedPool } from '../workers/serve-pool.js';
import { killRedis, type PrivateRedis, startRedis } from './redis-server.js';
import { threeNodes } from './three-nodes.js';

afterEach(() => killPools());

const V = '2025-11-25';

interface Answer {
  status: number;
  sid: string | null;
  /** The JSON-RPC messages of the answer (one JSON body, or every SSE message). */
  messages: Record<string, unknown>[];
}

/** The JSON-RPC messages of an SSE body. */
function sseMessages(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const event of text.split('\n\n')) {
    const data = event
      .split('\n')
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).trimStart())
      .join('\n');
    if (data !== '') out.push(JSON.parse(data) as Record<string, unknown>);
  }
  return out;
}

async function post(node: ServedPool, sid: string | null, message: Record<string, unknown>): Promise<Answer> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': V,
    connection: 'close',
  };
  if (sid !== null) headers['mcp-session-id'] = sid;
  const res = await fetch(node.url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', ...message }) });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  const messages = text === '' ? [] : type.startsWith('text/event-stream') ? sseMessages(text) : [JSON.parse(text)];
  return { status: res.status, sid: res.headers.get('mcp-session-id'), messages };
}

const call = (id: number, name: string, args: Record<string, unknown> = {}) => ({
  id,
  method: 'tools/call',
  params: { name, arguments: args },
});

/** A new session on `node`, initialized. */
async function open(node: ServedPool): Promise<string> {
  const init = await post(node, null, {
    id: 0,
    method: 'initialize',
    params: { protocolVersion: V, capabilities: {}, clientInfo: { name: 'rehoming', version: '1' } },
  });
  expect(init.status).toBe(200);
  const sid = init.sid as string;
  expect((await post(node, sid, { method: 'notifications/initialized' })).status).toBe(202);
  return sid;
}

const continuedLines = (nodes: ServedPool[]) =>
  nodes.flatMap((n) => n.logs().filter((l) => l.includes('cluster: continuing a session whose node is gone')));

describe('2025 sessions continue on another node when theirs is gone', { timeout: 120_000 }, () => {
  let redis: PrivateRedis;
  let nodes: ServedPool[];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => killRedis());

  const cluster = async () => {
    nodes = await threeNodes(redis, 'r');
  };

  /** Sends `message` to the survivors in turn until one answers other than 503; the answers. */
  async function untilServed(sid: string, message: (k: number) => Record<string, unknown>, survivors: ServedPool[]) {
    const refused: number[] = [];
    const until = Date.now() + 15_000;
    for (let k = 0; ; k++) {
      const r = await post(survivors[k % survivors.length] as ServedPool, sid, message(k));
      if (r.status !== 503) return { answer: r, refused };
      refused.push(r.status);
      if (Date.now() > until) throw new Error(`the session was not continued within 15 s (${refused.length} x 503)`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  it('kill -9 of the owner: the session goes on from the others under its id, subscriptions included', async () => {
    await cluster();
    const [a, b, c] = nodes as [ServedPool, ServedPool, ServedPool];
    const sid = await open(a);
    expect(sid.startsWith('a~')).toBe(true);
    // Its state is told through another node (proxied to a), as behind a balancer.
    const sub = await post(b, sid, { id: 1, method: 'resources/subscribe', params: { uri: 'test://watched' } });
    expect(sub.messages).toEqual([{ jsonrpc: '2.0', id: 1, result: {} }]);
    a.child.kill('SIGKILL');

    const { answer } = await untilServed(sid, (k) => call(100 + k, 'echo', { message: 'after' }), [b, c]);
    expect(answer.status).toBe(200);
    expect(answer.messages).toHaveLength(1);
    expect(answer.messages[0]).toMatchObject({ result: { content: [{ type: 'text', text: 'after' }] } });
    // From now on every node serves it (the one that continued it, the other through it).
    for (let i = 0; i < 8; i++) {
      const r = await post(i % 2 === 0 ? b : c, sid, call(200 + i, 'add', { a: i, b: 1 }));
      expect(r.status).toBe(200);
      expect(r.messages).toEqual([
        expect.objectContaining({
          id: 200 + i,
          result: expect.objectContaining({ structuredContent: { sum: i + 1 } }),
        }),
      ]);
    }
    expect(continuedLines([b, c])).toHaveLength(1);

    // The subscription made on a: an update told on any node reaches the session's GET stream, once.
    const get = await fetch(c.url, {
      headers: { accept: 'text/event-stream', 'mcp-session-id': sid, 'mcp-protocol-version': V },
    });
    expect(get.status).toBe(200);
    const reader = (get.body as ReadableStream<Uint8Array>).getReader();
    let heard = '';
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        heard += new TextDecoder().decode(value);
      }
    })().catch(() => {});
    await new Promise((r) => setTimeout(r, 200));
    expect((await post(b, sid, call(300, 'touch_resource', { uri: 'test://watched' }))).status).toBe(200);
    const until = Date.now() + 5_000;
    while (!heard.includes('test://watched') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    const updates = sseMessages(heard).filter((m) => m.method === 'notifications/resources/updated');
    expect(updates).toEqual([
      { jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: 'test://watched' } },
    ]);
    await reader.cancel();
    await reading;

    // Ended by the client: gone for good, on every node.
    const del = await fetch(b.url, { method: 'DELETE', headers: { 'mcp-session-id': sid, 'mcp-protocol-version': V } });
    expect(del.status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    for (const n of [b, c]) expect((await post(n, sid, call(400, 'echo', { message: 'x' }))).status).toBe(404);
  });

  it('a request in flight on the node that dies gets an error in place of its answer, once', async () => {
    await cluster();
    const [a, b] = nodes as [ServedPool, ServedPool];
    const sid = await open(a);
    const res = await fetch(b.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': V,
        'mcp-session-id': sid,
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 9,
        method: 'tools/call',
        params: { name: 'progress', arguments: { steps: 100, delayMs: 100 }, _meta: { progressToken: 't' } },
      }),
    });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    // The answer is streaming (a progress event came): now its node dies.
    while (!text.includes('notifications/progress')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    a.child.kill('SIGKILL');
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    const answers = sseMessages(text).filter((m) => m.id === 9);
    expect(answers).toEqual([
      {
        jsonrpc: '2.0',
        id: 9,
        error: {
          code: -32014,
          message: 'node a stopped before answering; the request may or may not have taken effect',
          data: { reason: 'node_unreachable' },
        },
      },
    ]);
  });

  it('a graceful leave: the session goes on from another node', async () => {
    await cluster();
    const [a, , c] = nodes as [ServedPool, ServedPool, ServedPool];
    const sid = await open(a);
    expect(await a.stop()).toBe(0);
    const { answer } = await untilServed(sid, (k) => ({ id: 10 + k, method: 'tools/list', params: {} }), [c]);
    expect(answer.status).toBe(200);
    expect((answer.messages[0] as { result: { tools: unknown[] } }).result.tools.length).toBeGreaterThan(3);
    expect(continuedLines([c])).toHaveLength(1);
  });

  it('404 for a session no node ever had', async () => {
    await cluster();
    const r = await post(nodes[1] as ServedPool, 'zz~w0.00000000-0000-4000-8000-000000000000', call(1, 'echo'));
    expect(r.status).toBe(404);
  });
});
