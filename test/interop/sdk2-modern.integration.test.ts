/**
 * erlmcp's McpClient in the 2026 era against the official SDK v2 (2.4.0) server, in child
 * processes: Streamable HTTP (createMcpHandler + toNodeHandler on node:http, 127.0.0.1) and
 * stdio (serveStdio). Until erlmcp's own 2026 server lands, this is the modern reference.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { hasErrorCode } from '../../src/core/errors.js';
import type { VersionNegotiation } from '../../src/mcp/client/types.js';
import { McpClient, type McpClientOptions } from '../../src/mcp/client.js';
import { StreamableHttpClientTransport } from '../../src/transports/http-client.js';
import { StdioClientTransport } from '../../src/transports/stdio.js';
import type { Transport } from '../../src/transports/transport.js';
import { SDK2_FIXTURE, startSdk2Http } from './sdk2-process.js';

const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

async function httpTransport(args: string[] = []): Promise<Transport> {
  const server = await startSdk2Http(args);
  stops.push(server.stop);
  return new StreamableHttpClientTransport(server.url);
}

async function stdioTransport(args: string[] = []): Promise<Transport> {
  return new StdioClientTransport({ command: process.execPath, args: [SDK2_FIXTURE, ...args], stderr: 'inherit' });
}

function client(versionNegotiation: VersionNegotiation = 'auto', options: McpClientOptions = {}) {
  const warnings: string[] = [];
  const c = new McpClient(
    { name: 'erlmcp-client', version: '1.0.0' },
    { versionNegotiation, onwarning: (w) => warnings.push(w), ...options },
  );
  c.onElicitation((p) => ({
    action: 'accept',
    content: { name: 'Ada', color: 'red', ok: true, msg: p.message } as never,
  }));
  c.onSampling((p) => ({
    role: 'assistant',
    model: 'fake',
    content: {
      type: 'text',
      text: `verse on ${String((p.messages[0]?.content as { text?: string } | undefined)?.text)
        .split(' ')
        .pop()}`,
    },
  }));
  c.setRoots([{ uri: 'file:///work', name: 'work' }]);
  stops.push(() => c.close());
  return { c, warnings };
}

/** Counts the requests of `method` the client sends through `t`. */
function countSent(t: Transport, method: string): { count: number } {
  const counter = { count: 0 };
  const send = t.send.bind(t);
  t.send = (m, o) => {
    if ('method' in m && 'id' in m && m.method === method) counter.count++;
    return send(m, o);
  };
  return counter;
}

const text = (r: { content?: unknown }) => (r.content as { text: string }[])[0]?.text;
/** Polls `cond` until it holds, for at most 10 s. */
async function until(cond: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const statsOf = async (c: McpClient) => JSON.parse(text(await c.callTool({ name: 'stats' })) as string);

const cases: [string, (args?: string[]) => Promise<Transport>][] = [
  ['streamable http', httpTransport],
  ['stdio', stdioTransport],
];

describe.each(cases)('McpClient (2026 era) against the SDK v2 server over %s', (name, transport) => {
  it("'auto' settles on the modern era and describes the server", async () => {
    const { c } = client();
    const r = await c.connect(await transport());
    expect(r).toEqual({
      era: 'modern',
      protocolVersion: '2026-07-28',
      capabilities: {
        tools: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        prompts: { listChanged: true },
      },
      serverInfo: { name: 'sdk2-fixture', version: '2.4.0' },
      instructions: 'fixture instructions',
      supportedVersions: ['2026-07-28'],
    });
    expect(text(await c.callTool({ name: 'echo', arguments: { message: 'over the wire' } }))).toBe('over the wire');
  });

  it('lists tools (dropping the invalid x-mcp-header one over HTTP) and calls one with Mcp-Param headers', async () => {
    const { c, warnings } = client();
    await c.connect(await transport());
    const names = (await c.listAllTools()).map((t) => t.name);
    if (name === 'streamable http') {
      expect(names).not.toContain('bad_header');
      expect(warnings).toEqual([
        'tools/list: dropped tool "bad_header": x-mcp-header "N" is on a property of type "number"; only string, integer and boolean are allowed',
      ]);
    } else {
      // Other transports may ignore x-mcp-header (the spec): nothing is dropped.
      expect(names).toContain('bad_header');
    }
    // The SDK server checks Mcp-Param-Region/-Shard against the body (-32020 otherwise).
    const r = await c.callTool({ name: 'regional', arguments: { region: 'eu-west 1', shard: 7, query: 'q' } });
    expect(text(r)).toBe('eu-west 1/7: q');
  });

  it('fulfils multi-round input: elicitation, then sampling, then roots, with requestState echoed', async () => {
    const { c } = client();
    await c.connect(await transport());
    expect(text(await c.callTool({ name: 'ask_name' }))).toBe('hello Ada');
    expect(text(await c.callTool({ name: 'three_rounds' }))).toBe('red:verse on red|file:///work');
    const prompt = await c.getPrompt({ name: 'greet', arguments: { who: 'Bob' } });
    expect(prompt.messages).toEqual([{ role: 'user', content: { type: 'text', text: 'hello Bob (true)' } }]);
    const err = await c.callTool({ name: 'always_more' }).catch((e) => e);
    expect(hasErrorCode(err, 'ERR_INPUT_ROUNDS_EXCEEDED')).toBe(true);
  });

  it('caches resources/read for its ttlMs (not the ttl-0 one), and bypasses on request', async () => {
    const { c } = client();
    await c.connect(await transport());
    const before = (await statsOf(c)).reads;
    const first = await c.readResource({ uri: 'test://cached' });
    expect(await c.readResource({ uri: 'test://cached' })).toEqual(first);
    expect((await statsOf(c)).reads).toBe(before + 1);
    await c.readResource({ uri: 'test://cached' }, { cache: 'bypass' });
    await c.readResource({ uri: 'test://uncached' });
    await c.readResource({ uri: 'test://uncached' });
    expect((await statsOf(c)).reads).toBe(before + 4);
  });

  it('reports progress and cancels: the server sees the request aborted', async () => {
    const { c } = client();
    await c.connect(await transport());
    const seen: number[] = [];
    await c.callTool({ name: 'progress' }, { onprogress: (p) => seen.push(p.progress) });
    expect(seen).toEqual([1, 2, 3]);
    const before = await statsOf(c);
    const ac = new AbortController();
    const call = c.callTool({ name: 'slow', arguments: { ms: 30_000 } }, { signal: ac.signal });
    // Abort once the handler runs: a request aborted before it was sent never reaches the server
    // (how early that is depends on the Node version's fetch), and then nothing can see a cancel.
    await until(async () => (await statsOf(c)).started > before.started);
    ac.abort(new Error('not needed'));
    expect((await call.catch((e) => e)).message).toBe('not needed');
    // The server handler saw its signal abort (HTTP: the stream closed; stdio: notifications/cancelled).
    await until(async () => (await statsOf(c)).cancelled > before.cancelled);
    expect((await statsOf(c)).cancelled).toBe(before.cancelled + 1);
  });

  it('listens: a real tools/list_changed arrives on the subscription and invalidates the cached list', async () => {
    const { c } = client();
    const t = await transport();
    const lists = countSent(t, 'tools/list');
    await c.connect(t);
    const global: unknown[] = [];
    c.onNotification('notifications/tools/list_changed', (p) => global.push(p));
    let changed!: () => void;
    const gotChange = new Promise<void>((r) => {
      changed = r;
    });
    const sub = await c.listen(
      { toolsListChanged: true, promptsListChanged: true },
      { onToolsListChanged: () => changed() },
    );
    expect(sub.filter).toEqual({ toolsListChanged: true, promptsListChanged: true });
    const other = await c.listen({ resourcesListChanged: true });
    await c.listTools();
    await c.listTools(); // served from the cache (ttlMs 60,000)
    await c.callTool({ name: 'change_tools' });
    await gotChange;
    expect(global).toHaveLength(1);
    expect(lists.count).toBe(1);
    // The notification invalidated tools/list: the next call asks the server.
    await c.listTools();
    expect(lists.count).toBe(2);
    await sub.close();
    expect(await sub.closed).toEqual({ reason: 'closed' });
    expect(other.active).toBe(true);
    await other.close();
  });

  it("pinned works; 'legacy' still gets the 2025 era from the same (dual-era) server", async () => {
    const pinned = client({ pin: '2026-07-28' }).c;
    expect((await pinned.connect(await transport())).era).toBe('modern');
    const legacy = client('legacy').c;
    const r = await legacy.connect(await transport());
    expect([r.era, r.protocolVersion]).toEqual(['legacy', '2025-11-25']);
    expect(text(await legacy.callTool({ name: 'echo', arguments: { message: 'old' } }))).toBe('old');
  });

  it("a modern-only server (legacy: 'reject') refuses the 2025 handshake; 'auto' does not care", async () => {
    const strict = client('legacy').c;
    const err = await strict.connect(await transport(['--legacy', 'reject'])).catch((e) => e);
    expect(err.code).toBe(-32022);
    const auto = client().c;
    expect((await auto.connect(await transport(['--legacy', 'reject']))).era).toBe('modern');
  });
});
