import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/mcp/jsonrpc.js';
import { McpServer, type McpServerOptions } from '../../src/mcp/server.js';
import { rawClient } from './harness.js';

const servers: McpServer[] = [];
function newServer(options: McpServerOptions): McpServer {
  const s = new McpServer({ name: 'bp', version: '1' }, options);
  s.registerTool('echo', {}, (a: { m?: string }) => ({ content: [{ type: 'text', text: a.m ?? '' }] }));
  s.registerTool('hold', {}, () => new Promise((resolve) => setTimeout(() => resolve({ content: [] }), 40)));
  s.registerResourceTemplate('broken', 'fail://{x}', {}, () => {
    throw new Error('backend down');
  });
  servers.push(s);
  return s;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('admission on every request', () => {
  it('a client over its token bucket gets RATE_LIMITED with retryAfterMs; other sessions are served', async () => {
    const server = newServer({ gate: { bucket: { capacity: 6, refillPerSec: 1 } } });
    const greedy = await rawClient(server);
    const polite = await rawClient(server);
    await greedy.initialize(); // 2 tokens: initialize and notifications/initialized
    await polite.initialize();
    for (let i = 0; i < 10; i++) greedy.send({ jsonrpc: '2.0', id: i, method: 'ping' });
    const answers = [];
    for (let i = 0; i < 10; i++) answers.push(await greedy.response(i));
    const ok = answers.filter((a) => 'result' in a);
    const limited = answers.filter((a) => 'error' in a);
    expect(ok.length).toBe(4);
    expect(limited.length).toBe(6);
    for (const l of limited) {
      expect(l.error.code).toBe(ErrorCode.RATE_LIMITED);
      expect(l.error.message).toBe('Rate limit exceeded for this session');
      expect(l.error.data.reason).toBe('rate_limited');
      expect(l.error.data.retryAfterMs).toBeGreaterThan(0);
      expect(l.error.data.retryAfterMs).toBeLessThanOrEqual(1000);
    }
    const r = await polite.request('p', 'tools/call', { name: 'echo', arguments: { m: 'fine' } });
    expect(r.result.content[0].text).toBe('fine');
    expect(server.gate.router.stats().verdicts.rate_limited).toBe(6);
    expect(server.gate.admission.stats().globalDepth).toBe(0);
  });

  it('a full shard answers SHARD_OVERLOADED and depth returns to zero', async () => {
    const server = newServer({ gate: { shards: 1, admission: { maxPerShard: 2, maxGlobal: 100 } } });
    const c = await rawClient(server);
    await c.initialize();
    for (let i = 0; i < 3; i++) c.send({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'hold' } });
    const third = await c.response(2);
    expect(third.error).toEqual({
      code: ErrorCode.SHARD_OVERLOADED,
      message: 'Server overloaded (session shard at capacity)',
      data: { reason: 'shard_overloaded', retryAfterMs: 100 },
    });
    expect((await c.response(0)).result).toEqual({ content: [] });
    expect((await c.response(1)).result).toEqual({ content: [] });
    expect(server.gate.admission.stats().globalDepth).toBe(0);
  });

  it('repeated internal errors open the breaker: CIRCUIT_OPEN with retryAfterMs, for every session', async () => {
    const server = newServer({ gate: { breaker: { failureThreshold: 3, openMs: 60_000 } } });
    const a = await rawClient(server);
    const b = await rawClient(server);
    await a.initialize();
    await b.initialize();
    for (let i = 0; i < 3; i++) {
      const r = await a.request(i, 'resources/read', { uri: `fail://${i}` });
      expect(r.error).toEqual({ code: -32603, message: 'backend down' });
    }
    const refused = await b.request('b', 'ping');
    expect(refused.error.code).toBe(ErrorCode.CIRCUIT_OPEN);
    expect(refused.error.data.reason).toBe('circuit_open');
    expect(refused.error.data.retryAfterMs).toBeGreaterThan(59_000);
    expect(server.gate.breaker.stats().state).toBe('open');
  });

  it('client mistakes (invalid params, unknown method) do not count as failures', async () => {
    const server = newServer({ gate: { breaker: { failureThreshold: 2 } } });
    const c = await rawClient(server);
    await c.initialize();
    for (let i = 0; i < 5; i++) await c.request(i, 'nope');
    for (let i = 5; i < 10; i++) await c.request(i, 'tools/call', { name: 'missing' });
    expect(server.gate.breaker.stats().state).toBe('closed');
    expect((await c.request(99, 'ping')).result).toEqual({});
  });
});

describe('session isolation (CVE-2026-25536)', () => {
  it('50 concurrent sessions with the same request ids each get only their own answers', async () => {
    const server = newServer({});
    const clients = await Promise.all(Array.from({ length: 50 }, () => rawClient(server)));
    await Promise.all(clients.map((c) => c.initialize()));
    clients.forEach((c, s) => {
      for (let i = 0; i < 20; i++) {
        c.send({
          jsonrpc: '2.0',
          id: i,
          method: 'tools/call',
          params: { name: 'echo', arguments: { m: `s${s}-r${i}` } },
        });
      }
    });
    await Promise.all(
      clients.map(async (c, s) => {
        for (let i = 0; i < 20; i++) {
          const r = await c.response(i);
          expect(r.result.content[0].text).toBe(`s${s}-r${i}`);
        }
      }),
    );
    for (const c of clients) expect(c.inbox).toEqual([]);
    expect(server.gate.admission.stats().globalDepth).toBe(0);
  });
});
