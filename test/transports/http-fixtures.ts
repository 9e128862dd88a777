/**
 * Shared pieces of the Streamable HTTP tests: a listener on 127.0.0.1:0, a tiny echo
 * "protocol" wired through onsession, raw request helpers and an SSE reader.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, errorResponse, type JsonRpcMessage, type RequestId } from '../../src/mcp/jsonrpc.js';
import {
  StreamableHttpListener,
  type StreamableHttpListenerOptions,
  type StreamableHttpServerTransport,
} from '../../src/transports/http-server.js';
import { type SseEvent, SseParser } from '../../src/transports/sse-parser.js';

export const ACCEPT_BOTH = 'application/json, text/event-stream';

export interface Harness {
  url: string;
  port: number;
  listener: StreamableHttpListener;
  server: http.Server;
  transports: StreamableHttpServerTransport[];
  errors: Error[];
  closes: number;
  close(): Promise<void>;
}

/**
 * The echo protocol: `initialize` answers a minimal InitializeResult; any other request is
 * answered `{ echo: params }` after an optional delay; `progress/first` sends a related
 * progress notification before its answer (forces SSE); `limited` / `overloaded` answer
 * backpressure errors; `push` sends an unrelated notification; arrays and invalid values get
 * -32600 with id null, as the real protocol layer does.
 */
export function echoProtocol(h: Harness): (t: StreamableHttpServerTransport) => void {
  return (t) => {
    h.transports.push(t);
    t.onerror = (e) => h.errors.push(e);
    t.onclose = () => {
      h.closes++;
    };
    t.onmessage = (raw) => {
      const msg = raw as unknown as Record<string, unknown>;
      if (Array.isArray(raw) || typeof msg.method !== 'string' || msg.jsonrpc !== '2.0') {
        void t.send(errorResponse(null, ErrorCode.INVALID_REQUEST, 'Invalid request')).catch(() => {});
        return;
      }
      if (!('id' in msg)) return; // notification
      const id = msg.id as RequestId;
      const params = (msg.params ?? {}) as Record<string, unknown>;
      const answer = (m: JsonRpcMessage) => void t.send(m, { relatedRequestId: id }).catch((e) => h.errors.push(e));
      switch (msg.method) {
        case 'initialize':
          answer({
            jsonrpc: '2.0',
            id,
            result: { protocolVersion: '2025-11-25', capabilities: {}, serverInfo: { name: 'echo', version: '0' } },
          });
          return;
        case 'progress/first':
          answer({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: id, progress: 1 } });
          setTimeout(() => answer({ jsonrpc: '2.0', id, result: { echo: params } }), 5);
          return;
        case 'limited':
          answer(
            errorResponse(id, ErrorCode.RATE_LIMITED, 'rate limited', { reason: 'rate_limited', retryAfterMs: 1500 }),
          );
          return;
        case 'overloaded':
          answer(
            errorResponse(id, ErrorCode.SHARD_OVERLOADED, 'overloaded', {
              reason: 'shard_overloaded',
              retryAfterMs: 10,
            }),
          );
          return;
        case 'push':
          void t.send({ jsonrpc: '2.0', method: 'notifications/message', params }).catch((e) => h.errors.push(e));
          answer({ jsonrpc: '2.0', id, result: {} });
          return;
        default: {
          const delay = typeof params.delayMs === 'number' ? params.delayMs : 0;
          const reply = () => answer({ jsonrpc: '2.0', id, result: { echo: params } });
          if (delay > 0) setTimeout(reply, delay);
          else reply();
        }
      }
    };
  };
}

/** Starts a listener on 127.0.0.1:0 with the echo protocol (or `onsession`). */
export async function startHarness(
  options: Partial<StreamableHttpListenerOptions> = {},
  onsession?: (h: Harness) => (t: StreamableHttpServerTransport) => void,
): Promise<Harness> {
  const server = http.createServer();
  const h = { transports: [], errors: [], closes: 0 } as unknown as Harness;
  const listener = new StreamableHttpListener({
    ...options,
    onsession: (t) => (onsession ?? echoProtocol)(h)(t),
  });
  listener.attach(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  Object.assign(h, {
    url: `http://127.0.0.1:${port}/mcp`,
    port,
    listener,
    server,
    close: async () => {
      await listener.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  });
  return h;
}

export const INIT = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '0' } },
};

/** POSTs `body` (object -> JSON) with the headers a conforming client sends, plus `headers`. */
export function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  init: RequestInit = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT_BOTH, ...headers },
    body: typeof body === 'string' || body instanceof Uint8Array ? (body as string) : JSON.stringify(body),
    ...init,
  });
}

/** Initializes a session and returns its id. */
export async function initSession(url: string): Promise<string> {
  const res = await post(url, INIT);
  if (res.status !== 200) throw new Error(`initialize answered ${res.status}: ${await res.text()}`);
  await res.json();
  const sid = res.headers.get('mcp-session-id');
  if (!sid) throw new Error('no session id');
  return sid;
}

/** Reads SSE events from a response until `count` events arrived (or the stream ended). */
export async function readEvents(
  res: Response,
  count: number,
  onComment?: (text: string) => void,
): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const parser = new SseParser((e) => events.push(e));
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  while (events.length < count) {
    const { done, value } = await reader.read();
    if (done) break;
    const text = decoder.decode(value, { stream: true });
    if (onComment && text.startsWith(':')) onComment(text);
    parser.feed(text);
  }
  reader.releaseLock();
  return events;
}

/** One raw node:http request (for headers fetch will not let us set, such as Host). */
export function rawRequest(
  port: number,
  options: http.RequestOptions,
  body?: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/mcp', ...options }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `cond` until it holds or `ms` pass. */
export async function waitFor(cond: () => boolean, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}
