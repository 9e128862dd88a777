import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Principal } from '../auth/types.js';
import { ErlmcpError } from '../core/errors.js';
import {
  classify,
  ErrorCode,
  encodeMessage,
  errorResponse,
  invalidId,
  invalidReason,
  isBackpressureCode,
  type JsonRpcErrorObject,
  type JsonRpcMessage,
  Kind,
  type RequestId,
} from '../mcp/jsonrpc.js';
import { answerDropped } from './http-dropped.js';
import { retryAfterSeconds } from './http-session.js';
import { type SseHub, SseStream, type SseStreamOwner, sseEvent } from './sse.js';
import {
  closedError,
  type DroppedNotification,
  type MessageExtra,
  SENT,
  type Transport,
  type TransportSendOptions,
} from './transport.js';

/** What a channel needs from the listener that owns it. */
export interface ChannelHost {
  readonly hub: SseHub;
  /** The `WWW-Authenticate` value answering an -32016 insufficient-scope error (auth on), else undefined. */
  scopeChallenge(error: JsonRpcErrorObject): string | undefined;
  /** Called once, when the channel closes. */
  channelClosed(channel: StatelessHttpTransport): void;
}

/** One POST of a 2026 request: its response, the id the client gave it, its SSE stream once it has one. */
class Exchange {
  readonly res: ServerResponse;
  readonly id: number;
  readonly wireId: RequestId;
  readonly channel: StatelessHttpTransport;
  stream: SseStream | null = null;
  constructor(res: ServerResponse, id: number, wireId: RequestId, channel: StatelessHttpTransport) {
    this.res = res;
    this.id = id;
    this.wireId = wireId;
    this.channel = channel;
  }
}

const kExchange = Symbol('erlmcp.exchange');
type TaggedResponse = ServerResponse & { [kExchange]?: Exchange };

// One module-level listener for every exchange (no per-request closure).
function onResponseClose(this: TaggedResponse): void {
  const ex = this[kExchange];
  if (ex !== undefined) ex.channel.exchangeClosed(ex);
}

const JSON_HEAD: OutgoingHttpHeaders = { 'content-type': 'application/json' };
const EMPTY_HEAD: OutgoingHttpHeaders = {};
/** A client's notifications/cancelled: charged to its bucket, otherwise ignored (see acceptPost). */
const CHARGE_ONLY: MessageExtra = Object.freeze({ chargeOnly: true });
/** The cancellation this channel derives from a closed stream: its own, never charged or dropped. */
const INTERNAL: MessageExtra = Object.freeze({ internal: true });
const SSE_HEAD: OutgoingHttpHeaders = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
};

/**
 * The HTTP status of a 2026 error answer: what the message asked for, else by code: unknown
 * method 404, the spec's -32020/-32021/-32022 and malformed messages 400, backpressure 429/503,
 * anything a handler answered 200 (the error is the payload).
 */
export function statelessStatus(error: JsonRpcErrorObject, override: number | undefined): number {
  if (override !== undefined) return override;
  const code = error.code;
  if (code === ErrorCode.METHOD_NOT_FOUND) return 404;
  if (
    code === ErrorCode.HEADER_MISMATCH ||
    code === ErrorCode.MISSING_REQUIRED_CLIENT_CAPABILITY ||
    code === ErrorCode.UNSUPPORTED_PROTOCOL_VERSION ||
    code === ErrorCode.INVALID_REQUEST ||
    code === ErrorCode.PARSE_ERROR
  ) {
    return 400;
  }
  if (isBackpressureCode(code)) return code === ErrorCode.RATE_LIMITED ? 429 : 503;
  if (code === ErrorCode.INSUFFICIENT_SCOPE) return 403;
  return 200;
}

/**
 * One client's MCP 2026-07-28 requests over Streamable HTTP, as one stateless transport: there
 * is no session, only a channel per client (its address today, its principal once requests
 * are authenticated) whose gate handle carries the client's token bucket.
 *
 * Every POST is one exchange. The request gets an id of the channel's own, so that requests
 * of clients that happen to pick the same JSON-RPC id never meet; the answer goes back on the
 * POST it came on with the client's id restored. Notifications tied to the request (progress,
 * logging, a subscription's stream) turn the answer into an SSE stream. Closing the stream
 * before the answer cancels the request (the 2026 way to cancel over HTTP).
 */
export class StatelessHttpTransport implements Transport, SseStreamOwner {
  /** `client:<listener>:<key>`: names the client in the gate's registry. */
  readonly sessionId: string;
  readonly stateless = true;
  /** The client key (its address). */
  readonly key: string;
  onmessage?: (message: JsonRpcMessage, extra?: MessageExtra) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  /** The authenticated client this channel serves; undefined for an address's channel. */
  readonly principal: Principal | undefined;
  /** `address:<key>` for an anonymous client: one token bucket for it in the process (Transport.clientKey). */
  readonly clientKey: string | undefined;
  /** @internal Date.now() of the last request, for the idle sweep. */
  lastActive: number;
  readonly #host: ChannelHost;
  readonly #exchanges = new Map<number, Exchange>();
  #nextId = 0;
  #closed = false;
  #started = false;
  #early: [unknown, MessageExtra][] | null = null;

  /** Set by {@link notificationDropped} while a notification POST is being delivered. */
  #dropped: DroppedNotification | undefined;

  /**
   * @internal Created by the listener; `prefix` names the listener (`client:<n>:`); `principal`
   * is the authenticated client whose channel this is (undefined: the channel of an address).
   */
  constructor(key: string, prefix: string, host: ChannelHost, principal?: Principal) {
    this.key = key;
    this.principal = principal;
    if (principal === undefined) this.clientKey = `address:${key}`;
    this.sessionId = `${prefix}${key}`;
    this.#host = host;
    this.lastActive = Date.now();
  }

  async start(): Promise<void> {
    if (this.#started) throw new ErlmcpError('ERR_ALREADY_STARTED', 'StatelessHttpTransport already started');
    this.#started = true;
    const early = this.#early;
    this.#early = null;
    if (early) for (const [m, extra] of early) this.#deliver(m, extra);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Requests being answered. */
  get pendingRequests(): number {
    return this.#exchanges.size;
  }

  /** @internal A 2026 POST of this client whose body parsed as `value`, with its request's principal. */
  acceptPost(req: IncomingMessage, res: ServerResponse, value: unknown, principal?: Principal): void {
    this.lastActive = Date.now();
    const kind = classify(value);
    if (kind === Kind.NOTIFICATION) {
      // Over Streamable HTTP, closing a request's stream is its cancellation (MCP 2026-07-28,
      // basic/patterns/cancellation.mdx; see exchangeClosed). A client's notifications/cancelled
      // names its own request id, which means nothing here: requests run under this channel's
      // ids, and the channel is shared by every client at the address. Acting on it would
      // cancel whichever request holds that number, maybe another client's. Servers may ignore
      // cancellations of requests they do not know, so it is handed up charge-only: it costs
      // the client a token (no free way to flood) and is otherwise ignored.
      const extra: MessageExtra =
        (value as { method?: unknown }).method === 'notifications/cancelled'
          ? CHARGE_ONLY
          : {
              requestInfo: { headers: req.headers },
              requestHeaders: req.headers,
              principal: principal?.key,
              authInfo: principal,
            };
      // Delivered first: the protocol layer decides synchronously whether it was admitted
      // (202) or dropped by the client's rate limit (429, see notificationDropped). A throwing
      // listener downstream still gets the POST answered: finally.
      this.#dropped = undefined;
      try {
        this.#deliver(value, extra);
      } finally {
        const dropped = this.#dropped;
        this.#dropped = undefined;
        if (dropped === undefined) {
          res.writeHead(202);
          res.end();
        } else {
          answerDropped(res, dropped, EMPTY_HEAD);
        }
      }
      return;
    }
    if (kind !== Kind.REQUEST) {
      const detail = kind === Kind.RESPONSE ? 'clients do not send responses in MCP 2026-07-28' : invalidReason(value);
      answer(res, 400, errorResponse(invalidId(value), ErrorCode.INVALID_REQUEST, `Invalid request: ${detail}`));
      return;
    }
    const message = value as { id: RequestId };
    const id = ++this.#nextId;
    const ex = new Exchange(res, id, message.id, this);
    this.#exchanges.set(id, ex);
    (res as TaggedResponse)[kExchange] = ex;
    // on, not once: no wrapper closure per request; the response is done with after 'close'.
    res.on('close', onResponseClose);
    message.id = id;
    this.#deliver(value, {
      requestInfo: { headers: req.headers },
      requestHeaders: req.headers,
      wireId: ex.wireId,
      principal: principal?.key,
      authInfo: principal,
    });
  }

  send(message: JsonRpcMessage, options?: TransportSendOptions): Promise<void> {
    if (this.#closed) return Promise.reject(closedError('the stateless HTTP channel is closed'));
    const m = message as { method?: unknown; id?: unknown };
    if (m.method === undefined) return this.#respond(message, m.id as number, options?.httpStatus);
    if (m.id !== undefined) {
      // MRTR replaced server -> client requests in 2026: nothing may ask the client directly.
      return Promise.reject(
        new ErlmcpError('ERR_TRANSPORT', 'MCP 2026-07-28 has no server-to-client requests; use input requests (MRTR)'),
      );
    }
    const related = options?.relatedRequestId;
    if (related === undefined) {
      // No stream exists outside a request in 2026 (no GET stream): refuse rather than drop.
      return Promise.reject(
        new ErlmcpError('ERR_TRANSPORT', 'a stateless channel carries only messages tied to one of its requests'),
      );
    }
    const ex = this.#exchanges.get(related as number);
    // Its request is over (answered or cancelled): the spec says nothing more may be sent for it.
    if (ex === undefined || ex.res.destroyed) return SENT;
    this.#stream(ex).write(sseEvent(encodeMessage(message)));
    return SENT;
  }

  /** Answers every pending exchange with SESSION_CLOSING (503), fires onclose once. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const ex of this.#exchanges.values()) abandon(ex);
    this.#exchanges.clear();
    this.#early = null;
    this.#host.channelClosed(this);
    this.onclose?.();
  }

  /** The notification being delivered was dropped by the client's rate limit: its POST gets 429. */
  notificationDropped(drop: DroppedNotification): void {
    this.#dropped = drop;
  }

  /** @internal True when nothing is in flight and the channel was quiet for `idleMs`. */
  isIdle(now: number, idleMs: number): boolean {
    return this.#exchanges.size === 0 && now - this.lastActive >= idleMs;
  }

  /** @internal The POST's connection closed: if unanswered, the client cancelled the request. */
  exchangeClosed(ex: Exchange): void {
    if (this.#exchanges.get(ex.id) !== ex) return;
    this.#exchanges.delete(ex.id);
    this.lastActive = Date.now();
    if (this.#closed) return;
    this.#deliver(
      {
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: ex.id, reason: 'the client closed the stream' },
      },
      INTERNAL,
    );
  }

  // ---- SseStreamOwner ------------------------------------------------------------------

  /** @internal A client that does not read one request's stream loses that request, not the channel. */
  streamOverflow(stream: SseStream, buffered: number): void {
    this.onerror?.(
      new ErlmcpError(
        'ERR_SLOW_CONSUMER',
        `${this.sessionId}: a request stream has ${buffered} unsent bytes (limit ${this.#host.hub.rejectBytes}); the client is not reading`,
      ),
    );
    for (const ex of this.#exchanges.values()) if (ex.stream === stream) this.exchangeClosed(ex);
  }

  /** @internal */
  streamWarn(_stream: SseStream, _buffered: number): void {}

  /** @internal */
  streamClosed(_stream: SseStream): void {}

  // ---- internals ------------------------------------------------------------------------

  #deliver(value: unknown, extra: MessageExtra): void {
    const handler = this.onmessage;
    if (handler !== undefined) {
      handler(value as JsonRpcMessage, extra);
      return;
    }
    if (this.#early === null) this.#early = [];
    this.#early.push([value, extra]);
  }

  #stream(ex: Exchange): SseStream {
    let stream = ex.stream;
    if (stream === null) {
      ex.res.writeHead(200, SSE_HEAD);
      stream = new SseStream(ex.res, this, this.#host.hub);
      ex.stream = stream;
    }
    return stream;
  }

  #errorHead(status: number, error: JsonRpcErrorObject): OutgoingHttpHeaders {
    if (status === 429 || status === 503) {
      return { 'content-type': 'application/json', 'retry-after': String(retryAfterSeconds(error)) };
    }
    if (status === 403) {
      const challenge = this.#host.scopeChallenge(error);
      if (challenge !== undefined) return { 'content-type': 'application/json', 'www-authenticate': challenge };
    }
    return JSON_HEAD;
  }

  #respond(message: JsonRpcMessage, id: number, httpStatus: number | undefined): Promise<void> {
    const ex = this.#exchanges.get(id);
    if (ex === undefined) return SENT; // cancelled (stream closed) or never ours: nothing to answer
    this.#exchanges.delete(id);
    this.lastActive = Date.now();
    (message as { id: RequestId }).id = ex.wireId;
    const json = encodeMessage(message);
    const stream = ex.stream;
    if (stream !== null) {
      stream.write(sseEvent(json));
      stream.end();
      return SENT;
    }
    const res = ex.res;
    if (res.destroyed || res.headersSent) return SENT;
    const error = (message as { error?: JsonRpcErrorObject }).error;
    if (error === undefined) {
      res.writeHead(200, JSON_HEAD);
    } else {
      const status = statelessStatus(error, httpStatus);
      res.writeHead(status, this.#errorHead(status, error));
    }
    res.end(json);
    return SENT;
  }
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, JSON_HEAD);
  res.end(JSON.stringify(body));
}

/** Ends a POST whose answer will never come because the channel is closing. */
function abandon(ex: Exchange): void {
  if (ex.stream !== null) {
    ex.stream.end();
    return;
  }
  const res = ex.res;
  if (res.destroyed || res.headersSent) return;
  const body = errorResponse(ex.wireId, ErrorCode.SESSION_CLOSING, 'the server is closing', {
    reason: 'session_closing',
  });
  res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
  res.end(JSON.stringify(body));
}
