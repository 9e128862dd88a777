/**
 * Shared pieces of the MCP 2026-07-28 Streamable HTTP tests: an McpServer behind a
 * StreamableHttpListener on 127.0.0.1:0 (both eras, as `listen()` wires them), and a raw
 * node:http client that can pick its source address (127.0.0.x are all loopback), add the
 * 2026 headers a conforming client derives from the body, read JSON or SSE answers
 * incrementally, and close its stream (the 2026 way to cancel).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { McpServer } from '../../src/mcp/server.js';
import { StreamableHttpListener, type StreamableHttpListenerOptions } from '../../src/transports/http-server.js';
import { type SseEvent, SseParser } from '../../src/transports/sse-parser.js';
import type { Transport } from '../../src/transports/transport.js';
import { CAPS, INFO, PV, V2026 } from '../mcp/era.js';
import type { Wire } from '../mcp/harness.js';

export const ACCEPT_BOTH = 'application/json, text/event-stream';

export interface StatelessHarness {
  server: McpServer;
  listener: StreamableHttpListener;
  http: http.Server;
  port: number;
  /** Stops the listener and the HTTP server and closes the McpServer. Idempotent. */
  close(): Promise<void>;
}

/** Serves `server` (2025 sessions and 2026 channels) on 127.0.0.1:0. */
export async function startStateless(
  server: McpServer,
  options: Partial<StreamableHttpListenerOptions> = {},
): Promise<StatelessHarness> {
  const serve = (t: Transport) => {
    server.connect(t).catch(() => t.close().catch(() => {}));
  };
  const listener = new StreamableHttpListener({ sseKeepAliveMs: 0, ...options, onsession: serve, onclient: serve });
  const httpServer = http.createServer();
  listener.attach(httpServer);
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
  const port = (httpServer.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  return {
    server,
    listener,
    http: httpServer,
    port,
    close: () => {
      closed ??= (async () => {
        await listener.close();
        await server.close();
        httpServer.closeAllConnections();
        await new Promise<void>((r) => httpServer.close(() => r()));
      })();
      return closed;
    },
  };
}

/** A value as a conforming client puts it in a header: plain when safe, else the base64 sentinel. */
export function headerValue(value: string): string {
  const safe =
    /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(value) && !(value.startsWith('=?base64?') && value.endsWith('?='));
  return safe ? value : `=?base64?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

/** The headers a conforming 2026 client sends for `body` (MCP-Protocol-Version, Mcp-Method, Mcp-Name). */
export function headersFor(body: unknown): Record<string, string> {
  const h: Record<string, string> = {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return h;
  const m = body as { method?: unknown; params?: Record<string, unknown> };
  const meta = m.params?._meta as Record<string, unknown> | undefined;
  if (typeof meta?.[PV] === 'string') h['mcp-protocol-version'] = meta[PV] as string;
  if (typeof m.method === 'string' && 'id' in m) h['mcp-method'] = m.method;
  const source =
    m.method === 'tools/call' || m.method === 'prompts/get'
      ? m.params?.name
      : m.method === 'resources/read'
        ? m.params?.uri
        : undefined;
  if (typeof source === 'string') h['mcp-name'] = headerValue(source);
  return h;
}

export interface PostOptions {
  /** Source address (default 127.0.0.1). */
  from?: string;
  /** Extra headers; a value of `undefined` removes a header the client would send. */
  headers?: Record<string, string | undefined>;
  /** Add the 2026 headers derived from the body (default true). */
  auto?: boolean;
  /** The raw body instead of JSON.stringify(body). */
  raw?: string;
}

/** One POST's answer, readable as it arrives. */
export class Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly #req: http.ClientRequest;
  readonly #events: SseEvent[] = [];
  #text = '';
  #ended = false;
  #wake: (() => void) | undefined;
  #taken = 0;

  constructor(req: http.ClientRequest, res: http.IncomingMessage) {
    this.#req = req;
    this.status = res.statusCode ?? 0;
    this.headers = res.headers;
    const parser = new SseParser((e) => this.#events.push(e));
    const sse = this.isSse;
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      this.#text += chunk;
      if (sse) parser.feed(chunk);
      this.#wake?.();
    });
    const end = () => {
      this.#ended = true;
      this.#wake?.();
    };
    res.on('end', end);
    res.on('close', end);
    res.on('error', end);
  }

  get isSse(): boolean {
    return String(this.headers['content-type']).startsWith('text/event-stream');
  }

  get ended(): boolean {
    return this.#ended;
  }

  async #until(cond: () => boolean, ms: number, what: string): Promise<void> {
    const end = Date.now() + ms;
    while (!cond()) {
      const left = end - Date.now();
      if (left <= 0) throw new Error(`${what} did not arrive within ${ms} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 200));
        this.#wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  }

  /** The whole body (waits for its end). */
  async text(ms = 10_000): Promise<string> {
    await this.#until(() => this.#ended, ms, 'the end of the body');
    return this.#text;
  }

  /** The body parsed as one JSON value (waits for its end). */
  async json(ms = 10_000): Promise<Wire> {
    return JSON.parse(await this.text(ms));
  }

  /** The next SSE message not yet taken, parsed. */
  async next(ms = 10_000): Promise<Wire> {
    await this.#until(() => this.#events.length > this.#taken || this.#ended, ms, 'the next SSE event');
    if (this.#events.length <= this.#taken) throw new Error(`the stream ended after ${this.#taken} events`);
    const e = this.#events[this.#taken++] as SseEvent;
    return JSON.parse(e.data);
  }

  /** Every message of the answer: the JSON body, or every SSE event (waits for the end). */
  async messages(ms = 10_000): Promise<Wire[]> {
    const body = await this.text(ms);
    if (!this.isSse) return body === '' ? [] : [JSON.parse(body)];
    return this.#events.map((e) => JSON.parse(e.data));
  }

  /** Closes the connection under the answer (the client gives up: cancellation in 2026). */
  close(): void {
    this.#req.destroy();
  }
}

/** A POST in progress: its answer (once the head arrives) and a way to give up on it first. */
export interface Pending {
  reply: Promise<Reply>;
  /** Destroys the connection (before or after the answer's head). */
  abort(): void;
}

/** Starts a POST of `body` to the harness. */
export function start(port: number, body: unknown, options: PostOptions = {}): Pending {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: ACCEPT_BOTH,
    ...(options.auto === false ? {} : headersFor(body)),
  };
  for (const [k, v] of Object.entries(options.headers ?? {})) {
    if (v === undefined) delete headers[k.toLowerCase()];
    else headers[k.toLowerCase()] = v;
  }
  const payload = options.raw ?? JSON.stringify(body);
  let req!: http.ClientRequest;
  const reply = new Promise<Reply>((resolve, reject) => {
    req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/mcp',
        method: 'POST',
        localAddress: options.from ?? '127.0.0.1',
        agent: false,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(payload)) },
      },
      (res) => resolve(new Reply(req, res)),
    );
    req.on('error', reject);
    // A Buffer, so that the head is written on its own (latin1): a string body would be
    // written together with the head in its encoding, UTF-8, changing non-ASCII header bytes.
    req.end(Buffer.from(payload, 'utf8'));
  });
  reply.catch(() => {}); // an aborted POST rejects; callers that abort do not await it
  return { reply, abort: () => req.destroy() };
}

/** POSTs `body` to the harness; resolves once the answer's head has arrived. */
export function post(port: number, body: unknown, options: PostOptions = {}): Promise<Reply> {
  return start(port, body, options).reply;
}

/** POSTs and returns the status and the parsed JSON body (for answers that are not streams). */
export async function postJson(
  port: number,
  body: unknown,
  options: PostOptions = {},
): Promise<{ status: number; body: Wire; reply: Reply }> {
  const reply = await post(port, body, options);
  const text = await reply.text();
  return { status: reply.status, body: text === '' ? undefined : JSON.parse(text), reply };
}

/** A GET or DELETE with the given headers. */
export function request(
  port: number,
  method: 'GET' | 'DELETE' | 'PUT',
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/mcp', method, agent: false, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The 2025 initialize POST; returns the session id. */
export async function initialize2025(
  port: number,
  from = '127.0.0.1',
  capabilities: Record<string, unknown> = {},
): Promise<string> {
  const { status, body, reply } = await postJson(
    port,
    {
      jsonrpc: '2.0',
      id: 'init',
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities, clientInfo: { name: 'legacy', version: '1' } },
    },
    { from },
  );
  if (status !== 200 || body?.result?.protocolVersion !== '2025-11-25')
    throw new Error(`initialize answered ${status}`);
  const sid = reply.headers['mcp-session-id'];
  if (typeof sid !== 'string') throw new Error('no Mcp-Session-Id');
  const note = await post(
    port,
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { from, headers: { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' } },
  );
  await note.text();
  return sid;
}

/** A 2025 session request (no envelope). */
export function post2025(
  port: number,
  sid: string,
  body: unknown,
  from = '127.0.0.1',
): Promise<{ status: number; body: Wire; reply: Reply }> {
  return postJson(port, body, {
    from,
    auto: false,
    headers: { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' },
  });
}

export { CAPS, INFO, PV, V2026 };
