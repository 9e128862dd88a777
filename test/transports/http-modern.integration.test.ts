/**
 * McpClient + StreamableHttpClientTransport in the 2026 era, asserted on the wire with a raw
 * node:http server: mirrored headers, Mcp-Param-*, no session, cancellation by closing the
 * request's stream, listen streams, and how the discover probe's HTTP answers settle the era.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { hasErrorCode } from '../../src/core/errors.js';
import { McpClient, type McpClientOptions } from '../../src/mcp/client.js';
import { HttpStatusError, StreamableHttpClientTransport } from '../../src/transports/http-client.js';
import { type Exchange, json, type RawServer, sse, startRaw } from './raw-http.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const discover = {
  resultType: 'complete',
  supportedVersions: ['2026-07-28'],
  capabilities: { tools: {}, resources: {}, prompts: {} },
  ttlMs: 0,
  cacheScope: 'private',
  _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'raw', version: '1' } },
};
const tools = [
  {
    name: 'sql',
    inputSchema: {
      type: 'object',
      properties: {
        region: { type: 'string', 'x-mcp-header': 'Region' },
        limit: { type: 'integer', 'x-mcp-header': 'Limit' },
      },
    },
  },
  { name: 'bad', inputSchema: { type: 'object', properties: { n: { type: 'number', 'x-mcp-header': 'N' } } } },
  { name: 'wetter-ü', inputSchema: { type: 'object' } },
];
const ok = (id: unknown, result: Record<string, unknown>) => ({
  jsonrpc: '2.0',
  id,
  result: { resultType: 'complete', ...result },
});

/** A 2026 server; `custom` may answer an exchange itself (return true). */
function modernServer(custom?: (ex: Exchange) => boolean | undefined) {
  return (ex: Exchange): void => {
    if (custom?.(ex)) return;
    const m = ex.body;
    const id = m?.id;
    switch (m?.method) {
      case 'server/discover':
        // A session id a 2026 client must never send back.
        json(ex.res, 200, ok(id, discover), { 'mcp-session-id': 'do-not-echo' });
        return;
      case 'tools/list':
        json(ex.res, 200, ok(id, { tools, ttlMs: 0, cacheScope: 'public' }));
        return;
      case 'tools/call':
        sse(ex.res, [ok(id, { content: [{ type: 'text', text: String(m.params.name) }] })]);
        return;
      case 'resources/read':
        json(ex.res, 200, ok(id, { contents: [{ uri: m.params.uri, text: 'r' }], ttlMs: 0, cacheScope: 'private' }));
        return;
      case 'prompts/get':
        json(ex.res, 200, ok(id, { messages: [] }));
        return;
      case 'tasks/get':
        json(
          ex.res,
          200,
          ok(id, { taskId: m.params.taskId, status: 'working', createdAt: 'x', lastUpdatedAt: 'x', ttlMs: null }),
        );
        return;
      case 'tasks/update':
      case 'tasks/cancel':
        json(ex.res, 200, ok(id, {}));
        return;
      default:
        if (id === undefined) ex.res.writeHead(202).end();
        else json(ex.res, 404, { jsonrpc: '2.0', id, error: { code: -32601, message: 'Method not found' } });
    }
  };
}

async function connect(
  server: RawServer,
  options: McpClientOptions = {},
): Promise<{ client: McpClient; errors: Error[] }> {
  const client = new McpClient(
    { name: 'wire', version: '1.0.0' },
    { versionNegotiation: 'auto', onwarning: () => {}, ...options },
  );
  const errors: Error[] = [];
  client.onerror = (e) => errors.push(e);
  cleanup.push(() => client.close());
  await client.connect(new StreamableHttpClientTransport(server.url));
  return { client, errors };
}

async function raw(handle: (ex: Exchange) => void | Promise<void>): Promise<RawServer> {
  const s = await startRaw(handle);
  cleanup.push(() => s.stop());
  return s;
}

const h = (ex: Exchange | undefined, name: string) => ex?.headers[name];

describe('Streamable HTTP client, 2026 era, on the wire', () => {
  it('mirrors method and name into headers, never sends a session id, opens no GET and sends no DELETE', async () => {
    const server = await raw(modernServer());
    const { client, errors } = await connect(server, { tasks: true });
    const probe = server.of('server/discover')[0];
    expect(h(probe, 'mcp-protocol-version')).toBe('2026-07-28');
    expect(h(probe, 'mcp-method')).toBe('server/discover');
    expect(h(probe, 'mcp-name')).toBeUndefined();
    expect(h(probe, 'accept')).toBe('application/json, text/event-stream');
    expect(h(probe, 'content-type')).toBe('application/json');

    await client.listTools();
    await client.callTool({ name: 'sql', arguments: { region: 'Zürich', limit: 10 } });
    await client.callTool({ name: 'wetter-ü' });
    await client.readResource({ uri: 'file:///a b.txt' });
    await client.getPrompt({ name: 'brief' });
    await client.getTask('task-42');
    await client.updateTask('task-42', { k: { action: 'cancel' } });
    await client.cancelTask('task-42');
    const [sql, wetter] = server.of('tools/call');
    expect([h(sql, 'mcp-method'), h(sql, 'mcp-name'), h(sql, 'mcp-param-region'), h(sql, 'mcp-param-limit')]).toEqual([
      'tools/call',
      'sql',
      '=?base64?WsO8cmljaA==?=',
      '10',
    ]);
    expect(h(wetter, 'mcp-name')).toBe('=?base64?d2V0dGVyLcO8?=');
    expect(h(server.of('resources/read')[0], 'mcp-name')).toBe('file:///a b.txt');
    expect(h(server.of('prompts/get')[0], 'mcp-name')).toBe('brief');
    expect(h(server.of('tasks/get')[0], 'mcp-name')).toBe('task-42');
    expect(h(server.of('tasks/get')[0], 'mcp-method')).toBe('tasks/get');
    expect(h(server.of('tasks/update')[0], 'mcp-name')).toBe('task-42');
    expect(h(server.of('tasks/cancel')[0], 'mcp-name')).toBe('task-42');
    for (const ex of server.exchanges) {
      expect(h(ex, 'mcp-session-id')).toBeUndefined();
      expect(h(ex, 'mcp-protocol-version')).toBe('2026-07-28');
    }
    await client.close();
    expect(server.exchanges.map((e) => e.method)).toEqual(Array(server.exchanges.length).fill('POST'));
    expect(errors).toEqual([]);
  });

  it('drops tools whose x-mcp-header annotations are invalid, with a warning', async () => {
    const server = await raw(modernServer());
    const warnings: string[] = [];
    const { client } = await connect(server, { onwarning: (w) => warnings.push(w) });
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['sql', 'wetter-ü']);
    await client.listTools();
    expect(warnings).toEqual([
      'tools/list: dropped tool "bad": x-mcp-header "N" is on a property of type "number"; only string, integer and boolean are allowed',
    ]);
  });

  it('on HeaderMismatch (-32020) re-reads the tools and retries once with the right headers', async () => {
    let refused = 0;
    const server = await raw(
      modernServer((ex) => {
        if (ex.body?.method !== 'tools/call' || h(ex, 'mcp-param-region') !== undefined) return false;
        refused++;
        json(ex.res, 400, {
          jsonrpc: '2.0',
          id: ex.body.id,
          error: { code: -32020, message: 'Header mismatch: Mcp-Param-Region missing' },
        });
        return true;
      }),
    );
    const { client } = await connect(server);
    // Called before any tools/list: the client cannot know the headers yet.
    expect(await client.callTool({ name: 'sql', arguments: { region: 'eu' } })).toEqual({
      resultType: 'complete',
      content: [{ type: 'text', text: 'sql' }],
    });
    expect(refused).toBe(1);
    expect(server.exchanges.map((e) => e.body?.method)).toEqual([
      'server/discover',
      'tools/call',
      'tools/list',
      'tools/call',
    ]);
  });

  it('SSE answers deliver progress before the result; errors with 4xx bodies are McpErrors, not transport faults', async () => {
    const server = await raw(
      modernServer((ex) => {
        const m = ex.body;
        if (m?.method !== 'tools/call' || m.params.name !== 'progress') return false;
        const token = m.params._meta.progressToken;
        sse(ex.res, [
          { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: token, progress: 1, total: 2 } },
          { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: token, progress: 2, total: 2 } },
          ok(m.id, { content: [] }),
        ]);
        return true;
      }),
    );
    const { client, errors } = await connect(server);
    const seen: number[] = [];
    await client.callTool({ name: 'progress' }, { onprogress: (p) => seen.push(p.progress) });
    expect(seen).toEqual([1, 2]);
    const err = await client
      .complete({ ref: { type: 'ref/prompt', name: 'p' }, argument: { name: 'a', value: '' } })
      .catch((e) => e);
    expect([err.name, err.code, err.message]).toEqual(['McpError', -32601, 'Method not found']);
    expect(errors).toEqual([]);
  });

  it('cancelling closes that request’s stream; no notifications/cancelled is posted', async () => {
    let held: Exchange | undefined;
    const server = await raw(
      modernServer((ex) => {
        if (ex.body?.method !== 'tools/call' || ex.body.params.name !== 'slow') return false;
        held = ex;
        sse(ex.res, [], false);
        return true;
      }),
    );
    const { client, errors } = await connect(server);
    const ac = new AbortController();
    const call = client.callTool({ name: 'slow' }, { signal: ac.signal });
    while (!held) await new Promise((r) => setImmediate(r));
    ac.abort(new Error('stop'));
    expect((await call.catch((e) => e)).message).toBe('stop');
    await held.aborted;
    // The same for a timeout.
    held = undefined;
    const timedOut = await client.callTool({ name: 'slow' }, { timeoutMs: 30 }).catch((e) => e);
    expect(timedOut.code).toBe(-32001);
    await (held as unknown as Exchange).aborted;
    expect(server.of('notifications/cancelled')).toHaveLength(0);
    expect(client.pendingRequests).toBe(0);
    expect(errors).toEqual([]);
  });

  it('a stream that ends before its answer fails the request at once with -32000', async () => {
    const server = await raw(
      modernServer((ex) => {
        if (ex.body?.method !== 'tools/call') return false;
        sse(ex.res, [{ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'bye' } }]);
        return true;
      }),
    );
    const { client } = await connect(server, { requestTimeoutMs: 600_000 });
    const err = await client.callTool({ name: 'x' }).catch((e) => e);
    expect([err.code, err.message]).toEqual([-32000, 'the response stream ended before the response arrived']);
  });

  it('a notification POST expects 202', async () => {
    const server = await raw(
      modernServer((ex) => {
        if (ex.body?.method !== 'notifications/odd') return false;
        json(ex.res, 200, {});
        return true;
      }),
    );
    const { client, errors } = await connect(server);
    await client.notify('notifications/fine');
    await client.notify('notifications/odd');
    expect(errors.map((e) => e.message)).toEqual(['expected 202 for a notification, got HTTP 200']);
    expect(h(server.of('notifications/fine')[0], 'mcp-method')).toBe('notifications/fine');
  });

  it('listen: acknowledged on its own stream, notifications delivered, close() closes that stream', async () => {
    const streams: Exchange[] = [];
    const server = await raw(
      modernServer((ex) => {
        const m = ex.body;
        if (m?.method !== 'subscriptions/listen') return false;
        streams.push(ex);
        const tag = { 'io.modelcontextprotocol/subscriptionId': m.id };
        sse(
          ex.res,
          [
            {
              jsonrpc: '2.0',
              method: 'notifications/subscriptions/acknowledged',
              params: { _meta: tag, notifications: m.params.notifications },
            },
            { jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: { _meta: tag } },
          ],
          false,
        );
        return true;
      }),
    );
    const { client } = await connect(server);
    let changed!: () => void;
    const gotChange = new Promise<void>((r) => {
      changed = r;
    });
    const sub = await client.listen({ toolsListChanged: true }, { onToolsListChanged: () => changed() });
    await gotChange;
    expect(h(streams[0], 'mcp-method')).toBe('subscriptions/listen');
    await sub.close();
    await streams[0]?.aborted;
    expect(await sub.closed).toEqual({ reason: 'closed' });
    expect(server.of('notifications/cancelled')).toHaveLength(0);

    // A server that ends the stream gracefully, and one that just drops it.
    const graceful = await client.listen({ toolsListChanged: true });
    sse(streams[1]?.res as never, [
      ok(graceful.id, { _meta: { 'io.modelcontextprotocol/subscriptionId': graceful.id } }),
    ]);
    expect(await graceful.closed).toEqual({ reason: 'completed' });
    const dropped = await client.listen({ toolsListChanged: true });
    streams[2]?.res.end();
    expect((await dropped.closed).reason).toBe('ended');
  });
});

describe('era negotiation over HTTP (the discover probe)', () => {
  /** A 2025 server whose answer to a POST without a session is `refuse`. */
  function legacyServer(refuse: (ex: Exchange) => void) {
    return (ex: Exchange): void => {
      const m = ex.body;
      if (m?.method === 'initialize') {
        json(
          ex.res,
          200,
          {
            jsonrpc: '2.0',
            id: m.id,
            result: { protocolVersion: '2025-11-25', capabilities: {}, serverInfo: { name: 'old', version: '1' } },
          },
          {
            'mcp-session-id': 's-1',
          },
        );
      } else if (h(ex, 'mcp-session-id') === 's-1') {
        if (m?.id === undefined) ex.res.writeHead(202).end();
        else json(ex.res, 200, { jsonrpc: '2.0', id: m.id, result: { tools: [] } });
      } else if (ex.method === 'GET' || ex.method === 'DELETE') {
        ex.res.writeHead(405).end();
      } else {
        refuse(ex);
      }
    };
  }

  it('a 4xx without a modern error falls back to initialize, and the 2025 session then works as always', async () => {
    for (const refuse of [
      (ex: Exchange) => ex.res.writeHead(400).end(),
      (ex: Exchange) =>
        json(ex.res, 400, {
          jsonrpc: '2.0',
          id: null,
          error: { code: -32000, message: 'Bad Request: No valid session ID provided' },
        }),
      (ex: Exchange) =>
        json(ex.res, 400, {
          jsonrpc: '2.0',
          id: ex.body.id,
          error: { code: -32022, message: 'x', data: { supported: ['2025-11-25'] } },
        }),
      (ex: Exchange) => ex.res.writeHead(404).end(),
    ]) {
      const server = await raw(legacyServer(refuse));
      const { client, errors } = await connect(server);
      expect(client.era).toBe('legacy');
      expect(await client.listTools()).toEqual({ tools: [] });
      const list = server.of('tools/list')[0];
      expect([h(list, 'mcp-session-id'), h(list, 'mcp-protocol-version'), h(list, 'mcp-method')]).toEqual([
        's-1',
        '2025-11-25',
        undefined,
      ]);
      expect(errors).toEqual([]);
    }
  });

  it('401 and 403 are not era evidence: the connect fails with the HTTP status, no initialize', async () => {
    for (const status of [401, 403]) {
      const server = await raw(legacyServer((ex) => ex.res.writeHead(status, { 'www-authenticate': 'Bearer' }).end()));
      const client = new McpClient({ name: 'w', version: '1' }, { versionNegotiation: 'auto' });
      const err = await client.connect(new StreamableHttpClientTransport(server.url)).catch((e) => e);
      expect(err).toBeInstanceOf(HttpStatusError);
      expect(err.status).toBe(status);
      expect(server.of('initialize')).toHaveLength(0);
    }
  });

  it('5xx, 404 + -32601 and a silent server fail the connect instead of falling back', async () => {
    const cases: [(ex: Exchange) => void, string | number][] = [
      [
        (ex) => json(ex.res, 500, { jsonrpc: '2.0', id: ex.body.id, error: { code: -32603, message: 'boom' } }),
        'ERR_ERA_NEGOTIATION',
      ],
      [(ex) => ex.res.writeHead(503).end(), 'ERR_ERA_NEGOTIATION'],
      [
        (ex) =>
          json(ex.res, 404, { jsonrpc: '2.0', id: ex.body.id, error: { code: -32601, message: 'Method not found' } }),
        'ERR_ERA_NEGOTIATION',
      ],
      [() => {}, -32001],
    ];
    for (const [refuse, code] of cases) {
      const server = await raw(legacyServer(refuse));
      const client = new McpClient({ name: 'w', version: '1' }, { versionNegotiation: 'auto', probeTimeoutMs: 50 });
      const err = await client.connect(new StreamableHttpClientTransport(server.url)).catch((e) => e);
      expect(err.code).toBe(code);
      expect(server.of('initialize')).toHaveLength(0);
      expect(client.closed).toBe(true);
    }
  });

  it('pinned against a 2025 server: ERR_ERA_NEGOTIATION', async () => {
    const server = await raw(legacyServer((ex) => ex.res.writeHead(400).end()));
    const client = new McpClient({ name: 'w', version: '1' }, { versionNegotiation: { pin: '2026-07-28' } });
    const err = await client.connect(new StreamableHttpClientTransport(server.url)).catch((e) => e);
    expect(hasErrorCode(err, 'ERR_ERA_NEGOTIATION')).toBe(true);
    expect(err.message).toBe(
      'versionNegotiation is pinned to 2026-07-28 (no fallback), but the server did not take it: HTTP 400',
    );
  });
});
