import { type IncomingMessage, type Server, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type PerMessageDeflateOptions, type ServerOptions, type WebSocket, WebSocketServer } from 'ws';
import type { AuthOutcome, Principal, RequestAuthenticator } from '../auth/types.js';
import { whenAuthenticated } from '../auth/when-authenticated.js';
import { invalidArg } from '../core/errors.js';
import { HostOriginPolicy } from './http-guard.js';
import { ConnectionLimiter } from './limiter.js';
import { WebSocketServerTransport, WsCloseCode, type WsSessionHost } from './ws-session.js';

export {
  NOTIFICATION_FLOOD_REASON,
  SLOW_CONSUMER_REASON,
  WebSocketServerTransport,
  WsCloseCode,
} from './ws-session.js';

/** The WebSocket subprotocol of MCP (the official SDK's client offers it). */
export const MCP_SUBPROTOCOL = 'mcp';

/** Options of {@link WebSocketListener}. */
export interface WebSocketListenerOptions {
  /** Called with each new connection's transport: connect the protocol layer here (required). A throw or rejection closes the connection with 1011. */
  onconnection: (transport: WebSocketServerTransport) => unknown;
  /** The endpoint path, query string ignored (default '/mcp'). */
  path?: string;
  /** Largest inbound message in bytes; a larger one closes the connection with 1009 (default 4 MiB). */
  maxPayload?: number;
  /** Milliseconds between pings; a peer that has not answered by the next one is terminated. 0 disables (default 30,000). */
  keepAliveMs?: number;
  /** permessage-deflate: costs CPU and memory per connection, so off (default false). */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** Per-connection bound on unsent bytes: reading pauses at 75 %, the connection closes with 1008 at 95 % (default 8 MiB). */
  maxBufferedBytes?: number;
  /** How long unsent bytes may stay above 75 % of maxBufferedBytes before the connection closes with 1008 (default 30,000 ms). */
  stallTimeoutMs?: number;
  /** How long a peer may take to answer our close frame before its socket is destroyed (default 5,000 ms). */
  closeTimeoutMs?: number;
  /** One slot per connection; when full, the upgrade gets 503 (default: a private limiter of 15,000). */
  limiter?: ConnectionLimiter;
  /**
   * Origin header values accepted, e.g. 'https://app.example.com' ('*' for any). Requests
   * without Origin (non-browser clients) are always accepted. Default, as for Streamable HTTP:
   * the Host's own origin, plus loopback origins on a loopback address — a web page elsewhere
   * cannot open a WebSocket to a local server (cross-site WebSocket hijacking).
   */
  allowedOrigins?: string[];
  /**
   * Host header values accepted (with or without port). Default: any host, except on a
   * loopback address, where only localhost, 127.0.0.1 and [::1] are (DNS-rebinding protection).
   */
  allowedHosts?: string[];
  /** Called when a connection's unsent bytes cross 75 % of maxBufferedBytes (default: ignored). */
  onwarning?: (message: string, transport: WebSocketServerTransport) => void;
  /**
   * Authenticates the upgrade request (`Authorization: Bearer`); a refusal is answered on the
   * raw socket with its challenge (401/403/400/503) and no WebSocket is opened. The connection's
   * messages carry the upgrade's principal. Default: none.
   */
  auth?: RequestAuthenticator;
}

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1)
    throw invalidArg(`${name} must be a positive integer, got ${String(value)}`);
  return value;
}

/** Answers an upgrade request with a plain HTTP error and destroys the socket. */
function refuse(
  socket: Duplex,
  status: number,
  detail?: string,
  extraHeaders = '',
  contentType = 'text/plain; charset=utf-8',
): void {
  const body = detail ?? STATUS_CODES[status] ?? '';
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: ${contentType}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n${extraHeaders}\r\n${body}`,
  );
}

/** True when a Sec-WebSocket-Protocol header lists `mcp`. */
function offersMcp(header: string): boolean {
  for (const p of header.split(',')) if (p.trim() === MCP_SUBPROTOCOL) return true;
  return false;
}

function pathOf(url: string | undefined): string {
  if (url === undefined) return '';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function ignore(): void {}

/**
 * The MCP WebSocket endpoint on `ws`. Refusals happen before any handshake, with plain HTTP:
 * 404 for another path (when nobody else listens for upgrades), 403 for a disallowed Origin,
 * 400 when the client offers subprotocols but not `mcp`, 503 (Retry-After: 1) when the limiter
 * is full or the listener is closed. Each accepted connection holds one limiter slot until its
 * socket closes. One interval timer pings the connections (dead-peer detection), a slice at a
 * time: each connection is pinged once per `keepAliveMs`, the pings spread over that period.
 */
/** Keep-alive slices: each timer tick pings 1/KEEPALIVE_SLICES of the connections. */
const KEEPALIVE_SLICES = 64;

export class WebSocketListener implements WsSessionHost {
  /** The endpoint path. */
  readonly path: string;
  /** The limiter whose slots connections hold. */
  readonly limiter: ConnectionLimiter;
  /** @internal */
  readonly warnAt: number;
  /** @internal */
  readonly rejectAt: number;
  /** @internal */
  readonly maxBufferedBytes: number;
  /** @internal */
  readonly stallTimeoutMs: number;
  /** @internal */
  readonly onwarning: WebSocketListenerOptions['onwarning'];
  readonly #onconnection: WebSocketListenerOptions['onconnection'];
  readonly #policy: HostOriginPolicy;
  readonly #auth: RequestAuthenticator | undefined;
  readonly #wss: WebSocketServer;
  readonly #sessions = new Set<WebSocketServerTransport>();
  /** Connections by keep-alive slice: one slice is pinged per timer tick. */
  readonly #slices: Set<WebSocketServerTransport>[] = Array.from({ length: KEEPALIVE_SLICES }, () => new Set());
  #nextSlice = 0;
  #tickSlice = 0;
  /** Slices in use: fewer than KEEPALIVE_SLICES when keepAliveMs is tiny (ticks stay >= 1 ms). */
  readonly #sliceCount: number;
  readonly #keepAlive: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: WebSocketListenerOptions) {
    if (typeof options?.onconnection !== 'function') throw invalidArg('onconnection must be a function');
    this.#onconnection = options.onconnection;
    this.path = options.path ?? '/mcp';
    this.maxBufferedBytes = positiveInt('maxBufferedBytes', options.maxBufferedBytes, 8 * 1024 * 1024);
    this.warnAt = Math.floor(this.maxBufferedBytes * 0.75);
    this.rejectAt = Math.floor(this.maxBufferedBytes * 0.95);
    this.stallTimeoutMs = positiveInt('stallTimeoutMs', options.stallTimeoutMs, 30_000);
    this.onwarning = options.onwarning;
    this.limiter = options.limiter ?? new ConnectionLimiter();
    this.#policy = new HostOriginPolicy(options.allowedHosts, options.allowedOrigins);
    this.#auth = options.auth;
    const wsOptions: ServerOptions & { closeTimeout: number } = {
      noServer: true,
      clientTracking: false,
      maxPayload: positiveInt('maxPayload', options.maxPayload, 4 * 1024 * 1024),
      perMessageDeflate: options.perMessageDeflate ?? false,
      // Only reached when `mcp` was offered (checked before the handshake) or nothing was.
      handleProtocols: (offered) => (offered.has(MCP_SUBPROTOCOL) ? MCP_SUBPROTOCOL : false),
      closeTimeout: positiveInt('closeTimeoutMs', options.closeTimeoutMs, 5_000),
    };
    this.#wss = new WebSocketServer(wsOptions);
    const keepAliveMs = options.keepAliveMs ?? 30_000;
    if (!Number.isInteger(keepAliveMs) || keepAliveMs < 0) throw invalidArg('keepAliveMs must be an integer >= 0');
    this.#sliceCount = Math.max(1, Math.min(KEEPALIVE_SLICES, keepAliveMs));
    if (keepAliveMs > 0) {
      // One timer for every connection: tens of thousands of sessions must not mean as many
      // timers. Pinging them all at once stalled the event loop (~20 µs a ping: 9,000
      // connections took 186 ms), so each tick pings one slice.
      this.#keepAlive = setInterval(() => this.#tick(), keepAliveMs / this.#sliceCount);
      this.#keepAlive.unref();
    }
  }

  /** Open connections. */
  get connections(): number {
    return this.#sessions.size;
  }

  /**
   * Serves upgrades for {@link path} on `server`. Upgrades for other paths are left to the
   * server's other 'upgrade' listeners, or answered 404 when this is the only one.
   */
  attach(server: Server): this {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (pathOf(req.url) === this.path || server.listenerCount('upgrade') === 1) this.handleUpgrade(req, socket, head);
    });
    return this;
  }

  /**
   * Serves one upgrade request: for callers that route upgrades themselves. A request for
   * another path than {@link path} is answered 404.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // A reset during the handshake must not become an unhandled 'error'.
    socket.on('error', ignore);
    const refusal = this.#check(req);
    if (refusal !== undefined) {
      refuse(socket, refusal[0], refusal[1]);
      return;
    }
    const auth = this.#auth;
    if (auth === undefined) {
      this.#upgrade(req, socket, head, undefined);
      return;
    }
    whenAuthenticated(
      auth,
      req,
      (o) => this.#authenticated(req, socket, head, o),
      () => refuse(socket, 500, 'authentication failed'),
    );
  }

  #authenticated(req: IncomingMessage, socket: Duplex, head: Buffer, outcome: AuthOutcome): void {
    if (socket.destroyed) return;
    if (outcome.ok) {
      this.#upgrade(req, socket, head, outcome.principal);
      return;
    }
    const c = (this.#auth as RequestAuthenticator).challenge(outcome.failure);
    let contentType: string | undefined;
    let extra = '';
    for (const [k, v] of Object.entries(c.headers)) {
      if (k.toLowerCase() === 'content-type') contentType = v;
      else extra += `${k}: ${v}\r\n`;
    }
    refuse(socket, c.status, c.body, extra, contentType);
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, principal: Principal | undefined): void {
    if (!this.limiter.tryAcquire()) {
      refuse(socket, 503, 'too many connections', 'Retry-After: 1\r\n');
      return;
    }
    // A socket closes exactly once, whether ws refuses the handshake or the session ends.
    socket.once('close', () => this.limiter.release());
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, socket, req, principal));
  }

  /** Stops accepting (503) and closes every connection with 1001; resolves once all are closed. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      if (this.#keepAlive) clearInterval(this.#keepAlive);
      for (const t of this.#sessions) t.closeWith(WsCloseCode.GOING_AWAY, 'server shutting down');
    }
    await Promise.all(Array.from(this.#sessions, (t) => t.closed));
  }

  /** @internal */
  removeSession(transport: WebSocketServerTransport): void {
    if (!this.#sessions.delete(transport)) return;
    for (const slice of this.#slices) if (slice.delete(transport)) break;
  }

  /** The status and body to refuse `req` with, checked cheapest first; undefined to accept. */
  #check(req: IncomingMessage): [number, string] | undefined {
    if (pathOf(req.url) !== this.path) return [404, `not found: the MCP endpoint is ${this.path}`];
    if (this.#closed) return [503, 'server shutting down'];
    if (!this.#policy.hostAllowed(req)) return [403, 'host not allowed'];
    const origin = req.headers.origin;
    if (origin !== undefined && !this.#policy.originAllowed(origin, req)) return [403, 'origin not allowed'];
    const offered = req.headers['sec-websocket-protocol'];
    if (offered !== undefined && !offersMcp(offered)) return [400, 'subprotocol "mcp" required'];
    return undefined;
  }

  #accept(ws: WebSocket, socket: Duplex, req: IncomingMessage, principal: Principal | undefined): void {
    const transport = new WebSocketServerTransport(ws, socket, req, this, principal);
    this.#sessions.add(transport);
    (this.#slices[this.#nextSlice] as Set<WebSocketServerTransport>).add(transport);
    this.#nextSlice = (this.#nextSlice + 1) % this.#sliceCount;
    const fail = (err: unknown): void => {
      transport.onerror?.(err instanceof Error ? err : new Error(String(err)));
      transport.closeWith(WsCloseCode.INTERNAL_ERROR, 'internal error');
    };
    try {
      const result = this.#onconnection(transport);
      if (result instanceof Promise) result.catch(fail);
    } catch (err) {
      fail(err);
    }
  }

  #tick(): void {
    const slice = this.#slices[this.#tickSlice] as Set<WebSocketServerTransport>;
    this.#tickSlice = (this.#tickSlice + 1) % this.#sliceCount;
    for (const t of slice) t.tick();
  }
}
