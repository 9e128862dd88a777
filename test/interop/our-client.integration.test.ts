/**
 * erlmcp's McpClient against the official SDK's McpServer over stdio (our stdio client
 * transport spawning an SDK server process) and Streamable HTTP (our HTTP client transport
 * against the SDK's StreamableHTTPServerTransport). These are 2025-era servers: with
 * versionNegotiation 'auto' the client must fall back to initialize, pinned it must refuse.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterAll, describe, expect, it } from 'vitest';
import { hasErrorCode } from '../../src/core/errors.js';
import type { VersionNegotiation } from '../../src/mcp/client/types.js';
import { McpClient } from '../../src/mcp/client.js';
import { ErrorCode } from '../../src/mcp/jsonrpc.js';
import { StreamableHttpClientTransport } from '../../src/transports/http-client.js';
import { StdioClientTransport } from '../../src/transports/stdio.js';
import type { Transport } from '../../src/transports/transport.js';
// @ts-expect-error plain .mjs fixture without types
import { createSdkServer } from '../fixtures/sdk-server.mjs';

const fixture = path.join(__dirname, '..', 'fixtures', 'sdk-server.mjs');
const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const s of stops.splice(0)) await s();
});

/** The SDK's documented stateful Streamable HTTP pattern: one server + transport per session. */
async function startSdkHttp(): Promise<string> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const httpServer = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
    const sid = req.headers['mcp-session-id'] as string | undefined;
    let transport = sid ? sessions.get(sid) : undefined;
    if (!transport) {
      if (sid || body?.method !== 'initialize') {
        res.writeHead(sid ? 404 : 400).end();
        return;
      }
      const t = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          sessions.set(id, t);
        },
      });
      await createSdkServer().connect(t);
      transport = t;
    }
    await transport.handleRequest(req, res, body);
  });
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
  stops.push(async () => {
    for (const t of sessions.values()) await t.close();
    httpServer.closeAllConnections();
    await new Promise((r) => httpServer.close(r));
  });
  return `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/mcp`;
}

const cases: [string, () => Promise<Transport>][] = [
  ['stdio', async () => new StdioClientTransport({ command: process.execPath, args: [fixture], stderr: 'inherit' })],
  ['streamable http', async () => new StreamableHttpClientTransport(new URL(await startSdkHttp()))],
];

const modes: VersionNegotiation[] = ['legacy', 'auto'];

describe.each(cases)('McpClient against the SDK McpServer over %s', (_name, makeTransport) => {
  it.each(modes)('runs the whole client surface (versionNegotiation %s)', async (mode) => {
    const client = new McpClient({ name: 'erlmcp-client', version: '1.0.0' }, { versionNegotiation: mode });
    client.onSampling((p) => ({
      role: 'assistant',
      model: 'fake',
      content: { type: 'text', text: `re: ${(p.messages[0]?.content as { text: string } | undefined)?.text}` },
    }));
    const init = await client.connect(await makeTransport());
    stops.push(() => client.close());
    expect(init.serverInfo.name).toBe('sdk-fixture');
    expect([init.era, client.era]).toEqual(['legacy', 'legacy']);
    expect(['2025-11-25', '2025-06-18']).toContain(client.protocolVersion);

    const tools = await client.listAllTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['ask', 'count', 'echo']);
    expect(await client.callTool({ name: 'echo', arguments: { message: 'from erlmcp' } })).toEqual({
      content: [{ type: 'text', text: 'from erlmcp' }],
    });
    const invalid = await client.callTool({ name: 'echo', arguments: { message: 1 } }).then(
      (r) => r.isError === true,
      (e) => e.code === ErrorCode.INVALID_PARAMS,
    );
    expect(invalid).toBe(true);

    const progress: number[] = [];
    const counted = await client.callTool(
      { name: 'count', arguments: { n: 3 } },
      { onprogress: (p) => progress.push(p.progress) },
    );
    expect(counted.content).toEqual([{ type: 'text', text: 'counted 3' }]);
    expect(progress).toEqual([1, 2, 3]);

    expect((await client.readResource({ uri: 'sdk://static' })).contents).toEqual([
      { uri: 'sdk://static', text: 'static text' },
    ]);
    expect((await client.readResource({ uri: 'sdk://items/7' })).contents).toEqual([
      { uri: 'sdk://items/7', text: 'item 7' },
    ]);
    const prompt = await client.getPrompt({ name: 'hello', arguments: { who: 'you' } });
    expect(prompt.messages[0]?.content).toEqual({ type: 'text', text: 'hello you' });
    expect((await client.callTool({ name: 'ask', arguments: { q: 'why' } })).content).toEqual([
      { type: 'text', text: 're: why' },
    ]);
    expect(await client.ping()).toEqual({});
  });
});

describe.each(cases)('McpClient pinned to 2026-07-28 against the SDK v1 McpServer over %s', (_name, makeTransport) => {
  it('fails with ERR_ERA_NEGOTIATION and closes the transport', async () => {
    const client = new McpClient(
      { name: 'erlmcp-client', version: '1.0.0' },
      { versionNegotiation: { pin: '2026-07-28' } },
    );
    const err = await client.connect(await makeTransport()).catch((e) => e);
    expect(hasErrorCode(err, 'ERR_ERA_NEGOTIATION')).toBe(true);
    expect(err.message).toMatch(
      /^versionNegotiation is pinned to 2026-07-28 \(no fallback\), but the server did not take it: /,
    );
    expect(client.closed).toBe(true);
  });
});
