import { ErlmcpError } from '../core/errors.js';
import { isBackpressureCode, type JsonRpcMessage } from '../mcp/jsonrpc.js';
import { isModernVersion } from '../mcp/versions.js';
import { ClientAuth, type ClientAuthOption } from './client-auth.js';
import { mirroredHeaders, modernVersionOf } from './http-mirror.js';
import { SseParser } from './sse-parser.js';
import { closedError, type MessageExtra, type Transport, type TransportSendOptions } from './transport.js';

/** Options of {@link StreamableHttpClientTransport}. */
export interface StreamableHttpClientOptions {
  /** Extra headers on every request, e.g. Authorization (default none). */
  headers?: Record<string, string>;
  /** The fetch implementation (default: the global fetch). */
  fetch?: typeof fetch;
  /** Open the standalone GET stream once `notifications/initialized` is sent (default true). */
  openGetStream?: boolean;
  /** Milliseconds close() waits for its DELETE (default 5,000). */
  deleteTimeoutMs?: number;
  /**
   * A bearer token for `Authorization`, or a {@link TokenProvider} asked for one before the
   * first request and again after a 401 or a 403 `insufficient_scope` (then the request is
   * sent once more with the new token). Default: none.
   */
  auth?: ClientAuthOption;
}

/** An HTTP error status from the server: code ERR_HTTP_STATUS, the status in `status`. */
export class HttpStatusError extends ErlmcpError {
  /** The HTTP status code. */
  readonly status: number;

  constructor(status: number, message: string) {
    super('ERR_HTTP_STATUS', message);
    this.name = 'HttpStatusError';
    this.status = status;
  }
}

const SESSION_HEADER = 'mcp-session-id';
const VERSION_HEADER = 'mcp-protocol-version';

function mediaType(contentType: string | null): string {
  if (contentType === null) return '';
  const semi = contentType.indexOf(';');
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

function isRequest(message: JsonRpcMessage): message is JsonRpcMessage & { id: string | number; method: string } {
  return 'method' in message && 'id' in message;
}

/** A parsed body that is a JSON-RPC error response (the shape our server and the SDK's send). */
function asErrorResponse(text: string): { jsonrpc: '2.0'; id: unknown; error: { code: number } } | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const m = v as { jsonrpc?: unknown; error?: { code?: unknown; message?: unknown } };
  if (m.jsonrpc !== '2.0' || typeof m.error !== 'object' || m.error === null) return undefined;
  if (typeof m.error.code !== 'number' || typeof m.error.message !== 'string') return undefined;
  return v as { jsonrpc: '2.0'; id: unknown; error: { code: number } };
}

/** What one POST's answer stream needs to know about the request it answers (2026 era). */
interface Exchange {
  /** The request's id; undefined for a notification. */
  id: string | number | undefined;
  /** Set when the caller aborts this one exchange (its cancellation in 2026). */
  signal: AbortSignal | undefined;
  /** Told when the stream ended without the request's answer (not after a deliberate abort). */
  onEnd: (() => void) | undefined;
}

/**
 * The client end of Streamable HTTP, both eras. 2025 (2025-11-25 / 2025-06-18 / 2025-03-26):
 * each message is one POST accepting JSON or SSE; the session id from the initialize answer
 * goes on every later request; after `notifications/initialized` a GET stream carries
 * server-initiated messages. 2026-07-28 (a message whose `_meta` claims a modern version, and
 * everything once `setProtocolVersion` names one): no session, no GET stream, no DELETE; every
 * POST mirrors its method and name into headers (plus `options.headers`, e.g. `Mcp-Param-*`),
 * each request's answer streams on its own POST, and aborting `options.requestSignal` closes
 * just that exchange, which is the request's cancellation. No reconnection: a lost GET stream
 * is reported through onerror.
 */
export class StreamableHttpClientTransport implements Transport {
  /** The MCP endpoint. */
  readonly url: URL;
  onmessage?: (message: JsonRpcMessage, extra?: MessageExtra) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  /** Every request gets an exchange of its own, so `requestSignal` is honoured. */
  readonly hasPerRequestStream = true;
  readonly #fetch: typeof fetch;
  readonly #extraHeaders: Record<string, string>;
  readonly #openGet: boolean;
  readonly #deleteTimeoutMs: number;
  readonly #abort = new AbortController();
  #sessionId: string | undefined;
  #version: string | undefined;
  #started = false;
  #closed = false;
  #getOpen = false;
  readonly #auth: ClientAuth | undefined;
  #modern = false;

  constructor(url: string | URL, options: StreamableHttpClientOptions = {}) {
    this.url = typeof url === 'string' ? new URL(url) : url;
    this.#fetch = options.fetch ?? fetch;
    this.#extraHeaders = options.headers ?? {};
    this.#openGet = options.openGetStream ?? true;
    this.#deleteTimeoutMs = options.deleteTimeoutMs ?? 5_000;
    this.#auth = options.auth === undefined ? undefined : new ClientAuth(options.auth);
  }

  /**
   * fetch with the bearer token (auth on): a 401, or a 403 that asks for more scope, makes the
   * provider give a new token and the request goes once more.
   */
  async #send(init: RequestInit & { headers: Record<string, string> }): Promise<Response> {
    const auth = this.#auth;
    if (auth === undefined) return this.#fetch(this.url, init);
    init.headers.authorization = await auth.header();
    const res = await this.#fetch(this.url, init);
    if (res.status !== 401 && res.status !== 403) return res;
    if (!(await auth.refresh(res.status, res.headers.get('www-authenticate')))) return res;
    await res.body?.cancel();
    init.headers.authorization = await auth.header();
    return this.#fetch(this.url, init);
  }

  /** The session id the server assigned (undefined before initialize). */
  get sessionId(): string | undefined {
    return this.#sessionId;
  }

  /** The protocol version sent as MCP-Protocol-Version (undefined before initialize). */
  get protocolVersion(): string | undefined {
    return this.#version;
  }

  async start(): Promise<void> {
    if (this.#started) throw new ErlmcpError('ERR_ALREADY_STARTED', 'StreamableHttpClientTransport already started');
    if (this.#closed) throw closedError('the Streamable HTTP client transport is closed');
    this.#started = true;
  }

  /**
   * Called by the protocol layer after initialize (or, in the 2026 era, after discovery): every
   * later request carries the version. A 2026 version switches the transport to that era.
   */
  setProtocolVersion(version: string): void {
    this.#version = version;
    this.#modern = isModernVersion(version);
  }

  /**
   * POSTs one message. Resolves once the server accepted it (a JSON answer is delivered
   * first; an SSE answer is delivered as it streams). An HTTP error whose body is a JSON-RPC
   * error for this request is delivered as the request's answer (with `extra.httpStatus`);
   * any other HTTP error rejects with {@link HttpStatusError}.
   */
  async send(message: JsonRpcMessage, options?: TransportSendOptions): Promise<void> {
    if (this.#closed) throw closedError('the Streamable HTTP client transport is closed');
    const claimed = modernVersionOf(message);
    const modern = claimed !== undefined || this.#modern;
    const headers = modern
      ? {
          ...this.#extraHeaders,
          ...options?.headers,
          ...mirroredHeaders(message, claimed ?? (this.#version as string)),
        }
      : this.#headers(undefined);
    headers.accept = 'application/json, text/event-stream';
    headers['content-type'] = 'application/json';
    const exchange: Exchange | undefined = modern
      ? {
          id: isRequest(message) ? message.id : undefined,
          signal: options?.requestSignal,
          onEnd: options?.onRequestStreamEnd,
        }
      : undefined;
    let res: Response;
    try {
      res = await this.#send({
        method: 'POST',
        headers,
        body: JSON.stringify(message),
        signal: exchange?.signal ? AbortSignal.any([this.#abort.signal, exchange.signal]) : this.#abort.signal,
      });
    } catch (err) {
      if (this.#closed) throw closedError('the Streamable HTTP client transport is closed');
      // A deliberate abort is the request's cancellation: the protocol layer settled it already.
      if (exchange?.signal?.aborted) return;
      const e = new ErlmcpError('ERR_TRANSPORT', `POST ${this.url.href} failed: ${(err as Error).message}`, {
        cause: err,
      });
      this.onerror?.(e);
      throw e;
    }
    const extra: MessageExtra = { httpStatus: res.status };
    if (!modern) {
      const sid = res.headers.get(SESSION_HEADER);
      if (sid !== null && sid !== '') this.#sessionId = sid;
    }
    if (!res.ok) {
      await this.#httpError(res, message, extra, modern);
      return;
    }
    if (res.status === 202) {
      await res.body?.cancel();
      if (!modern && this.#openGet && 'method' in message && message.method === 'notifications/initialized') {
        void this.#openGetStream();
      }
      return;
    }
    if (modern && !isRequest(message)) {
      // The spec makes 202 the only acceptance of a notification.
      await res.body?.cancel();
      this.onerror?.(new ErlmcpError('ERR_TRANSPORT', `expected 202 for a notification, got HTTP ${res.status}`));
      return;
    }
    const type = mediaType(res.headers.get('content-type'));
    if (type === 'text/event-stream') {
      if (res.body) void this.#readSse(res.body, false, extra, exchange);
      return;
    }
    if (type === 'application/json') {
      const text = await res.text();
      if (text.length === 0) return;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        const e = new ErlmcpError('ERR_TRANSPORT', `invalid JSON from ${this.url.href}: ${(err as Error).message}`);
        this.onerror?.(e);
        throw e;
      }
      // Servers on protocol 2025-03-26 may answer a batch; deliver its members one by one.
      if (Array.isArray(value)) for (const m of value) this.onmessage?.(m as JsonRpcMessage, extra);
      else this.onmessage?.(value as JsonRpcMessage, extra);
      return;
    }
    await res.body?.cancel();
    if (isRequest(message)) {
      const e = new ErlmcpError('ERR_TRANSPORT', `unexpected Content-Type ${String(res.headers.get('content-type'))}`);
      this.onerror?.(e);
      throw e;
    }
  }

  /** Aborts open streams, DELETEs the session (best effort; 405 is fine), fires onclose once. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    const sid = this.#sessionId;
    if (sid !== undefined) {
      try {
        const res = await this.#send({
          method: 'DELETE',
          headers: this.#headers(undefined),
          signal: AbortSignal.timeout(this.#deleteTimeoutMs),
        });
        await res.body?.cancel();
      } catch {
        // Best effort: the server expires idle sessions anyway.
      }
    }
    this.onclose?.();
  }

  #headers(accept: string | undefined): Record<string, string> {
    const h: Record<string, string> = { ...this.#extraHeaders };
    if (accept !== undefined) h.accept = accept;
    if (this.#sessionId !== undefined) h[SESSION_HEADER] = this.#sessionId;
    if (this.#version !== undefined) h[VERSION_HEADER] = this.#version;
    return h;
  }

  async #httpError(res: Response, message: JsonRpcMessage, extra: MessageExtra, modern: boolean): Promise<void> {
    const status = res.status;
    const text = await res.text().catch(() => '');
    const expired = status === 404 && this.#sessionId !== undefined;
    const err = expired
      ? new HttpStatusError(
          404,
          `session expired: the server no longer knows session ${this.#sessionId} (HTTP 404); start a new session`,
        )
      : new HttpStatusError(
          status,
          `HTTP ${status}${res.statusText ? ` ${res.statusText}` : ''} from POST ${this.url.href}${text ? `: ${text.slice(0, 200)}` : ''}`,
        );
    const request = isRequest(message);
    const body = request ? asErrorResponse(text) : undefined;
    if (body === undefined) {
      // A 2026 request's failure is its caller's to see; it is not a transport fault.
      if (!(modern && request)) this.onerror?.(err);
      throw err;
    }
    // The HTTP error is this request's answer (413, 429, 503, and in 2026 the 400/404 of
    // version, capability, header and method errors): hand it to the caller. A null id means
    // the server could not read ours; it is still our request's answer.
    if (body.id === null || body.id === undefined) body.id = (message as { id: string | number }).id;
    if (!modern && (expired || !isBackpressureCode(body.error.code))) this.onerror?.(err);
    this.onmessage?.(body as unknown as JsonRpcMessage, extra);
  }

  async #openGetStream(): Promise<void> {
    if (this.#getOpen || this.#closed) return;
    this.#getOpen = true;
    try {
      const res = await this.#send({
        method: 'GET',
        headers: this.#headers('text/event-stream'),
        signal: this.#abort.signal,
      });
      if (!res.ok) {
        await res.body?.cancel();
        // 405: the server offers no GET stream, which the spec allows.
        if (res.status !== 405) {
          this.onerror?.(
            new HttpStatusError(res.status, `HTTP ${res.status} opening the GET stream of ${this.url.href}`),
          );
        }
        return;
      }
      if (res.body) await this.#readSse(res.body, true, { httpStatus: res.status }, undefined);
    } catch (err) {
      if (!this.#closed) {
        this.onerror?.(
          new ErlmcpError('ERR_TRANSPORT', `GET stream failed: ${(err as Error).message}`, { cause: err }),
        );
      }
    } finally {
      this.#getOpen = false;
    }
  }

  /** Delivers one SSE event; true when it was the answer of `exchange`'s request. */
  #deliverEvent(data: string, extra: MessageExtra, exchange: Exchange | undefined): boolean {
    let value: unknown;
    try {
      value = JSON.parse(data);
    } catch (err) {
      this.onerror?.(new ErlmcpError('ERR_TRANSPORT', `invalid JSON in an SSE event: ${(err as Error).message}`));
      return false;
    }
    this.onmessage?.(value as JsonRpcMessage, extra);
    const m = value as { id?: unknown; method?: unknown };
    return exchange?.id !== undefined && m.id === exchange.id && m.method === undefined;
  }

  /**
   * Reads one SSE stream to its end. For a 2026 request's own stream, an end (or break)
   * before its answer is told to `exchange.onEnd`, unless the caller aborted it on purpose.
   */
  async #readSse(
    body: ReadableStream<Uint8Array>,
    standalone: boolean,
    extra: MessageExtra,
    exchange: Exchange | undefined,
  ): Promise<void> {
    const events: string[] = [];
    const parser = new SseParser((ev) => {
      if (ev.event === 'message' && ev.data.length > 0) events.push(ev.data);
    });
    const decoder = new TextDecoder();
    const reader = body.getReader();
    let answered = false;
    const deliver = async (): Promise<void> => {
      for (let i = 0; i < events.length; i++) {
        // Several events in one chunk: give the protocol layer a turn between them. The SDK
        // handles notifications a microtask late but responses at once, so a progress
        // notification delivered in the same tick as its response would find its request gone.
        if (i > 0) await new Promise(setImmediate);
        if (this.#deliverEvent(events[i] as string, extra, exchange)) answered = true;
      }
      events.length = 0;
    };
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(decoder.decode(value, { stream: true }));
        await deliver();
      }
      parser.feed(decoder.decode());
      parser.end();
      await deliver();
    } catch (err) {
      if (!this.#closed && !exchange?.signal?.aborted) {
        this.onerror?.(
          new ErlmcpError(
            'ERR_TRANSPORT',
            `${standalone ? 'GET' : 'POST'} SSE stream broke: ${(err as Error).message}`,
            {
              cause: err,
            },
          ),
        );
      }
    } finally {
      reader.releaseLock();
      if (!answered && !this.#closed && !exchange?.signal?.aborted) exchange?.onEnd?.();
    }
  }
}
