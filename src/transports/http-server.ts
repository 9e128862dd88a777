import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AuthOutcome, Principal, RequestAuthenticator } from '../auth/types.js';
import { whenAuthenticated } from '../auth/when-authenticated.js';
import { invalidArg } from '../core/errors.js';
import type { SessionSnapshot } from '../mcp/handover.js';
import { ErrorCode, errorResponse, type JsonRpcErrorObject, type RequestId } from '../mcp/jsonrpc.js';
import { MODERN_PROTOCOL_VERSIONS } from '../mcp/versions.js';
import { BodyReader, type BodySink, parseJsonBody } from './http-body.js';
import { classifyPost } from './http-era.js';
import type { ForwardedRequest, SessionPeers } from './http-forward.js';
import { acceptsJsonAndSse, acceptsSse, HostOriginPolicy, isJsonContentType, protocolVersionOk } from './http-guard.js';
import { type SessionHost, StreamableHttpServerTransport } from './http-session.js';
import { type ChannelHost, StatelessHttpTransport } from './http-stateless.js';
import { ConnectionLimiter } from './limiter.js';
import { SseHub } from './sse.js';

export { StreamableHttpServerTransport } from './http-session.js';
export { StatelessHttpTransport } from './http-stateless.js';

/** Options of {@link StreamableHttpListener}. */
export interface StreamableHttpListenerOptions {
  /** Called with each new session's transport before its initialize request is delivered: connect the protocol layer here (required). */
  onsession: (transport: StreamableHttpServerTransport) => unknown;
  /**
   * Called with the stateless channel of each new client before its first MCP 2026-07-28
   * request is delivered: connect the protocol layer here (e.g. `server.accept(t)`). Without
   * it, 2026 requests get 400 / -32022 naming the 2025 versions this endpoint speaks.
   */
  onclient?: (transport: StatelessHttpTransport) => unknown;
  /** A client's stateless channel with nothing in flight for this long is closed (default 60,000 ms). */
  clientIdleMs?: number;
  /** Stateless channels (distinct client addresses) held at once; beyond it 503 (default 65,536). */
  maxClients?: number;
  /** The MCP endpoint path; other paths are left to the caller (default '/mcp'). */
  path?: string;
  /** Largest POST body in bytes; larger ones get 413 (default 4 MiB). */
  maxBodyBytes?: number;
  /** Milliseconds between `: keep-alive` comments on open SSE streams; 0 disables (default 15,000). */
  sseKeepAliveMs?: number;
  /** A session with nothing in flight and no open stream for this long is closed (default 300,000 ms). */
  sessionIdleMs?: number;
  /** One slot per session; when full, initialize gets 503 (default: a private limiter of 15,000). */
  limiter?: ConnectionLimiter;
  /**
   * Origin header values accepted ('*' for any). Default: same origin as the Host header, plus
   * loopback origins when the connection arrived on a loopback address.
   */
  allowedOrigins?: string[];
  /**
   * Host header values accepted (with or without port). Default: any host, except on connections
   * that arrived on a loopback address, where only localhost, 127.0.0.1 and [::1] (any port)
   * are accepted: DNS-rebinding protection.
   */
  allowedHosts?: string[];
  /** Per SSE stream bound on unsent bytes: warn at 75 %, end the stream and fail the session at 95 % (default 8 MiB). */
  maxBufferedBytes?: number;
  /** Server-initiated messages kept per session while no GET stream is open; one more fails the session (default 1,000). */
  maxBacklog?: number;
  /** Called when a session's stream crosses the warn mark (default: ignored). */
  onwarning?: (message: string, transport: StreamableHttpServerTransport) => void;
  /**
   * Authenticates every request to the endpoint (POST, GET, DELETE) before anything else is
   * read; a refusal is answered with its challenge (401/403/400/503). A 2025 session belongs to
   * the principal that opened it (another principal presenting its id gets 404), a 2026 client's
   * channel and token bucket are its principal's. Default: none (anonymous, keyed by address).
   */
  auth?: RequestAuthenticator;
  /**
   * The other listeners of this process that share the port (one per worker thread): a
   * request for a session one of them owns is served by it (src/workers/session-relay.ts).
   * Session ids then start with {@link SessionPeers.sessionIdPrefix}. Default: none.
   */
  peers?: SessionPeers;
  /**
   * Tasks live in a store every listener reads (a cluster's Redis, src/cluster/tasks): tasks/*
   * are served here whatever listener created the task, never forwarded to the `peers`.
   */
  tasksShared?: boolean;
}

const JSON_HEAD = 'application/json';
const ALLOW = 'GET, POST, DELETE';

/** The per-POST context while its body is read. */
interface PostContext {
  res: ServerResponse;
  principal: Principal | undefined;
}

function isInitialize(value: unknown): value is { id: RequestId } {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as { method?: unknown; id?: unknown };
  return m.method === 'initialize' && (typeof m.id === 'string' || typeof m.id === 'number');
}

/**
 * The Streamable HTTP endpoint (MCP 2025-11-25, also 2025-06-18 and 2025-03-26) on plain
 * node:http. It owns the sessions: an initialize POST creates one
 * ({@link StreamableHttpServerTransport}) and hands it to `onsession`; later requests find it
 * by `Mcp-Session-Id`. Every refusal has a fixed status code (docs/transports-http.md).
 */
export class StreamableHttpListener implements SessionHost, ChannelHost, BodySink<PostContext> {
  /** The endpoint path. */
  readonly path: string;
  /** The limiter whose slots sessions hold. */
  readonly limiter: ConnectionLimiter;
  /** @internal */
  readonly hub: SseHub;
  /** @internal */
  readonly maxBacklog: number;
  readonly #maxBody: number;
  readonly #idleMs: number;
  readonly #policy: HostOriginPolicy;
  readonly #onsession: StreamableHttpListenerOptions['onsession'];
  readonly #onclient: StreamableHttpListenerOptions['onclient'];
  readonly #onwarning: StreamableHttpListenerOptions['onwarning'];
  readonly #auth: RequestAuthenticator | undefined;
  readonly #peers: SessionPeers | undefined;
  readonly #tasksShared: boolean;
  readonly #sessions = new Map<string, StreamableHttpServerTransport>();
  readonly #clients = new Map<string, StatelessHttpTransport>();
  readonly #clientIdleMs: number;
  readonly #maxClients: number;
  /** Tells this listener's channels from another's (one McpServer may sit behind several). */
  readonly #channelPrefix = `client:${(++listeners).toString(36)}:`;
  readonly #sweep: NodeJS.Timeout;
  #closed = false;

  constructor(options: StreamableHttpListenerOptions) {
    if (typeof options?.onsession !== 'function') throw invalidArg('onsession must be a function');
    this.path = options.path ?? '/mcp';
    this.#maxBody = positive('maxBodyBytes', options.maxBodyBytes, 4 * 1024 * 1024);
    this.#idleMs = positive('sessionIdleMs', options.sessionIdleMs, 300_000);
    const keepAlive = options.sseKeepAliveMs ?? 15_000;
    if (!Number.isFinite(keepAlive) || keepAlive < 0) throw invalidArg('sseKeepAliveMs must be >= 0');
    this.hub = new SseHub(keepAlive, positive('maxBufferedBytes', options.maxBufferedBytes, 8 * 1024 * 1024));
    this.maxBacklog = positive('maxBacklog', options.maxBacklog, 1_000);
    this.limiter = options.limiter ?? new ConnectionLimiter();
    this.#policy = new HostOriginPolicy(options.allowedHosts, options.allowedOrigins);
    this.#onsession = options.onsession;
    this.#onclient = options.onclient;
    this.#onwarning = options.onwarning;
    this.#auth = options.auth;
    this.#peers = options.peers;
    this.#tasksShared = options.tasksShared === true;
    this.#peers?.attach(this);
    this.#clientIdleMs = positive('clientIdleMs', options.clientIdleMs, 60_000);
    this.#maxClients = positive('maxClients', options.maxClients, 65_536);
    // One sweep for all sessions and channels; each expires between idleMs and 1.5 x idleMs.
    this.#sweep = setInterval(
      StreamableHttpListener.#sweepIdle,
      Math.max(10, Math.min(this.#idleMs / 2, this.#clientIdleMs / 2, 30_000)),
      this,
    );
    this.#sweep.unref();
  }

  /** Open sessions. */
  get sessions(): number {
    return this.#sessions.size;
  }

  /** Open stateless channels (clients sending MCP 2026-07-28 requests). */
  get clients(): number {
    return this.#clients.size;
  }

  /** The open session with this id, if any. */
  session(id: string): StreamableHttpServerTransport | undefined {
    return this.#sessions.get(id);
  }

  /**
   * Serves one HTTP request if it is for {@link path} (query string ignored) and returns true;
   * returns false without touching other requests, so a composing server can route them.
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? '';
    if (url !== this.path) {
      const q = url.indexOf('?');
      if (q === -1 || url.slice(0, q) !== this.path) return false;
    }
    if (this.#closed) {
      reject(res, 503, ErrorCode.SESSION_CLOSING, 'the server is shutting down', null, { 'retry-after': '1' });
      return true;
    }
    const policy = this.#policy;
    if (!policy.hostAllowed(req)) {
      reject(res, 403, ErrorCode.INVALID_REQUEST, `Forbidden: Host ${String(req.headers.host)} is not allowed`);
      return true;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !policy.originAllowed(origin, req)) {
      reject(res, 403, ErrorCode.INVALID_REQUEST, `Forbidden: Origin ${origin} is not allowed`);
      return true;
    }
    const auth = this.#auth;
    if (auth === undefined) {
      this.#route(req, res, undefined);
      return true;
    }
    whenAuthenticated(
      auth,
      req,
      (o) => this.#authenticated(req, res, o),
      (err) =>
        reject(res, 500, ErrorCode.INTERNAL_ERROR, `Internal error: authentication failed: ${asError(err).message}`),
    );
    return true;
  }

  #authenticated(req: IncomingMessage, res: ServerResponse, outcome: AuthOutcome): void {
    if (outcome.ok) {
      this.#route(req, res, outcome.principal);
      return;
    }
    if (res.headersSent || res.destroyed) return;
    const c = (this.#auth as RequestAuthenticator).challenge(outcome.failure);
    res.writeHead(c.status, c.headers);
    res.end(c.body);
  }

  #route(req: IncomingMessage, res: ServerResponse, principal: Principal | undefined): void {
    switch (req.method) {
      case 'POST':
        this.#post(req, res, principal);
        break;
      case 'GET':
        this.#get(req, res, principal);
        break;
      case 'DELETE':
        this.#delete(req, res, principal);
        break;
      default:
        reject(res, 405, ErrorCode.INVALID_REQUEST, `Method Not Allowed: ${String(req.method)}`, null, {
          allow: ALLOW,
        });
    }
  }

  /**
   * Serves {@link path} on `server` and answers 404 to every other path (use {@link handle}
   * directly to share the server with other routes). Returns this.
   */
  attach(server: Server): this {
    const listener = (req: IncomingMessage, res: ServerResponse): void => {
      if (!this.handle(req, res)) reject(res, 404, ErrorCode.INVALID_REQUEST, 'Not Found');
    };
    server.on('request', listener);
    return this;
  }

  /**
   * Closes every session (held POSTs get 503), ends every stream, stops the timers; requests
   * that still arrive get 503. Does not close the HTTP server. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweep);
    for (const s of [...this.#sessions.values()]) await s.close();
    for (const c of [...this.#clients.values()]) await c.close();
    this.hub.close();
    // An attached server keeps its request listener: later requests get 503, not silence.
  }

  // ---- methods --------------------------------------------------------------------------

  #post(req: IncomingMessage, res: ServerResponse, principal: Principal | undefined): void {
    const h = req.headers;
    if (!isJsonContentType(h['content-type'])) {
      reject(res, 415, ErrorCode.INVALID_REQUEST, 'Unsupported Media Type: Content-Type must be application/json');
      return;
    }
    if (!acceptsJsonAndSse(h.accept)) {
      reject(
        res,
        406,
        ErrorCode.INVALID_REQUEST,
        'Not Acceptable: Accept must list both application/json and text/event-stream',
      );
      return;
    }
    new BodyReader<PostContext>(req, this.#maxBody, { res, principal }, this).start();
  }

  #get(req: IncomingMessage, res: ServerResponse, principal: Principal | undefined): void {
    // MCP 2026-07-28 has no GET stream (and no session to attach one to): 405, as the spec says.
    if (isModernHeader(req.headers['mcp-protocol-version']) || req.headers['mcp-session-id'] === undefined) {
      notAllowed(res);
      return;
    }
    if (!acceptsSse(req.headers.accept)) {
      reject(res, 406, ErrorCode.INVALID_REQUEST, 'Not Acceptable: Accept must list text/event-stream');
      return;
    }
    const sid = single(req.headers['mcp-session-id']);
    if (sid === undefined) {
      reject(res, 400, ErrorCode.INVALID_REQUEST, 'Bad Request: Mcp-Session-Id header is required');
      return;
    }
    if (this.#forward(sid, { method: 'GET', headers: req.headers, principal }, res)) return;
    this.#openGet(req.headers, res, sid, principal);
  }

  #openGet(headers: IncomingHttpHeaders, res: ServerResponse, sid: string, principal: Principal | undefined): void {
    const session = this.#lookup(headers, res, sid, principal);
    if (session === null) return;
    if (!session.openGet(res)) {
      reject(res, 409, ErrorCode.INVALID_REQUEST, 'Conflict: this session already has a GET stream open');
    }
  }

  #delete(req: IncomingMessage, res: ServerResponse, principal: Principal | undefined): void {
    const sid = single(req.headers['mcp-session-id']);
    if (sid === undefined || isModernHeader(req.headers['mcp-protocol-version'])) {
      notAllowed(res);
      return;
    }
    if (this.#forward(sid, { method: 'DELETE', headers: req.headers, principal }, res)) return;
    this.#end(req.headers, res, sid, principal);
  }

  #end(headers: IncomingHttpHeaders, res: ServerResponse, sid: string, principal: Principal | undefined): void {
    const session = this.#lookup(headers, res, sid, principal);
    if (session === null) return;
    void session.close();
    res.writeHead(200);
    res.end();
  }

  /**
   * @internal A request that another listener of the process received for a session of
   * this one ({@link StreamableHttpListenerOptions.peers}); `res` relays the answer back.
   * Served as if it had arrived here, after the receiving listener's checks and auth.
   */
  serveForwarded(request: ForwardedRequest, res: ServerResponse): void {
    if (this.#closed) {
      reject(res, 503, ErrorCode.SESSION_CLOSING, 'the server is shutting down', request.id ?? null, {
        'retry-after': '1',
      });
      return;
    }
    const { headers, principal } = request;
    const sid = single(headers['mcp-session-id']) ?? '';
    // A session nobody here holds may be one to continue (its owner is gone): the peers know.
    if (request.stateless !== true && sid !== '' && !this.#sessions.has(sid) && this.#peers?.recover !== undefined) {
      this.#peers.recover(sid, request, res);
      return;
    }
    if (request.method === 'GET') {
      this.#openGet(headers, res, sid, principal);
      return;
    }
    if (request.method === 'DELETE') {
      this.#end(headers, res, sid, principal);
      return;
    }
    let value: unknown;
    try {
      value = parseJsonBody(Buffer.from(request.body ?? '', 'utf8'));
    } catch (err) {
      reject(res, 400, ErrorCode.PARSE_ERROR, `Parse error: ${(err as Error).message}`);
      return;
    }
    if (request.stateless === true) {
      // The receiving worker checked the headers; the client is keyed as it would be there.
      const req = { headers, socket: { remoteAddress: request.remoteAddress } } as unknown as IncomingMessage;
      this.#stateless(req, res, value, principal);
      return;
    }
    const session = this.#lookup(headers, res, sid, principal, idOf(value));
    if (session !== null) this.#deliverPost({ headers } as IncomingMessage, res, session, value, principal);
  }

  /** Hands a request for a peer's session to that peer; false when the session is not a peer's. */
  #forward(sid: string, request: ForwardedRequest, res: ServerResponse): boolean {
    if (this.#sessions.has(sid)) return false;
    return this.#forwardTo(sid, request, res, true);
  }

  /** Hands `request` to the peer whose id `id` is; false when it is ours or nobody's. */
  #forwardTo(id: string, request: ForwardedRequest, res: ServerResponse, session = false): boolean {
    const peers = this.#peers;
    const owner = peers?.ownerOf(id);
    if (owner === undefined) {
      if (!session || peers?.recover === undefined) return false;
      peers.recover(id, request, res);
      return true;
    }
    (peers as SessionPeers).forward(owner, request, res);
    return true;
  }

  /**
   * @internal Continues session `snapshot.id` from another process's snapshot (its owner is
   * gone), then serves `request` on it; refusals are answered as for a new session (503 when
   * full) or as for an unknown one (404: another principal's session).
   */
  serveRestored(snapshot: SessionSnapshot, request: ForwardedRequest, res: ServerResponse): void {
    if (!this.#closed && !this.#sessions.has(snapshot.id)) {
      if (snapshot.principalKey !== request.principal?.key) {
        reject(res, 404, ErrorCode.INVALID_REQUEST, 'Session not found: initialize a new session', request.id ?? null);
        return;
      }
      if (this.#admit(res, request.id ?? null, snapshot.id, request.principal, snapshot) === null) return;
    }
    this.serveForwarded(request, res);
  }

  /**
   * The session for `sid`, or null after answering 400 (bad protocol version) or 404; `id` is
   * the id of the request the POST carried (null for GET/DELETE), echoed in the refusal. A
   * session opened by another principal is not found: its id proves nothing about the caller.
   */
  #lookup(
    headers: IncomingHttpHeaders,
    res: ServerResponse,
    sid: string,
    principal: Principal | undefined,
    id: RequestId | null = null,
  ): StreamableHttpServerTransport | null {
    const version = headers['mcp-protocol-version'];
    if (!protocolVersionOk(version)) {
      reject(
        res,
        400,
        ErrorCode.INVALID_REQUEST,
        `Bad Request: unsupported MCP-Protocol-Version ${String(version)}`,
        id,
      );
      return null;
    }
    const session = this.#sessions.get(sid);
    if (session === undefined || session.principal?.key !== principal?.key) {
      reject(res, 404, ErrorCode.INVALID_REQUEST, 'Session not found: initialize a new session', id);
      return null;
    }
    return session;
  }

  // ---- BodySink --------------------------------------------------------------------------

  /** @internal */
  bodyRead(reader: BodyReader<PostContext>, body: Buffer): void {
    const { res, principal } = reader.context;
    const req = reader.req;
    let value: unknown;
    try {
      value = parseJsonBody(body);
    } catch (err) {
      reject(res, 400, ErrorCode.PARSE_ERROR, `Parse error: ${(err as Error).message}`);
      return;
    }
    const era = classifyPost(value, req.headers['mcp-protocol-version']);
    if (era === 'stateless') {
      // A task lives in the store of the worker that created it (its id names it), unless the
      // store is shared.
      const taskId = this.#peers === undefined || this.#tasksShared ? undefined : taskIdOf(value);
      if (taskId !== undefined) {
        const request: ForwardedRequest = {
          method: 'POST',
          headers: req.headers,
          body: body.toString('utf8'),
          id: idOf(value),
          principal,
          stateless: true,
          remoteAddress: req.socket.remoteAddress,
        };
        if (this.#forwardTo(taskId, request, res)) return;
      }
      // An Mcp-Session-Id header on a 2026 request is ignored, as the spec says.
      this.#stateless(req, res, value, principal);
      return;
    }
    if (era !== 'session') {
      reject(res, 400, era.code, era.message, era.id);
      return;
    }
    let session: StreamableHttpServerTransport | null = null;
    const id = idOf(value);
    const sid = single(req.headers['mcp-session-id']);
    if (sid !== undefined) {
      if (this.#forward(sid, { method: 'POST', headers: req.headers, body: body.toString('utf8'), id, principal }, res))
        return;
      session = this.#lookup(req.headers, res, sid, principal, id);
      if (session === null) return;
    }
    if (session === null) {
      if (!isInitialize(value)) {
        reject(
          res,
          400,
          ErrorCode.INVALID_REQUEST,
          'Bad Request: Mcp-Session-Id header is required (only an initialize request may come without one; an MCP 2026-07-28 request needs its _meta envelope)',
          id,
        );
        return;
      }
      session = this.#open(res, value.id, principal);
      if (session === null) return;
    }
    this.#deliverPost(req, res, session, value, principal);
  }

  #deliverPost(
    req: IncomingMessage,
    res: ServerResponse,
    session: StreamableHttpServerTransport,
    value: unknown,
    principal: Principal | undefined,
  ): void {
    if (session.closed) {
      reject(res, 404, ErrorCode.INVALID_REQUEST, 'Session not found: initialize a new session', idOf(value));
      return;
    }
    session.acceptPost(req, res, value, principal);
  }

  /** @internal */
  bodyTooLarge(reader: BodyReader<PostContext>): void {
    // Connection: close, so the rest of an oversized upload is not read at all.
    reject(
      reader.context.res,
      413,
      ErrorCode.MESSAGE_TOO_LARGE,
      `Payload Too Large: the body exceeds ${this.#maxBody} bytes`,
      null,
      { connection: 'close' },
      { limit: this.#maxBody },
    );
  }

  /** @internal */
  bodyFailed(_reader: BodyReader<PostContext>, _error: Error): void {
    // The client aborted its upload; there is nobody to answer.
  }

  // ---- SessionHost ------------------------------------------------------------------------

  /** @internal */
  sessionClosed(session: StreamableHttpServerTransport): void {
    if (this.#sessions.get(session.sessionId) === session) {
      this.#sessions.delete(session.sessionId);
      this.limiter.release();
    }
  }

  /** @internal */
  sessionWarn(session: StreamableHttpServerTransport, message: string): void {
    this.#onwarning?.(message, session);
  }

  /** @internal */
  scopeChallenge(error: JsonRpcErrorObject): string | undefined {
    const auth = this.#auth;
    if (auth === undefined) return undefined;
    const scope = (error.data as { scope?: unknown } | undefined)?.scope;
    const c = auth.challenge({
      status: 403,
      error: 'insufficient_scope',
      description: error.message,
      ...(typeof scope === 'string' ? { scope } : {}),
    });
    return c.headers['www-authenticate'];
  }

  /** @internal */
  channelClosed(channel: StatelessHttpTransport): void {
    if (this.#clients.get(channel.key) === channel) this.#clients.delete(channel.key);
  }

  // ---- internals ---------------------------------------------------------------------------

  /** A new session for an initialize POST, or null after answering 503 / 500. */
  #open(res: ServerResponse, id: RequestId, principal: Principal | undefined): StreamableHttpServerTransport | null {
    return this.#admit(res, id, `${this.#peers?.sessionIdPrefix ?? ''}${randomUUID()}`, principal);
  }

  /** Session `sid` (new, or continued from `restored`), or null after answering 503 / 500. */
  #admit(
    res: ServerResponse,
    id: RequestId | null,
    sid: string,
    principal: Principal | undefined,
    restored?: SessionSnapshot,
  ): StreamableHttpServerTransport | null {
    const limiter = this.limiter;
    if (!limiter.tryAcquire()) {
      reject(
        res,
        503,
        ErrorCode.GLOBAL_OVERLOADED,
        `Service Unavailable: the server holds its maximum of ${limiter.max} sessions`,
        id,
        { 'retry-after': '1' },
        { reason: 'max_sessions', retryAfterMs: 1000, limit: limiter.max },
      );
      return null;
    }
    const session = new StreamableHttpServerTransport(sid, this, principal, restored);
    this.#sessions.set(session.sessionId, session);
    try {
      const out = this.#onsession(session);
      if (out instanceof Promise) out.catch((err: unknown) => session.fail(asError(err)));
    } catch (err) {
      void session.close();
      reject(res, 500, ErrorCode.INTERNAL_ERROR, `Internal error: onsession failed: ${asError(err).message}`, id);
      return null;
    }
    return session;
  }

  /** A 2026 request: to its client's stateless channel, created on the client's first request. */
  #stateless(req: IncomingMessage, res: ServerResponse, value: unknown, principal: Principal | undefined): void {
    const onclient = this.#onclient;
    if (onclient === undefined) {
      reject(
        res,
        400,
        ErrorCode.UNSUPPORTED_PROTOCOL_VERSION,
        'Unsupported protocol version: this endpoint serves only 2025 sessions (send initialize)',
        idOf(value),
        undefined,
        {
          supported: [],
          requested: MODERN_PROTOCOL_VERSIONS[0],
        },
      );
      return;
    }
    // The client: its principal when authenticated (one channel and bucket wherever it
    // connects from), else its address.
    const key = principal === undefined ? (req.socket.remoteAddress ?? 'unknown') : `principal:${principal.key}`;
    let channel = this.#clients.get(key);
    if (channel === undefined || channel.closed) {
      if (this.#clients.size >= this.#maxClients) {
        reject(
          res,
          503,
          ErrorCode.GLOBAL_OVERLOADED,
          `Service Unavailable: the server serves its maximum of ${this.#maxClients} clients`,
          idOf(value),
          { 'retry-after': '1' },
          { reason: 'max_clients', retryAfterMs: 1000, limit: this.#maxClients },
        );
        return;
      }
      channel = new StatelessHttpTransport(key, this.#channelPrefix, this, principal);
      this.#clients.set(key, channel);
      try {
        const out = onclient(channel);
        if (out instanceof Promise) out.catch((err: unknown) => channel?.onerror?.(asError(err)));
      } catch (err) {
        void channel.close();
        reject(
          res,
          500,
          ErrorCode.INTERNAL_ERROR,
          `Internal error: onclient failed: ${asError(err).message}`,
          idOf(value),
        );
        return;
      }
    }
    channel.acceptPost(req, res, value, principal);
  }

  static #sweepIdle(self: StreamableHttpListener): void {
    const now = Date.now();
    const idleMs = self.#idleMs;
    for (const s of self.#sessions.values()) {
      // Closing deletes from the map during iteration, which Map iteration tolerates.
      if (s.isIdle(now, idleMs)) void s.close();
    }
    const clientIdleMs = self.#clientIdleMs;
    for (const c of self.#clients.values()) if (c.isIdle(now, clientIdleMs)) void c.close();
  }
}

let listeners = 0;

function isModernHeader(value: string | string[] | undefined): boolean {
  return typeof value === 'string' && MODERN_PROTOCOL_VERSIONS.includes(value);
}

const TASK_METHODS = new Set(['tasks/get', 'tasks/update', 'tasks/cancel']);

/** The taskId a 2026 task operation names, if `value` is one. */
function taskIdOf(value: unknown): string | undefined {
  const m = value as { method?: unknown; params?: { taskId?: unknown } } | null;
  if (typeof m?.method !== 'string' || !TASK_METHODS.has(m.method)) return undefined;
  const id = m.params?.taskId;
  return typeof id === 'string' ? id : undefined;
}

function idOf(value: unknown): RequestId | null {
  const id = (value as { id?: unknown } | null)?.id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

/** GET/DELETE without a 2025 session (or announcing 2026-07-28): there is no such thing to get or end. */
function notAllowed(res: ServerResponse): void {
  reject(
    res,
    405,
    ErrorCode.INVALID_REQUEST,
    'Method Not Allowed: MCP 2026-07-28 is POST only; GET and DELETE need the Mcp-Session-Id of a 2025 session',
    null,
    { allow: ALLOW },
  );
}

/** A custom header's value (node joins repeated ones with ', '; the typings still allow arrays). */
function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0)
    throw invalidArg(`${name} must be a positive number, got ${String(value)}`);
  return value;
}

/** Answers an HTTP error with a JSON-RPC error body (id null unless the request's id is known). */
function reject(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  id: RequestId | null = null,
  headers?: OutgoingHttpHeaders,
  data?: unknown,
): void {
  if (res.headersSent) return;
  const body = JSON.stringify(errorResponse(id, code, message, data));
  res.writeHead(
    status,
    headers === undefined ? { 'content-type': JSON_HEAD } : { 'content-type': JSON_HEAD, ...headers },
  );
  res.end(body);
}
