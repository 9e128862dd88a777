/**
 * Streamable HTTP over real sockets (127.0.0.1, port 0): every status code of the listener,
 * response modes, session lifecycle and limiter accounting, the backlog, keep-alives, slow
 * consumers, cross-session isolation, our client transport, and interop with the official SDK
 * in both directions.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer as SdkMcpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Transport as SdkTransport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { hasErrorCode } from '../../src/core/errors.js';
import { ErrorCode, type JsonRpcMessage } from '../../src/mcp/jsonrpc.js';
import { HttpStatusError, StreamableHttpClientTransport } from '../../src/transports/http-client.js';
import { ConnectionLimiter } from '../../src/transports/limiter.js';
import {
  ACCEPT_BOTH,
  type Harness,
  INIT,
  initSession,
  post,
  rawRequest,
  readEvents,
  sleep,
  startHarness,
  waitFor,
} from './http-fixtures.js';

const harnesses: Harness[] = [];
async function start(...args: Parameters<typeof startHarness>): Promise<Harness> {
  const h = await startHarness(...args);
  harnesses.push(h);
  return h;
}
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

function req(id: number | string, method: string, params: Record<string, unknown> = {}) {
  return { jsonrpc: '2.0', id, method, params };
}

describe('sessions and response modes', () => {
  it('initialize creates a session: 200 JSON with a visible-ASCII Mcp-Session-Id, one limiter slot', async () => {
    const limiter = new ConnectionLimiter(10);
    const h = await start({ limiter });
    const res = await post(h.url, INIT);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const sid = res.headers.get('mcp-session-id') as string;
    expect(sid).toMatch(/^[\x21-\x7e]{16,}$/);
    expect(((await res.json()) as { result: { serverInfo: unknown } }).result.serverInfo).toEqual({
      name: 'echo',
      version: '0',
    });
    expect(h.listener.sessions).toBe(1);
    expect(limiter.count).toBe(1);
    expect(h.transports[0]?.sessionId).toBe(sid);
  });

  it('answers a request with application/json when its response comes first (fast path)', async () => {
    const h = await start();
    const sid = await initSession(h.url);
    const res = await post(h.url, req(1, 'tools/call', { a: 1 }), { 'mcp-session-id': sid });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ jsonrpc: '2.0', id: 1, result: { echo: { a: 1 } } });
  });

  it('switches to text/event-stream when a related notification comes first, and ends after the response', async () => {
    const h = await start();
    const sid = await initSession(h.url);
    const res = await post(h.url, req('p', 'progress/first', { b: 2 }), { 'mcp-session-id': sid });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(res.headers.get('mcp-session-id')).toBe(sid);
    const events = await readEvents(res, 10); // reads until the server ends the stream
    expect(events.map((e) => JSON.parse(e.data))).toEqual([
      { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'p', progress: 1 } },
      { jsonrpc: '2.0', id: 'p', result: { echo: { b: 2 } } },
    ]);
    expect(events.every((e) => e.event === 'message')).toBe(true);
  });

  it('answers notifications and responses with 202 and no body', async () => {
    const h = await start();
    const sid = await initSession(h.url);
    const n = await post(h.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { 'mcp-session-id': sid });
    expect(n.status).toBe(202);
    expect(await n.text()).toBe('');
    const r = await post(h.url, { jsonrpc: '2.0', id: 9, result: {} }, { 'mcp-session-id': sid });
    expect(r.status).toBe(202);
    expect(await r.text()).toBe('');
  });

  it('hands a batch array up as one value and answers its POST with the id-null error', async () => {
    const h = await start();
    const sid = await initSession(h.url);
    const res = await post(h.url, [req(1, 'a'), req(2, 'b')], { 'mcp-session-id': sid });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { id: unknown; error: { code: number } };
    expect(body.id).toBeNull();
    expect(body.error.code).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('accepts a supported MCP-Protocol-Version and a missing one', async () => {
    const h = await start();
    const sid = await initSession(h.url);
    for (const v of ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05']) {
      const res = await post(h.url, req(1, 'x'), { 'mcp-session-id': sid, 'mcp-protocol-version': v });
      expect(res.status).toBe(200);
      await res.text();
    }
  });
});

describe('status codes', () => {
  it('413 for a body over maxBodyBytes, by Content-Length and by a chunked stream', async () => {
    const h = await start({ maxBodyBytes: 1024 });
    const big = JSON.stringify({ ...INIT, params: { ...INIT.params, pad: 'x'.repeat(2048) } });
    const r1 = await post(h.url, big);
    expect(r1.status).toBe(413);
    expect(((await r1.json()) as { error: { code: number } }).error.code).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    const chunks = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 64; i++) c.enqueue(new Uint8Array(4096).fill(32));
        c.close();
      },
    });
    const r2 = await fetch(h.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: ACCEPT_BOTH },
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    expect(r2.status).toBe(413);
    await r2.text();
    expect(h.listener.sessions).toBe(0);
  });

  it('415 for a Content-Type other than application/json', async () => {
    const h = await start();
    const res = await post(h.url, INIT, { 'content-type': 'text/plain' });
    expect(res.status).toBe(415);
    expect(((await res.json()) as { id: unknown }).id).toBeNull();
    const ok = await post(h.url, INIT, { 'content-type': 'application/json; charset=utf-8' });
    expect(ok.status).toBe(200);
    await ok.text();
  });

  it('406 when Accept does not list both application/json and text/event-stream (POST) or SSE (GET)', async () => {
    const h = await start();
    expect((await post(h.url, INIT, { accept: 'application/json' })).status).toBe(406);
    expect((await post(h.url, INIT, { accept: 'text/event-stream' })).status).toBe(406);
    const sid = await initSession(h.url);
    const get = await fetch(h.url, { headers: { accept: 'application/json', 'mcp-session-id': sid } });
    expect(get.status).toBe(406);
  });

  it('400 with a JSON-RPC parse error (id null) for invalid JSON and invalid UTF-8', async () => {
    const h = await start();
    const r1 = await post(h.url, '{"jsonrpc": "2.0", ');
    expect(r1.status).toBe(400);
    const b1 = (await r1.json()) as { id: unknown; error: { code: number } };
    expect(b1).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: ErrorCode.PARSE_ERROR } });
    const bytes = new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]); // {"\xff\xfe":1}
    const r2 = await post(h.url, bytes);
    expect(r2.status).toBe(400);
    expect(((await r2.json()) as { error: { code: number } }).error.code).toBe(ErrorCode.PARSE_ERROR);
  });

  it('400 for a POST without session id that is not initialize; 405 for GET/DELETE without one', async () => {
    const h = await start();
    expect((await post(h.url, req(1, 'tools/list'))).status).toBe(400);
    expect((await post(h.url, { jsonrpc: '2.0', method: 'initialize' })).status).toBe(400); // a notification
    // Without a 2025 session there is nothing to GET or DELETE (MCP 2026-07-28 is POST only).
    const get = await fetch(h.url, { headers: { accept: 'text/event-stream' } });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('GET, POST, DELETE');
    expect((await fetch(h.url, { method: 'DELETE' })).status).toBe(405);
  });

  it('400 for an unsupported MCP-Protocol-Version', async () => {
    const h = await start();
    const sid = await initSession(h.url);
    const res = await post(h.url, req(1, 'x'), { 'mcp-session-id': sid, 'mcp-protocol-version': '1999-01-01' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('1999-01-01');
  });

  it('404 for an unknown session id on POST, GET and DELETE', async () => {
    const h = await start();
    const headers = { 'mcp-session-id': randomUUID() };
    expect((await post(h.url, req(1, 'x'), headers)).status).toBe(404);
    expect((await fetch(h.url, { headers: { ...headers, accept: 'text/event-stream' } })).status).toBe(404);
    expect((await fetch(h.url, { method: 'DELETE', headers })).status).toBe(404);
  });

  it('403 for a foreign Origin and for a non-loopback Host on a loopback listener', async () => {
    const h = await start();
    const evil = await post(h.url, INIT, { origin: 'http://evil.example' });
    expect(evil.status).toBe(403);
    expect(((await evil.json()) as { id: unknown }).id).toBeNull();
    expect((await post(h.url, INIT, { origin: 'null' })).status).toBe(403);
    const local = await post(h.url, INIT, { origin: 'http://localhost:5173' });
    expect(local.status).toBe(200);
    await local.text();
    const headers = { 'content-type': 'application/json', accept: ACCEPT_BOTH };
    const rebinding = await rawRequest(
      h.port,
      { method: 'POST', headers: { ...headers, host: `evil.example:${h.port}` } },
      JSON.stringify(INIT),
    );
    expect(rebinding.status).toBe(403);
    const ok = await rawRequest(
      h.port,
      { method: 'POST', headers: { ...headers, host: `localhost:${h.port}` } },
      JSON.stringify(INIT),
    );
    expect(ok.status).toBe(200);
    expect(h.listener.sessions).toBe(2);
  });

  it('honours explicit allowedHosts and allowedOrigins', async () => {
    const h = await start({ allowedHosts: ['mcp.example'], allowedOrigins: ['https://app.example'] });
    const headers = { 'content-type': 'application/json', accept: ACCEPT_BOTH };
    const body = JSON.stringify(INIT);
    expect(
      (await rawRequest(h.port, { method: 'POST', headers: { ...headers, host: '127.0.0.1' } }, body)).status,
    ).toBe(403);
    const hostOk = { ...headers, host: `mcp.example:${h.port}` };
    expect((await rawRequest(h.port, { method: 'POST', headers: hostOk }, body)).status).toBe(200);
    const originOk = await rawRequest(
      h.port,
      { method: 'POST', headers: { ...hostOk, origin: 'https://app.example' } },
      body,
    );
    expect(originOk.status).toBe(200);
    const originBad = await rawRequest(
      h.port,
      { method: 'POST', headers: { ...hostOk, origin: 'https://x.example' } },
      body,
    );
    expect(originBad.status).toBe(403);
  });

  it('405 with Allow for other methods', async () => {
    const h = await start();
    for (const method of ['PUT', 'OPTIONS', 'PATCH']) {
      const res = await fetch(h.url, { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, POST, DELETE');
    }
  });

  it('leaves other paths to the caller (attach answers 404) and ignores the query string', async () => {
    const h = await start();
    expect((await post(h.url.replace('/mcp', '/other'), INIT)).status).toBe(404);
    const q = await post(`${h.url}?x=1`, INIT);
    expect(q.status).toBe(200);
    await q.text();
  });

  it('409 for a second concurrent GET stream of a session; a new one is fine after the first closed', async () => {
    const h = await start();
    const sid = await initSession(h.url);
    const headers = { accept: 'text/event-stream', 'mcp-session-id': sid };
    const ac = new AbortController();
    const first = await fetch(h.url, { headers, signal: ac.signal });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('text/event-stream');
    const second = await fetch(h.url, { headers });
    expect(second.status).toBe(409);
    ac.abort();
    await waitFor(() => !h.transports[0]?.hasGetStream);
    const third = await fetch(h.url, { headers });
    expect(third.status).toBe(200);
    await third.body?.cancel();
  });

  it('503 with Retry-After and a JSON-RPC error body when the limiter is full', async () => {
    const limiter = new ConnectionLimiter(2);
    const h = await start({ limiter });
    await initSession(h.url);
    await initSession(h.url);
    const res = await post(h.url, { ...INIT, id: 'init-3' });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.headers.get('mcp-session-id')).toBeNull();
    const body = (await res.json()) as { id: unknown; error: { code: number; data: { reason: string } } };
    expect(body.id).toBe('init-3');
    expect(body.error.code).toBe(ErrorCode.GLOBAL_OVERLOADED);
    expect(body.error.data.reason).toBe('max_sessions');
    expect(limiter.count).toBe(2);
    expect(limiter.refused).toBe(1);
    expect(h.listener.sessions).toBe(2);
  });

  it('429 for RATE_LIMITED and 503 for other backpressure errors, Retry-After in whole seconds, body kept', async () => {
    const h = await start();
    const sid = await initSession(h.url);
    const limited = await post(h.url, req(5, 'limited'), { 'mcp-session-id': sid });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2'); // ceil(1500 / 1000)
    expect(await limited.json()).toMatchObject({ id: 5, error: { code: ErrorCode.RATE_LIMITED } });
    const over = await post(h.url, req(6, 'overloaded'), { 'mcp-session-id': sid });
    expect(over.status).toBe(503);
    expect(over.headers.get('retry-after')).toBe('1'); // at least 1
    expect(await over.json()).toMatchObject({ id: 6, error: { code: ErrorCode.SHARD_OVERLOADED } });
  });
});

describe('session lifecycle', () => {
  it('DELETE closes the session (onclose once, slot released); later requests get 404', async () => {
    const limiter = new ConnectionLimiter(5);
    const h = await start({ limiter });
    const sid = await initSession(h.url);
    expect(limiter.count).toBe(1);
    const del = await fetch(h.url, { method: 'DELETE', headers: { 'mcp-session-id': sid } });
    expect(del.status).toBe(200);
    expect(h.closes).toBe(1);
    expect(limiter.count).toBe(0);
    expect(h.listener.sessions).toBe(0);
    expect((await post(h.url, req(1, 'x'), { 'mcp-session-id': sid })).status).toBe(404);
    await h.transports[0]?.close();
    expect(h.closes).toBe(1);
    expect(limiter.count).toBe(0);
    await expect(h.transports[0]?.send({ jsonrpc: '2.0', method: 'x' })).rejects.toMatchObject({
      code: 'ERR_CONNECTION_CLOSED',
    });
  });

  it('closes idle sessions with one sweep and releases their slots', async () => {
    const limiter = new ConnectionLimiter(50);
    // Long enough that none expires while the 20 are still being opened on a loaded machine.
    const h = await start({ limiter, sessionIdleMs: 1_500 });
    await Promise.all(Array.from({ length: 20 }, () => initSession(h.url)));
    expect(limiter.count).toBe(20);
    await waitFor(() => h.listener.sessions === 0);
    expect(limiter.count).toBe(0);
    expect(h.closes).toBe(20);
  });

  it('does not expire a session while a request is in flight or a GET stream is open', async () => {
    const h = await start({ sessionIdleMs: 50 });
    const sid = await initSession(h.url);
    const slow = post(h.url, req(1, 'slow', { delayMs: 250 }), { 'mcp-session-id': sid });
    expect((await slow).status).toBe(200);
    const get = await fetch(h.url, { headers: { accept: 'text/event-stream', 'mcp-session-id': sid } });
    await sleep(200);
    expect(h.listener.sessions).toBe(1);
    await get.body?.cancel();
    await waitFor(() => h.listener.sessions === 0);
  });

  it('a session closed by the protocol layer releases its slot once; close() of the listener ends the rest', async () => {
    const limiter = new ConnectionLimiter(5);
    const h = await start({ limiter });
    await initSession(h.url);
    await initSession(h.url);
    await h.transports[0]?.close();
    expect(limiter.count).toBe(1);
    const sid = h.transports[1]?.sessionId as string;
    const held = post(h.url, req(1, 'slow', { delayMs: 10_000 }), { 'mcp-session-id': sid });
    await waitFor(() => (h.transports[1]?.pendingRequests ?? 0) === 1);
    await h.listener.close();
    const res = await held;
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ id: 1, error: { code: ErrorCode.SESSION_CLOSING } });
    expect(limiter.count).toBe(0);
    expect(h.closes).toBe(2);
    expect((await post(h.url, INIT)).status).toBe(503);
  });
});

describe('standalone GET stream', () => {
  it('keeps server-initiated messages in the backlog and flushes them when the GET stream opens', async () => {
    const h = await start();
    const sid = await initSession(h.url);
    const t = h.transports[0];
    for (let i = 0; i < 3; i++) await t?.send({ jsonrpc: '2.0', method: 'notifications/message', params: { i } });
    expect(t?.backlog).toBe(3);
    const get = await fetch(h.url, { headers: { accept: 'text/event-stream', 'mcp-session-id': sid } });
    expect(get.status).toBe(200);
    const first = await readEvents(get, 3);
    expect(first.map((e) => (JSON.parse(e.data) as { params: { i: number } }).params.i)).toEqual([0, 1, 2]);
    expect(first.map((e) => e.id)).toEqual(['1', '2', '3']);
    expect(t?.backlog).toBe(0);
    // Messages without relatedRequestId, and those whose request already ended, go live now.
    const pushed = await post(h.url, req(7, 'push', { live: true }), { 'mcp-session-id': sid });
    expect(await pushed.json()).toEqual({ jsonrpc: '2.0', id: 7, result: {} });
    await t?.send({ jsonrpc: '2.0', method: 'late' }, { relatedRequestId: 7 });
    const live = await readEvents(get, 2);
    expect(live.map((e) => JSON.parse(e.data).method)).toEqual(['notifications/message', 'late']);
    await get.body?.cancel();
  });

  it('fails the session (onerror ERR_SLOW_CONSUMER, slot released) when the backlog overflows', async () => {
    const limiter = new ConnectionLimiter(5);
    const h = await start({ limiter, maxBacklog: 2 });
    await initSession(h.url);
    const t = h.transports[0];
    await t?.send({ jsonrpc: '2.0', method: 'n' });
    await t?.send({ jsonrpc: '2.0', method: 'n' });
    await expect(t?.send({ jsonrpc: '2.0', method: 'n' })).rejects.toMatchObject({ code: 'ERR_SLOW_CONSUMER' });
    expect(h.errors.some((e) => hasErrorCode(e, 'ERR_SLOW_CONSUMER'))).toBe(true);
    expect(t?.closed).toBe(true);
    expect(limiter.count).toBe(0);
  });

  it('writes keep-alive comments on open streams every sseKeepAliveMs', async () => {
    const h = await start({ sseKeepAliveMs: 30 });
    const sid = await initSession(h.url);
    const get = await fetch(h.url, { headers: { accept: 'text/event-stream', 'mcp-session-id': sid } });
    const reader = (get.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes(': keep-alive\n\n: keep-alive\n\n')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    expect(text).toContain(': keep-alive\n\n');
    await reader.cancel();
  });

  it('ends a stream whose client stops reading and fails the session with ERR_SLOW_CONSUMER', async () => {
    const limiter = new ConnectionLimiter(5);
    const warnings: string[] = [];
    const h = await start({ limiter, maxBufferedBytes: 64 * 1024, onwarning: (m) => warnings.push(m) });
    const sid = await initSession(h.url);
    const t = h.transports[0];
    // A client that opens the stream and never reads it.
    const paused = await new Promise<http.IncomingMessage>((resolve) => {
      http
        .get(
          {
            host: '127.0.0.1',
            port: h.port,
            path: '/mcp',
            headers: { accept: 'text/event-stream', 'mcp-session-id': sid },
          },
          (res) => {
            res.pause();
            resolve(res);
          },
        )
        .on('error', () => {});
    });
    expect(paused.statusCode).toBe(200);
    const payload = 'x'.repeat(16 * 1024);
    for (let i = 0; i < 10_000 && !t?.closed; i++) {
      await t?.send({ jsonrpc: '2.0', method: 'big', params: { payload } }).catch(() => {});
      if (i % 50 === 0) await sleep(1);
    }
    expect(t?.closed).toBe(true);
    expect(h.errors.some((e) => hasErrorCode(e, 'ERR_SLOW_CONSUMER'))).toBe(true);
    expect(warnings.length).toBeGreaterThan(0);
    expect(limiter.count).toBe(0);
    paused.destroy();
  });
});

describe('isolation', () => {
  it('50 sessions x 20 concurrent requests with colliding ids: every response reaches its own request', async () => {
    const h = await start({ limiter: new ConnectionLimiter(100) });
    const sids = await Promise.all(Array.from({ length: 50 }, () => initSession(h.url)));
    const mismatches: string[] = [];
    await Promise.all(
      sids.flatMap((sid, s) =>
        Array.from({ length: 20 }, async (_, i) => {
          // Same ids in every session (1..20): exactly what leaked across sessions in the SDK.
          const params = { s, i, sid, delayMs: (s * 7 + i * 13) % 9 };
          const method = i % 5 === 0 ? 'progress/first' : 'tools/call';
          const res = await post(h.url, req(i + 1, method, params), { 'mcp-session-id': sid });
          let body: { id: unknown; result?: { echo: typeof params } };
          if (res.headers.get('content-type') === 'text/event-stream') {
            const events = await readEvents(res, 10);
            body = JSON.parse(events[events.length - 1]?.data ?? 'null');
          } else {
            body = (await res.json()) as typeof body;
          }
          const echo = body.result?.echo;
          if (body.id !== i + 1 || echo?.s !== s || echo?.i !== i || echo?.sid !== sid) {
            mismatches.push(`${s}/${i}: ${JSON.stringify(body)}`);
          }
        }),
      ),
    );
    expect(mismatches).toEqual([]);
  });
});

describe('StreamableHttpClientTransport against our listener', () => {
  function collect(t: StreamableHttpClientTransport) {
    const messages: JsonRpcMessage[] = [];
    const errors: Error[] = [];
    let closes = 0;
    t.onmessage = (m) => messages.push(m);
    t.onerror = (e) => errors.push(e);
    t.onclose = () => {
      closes++;
    };
    return { messages, errors, closes: () => closes };
  }

  it('initializes, captures the session id, handles JSON and SSE answers, opens the GET stream, DELETEs on close', async () => {
    const h = await start();
    const t = new StreamableHttpClientTransport(h.url);
    const c = collect(t);
    await t.start();
    await t.send(INIT as JsonRpcMessage);
    expect(t.sessionId).toBe(h.transports[0]?.sessionId);
    t.setProtocolVersion('2025-11-25');
    await t.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await waitFor(() => h.transports[0]?.hasGetStream === true);
    await t.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { x: 1 } });
    await t.send({ jsonrpc: '2.0', id: 2, method: 'progress/first', params: { y: 2 } });
    await h.transports[0]?.send({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
    await waitFor(() => c.messages.length >= 5);
    expect(c.messages).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: 0 }),
        { jsonrpc: '2.0', id: 1, result: { echo: { x: 1 } } },
        { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 2, progress: 1 } },
        { jsonrpc: '2.0', id: 2, result: { echo: { y: 2 } } },
        { jsonrpc: '2.0', method: 'notifications/tools/list_changed' },
      ]),
    );
    await t.close();
    await t.close();
    expect(c.closes()).toBe(1);
    expect(h.listener.sessions).toBe(0);
    expect(c.errors).toEqual([]);
    await expect(t.send({ jsonrpc: '2.0', method: 'x' })).rejects.toMatchObject({ code: 'ERR_CONNECTION_CLOSED' });
  });

  it('delivers a 429 JSON-RPC error as the answer (no onerror) and reports 404 as session expired', async () => {
    const h = await start();
    const t = new StreamableHttpClientTransport(h.url, { openGetStream: false });
    const c = collect(t);
    await t.start();
    await t.send(INIT as JsonRpcMessage);
    await t.send({ jsonrpc: '2.0', id: 3, method: 'limited' });
    expect(c.messages.at(-1)).toMatchObject({ id: 3, error: { code: ErrorCode.RATE_LIMITED } });
    expect(c.errors).toEqual([]);
    await h.transports[0]?.close();
    await t.send({ jsonrpc: '2.0', id: 4, method: 'x' });
    expect(c.messages.at(-1)).toMatchObject({ id: 4, error: { code: ErrorCode.INVALID_REQUEST } });
    expect(c.errors[0]).toBeInstanceOf(HttpStatusError);
    expect(c.errors[0]).toMatchObject({ code: 'ERR_HTTP_STATUS', status: 404 });
    expect(c.errors[0]?.message).toContain('session expired');
    // A notification has no caller to answer: the send rejects.
    await expect(t.send({ jsonrpc: '2.0', method: 'n' })).rejects.toMatchObject({
      code: 'ERR_HTTP_STATUS',
      status: 404,
    });
    await t.close();
  });

  it('rejects with ERR_HTTP_STATUS (status in message and property) for an error without a JSON-RPC body', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(500);
      res.end('boom');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
    const t = new StreamableHttpClientTransport(url);
    const c = collect(t);
    await t.start();
    const err = await t.send(INIT as JsonRpcMessage).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_HTTP_STATUS', status: 500 });
    expect((err as Error).message).toContain('500');
    expect(c.errors).toHaveLength(1);
    await t.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
});

describe('interop with the official SDK', () => {
  function sdkServer(): SdkMcpServer {
    const server = new SdkMcpServer({ name: 'sdk-server', version: '1.0.0' });
    server.registerTool('echo', { inputSchema: { message: z.string() } }, async ({ message }) => ({
      content: [{ type: 'text', text: message }],
    }));
    server.registerTool('count', { inputSchema: { n: z.number().int() } }, async ({ n }, extra) => {
      for (let i = 1; i <= n; i++) {
        const token = extra._meta?.progressToken;
        if (token !== undefined) {
          await extra.sendNotification({
            method: 'notifications/progress',
            params: { progressToken: token, progress: i, total: n },
          });
        }
      }
      return { content: [{ type: 'text', text: `counted ${n}` }] };
    });
    server.registerTool('ask', { inputSchema: { q: z.string() } }, async ({ q }) => {
      const r = await server.server.createMessage({
        messages: [{ role: 'user', content: { type: 'text', text: q } }],
        maxTokens: 10,
      });
      return { content: [{ type: 'text', text: r.content.type === 'text' ? r.content.text : '?' }] };
    });
    return server;
  }

  function sdkClient(): Client {
    const client = new Client({ name: 'sdk-client', version: '1.0.0' }, { capabilities: { sampling: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, async (r) => ({
      role: 'assistant',
      model: 'fake',
      content: { type: 'text', text: `re: ${(r.params.messages[0]?.content as { text?: string } | undefined)?.text}` },
    }));
    return client;
  }

  async function exercise(client: Client): Promise<void> {
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['ask', 'count', 'echo']);
    expect(await client.callTool({ name: 'echo', arguments: { message: 'hi' } })).toEqual({
      content: [{ type: 'text', text: 'hi' }],
    });
    const progress: number[] = [];
    const counted = await client.callTool({ name: 'count', arguments: { n: 3 } }, undefined, {
      onprogress: (p) => progress.push(p.progress),
    });
    expect(counted.content).toEqual([{ type: 'text', text: 'counted 3' }]);
    expect(progress).toEqual([1, 2, 3]);
    expect((await client.callTool({ name: 'ask', arguments: { q: 'why' } })).content).toEqual([
      { type: 'text', text: 're: why' },
    ]);
    expect(await client.ping()).toEqual({});
  }

  it('SDK Client + SDK StreamableHTTPClientTransport against SDK McpServers on our server transport', async () => {
    const limiter = new ConnectionLimiter(10);
    const h = await start({ limiter }, (hh) => (t) => {
      hh.transports.push(t);
      void sdkServer().connect(t as unknown as SdkTransport);
    });
    const clients = [sdkClient(), sdkClient()];
    for (const c of clients) await c.connect(new StreamableHTTPClientTransport(new URL(h.url)));
    expect(h.listener.sessions).toBe(2);
    await Promise.all(clients.map((c) => exercise(c)));
    // The SDK client's close() does not DELETE; terminateSession() does.
    for (const c of clients) {
      await (c.transport as StreamableHTTPClientTransport).terminateSession();
      await c.close();
    }
    expect(h.listener.sessions).toBe(0);
    expect(limiter.count).toBe(0);
  });

  it('SDK Client on our StreamableHttpClientTransport against the SDK StreamableHTTPServerTransport', async () => {
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
        const created = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (id) => {
            sessions.set(id, created);
          },
          onsessionclosed: (id) => {
            sessions.delete(id);
          },
        });
        await sdkServer().connect(created);
        transport = created;
      }
      await transport.handleRequest(req, res, body);
    });
    await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/mcp`;
      const client = sdkClient();
      const ours = new StreamableHttpClientTransport(url);
      const errors: Error[] = [];
      await client.connect(ours as unknown as SdkTransport);
      client.onerror = (e) => errors.push(e);
      expect(ours.sessionId).toBeDefined();
      expect(ours.protocolVersion).toBe('2025-11-25');
      await exercise(client);
      await client.close();
      await waitFor(() => sessions.size === 0);
      expect(errors).toEqual([]);
    } finally {
      for (const t of sessions.values()) await t.close();
      httpServer.closeAllConnections();
      await new Promise((r) => httpServer.close(r));
    }
  });
});
