// 2025-era Streamable HTTP sessions across the nodes of a cluster, with real `erlmcp serve`
// processes on a real Redis: the client's requests go to the nodes in turn (a fresh connection
// each, as behind a balancer without affinity), so most land on a node that does not own the
// session and are proxied to the owner. Every request is answered once with its own result, SSE
// progress arrives intact, a sampling request's answer finds its way back, and a GET stream on
// whichever node it lands on hears the owner's notifications.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { McpClient } from '../../src/mcp/client.js';
import { StreamableHttpClientTransport } from '../../src/transports/http-client.js';
import { freshFetch } from '../workers/fresh-fetch.js';
import { killPools, type ServedPool } from '../workers/serve-pool.js';
import { killRedis, type PrivateRedis, startRedis } from './redis-server.js';
import { threeNodes } from './three-nodes.js';

const clients: McpClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => {});
  killPools();
});

const text = (r: { content?: unknown }) => ((r.content as { text: string }[])[0] as { text: string }).text;

/** A fetch sending each request to the next node in turn, on a fresh connection. */
function rotating(nodes: ServedPool[], start = 0): { fetch: typeof fetch; sent: number[] } {
  let next = start;
  const sent = nodes.map(() => 0);
  return {
    sent,
    fetch: (input, init) => {
      const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
      const i = next++ % nodes.length;
      sent[i] = (sent[i] ?? 0) + 1;
      url.port = String((nodes[i] as ServedPool).port);
      return freshFetch(url, init);
    },
  };
}

async function client(
  nodes: ServedPool[],
  setup?: (c: McpClient) => void,
  start = 0,
): Promise<{ c: McpClient; transport: StreamableHttpClientTransport }> {
  const c = new McpClient({ name: 'roaming', version: '1' });
  setup?.(c);
  const transport = new StreamableHttpClientTransport(new URL((nodes[0] as ServedPool).url), {
    fetch: rotating(nodes, start).fetch,
  });
  await c.connect(transport);
  clients.push(c);
  return { c, transport };
}

describe('2025 sessions across the nodes of a cluster', { timeout: 90_000 }, () => {
  let redis: PrivateRedis;
  let nodes: ServedPool[];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => killRedis());

  const cluster = async () => {
    nodes = await threeNodes(redis, 's');
  };

  it('serves every request of a session from any node, once and with its own result', async () => {
    await cluster();
    const owners = new Set<string>();
    for (let k = 0; k < 3; k++) {
      // Each client starts its rotation on another node: its initialize lands there.
      const { c, transport } = await client(nodes, undefined, k);
      owners.add((transport.sessionId ?? '').split('~')[0] as string);
      for (let i = 0; i < 12; i++)
        expect(text(await c.callTool({ name: 'echo', arguments: { message: `m${i}` } }))).toBe(`m${i}`);
      const sums = await Promise.all(
        Array.from({ length: 24 }, (_, i) => c.callTool({ name: 'add', arguments: { a: i, b: k } })),
      );
      expect(sums.map((r) => (r.structuredContent as { sum: number }).sum)).toEqual(
        Array.from({ length: 24 }, (_, i) => i + k),
      );
    }
    // The session id names the node that answered initialize.
    expect([...owners].sort()).toEqual(['a', 'b', 'c']);
  });

  it('relays SSE progress, a sampling round trip and a GET stream across nodes', async () => {
    await cluster();
    for (let round = 0; round < 3; round++) {
      let sampled = 0;
      let listChanged = 0;
      const { c } = await client(nodes, (x) => {
        x.onSampling(async (params) => {
          sampled++;
          const q = ((params.messages[0] as { content: { text: string } }).content as { text: string }).text;
          return { role: 'assistant', model: 'test', content: { type: 'text', text: `answer to ${q}` } };
        });
        x.onNotification('notifications/tools/list_changed', () => {
          listChanged++;
        });
      });
      const progress: number[] = [];
      const r = await c.callTool(
        { name: 'progress', arguments: { steps: 5, delayMs: 5 } },
        { onprogress: (p: { progress: number }) => progress.push(p.progress) },
      );
      expect(r.isError).not.toBe(true);
      expect(progress).toEqual([1, 2, 3, 4, 5]);
      const answer = await c.callTool({ name: 'ask_llm', arguments: { question: `q${round}` } });
      expect(text(answer)).toContain(`answer to q${round}`);
      expect(sampled).toBe(1);
      // The session's GET stream sits on whichever node its GET went to; the owner's change reaches it.
      await new Promise((res) => setTimeout(res, 300));
      await c.callTool({ name: 'add_tool' });
      const until = Date.now() + 5_000;
      while (listChanged === 0 && Date.now() < until) await new Promise((res) => setTimeout(res, 20));
      expect(listChanged).toBe(1);
    }
  });

  it('2026 tasks: created on one node, polled, cancelled and read from every node', async () => {
    await cluster();
    const c = new McpClient(
      { name: 'tasks', version: '1' },
      { versionNegotiation: { pin: '2026-07-28' }, tasks: true },
    );
    await c.connect(
      new StreamableHttpClientTransport(new URL((nodes[0] as ServedPool).url), { fetch: rotating(nodes).fetch }),
    );
    clients.push(c);
    // Polled to the end over the rotation: most polls land on another node than the task's.
    const job = await c.callTool({ name: 'long_job', arguments: { steps: 3, stepMs: 5 } });
    expect(job.content).toEqual([{ type: 'text', text: 'finished 3 steps' }]);
    const homes = new Set<string>();
    for (let k = 0; k < 3; k++) {
      const start = await c.startToolCall({ name: 'long_job', arguments: { steps: 1000, stepMs: 50 } });
      if (start.task === undefined) throw new Error('expected a task');
      const { taskId } = start.task;
      homes.add(taskId.split('~')[0] as string);
      for (let i = 0; i < 6; i++) expect((await c.getTask(taskId)).status).toBe('working');
      await c.cancelTask(taskId);
      for (let i = 0; i < 3; i++) expect((await c.getTask(taskId)).status).toBe('cancelled');
    }
    // The rotation created the tasks on different nodes.
    expect(homes.size).toBeGreaterThan(1);
  });

  it('2026 multi round-trip: the retry lands on another node, which opens the requestState the first sealed', async () => {
    await cluster();
    let sampled = 0;
    const c = new McpClient({ name: 'mrtr', version: '1' }, { versionNegotiation: { pin: '2026-07-28' } });
    c.onSampling(async (params) => {
      sampled++;
      const q = ((params.messages[0] as { content: { text: string } }).content as { text: string }).text;
      return { role: 'assistant', model: 'test', content: { type: 'text', text: `answer to ${q}` } };
    });
    const rotation = rotating(nodes);
    await c.connect(
      new StreamableHttpClientTransport(new URL((nodes[0] as ServedPool).url), { fetch: rotation.fetch }),
    );
    clients.push(c);
    for (let i = 0; i < 6; i++) {
      const r = await c.callTool({ name: 'ask_llm', arguments: { question: `q${i}` } });
      expect(r.isError).not.toBe(true);
      expect(text(r)).toBe(`answer to q${i}`);
    }
    expect(sampled).toBe(6);
    // Each call took two requests, each to the next node: every retry went to another node.
    expect(rotation.sent.every((n) => n >= 4)).toBe(true);
  });
});
