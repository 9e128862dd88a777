import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Principal } from '../auth/types.js';
import { ErlmcpError } from '../core/errors.js';
import type { SessionSnapshot } from '../mcp/handover.js';
import {
  classify,
  ErrorCode,
  encodeMessage,
  errorResponse,
  invalidId,
  isBackpressureCode,
  type JsonRpcErrorObject,
  type JsonRpcMessage,
  Kind,
  type RequestId,
} from '../mcp/jsonrpc.js';
import { answerDropped } from './http-dropped.js';
import { type SseHub, SseStream, type SseStreamOwner, sseEvent } from './sse.js';
import {
  closedError,
  type DroppedNotification,
  type MessageExtra,
  SENT,
  type Transport,
  type TransportSendOptions,
} from './transport.js';

/** What a session needs from the listener that owns it. */
export interface SessionHost {
  readonly hub: SseHub;
  /** Messages kept for the standalone stream while no GET stream is open. */
  readonly maxBacklog: number;
  /** Called once, when the session closes: forget it and release its limiter slot. */
  sessionClosed(session: StreamableHttpServerTransport): void;
  /** A stream of the session went over the warn mark. */
  sessionWarn(session: StreamableHttpServerTransport, message: string): void;
  /** The `WWW-Authenticate` value answering an -32016 insufficient-scope error (auth on), else undefined. */
  scopeChallenge(error: JsonRpcErrorObject): string | undefined;
}

/**
 * One POST carrying a request (or a value the protocol layer will answer with an error): its
 * HTTP response is held until the first message for it arrives, then becomes either a JSON
 * answer or an SSE stream.
 */
class Exchange {
  readonly res: ServerResponse;
  /** The id the answer will carry (null when the value had no usable id). */
  readonly id: RequestId | null;
  stream: SseStream | null = null;
  constructor(res: ServerResponse, id: RequestId | null) {
    this.res = res;
    this.id = id;
  }
}

const RESOLVED = SENT;

const SSE_HEAD = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
};

/** Whole seconds to put in Retry-After for a backpressure error: ceil(retryAfterMs / 1000), at least 1. */
export function retryAfterSeconds(error: JsonRpcErrorObject): number {
  const data = error.data as { retryAfterMs?: unknown } | undefined;
  const ms = typeof data === 'object' && data !== null ? data.retryAfterMs : undefined;
  return typeof ms === 'number' && Number.isFinite(ms) ? Math.max(1, Math.ceil(ms / 1000)) : 1;
}

/**
 * The server end of one Streamable HTTP session (one per `Mcp-Session-Id`), created by
 * {@link StreamableHttpListener} on an initialize POST and handed to its `onsession`.
 *
 * Routing: a response goes back on the POST that carried its request (by id, within this
 * session only: ids of different sessions never meet); a notification or request sent with
 * `relatedRequestId` goes on that request's POST, turning it into an SSE stream; anything else
 * goes on the standalone GET stream, or into a bounded backlog while none is open.
 */
export class StreamableHttpServerTransport implements Transport, SseStreamOwner {
  /** This session's id: a random UUID, sent as `Mcp-Session-Id`. */
  readonly sessionId: string;
  onmessage?: (message: JsonRpcMessage, extra?: MessageExtra) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  /** The protocol version the protocol layer negotiated (undefined before initialize). */
  protocolVersion: string | undefined;
  /** @internal Date.now() of the last request or stream change, for the idle sweep. */
  lastActive: number;

  readonly #host: SessionHost;
  readonly #pending = new Map<RequestId, Exchange>();
  /** POSTs whose value has no usable id: their answer comes with id null, in order. */
  readonly #orphans: Exchange[] = [];
  readonly #jsonHead: OutgoingHttpHeaders;
  readonly #sseHead: OutgoingHttpHeaders;
  readonly #acceptedHead: OutgoingHttpHeaders;
  #get: SseStream | null = null;
  #backlog: string[] = [];
  #eventId = 0;
  #closed = false;
  #started = false;
  #early: [unknown, MessageExtra][] | null = null;
  /** Who opened the session (auth on); every later request must be the same principal. */
  readonly principal: Principal | undefined;
  /** Another process may continue the session under its id (see src/mcp/handover.ts). */
  readonly resumable = true;
  /** Set when this session continues one another process served. */
  readonly restored: SessionSnapshot | undefined;
  /** Set by {@link notificationDropped} while a notification POST is being delivered. */
  #dropped: DroppedNotification | undefined;

  /**
   * @internal Created by the listener; `principal` is who opened it (when auth is on),
   * `restored` the snapshot of a session continued from another process.
   */
  constructor(sessionId: string, host: SessionHost, principal?: Principal, restored?: SessionSnapshot) {
    this.sessionId = sessionId;
    this.principal = principal;
    this.restored = restored;
    this.#host = host;
    this.lastActive = Date.now();
    // Built once per session: every answer reuses them.
    this.#jsonHead = { 'content-type': 'application/json', 'mcp-session-id': sessionId };
    this.#sseHead = { ...SSE_HEAD, 'mcp-session-id': sessionId };
    this.#acceptedHead = { 'mcp-session-id': sessionId };
  }

  /** No-op apart from delivering messages that arrived before a handler was attached. */
  async start(): Promise<void> {
    if (this.#started) throw new ErlmcpError('ERR_ALREADY_STARTED', 'StreamableHttpServerTransport already started');
    this.#started = true;
    const early = this.#early;
    this.#early = null;
    if (early) for (const [m, extra] of early) this.#deliver(m, extra);
  }

  /** Called by the protocol layer after initialize. */
  setProtocolVersion(version: string): void {
    this.protocolVersion = version;
  }

  /** True once closed (DELETE, idle expiry, listener close, failure or {@link close}). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Messages waiting for a GET stream. */
  get backlog(): number {
    return this.#backlog.length;
  }

  /** POSTs waiting for their answer. */
  get pendingRequests(): number {
    return this.#pending.size + this.#orphans.length;
  }

  /** True while a standalone GET stream is open. */
  get hasGetStream(): boolean {
    return this.#get?.open ?? false;
  }

  send(message: JsonRpcMessage, options?: TransportSendOptions): Promise<void> {
    if (this.#closed) return Promise.reject(closedError('the Streamable HTTP session is closed'));
    const m = message as { method?: unknown; id?: unknown };
    if (m.method === undefined) return this.#sendResponse(message, m.id);
    const related = options?.relatedRequestId;
    if (related !== undefined) {
      const ex = this.#pending.get(related);
      if (ex !== undefined && !ex.res.destroyed) {
        this.#streamTo(ex, encodeMessage(message));
        return RESOLVED;
      }
    }
    return this.#standalone(encodeMessage(message));
  }

  /** Ends every stream, answers held POSTs with SESSION_CLOSING, fires onclose once. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#host.sessionClosed(this);
    for (const ex of this.#pending.values()) this.#abandon(ex);
    for (const ex of this.#orphans) this.#abandon(ex);
    this.#pending.clear();
    this.#orphans.length = 0;
    this.#get?.end();
    this.#get = null;
    this.#backlog = [];
    this.#early = null;
    this.onclose?.();
  }

  /**
   * @internal A POST for this session whose body parsed as `value`; `principal` is this
   * request's (the same key as the session's, its token maybe newer).
   */
  acceptPost(req: IncomingMessage, res: ServerResponse, value: unknown, principal?: Principal): void {
    this.lastActive = Date.now();
    const kind = classify(value);
    if (kind === Kind.NOTIFICATION) {
      // Delivered first: the protocol layer decides synchronously whether it was admitted
      // (202) or dropped by the session's rate limit (429, see notificationDropped). A
      // throwing listener downstream still gets the POST answered: finally.
      this.#dropped = undefined;
      try {
        this.#deliver(value, { requestInfo: { headers: req.headers }, principal: principal?.key, authInfo: principal });
      } finally {
        const dropped = this.#dropped;
        this.#dropped = undefined;
        if (dropped === undefined) {
          res.writeHead(202, this.#acceptedHead);
          res.end();
        } else {
          answerDropped(res, dropped, this.#acceptedHead);
        }
      }
      return;
    }
    if (kind === Kind.RESPONSE) {
      res.writeHead(202, this.#acceptedHead);
      res.end();
    } else {
      const id = kind === Kind.REQUEST ? (value as { id: RequestId }).id : invalidId(value);
      // A duplicate id in flight is answered with id null by the protocol layer; never let
      // it take over the first request's POST.
      if (id !== null && !this.#pending.has(id)) this.#pending.set(id, new Exchange(res, id));
      else this.#orphans.push(new Exchange(res, null));
    }
    this.#deliver(value, { requestInfo: { headers: req.headers }, principal: principal?.key, authInfo: principal });
  }

  /** The notification being delivered was dropped by the session's rate limit: its POST gets 429. */
  notificationDropped(drop: DroppedNotification): void {
    this.#dropped = drop;
  }

  /** @internal A GET for this session: opens the standalone stream and flushes the backlog. */
  openGet(res: ServerResponse): boolean {
    const current = this.#get;
    if (current?.open) return false;
    this.lastActive = Date.now();
    res.writeHead(200, this.#sseHead);
    res.flushHeaders();
    const stream = new SseStream(res, this, this.#host.hub);
    this.#get = stream;
    const backlog = this.#backlog;
    if (backlog.length > 0) {
      this.#backlog = [];
      let frames = '';
      for (const json of backlog) frames += sseEvent(json, String(++this.#eventId));
      stream.write(frames);
    }
    return true;
  }

  /** @internal True when nothing is in flight, no stream is open and the session was quiet for `idleMs`. */
  isIdle(now: number, idleMs: number): boolean {
    return (
      this.#pending.size === 0 &&
      this.#orphans.length === 0 &&
      !(this.#get?.open ?? false) &&
      now - this.lastActive >= idleMs
    );
  }

  /** @internal Fails the session: onerror, then close. */
  fail(error: Error): void {
    if (this.#closed) return;
    this.onerror?.(error);
    void this.close();
  }

  // ---- SseStreamOwner ------------------------------------------------------------------

  /** @internal */
  streamOverflow(stream: SseStream, buffered: number): void {
    this.fail(
      new ErlmcpError(
        'ERR_SLOW_CONSUMER',
        `session ${this.sessionId}: ${stream === this.#get ? 'GET' : 'POST'} stream has ${buffered} unsent bytes ` +
          `(limit ${this.#host.hub.rejectBytes}); the client is not reading`,
      ),
    );
  }

  /** @internal */
  streamWarn(_stream: SseStream, buffered: number): void {
    this.#host.sessionWarn(this, `session ${this.sessionId}: SSE stream has ${buffered} unsent bytes`);
  }

  /** @internal */
  streamClosed(stream: SseStream): void {
    if (stream === this.#get) {
      this.#get = null;
      this.lastActive = Date.now();
    }
  }

  // ---- internals ------------------------------------------------------------------------

  #deliver(value: unknown, extra: MessageExtra): void {
    const handler = this.onmessage;
    if (handler !== undefined) {
      handler(value as JsonRpcMessage, extra);
      return;
    }
    // onsession attached nothing yet: keep it for start().
    if (this.#early === null) this.#early = [];
    this.#early.push([value, extra]);
  }

  #sendResponse(message: JsonRpcMessage, id: unknown): Promise<void> {
    let ex: Exchange | undefined;
    if (id !== null && id !== undefined) {
      ex = this.#pending.get(id as RequestId);
      if (ex !== undefined) this.#pending.delete(id as RequestId);
    }
    // An answer without a usable id (invalid request, batch array) belongs to the oldest POST
    // that carried such a value.
    if (ex === undefined) ex = this.#orphans.shift();
    if (ex === undefined) {
      return Promise.reject(
        new ErlmcpError('ERR_TRANSPORT', `no open HTTP request for the response with id ${JSON.stringify(id)}`),
      );
    }
    this.lastActive = Date.now();
    const json = encodeMessage(message);
    const stream = ex.stream;
    if (stream !== null) {
      stream.write(sseEvent(json));
      stream.end();
      return RESOLVED;
    }
    const res = ex.res;
    // The client went away: the answer has nowhere to go (disconnecting is not cancelling).
    if (res.destroyed || res.headersSent) return RESOLVED;
    const error = (message as { error?: JsonRpcErrorObject }).error;
    if (error !== undefined && isBackpressureCode(error.code)) {
      res.writeHead(error.code === ErrorCode.RATE_LIMITED ? 429 : 503, {
        ...this.#jsonHead,
        'retry-after': String(retryAfterSeconds(error)),
      });
    } else if (error?.code === ErrorCode.INSUFFICIENT_SCOPE) {
      // Step-up (MCP authorization): 403 with the scopes needed, so the client can get a better token.
      const challenge = this.#host.scopeChallenge(error);
      res.writeHead(
        403,
        challenge === undefined ? this.#jsonHead : { ...this.#jsonHead, 'www-authenticate': challenge },
      );
    } else {
      res.writeHead(200, this.#jsonHead);
    }
    res.end(json);
    return RESOLVED;
  }

  #streamTo(ex: Exchange, json: string): void {
    let stream = ex.stream;
    if (stream === null) {
      ex.res.writeHead(200, this.#sseHead);
      stream = new SseStream(ex.res, this, this.#host.hub);
      ex.stream = stream;
    }
    stream.write(sseEvent(json));
  }

  #standalone(json: string): Promise<void> {
    const get = this.#get;
    if (get?.write(sseEvent(json, String(++this.#eventId)))) return RESOLVED;
    if (this.#closed) return Promise.reject(closedError('the Streamable HTTP session is closed'));
    if (this.#backlog.length >= this.#host.maxBacklog) {
      const err = new ErlmcpError(
        'ERR_SLOW_CONSUMER',
        `session ${this.sessionId}: ${this.#host.maxBacklog} server-initiated messages are waiting and no GET stream is open`,
      );
      this.fail(err);
      return Promise.reject(err);
    }
    this.#backlog.push(json);
    return RESOLVED;
  }

  /** Ends a POST whose answer will never come because the session is closing. */
  #abandon(ex: Exchange): void {
    if (ex.stream !== null) {
      ex.stream.end();
      return;
    }
    const res = ex.res;
    if (res.destroyed || res.headersSent) return;
    const body = errorResponse(ex.id, ErrorCode.SESSION_CLOSING, 'the session is closing', {
      reason: 'session_closing',
    });
    res.writeHead(503, { ...this.#jsonHead, 'retry-after': '1' });
    res.end(JSON.stringify(body));
  }
}
