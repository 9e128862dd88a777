/**
 * The 2026-era send options (requestSignal, onRequestStreamEnd, headers) and
 * hasPerRequestStream carry the SDK v2's names, so each side's client runs on the other's
 * Streamable HTTP transport, against the SDK v2 server (child process, 127.0.0.1).
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, describe, expect, it } from 'vitest';
import { McpClient } from '../../src/mcp/client.js';
import { McpError } from '../../src/mcp/jsonrpc.js';
import { StreamableHttpClientTransport } from '../../src/transports/http-client.js';
import type { Transport } from '../../src/transports/transport.js';
import { startSdk2Http } from './sdk2-process.js';

const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

async function server(): Promise<string> {
  const s = await startSdk2Http();
  stops.push(s.stop);
  return s.url;
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

describe('2026 era across the SDK boundary', () => {
  it("erlmcp's McpClient over the SDK v2 StreamableHTTPClientTransport", async () => {
    const c = new McpClient({ name: 'erlmcp', version: '1' }, { versionNegotiation: 'auto', onwarning: () => {} });
    c.onElicitation(() => ({ action: 'accept', content: { name: 'Ada' } }));
    stops.push(() => c.close());
    const transport = new StreamableHTTPClientTransport(new URL(await server())) as unknown as Transport;
    expect((await c.connect(transport)).era).toBe('modern');
    await c.listTools();
    // Mcp-Param-Region reaches the server through the SDK transport's per-request headers.
    expect(text(await c.callTool({ name: 'regional', arguments: { region: 'ap-2', query: 'q' } }))).toBe('ap-2/-: q');
    expect(text(await c.callTool({ name: 'ask_name' }))).toBe('hello Ada');
    expect(await c.callTool({ name: 'nope' }).catch((e) => e)).toEqual(new McpError(-32602, 'Tool nope not found'));
    const ac = new AbortController();
    const slow = c.callTool({ name: 'slow', arguments: { ms: 30_000 } }, { signal: ac.signal });
    const stats = async () => JSON.parse(text(await c.callTool({ name: 'stats' })) as string);
    // Abort once the handler runs (a request aborted before it was sent never reaches the server).
    await until(async () => (await stats()).started === 1);
    ac.abort(new Error('stop'));
    expect((await slow.catch((e) => e)).message).toBe('stop');
    await until(async () => (await stats()).cancelled === 1);
    const sub = await c.listen({ toolsListChanged: true });
    expect(sub.filter).toEqual({ toolsListChanged: true });
    await sub.close();
  });

  it("the SDK v2 Client (versionNegotiation auto) over erlmcp's StreamableHttpClientTransport", async () => {
    const client = new Client({ name: 'sdk', version: '1' }, { versionNegotiation: { mode: 'auto' } } as never);
    stops.push(() => client.close());
    await client.connect(new StreamableHttpClientTransport(await server()) as never);
    expect((client as unknown as { getProtocolEra(): string }).getProtocolEra()).toBe('modern');
    const r = await client.callTool({ name: 'regional', arguments: { region: 'x', shard: 2, query: 'q' } });
    expect(text(r as { content?: unknown })).toBe('x/2: q');
    // The SDK cancels a 2026 request by aborting our requestSignal: the server sees it.
    const ac = new AbortController();
    const slow = client.callTool({ name: 'slow', arguments: { ms: 30_000 } }, { signal: ac.signal });
    const stats = async () =>
      JSON.parse(text((await client.callTool({ name: 'stats' })) as { content?: unknown }) as string);
    await until(async () => (await stats()).started === 1);
    ac.abort(new Error('stop'));
    await expect(slow).rejects.toThrow('stop');
    await until(async () => (await stats()).cancelled === 1);
  });
});
