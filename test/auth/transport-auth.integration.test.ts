/**
 * Authentication at the transports, with a fake authenticator (the token cryptography has its
 * own tests): refusals answered with their challenge before anything else, a 2025 session
 * owned by the principal that opened it, one stateless channel and one token bucket per
 * principal whatever it connects over, scopes per tool with a 403 step-up challenge, ctx.auth
 * in handlers, the WebSocket upgrade, and the client transports asking their token provider
 * again after 401 and 403.
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { McpClient } from '../../src/mcp/client.js';
import { McpServer, type McpServerOptions } from '../../src/mcp/server.js';
import type { TokenRequest } from '../../src/transports/client-auth.js';
import { StreamableHttpClientTransport } from '../../src/transports/http-client.js';
import { type Listener, listen } from '../../src/transports/listen.js';
import { WebSocketClientTransport } from '../../src/transports/ws-client.js';
import { request2026, V2026 } from '../mcp/era.js';
import type { Wire } from '../mcp/harness.js';
import { postJson, request, type StatelessHarness, startStateless } from '../transports/stateless-fixtures.js';
import { FakeAuth, METADATA_URL } from './fake-auth.js';

const harnesses: StatelessHarness[] = [];
const listeners: Listener[] = [];
const clients: McpClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => {})));
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
  await Promise.all(listeners.splice(0).map((l) => l.close()));
});

function buildServer(options: McpServerOptions = {}): McpServer {
  const server = new McpServer({ name: 'auth-test', version: '1.0.0' }, options);
  server.registerTool('whoami', { inputSchema: { type: 'object' } }, (_args, ctx) => ({
    content: [
      {
        type: 'text',
        text: JSON.stringify({
          principal: ctx.principal,
          subject: ctx.auth?.subject,
          clientId: ctx.auth?.clientId,
          scopes: ctx.auth?.scopes,
        }),
      },
    ],
  }));
  server.registerTool('admin_reset', { inputSchema: { type: 'object' }, scopes: ['admin'] }, () => ({
    content: [{ type: 'text', text: 'reset done' }],
  }));
  server.registerPrompt('audit', { scopes: ['admin'] }, () => ({
    messages: [{ role: 'user', content: { type: 'text', text: 'audit everything' } }],
  }));
  server.registerResource('secrets', 'mem://secrets', { scopes: ['admin'] }, (uri) => ({
    contents: [{ uri, text: 'the vault' }],
  }));
  server.registerResourceTemplate('vault', 'vault://{id}', { scopes: ['admin'] }, (uri) => ({
    contents: [{ uri, text: 'a vault item' }],
  }));
  return server;
}

async function serve(options: McpServerOptions = {}): Promise<StatelessHarness & { auth: FakeAuth }> {
  const auth = new FakeAuth();
  const h = await startStateless(buildServer(options), { auth });
  harnesses.push(h);
  return Object.assign(h, { auth });
}

const bearer = (name: string) => ({ authorization: `Bearer ${name}` });
const call2026 = (id: number | string, name: string) => request2026(id, 'tools/call', { name, arguments: {} });
const textOf = (body: Wire) => body?.result?.content?.[0]?.text;

async function open2025(port: number, token: string): Promise<string> {
  const init = await postJson(
    port,
    {
      jsonrpc: '2.0',
      id: 'init',
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    },
    { auto: false, headers: bearer(token) },
  );
  expect(init.status).toBe(200);
  const sid = init.reply.headers['mcp-session-id'] as string;
  const note = await postJson(
    port,
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { auto: false, headers: { ...bearer(token), 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' } },
  );
  expect(note.status).toBe(202);
  return sid;
}

const session2025 = (port: number, sid: string, token: string | undefined, body: unknown) =>
  postJson(port, body, {
    auto: false,
    headers: {
      ...(token === undefined ? {} : bearer(token)),
      'mcp-session-id': sid,
      'mcp-protocol-version': '2025-11-25',
    },
  });

describe('refusals come first, with their challenge', () => {
  it('no token: 401 with WWW-Authenticate naming the resource metadata, and MCP never sees the request', async () => {
    const h = await serve();
    const r = await postJson(h.port, call2026(1, 'whoami'));
    expect(r.status).toBe(401);
    expect(r.reply.headers['www-authenticate']).toBe(`Bearer resource_metadata="${METADATA_URL}"`);
    expect(r.body).toEqual({ error: 'unauthorized', error_description: 'no token' });
    expect(h.listener.clients).toBe(0);
    expect(h.listener.sessions).toBe(0);
  });

  it('a bad token: 401 invalid_token; GET and DELETE are refused the same way', async () => {
    const h = await serve();
    const r = await postJson(h.port, call2026(1, 'whoami'), { headers: bearer('mallory') });
    expect(r.status).toBe(401);
    expect(r.reply.headers['www-authenticate']).toBe(
      `Bearer resource_metadata="${METADATA_URL}", error="invalid_token", error_description="unknown token"`,
    );
    for (const method of ['GET', 'DELETE'] as const) {
      const g = await request(h.port, method, { 'mcp-session-id': 'x', 'mcp-protocol-version': '2025-11-25' });
      expect(g.status).toBe(401);
    }
  });

  it('an asynchronous verification (cold cache) answers the same request', async () => {
    const h = await serve();
    const r = await postJson(h.port, call2026(7, 'whoami'), { headers: bearer('carol') });
    expect(r.status).toBe(200);
    expect(JSON.parse(textOf(r.body))).toEqual({
      principal: 'test|carol',
      subject: 'user-carol',
      clientId: 'carol',
      scopes: ['mcp:tools'],
    });
  });
});

describe('a 2025 session belongs to its principal', () => {
  it('another token presenting the session id gets 404; the owner keeps being served', async () => {
    const h = await serve();
    const sid = await open2025(h.port, 'alice');
    const call = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'whoami', arguments: {} } };
    const stolen = await session2025(h.port, sid, 'bob', call);
    expect(stolen.status).toBe(404);
    expect(stolen.body.error.message).toBe('Session not found: initialize a new session');
    const del = await request(h.port, 'DELETE', {
      ...bearer('bob'),
      'mcp-session-id': sid,
      'mcp-protocol-version': '2025-11-25',
    });
    expect(del.status).toBe(404);
    const get = await request(h.port, 'GET', {
      ...bearer('bob'),
      accept: 'text/event-stream',
      'mcp-session-id': sid,
      'mcp-protocol-version': '2025-11-25',
    });
    expect(get.status).toBe(404);
    // A newer token of the same principal is the owner.
    const own = await session2025(h.port, sid, 'alice-2', call);
    expect(own.status).toBe(200);
    expect(JSON.parse(textOf(own.body))).toMatchObject({ principal: 'test|alice', scopes: ['mcp:tools', 'admin'] });
    expect(h.listener.sessions).toBe(1);
  });
});

describe('limits key on the principal', () => {
  it('two principals from one address get two channels and two buckets', async () => {
    const h = await serve({ gate: { bucket: { capacity: 3, refillPerSec: 1 } } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await postJson(h.port, call2026(i, 'whoami'), { headers: bearer('alice') })).status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    const bob = await postJson(h.port, call2026(9, 'whoami'), { headers: bearer('bob') });
    expect(bob.status).toBe(200);
    expect(h.listener.clients).toBe(2);
  });

  it("a principal's 2025 session and its 2026 requests draw on one bucket", async () => {
    const h = await serve({ gate: { bucket: { capacity: 5, refillPerSec: 1 } } });
    // initialize and notifications/initialized take one token each.
    const sid = await open2025(h.port, 'alice');
    const call = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'whoami', arguments: {} } };
    expect((await session2025(h.port, sid, 'alice', call)).status).toBe(200);
    expect((await postJson(h.port, call2026(3, 'whoami'), { headers: bearer('alice') })).status).toBe(200);
    expect((await postJson(h.port, call2026(4, 'whoami'), { headers: bearer('alice') })).status).toBe(200);
    const over = await postJson(h.port, call2026(5, 'whoami'), { headers: bearer('alice') });
    expect(over.status).toBe(429);
    expect(over.body.error.code).toBe(-32010);
    expect((await session2025(h.port, sid, 'alice', { ...call, id: 6 })).body.error.code).toBe(-32010);
    // bob is untouched.
    expect((await postJson(h.port, call2026(7, 'whoami'), { headers: bearer('bob') })).status).toBe(200);
  });

  it('principalBuckets gives one principal a bucket of its own size', async () => {
    const h = await serve({
      gate: { bucket: { capacity: 1, refillPerSec: 1 }, principalBuckets: { 'test|bob': { capacity: 5 } } },
    });
    const run = async (who: string) => {
      const out: number[] = [];
      for (let i = 0; i < 6; i++)
        out.push((await postJson(h.port, call2026(i, 'whoami'), { headers: bearer(who) })).status);
      return out;
    };
    expect(await run('alice')).toEqual([200, 429, 429, 429, 429, 429]);
    expect(await run('bob')).toEqual([200, 200, 200, 200, 200, 429]);
  });
});

describe('scopes', () => {
  it('a tool needing a scope the token lacks: 403 insufficient_scope naming it, -32016 in the body', async () => {
    const h = await serve();
    const r = await postJson(h.port, call2026(1, 'admin_reset'), { headers: bearer('alice') });
    expect(r.status).toBe(403);
    expect(r.reply.headers['www-authenticate']).toBe(
      `Bearer resource_metadata="${METADATA_URL}", error="insufficient_scope", error_description="Insufficient scope: tool admin_reset requires scope admin", scope="admin"`,
    );
    expect(r.body).toEqual({
      jsonrpc: '2.0',
      id: 1,
      error: {
        code: -32016,
        message: 'Insufficient scope: tool admin_reset requires scope admin',
        data: { reason: 'insufficient_scope', scope: 'admin' },
      },
    });
    const ok = await postJson(h.port, call2026(2, 'admin_reset'), { headers: bearer('bob') });
    expect(ok.status).toBe(200);
    expect(textOf(ok.body)).toBe('reset done');
  });

  it('the same over a 2025 session', async () => {
    const h = await serve();
    const sid = await open2025(h.port, 'alice');
    const r = await session2025(h.port, sid, 'alice', {
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/call',
      params: { name: 'admin_reset', arguments: {} },
    });
    expect(r.status).toBe(403);
    expect(r.reply.headers['www-authenticate']).toContain('error="insufficient_scope"');
    expect(r.body.error.code).toBe(-32016);
  });

  it('prompts, resources and templates declare scopes too', async () => {
    const h = await serve();
    const asks = [
      request2026(1, 'prompts/get', { name: 'audit' }),
      request2026(2, 'resources/read', { uri: 'mem://secrets' }),
      request2026(3, 'resources/read', { uri: 'vault://42' }),
    ];
    for (const body of asks) {
      const refused = await postJson(h.port, body, { headers: bearer('alice') });
      expect(refused.status).toBe(403);
      expect(refused.body.error).toMatchObject({
        code: -32016,
        data: { reason: 'insufficient_scope', scope: 'admin' },
      });
      const ok = await postJson(h.port, body, { headers: bearer('bob') });
      expect(ok.status).toBe(200);
      expect(ok.body.result.resultType).toBe('complete');
    }
  });

  it('hideUnauthorized: lists leave out what the caller may not use, per scope set', async () => {
    const h = await serve({ hideUnauthorized: true });
    const names = async (who: string, method: string, field: string, key: string) => {
      const r = await postJson(h.port, request2026(1, method), { headers: bearer(who) });
      return (r.body.result[field] as Record<string, unknown>[]).map((x) => x[key]);
    };
    expect(await names('alice', 'tools/list', 'tools', 'name')).toEqual(['whoami']);
    expect(await names('bob', 'tools/list', 'tools', 'name')).toEqual(['whoami', 'admin_reset']);
    expect(await names('alice', 'prompts/list', 'prompts', 'name')).toEqual([]);
    expect(await names('bob', 'prompts/list', 'prompts', 'name')).toEqual(['audit']);
    expect(await names('alice', 'resources/list', 'resources', 'uri')).toEqual([]);
    expect(await names('bob', 'resources/list', 'resources', 'uri')).toEqual(['mem://secrets']);
    expect(await names('alice', 'resources/templates/list', 'resourceTemplates', 'uriTemplate')).toEqual([]);
    expect(await names('bob', 'resources/templates/list', 'resourceTemplates', 'uriTemplate')).toEqual([
      'vault://{id}',
    ]);
    // A 2025 session sees the same view.
    const sid = await open2025(h.port, 'alice');
    const r = await session2025(h.port, sid, 'alice', { jsonrpc: '2.0', id: 5, method: 'tools/list', params: {} });
    expect((r.body.result.tools as { name: string }[]).map((t) => t.name)).toEqual(['whoami']);
  });

  it('without hideUnauthorized every caller sees every tool', async () => {
    const h = await serve();
    const r = await postJson(h.port, request2026(1, 'tools/list'), { headers: bearer('alice') });
    expect((r.body.result.tools as { name: string }[]).map((t) => t.name)).toEqual(['whoami', 'admin_reset']);
  });

  it('a scope that is not an OAuth scope token is refused at registration', () => {
    const server = new McpServer({ name: 's', version: '1' });
    expect(() => server.registerTool('t', { scopes: ['has space'] }, () => ({ content: [] }))).toThrow(
      /not an OAuth scope token/,
    );
  });
});

describe('listen(): WebSocket upgrades and the client transports', () => {
  async function listenWith(): Promise<Listener> {
    const l = await listen(buildServer(), { host: '127.0.0.1', port: 0, auth: new FakeAuth() });
    listeners.push(l);
    return l;
  }

  it('an upgrade without a token is refused with 401 and the challenge; with one, messages carry its principal', async () => {
    const l = await listenWith();
    const status = await new Promise<{ code: number; challenge: string | undefined }>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port: l.port,
        path: '/mcp',
        headers: {
          connection: 'Upgrade',
          upgrade: 'websocket',
          'sec-websocket-version': '13',
          'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
          'sec-websocket-protocol': 'mcp',
        },
      });
      req.on('response', (res) => {
        res.resume();
        resolve({ code: res.statusCode ?? 0, challenge: res.headers['www-authenticate'] as string | undefined });
      });
      req.on('upgrade', () => reject(new Error('upgraded without a token')));
      req.on('error', reject);
      req.end();
    });
    expect(status).toEqual({ code: 401, challenge: `Bearer resource_metadata="${METADATA_URL}"` });

    const client = new McpClient({ name: 'ws', version: '1' });
    clients.push(client);
    await client.connect(new WebSocketClientTransport(`ws://127.0.0.1:${l.port}/mcp`, { auth: 'bob' }));
    const r = await client.callTool({ name: 'whoami', arguments: {} });
    expect(JSON.parse((r.content[0] as { text: string }).text)).toMatchObject({ principal: 'test|bob' });
  });

  it('a WebSocket lasts no longer than its token: closed with 1008 when it expires', async () => {
    const l = await listenWith();
    const ws = new WebSocket(`ws://127.0.0.1:${l.port}/mcp`, ['mcp'], { headers: { authorization: 'Bearer exp300' } });
    const opened = Date.now();
    const closed = await new Promise<{ code: number; reason: string; afterMs: number }>((resolve, reject) => {
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString(), afterMs: Date.now() - opened }));
      ws.on('error', reject);
    });
    expect(closed.code).toBe(1008);
    expect(closed.reason).toBe('token expired: reconnect with a fresh token');
    expect(closed.afterMs).toBeGreaterThanOrEqual(250);
  });

  it('the HTTP client asks its provider again after 401, and for more scope after 403', async () => {
    const l = await listenWith();
    const asked: TokenRequest[] = [];
    const provider = (r: TokenRequest) => {
      asked.push(r);
      if (r.reason === 'initial') return 'expired-token';
      if (r.reason === 'unauthorized') return 'alice';
      return 'bob';
    };
    const client = new McpClient({ name: 'http', version: '1' }, { versionNegotiation: { pin: V2026 } });
    clients.push(client);
    await client.connect(new StreamableHttpClientTransport(l.url, { auth: provider }));
    const who = await client.callTool({ name: 'whoami', arguments: {} });
    expect(JSON.parse((who.content[0] as { text: string }).text)).toMatchObject({ principal: 'test|alice' });
    const reset = await client.callTool({ name: 'admin_reset', arguments: {} });
    expect(reset.content).toEqual([{ type: 'text', text: 'reset done' }]);
    expect(asked.map((a) => a.reason)).toEqual(['initial', 'unauthorized', 'insufficient_scope']);
    expect(asked[2]).toMatchObject({ scope: 'admin', resourceMetadata: METADATA_URL });
  });

  it('a fixed token that the server refuses surfaces as an error, not a retry loop', async () => {
    const l = await listenWith();
    const client = new McpClient({ name: 'http', version: '1' }, { versionNegotiation: { pin: V2026 } });
    clients.push(client);
    await expect(client.connect(new StreamableHttpClientTransport(l.url, { auth: 'mallory' }))).rejects.toThrow(/401/);
  });
});
