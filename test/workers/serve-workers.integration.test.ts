/**
 * `erlmcp serve --workers 2` as a real process: 2025 sessions used over fresh connections
 * (each request lands on the worker the kernel picks, so about half are served through the
 * session relay), streams relayed across workers, one bucket per client for the process, a
 * crashed worker restarted while the other serves, and a graceful stop with requests in
 * flight on every worker.
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { McpClient } from '../../src/mcp/client.js';
import { StreamableHttpClientTransport } from '../../src/transports/http-client.js';
import { WebSocketClientTransport } from '../../src/transports/ws-client.js';
import { freshFetch } from './fresh-fetch.js';
import { killPools, servePool } from './serve-pool.js';

afterEach(killPools);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const transports = new WeakMap<McpClient, StreamableHttpClientTransport>();

/** A 2025 client whose every request opens a new TCP connection. */
async function freshClient(url: string, name = 'pool-test', setup?: (c: McpClient) => void): Promise<McpClient> {
  const client = new McpClient({ name, version: '1' });
  setup?.(client);
  const transport = new StreamableHttpClientTransport(new URL(url), { fetch: freshFetch });
  transports.set(client, transport);
  await client.connect(transport);
  return client;
}

/** The worker owning the client's session (its id starts with `w<index>.`). */
function ownerOf(client: McpClient): number {
  return Number(/^w(\d+)\./.exec(transports.get(client)?.sessionId ?? '')?.[1]);
}

function text(result: { content?: unknown }): string {
  return ((result.content as { text: string }[])[0] as { text: string }).text;
}

/** One POST on a fresh connection: status and parsed body. */
function post(
  port: number,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/mcp',
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8').on('data', (c: string) => {
          data += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data === '' ? undefined : JSON.parse(data) }));
      },
    );
    req.once('error', reject);
    req.end(JSON.stringify(body));
  });
}

function statelessCall(id: number, message: string) {
  return {
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: {
      name: 'echo',
      arguments: { message },
      _meta: {
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientCapabilities': {},
      },
    },
  };
}
const STATELESS_HEADERS = { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'echo' };

/** Sessions until both workers own one (the owner is in the id: `w<index>.`). */
async function clientsOnBothWorkers(url: string): Promise<Map<number, McpClient>> {
  const owners = new Map<number, McpClient>();
  for (let i = 0; i < 40 && owners.size < 2; i++) {
    const c = await freshClient(url);
    const owner = ownerOf(c);
    if (owners.has(owner)) await c.close();
    else owners.set(owner, c);
  }
  expect([...owners.keys()].sort()).toEqual([0, 1]);
  return owners;
}

describe('erlmcp serve --workers 2', () => {
  it('serves every request of a 2025 session from whichever worker it lands on, once and with its own id', async () => {
    const pool = await servePool(2);
    const owners = await clientsOnBothWorkers(pool.url);
    for (const [owner, client] of owners) {
      // The owner serves the session: whoami answers its index, whichever worker took the POST.
      const seen = new Set<string>();
      for (let i = 0; i < 30; i++) {
        const r = await client.callTool({ name: 'echo', arguments: { message: `m${i}` } });
        expect(text(r)).toBe(`m${i}`);
        seen.add(text(await client.callTool({ name: 'whoami' })).split('/')[0] as string);
      }
      expect([...seen]).toEqual([String(owner)]);
      // Concurrent requests over fresh connections: each answered once, with its own result.
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) => client.callTool({ name: 'add', arguments: { a: i, b: owner } })),
      );
      expect(results.map((r) => (r.structuredContent as { sum: number }).sum)).toEqual(
        Array.from({ length: 40 }, (_, i) => i + owner),
      );
    }
    for (const c of owners.values()) await c.close();
    expect(await pool.stop()).toBe(0);
  });

  it('relays SSE progress and a sampling round trip across workers', async () => {
    const pool = await servePool(2);
    const owners = await clientsOnBothWorkers(pool.url);
    for (const client of owners.values()) await client.close();
    for (let round = 0; round < 6; round++) {
      let sampled = 0;
      const client = await freshClient(pool.url, 'sampler', (c) =>
        c.onSampling(async (params) => {
          sampled++;
          const q = ((params.messages[0] as { content: { text: string } }).content as { text: string }).text;
          return { role: 'assistant', model: 'test', content: { type: 'text', text: `answer to ${q}` } };
        }),
      );
      const progress: number[] = [];
      const r = await client.callTool(
        { name: 'progress', arguments: { steps: 5, delayMs: 5 } },
        { onprogress: (p: { progress: number }) => progress.push(p.progress) },
      );
      expect(r.isError).not.toBe(true);
      expect(progress).toEqual([1, 2, 3, 4, 5]);
      const answer = await client.callTool({ name: 'ask_llm', arguments: { question: `q${round}` } });
      expect(text(answer)).toContain(`answer to q${round}`);
      expect(sampled).toBe(1);
      await client.close();
    }
    expect(await pool.stop()).toBe(0);
  });

  it('delivers server-initiated messages on a GET stream held by any worker', async () => {
    const pool = await servePool(2);
    // 8 sessions, each with its GET stream on a fresh connection: some sit on the other worker.
    const clients = await Promise.all(Array.from({ length: 8 }, () => freshClient(pool.url)));
    const heard = clients.map(() => 0);
    clients.forEach((c, i) => {
      c.onNotification('notifications/tools/list_changed', () => {
        heard[i] = (heard[i] ?? 0) + 1;
      });
    });
    await sleep(300); // the GET streams open after initialize
    // Each worker adds a tool: every session it owns hears exactly one list_changed.
    const owners = new Set(clients.map(ownerOf));
    for (const owner of owners) {
      const c = clients.find((x) => ownerOf(x) === owner) as McpClient;
      await c.callTool({ name: 'add_tool' });
    }
    const deadline = Date.now() + 5_000;
    while (heard.some((n) => n === 0) && Date.now() < deadline) await sleep(50);
    expect(heard).toEqual(clients.map(() => 1));
    for (const c of clients) await c.close();
    expect(await pool.stop()).toBe(0);
  });

  it('serves a task from every worker: created on one, polled, listened to and cancelled from any', async () => {
    const pool = await servePool(2);
    const c = new McpClient(
      { name: 'tasks', version: '1' },
      { versionNegotiation: { pin: '2026-07-28' }, tasks: true },
    );
    await c.connect(new StreamableHttpClientTransport(new URL(pool.url), { fetch: freshFetch }));
    // Polled to the end over fresh connections: most polls land on the other worker.
    for (let i = 0; i < 4; i++) {
      const job = await c.callTool({ name: 'long_job', arguments: { steps: 3, stepMs: 5 } });
      expect(job.content).toEqual([{ type: 'text', text: 'finished 3 steps' }]);
    }
    const owners = new Set<string>();
    for (let i = 0; i < 30 && owners.size < 2; i++) {
      const start = await c.startToolCall({ name: 'long_job', arguments: { steps: 1000, stepMs: 50 } });
      if (start.task === undefined) throw new Error('expected a task');
      const { taskId } = start.task;
      owners.add(/^w\d+\./.exec(taskId)?.[0] ?? 'none');
      // A listen stream on whichever worker its POST landed hears the task's status.
      const heard: string[] = [];
      const sub = await c.listen({ taskIds: [taskId] }, { onTaskStatus: (t) => heard.push(t.status) });
      for (let k = 0; k < 6; k++) expect((await c.getTask(taskId)).status).toBe('working');
      await c.cancelTask(taskId);
      expect((await c.getTask(taskId)).status).toBe('cancelled');
      const deadline = Date.now() + 5_000;
      while (!heard.includes('cancelled') && Date.now() < deadline) await sleep(20);
      expect(heard).toContain('cancelled');
      await sub.close();
    }
    expect([...owners].sort()).toEqual(['w0.', 'w1.']);
    await c.close();
    expect(await pool.stop()).toBe(0);
  });

  it('gives a client spread over both workers exactly its bucket', async () => {
    const pool = await servePool(2, [], { ERLMCP_BUCKET_CAPACITY: '30', ERLMCP_BUCKET_REFILL_PER_SEC: '1' });
    const answers = [];
    for (let i = 0; i < 60; i++) answers.push(await post(pool.port, statelessCall(i, `s${i}`), STATELESS_HEADERS));
    const ok = answers.filter((a) => a.status === 200).length;
    const limited = answers.filter(
      (a) => a.status === 429 && (a.body as { error: { code: number } }).error.code === -32010,
    ).length;
    // 30 tokens, plus at most one or two refilled during the run (1 per second).
    expect(ok).toBeGreaterThanOrEqual(30);
    expect(ok).toBeLessThanOrEqual(33);
    expect(ok + limited).toBe(60);
    expect(await pool.stop()).toBe(0);
  });

  it('restarts a crashed worker alone: the other worker keeps serving its clients without an error', async () => {
    // The survivor calls in a tight loop for as long as the restart takes; on an idle box that
    // outruns the default bucket (1,000 + 10,000/s), and a rate-limit answer is not what this
    // test is about.
    const pool = await servePool(2, [], {
      ERLMCP_BUCKET_CAPACITY: '1000000',
      ERLMCP_BUCKET_REFILL_PER_SEC: '10000000',
    });
    // WebSocket sessions live on the worker that accepted them: one on each (whoami says which).
    const byWorker = new Map<number, McpClient>();
    for (let i = 0; i < 40 && byWorker.size < 2; i++) {
      const c = new McpClient({ name: 'ws', version: '1' });
      await c.connect(new WebSocketClientTransport(new URL(pool.url.replace(/^http/, 'ws'))));
      const w = Number(text(await c.callTool({ name: 'whoami' })).split('/')[0]);
      if (byWorker.has(w)) await c.close();
      else byWorker.set(w, c);
    }
    expect([...byWorker.keys()].sort()).toEqual([0, 1]);
    const survivor = byWorker.get(1) as McpClient;
    const victim = byWorker.get(0) as McpClient;
    const httpSurvivor = (await clientsOnBothWorkers(pool.url)).get(1) as McpClient;
    let errors = 0;
    let firstError: string | undefined;
    let served = 0;
    let stop = false;
    const traffic = (async () => {
      while (!stop) {
        try {
          const r = await survivor.callTool({ name: 'echo', arguments: { message: 'still here' } });
          if (text(r) === 'still here') served++;
          else {
            errors++;
            firstError ??= `answer ${JSON.stringify(r)}`;
          }
        } catch (e) {
          errors++;
          firstError ??= String((e as Error).stack ?? e);
        }
      }
    })();
    await sleep(200);
    await victim.callTool({ name: 'crash_worker' });
    const deadline = Date.now() + 10_000;
    while (!pool.logs().some((l) => l.includes('"child":"worker-0"') && l.includes('"restart":true'))) {
      if (Date.now() > deadline) throw new Error(`worker 0 was not restarted:\n${pool.logs().join('\n')}`);
      await sleep(50);
    }
    await sleep(300);
    stop = true;
    await traffic;
    // The first failure's text makes a failure here say what went wrong.
    expect({ errors, firstError }).toEqual({ errors: 0, firstError: undefined });
    expect(served).toBeGreaterThan(10);
    // The crashed worker's WebSocket is gone with it; worker 1's 2025 HTTP session goes on,
    // from whichever worker its requests land on (worker 0 is the restarted one now).
    await expect(victim.callTool({ name: 'echo', arguments: { message: 'x' } })).rejects.toThrow();
    for (let i = 0; i < 20; i++) {
      expect(text(await httpSurvivor.callTool({ name: 'echo', arguments: { message: `after ${i}` } }))).toBe(
        `after ${i}`,
      );
    }
    const again = await clientsOnBothWorkers(pool.url);
    expect(again.size).toBe(2);
    for (const c of again.values()) await c.close();
    await survivor.close();
    await httpSurvivor.close();
    expect(await pool.stop()).toBe(0);
  });

  it("gives back the maxConnections slots of a crashed worker's connections", async () => {
    const pool = await servePool(2, ['--max-connections', '4']);
    const wsUrl = new URL(pool.url.replace(/^http/, 'ws'));
    const onWorker = async (w: number): Promise<McpClient> => {
      for (let i = 0; i < 40; i++) {
        const c = new McpClient({ name: 'slots', version: '1' });
        await c.connect(new WebSocketClientTransport(wsUrl));
        if (Number(text(await c.callTool({ name: 'whoami' })).split('/')[0]) === w) return c;
        await c.close();
        await sleep(20); // the slot is released when the server sees the close
      }
      throw new Error(`no WebSocket landed on worker ${w}`);
    };
    const victims = [await onWorker(0), await onWorker(0)];
    const survivor = await onWorker(1);
    await (victims[0] as McpClient).callTool({ name: 'crash_worker' });
    const deadline = Date.now() + 10_000;
    while (!pool.logs().some((l) => l.includes('"child":"worker-0"') && l.includes('"restart":true'))) {
      if (Date.now() > deadline) throw new Error('worker 0 was not restarted');
      await sleep(50);
    }
    // 1 slot held (the survivor): 3 more connections fit, a 4th does not.
    const fresh: McpClient[] = [];
    for (let i = 0; i < 3; i++) {
      const c = new McpClient({ name: 'slots', version: '1' });
      await c.connect(new WebSocketClientTransport(wsUrl));
      fresh.push(c);
    }
    const extra = new McpClient({ name: 'slots', version: '1' });
    await expect(extra.connect(new WebSocketClientTransport(wsUrl))).rejects.toThrow();
    for (const c of [...fresh, survivor]) await c.close();
    expect(await pool.stop()).toBe(0);
  });

  it('on SIGTERM finishes the requests in flight on every worker, then exits 0', async () => {
    const pool = await servePool(2, ['--shutdown-ms', '5000']);
    const owners = await clientsOnBothWorkers(pool.url);
    const slow = [...owners.values()].flatMap((c) =>
      Array.from({ length: 3 }, () => c.callTool({ name: 'sleep', arguments: { ms: 400 } })),
    );
    await sleep(100);
    const exit = pool.stop();
    const results = await Promise.all(slow);
    expect(results.map(text)).toEqual(results.map(() => 'slept 400 ms'));
    expect(await exit).toBe(0);
  });
});
