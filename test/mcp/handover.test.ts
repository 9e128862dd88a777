// McpServerOptions.handover: a resumable (Streamable HTTP 2025) session's snapshot is saved
// each time what another process needs changes, forgotten when the session ends for good but
// not when the server drains, and a listener given the snapshot continues the session under
// its id, initialized, with its subscriptions, for the principal that opened it only.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionHandover, SessionSnapshot } from '../../src/mcp/handover.js';
import { McpServer } from '../../src/mcp/server.js';
import type { ForwardedRequest } from '../../src/transports/http-forward.js';
import { StreamableHttpListener } from '../../src/transports/http-server.js';

const V = '2025-11-25';
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

class Recorder implements SessionHandover {
  saved: SessionSnapshot[] = [];
  removed: string[] = [];
  save(s: SessionSnapshot) {
    this.saved.push(structuredClone(s));
  }
  remove(id: string) {
    this.removed.push(id);
  }
}

function build(handover?: SessionHandover) {
  const server = new McpServer({ name: 'h', version: '1' }, handover ? { handover } : {});
  server.registerResource('a', 'test://a', {}, (uri) => ({ contents: [{ uri, text: 'a' }] }));
  server.registerTool('echo', { inputSchema: { type: 'object' } }, (args) => ({
    content: [{ type: 'text', text: JSON.stringify(args) }],
  }));
  const listener = new StreamableHttpListener({ onsession: (t) => server.connect(t).then(() => {}) });
  return { server, listener };
}

async function serve(handler: http.RequestListener): Promise<string> {
  const s = http.createServer(handler);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => s.close(() => r())));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}/mcp`;
}

async function post(url: string, sid: string | undefined, body: Record<string, unknown>) {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': V,
  };
  if (sid) headers['mcp-session-id'] = sid;
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', ...body }) });
  const text = await res.text();
  return {
    status: res.status,
    sid: res.headers.get('mcp-session-id') ?? undefined,
    body: text ? JSON.parse(text) : null,
  };
}

const init = (id = 0) => ({
  id,
  method: 'initialize',
  params: { protocolVersion: V, capabilities: { roots: {} }, clientInfo: { name: 'c', version: '2' } },
});

describe('session handover', () => {
  it('saves the snapshot at each change, removes it at DELETE, keeps it when the server drains', async () => {
    const rec = new Recorder();
    const { server, listener } = build(rec);
    const url = await serve((req, res) => void listener.handle(req, res));
    closers.push(() => listener.close());
    const { sid } = await post(url, undefined, init());
    const base = {
      v: 1,
      id: sid,
      protocolVersion: V,
      clientInfo: { name: 'c', version: '2' },
      capabilities: { roots: {} },
      logLevel: 0,
    };
    expect(rec.saved).toEqual([{ ...base, initialized: false, subscriptions: [] }]);
    expect((await post(url, sid, { method: 'notifications/initialized' })).status).toBe(202);
    await post(url, sid, { id: 1, method: 'resources/subscribe', params: { uri: 'test://a' } });
    await post(url, sid, { id: 2, method: 'resources/subscribe', params: { uri: 'test://a' } }); // no change
    await post(url, sid, { id: 3, method: 'logging/setLevel', params: { level: 'error' } });
    await post(url, sid, { id: 4, method: 'tools/call', params: { name: 'echo', arguments: {} } }); // no change
    expect(rec.saved.slice(1)).toEqual([
      { ...base, initialized: true, subscriptions: [] },
      { ...base, initialized: true, subscriptions: ['test://a'] },
      { ...base, initialized: true, subscriptions: ['test://a'], logLevel: 4 },
    ]);
    await post(url, sid, { id: 5, method: 'resources/unsubscribe', params: { uri: 'test://a' } });
    expect(rec.saved.at(-1)?.subscriptions).toEqual([]);
    const del = await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': sid as string } });
    expect(del.status).toBe(200);
    await new Promise((r) => setTimeout(r, 20));
    expect(rec.removed).toEqual([sid]);

    const second = await post(url, undefined, init());
    await server.shutdown(100);
    await listener.close();
    expect(rec.removed).toEqual([sid]); // the drained session may continue elsewhere
    expect(second.sid).not.toBe(sid);
  });

  it('continues a session from its snapshot: initialized, same id, subscriptions kept; another principal gets 404', async () => {
    const { server, listener } = build();
    closers.push(() => listener.close());
    const snapshot: SessionSnapshot = {
      v: 1,
      id: 'gone~w0.s1',
      protocolVersion: V,
      clientInfo: { name: 'c', version: '2' },
      capabilities: {},
      initialized: true,
      logLevel: 2,
      subscriptions: ['test://a'],
    };
    const restore = async (snap: SessionSnapshot, body: Record<string, unknown>, principal?: string) => {
      const url = await serve((req, res) => {
        let text = '';
        req.on('data', (c) => {
          text += c;
        });
        req.on('end', () => {
          const request: ForwardedRequest = {
            method: 'POST',
            headers: req.headers,
            body: text,
            id: body.id as number,
            ...(principal ? { principal: { key: principal } as never } : {}),
          };
          listener.serveRestored(snap, request, res);
        });
      });
      return post(url, snap.id, body);
    };
    const r = await restore(snapshot, { id: 7, method: 'tools/call', params: { name: 'echo', arguments: { x: 1 } } });
    expect(r.status).toBe(200);
    expect(r.sid).toBe('gone~w0.s1');
    expect(r.body).toMatchObject({ id: 7, result: { content: [{ type: 'text', text: '{"x":1}' }] } });
    const [session] = [...server.sessions];
    expect(session?.id).toBe('gone~w0.s1');
    expect(session?.state).toBe('ready');
    expect(session?.initialized).toBe(true);
    expect(session?.clientInfo).toEqual({ name: 'c', version: '2' });
    expect([...(session?.subscriptions ?? [])]).toEqual(['test://a']);
    expect(session?.snapshot()).toEqual(snapshot);
    // Restored once: a second request on the same listener finds it.
    expect((await restore(snapshot, { id: 8, method: 'ping' })).body).toMatchObject({ id: 8, result: {} });
    expect(server.sessions.size).toBe(1);
    // Another principal's session does not exist for this caller.
    const theirs = { ...snapshot, id: 'gone~w0.s2', principalKey: 'alice' };
    expect((await restore(theirs, { id: 9, method: 'ping' }, 'mallory')).status).toBe(404);
    expect((await restore(theirs, { id: 10, method: 'ping' }, 'alice')).status).toBe(200);
    await server.close();
  });
});
