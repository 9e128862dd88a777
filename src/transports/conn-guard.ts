import type { Server, ServerOptions, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { invalidArg } from '../core/errors.js';
import { type FdLimits, fdLimits } from '../ops/fd-limit.js';

/**
 * Deadlines on receiving requests and a bound on raw TCP connections, for one node:http
 * server. Most of the work is node's own (measured on Node 20.20, 22.23 and 24.22; see
 * docs/transports.md):
 *
 * - `headersTimeout`: node starts a connection's clock when it opens (and again at the first
 *   byte of each later request) and closes it with 408 when the headers are not complete in
 *   time; a connection that never sends a byte is covered too.
 * - `requestTimeout`: the same clock, until the request (body included) is fully received.
 *   It stops there, so a response that streams for hours (an SSE stream) is never cut by it.
 * - `keepAliveTimeout`: a keep-alive connection with no new request after a response.
 * - `maxConnections`: sockets beyond it are closed on accept (node emits 'drop').
 * - Upgraded sockets (WebSockets) leave node's connection list: the ws ping owns them.
 *
 * What this adds: node checks the deadlines only every `connectionsCheckingInterval` (30 s by
 * default, which would turn a 5 s deadline into up to 35 s), so the interval follows the
 * deadlines; a connection that sent nothing is closed without the 408 node would write (there
 * is no request to answer); and every close is counted by reason.
 */

/** Options of {@link ConnectionGuard} (`listen({ connections })`). */
export interface ConnectionGuardOptions {
  /**
   * A request's headers must be complete within this many ms of its first byte (of the
   * connection opening, for the first request); otherwise 408, or a plain close when the
   * connection sent nothing at all (default 5,000).
   */
  headersTimeoutMs?: number;
  /**
   * The whole request, body included, must be received within this many ms of its first byte;
   * otherwise 408. Responses are not limited: an SSE stream stays open as long as it flows.
   * At least headersTimeoutMs (default 30,000).
   */
  bodyTimeoutMs?: number;
  /**
   * A keep-alive connection that starts no new request this long after a response is closed
   * (default 5,000; node (20.20, 22, 24) adds 1 s of grace of its own).
   */
  idleTimeoutMs?: number;
  /**
   * TCP connections open at once, whatever they carry (requests, SSE streams, WebSockets, idle
   * keep-alive); beyond it a new socket is closed as soon as it is accepted. Default:
   * {@link defaultMaxRawConnections} of the open-file limit when listen() starts.
   */
  maxRawConnections?: number;
}

/** Connections the guard closed, by why. */
export interface ConnectionCloses {
  /** Headers not complete in time (a connection that sent nothing counts here). */
  headersTimeout: number;
  /** Headers complete but the body not received in time (answered 408). */
  bodyTimeout: number;
  /** A keep-alive connection with no new request for idleTimeoutMs. */
  idleTimeout: number;
  /** Closed on accept because maxRawConnections were open. */
  overLimit: number;
}

/** What {@link ConnectionGuard.stats} returns. */
export interface ConnectionStats {
  /** TCP connections open now (WebSockets included). */
  open: number;
  /** The raw connection limit in force. */
  maxRawConnections: number;
  /** Connections closed since the server started, by reason. */
  closed: ConnectionCloses;
}

/**
 * The default raw connection limit: the soft open-file limit minus a headroom of 10 % (at
 * least 64, at most 1,024 descriptors) for everything that is not a client socket (log
 * files, pipes, outgoing connections, the native core). With the limit reached, accept()
 * would fail with EMFILE and the server could open nothing else; refusing a little earlier
 * keeps it serving the connections it has. 65,536 where the platform reports no limit.
 */
export function defaultMaxRawConnections(limits: FdLimits | undefined = fdLimits()): number {
  if (limits === undefined || !Number.isFinite(limits.soft)) return 65_536;
  const headroom = Math.min(1_024, Math.max(64, Math.floor(limits.soft / 10)));
  return Math.max(1, limits.soft - headroom);
}

/** Node's own canned answers (lib/_http_server.js), for the client errors we now handle. */
const CANNED: Record<string, string> = {
  ERR_HTTP_REQUEST_TIMEOUT: 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n',
  HPE_HEADER_OVERFLOW: 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 'HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n',
};
const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';

/** The response node is writing on a socket: internal, but the field node's own error handler reads. */
type HttpSocket = Socket & { _httpMessage?: ServerResponse | null };

function ms(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1)
    throw invalidArg(`${name} must be a positive integer, got ${String(value)}`);
  return value;
}

/** Applies the deadlines and the raw limit to a node:http server and counts what they close. */
export class ConnectionGuard {
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxRawConnections: number;
  #open = 0;
  readonly #closed: ConnectionCloses = { headersTimeout: 0, bodyTimeout: 0, idleTimeout: 0, overLimit: 0 };
  /** One bound function for every socket's 'close', not a closure per connection. */
  readonly #onSocketClose = (): void => {
    this.#open--;
  };

  constructor(options: ConnectionGuardOptions = {}) {
    this.headersTimeoutMs = ms('headersTimeoutMs', options.headersTimeoutMs, 5_000);
    this.bodyTimeoutMs = ms('bodyTimeoutMs', options.bodyTimeoutMs, 30_000);
    this.idleTimeoutMs = ms('idleTimeoutMs', options.idleTimeoutMs, 5_000);
    // node's createServer throws on this too, but with node's names rather than ours.
    if (this.headersTimeoutMs > this.bodyTimeoutMs) {
      throw invalidArg(
        `headersTimeoutMs (${this.headersTimeoutMs}) must be <= bodyTimeoutMs (${this.bodyTimeoutMs}): the body deadline counts from the same first byte`,
      );
    }
    const max = options.maxRawConnections ?? defaultMaxRawConnections();
    if (!Number.isInteger(max) || max < 1) {
      throw invalidArg(`maxRawConnections must be a positive integer, got ${String(max)}`);
    }
    this.maxRawConnections = max;
  }

  /** The createServer() options carrying the deadlines (the checking interval is constructor-only in node). */
  serverOptions(): ServerOptions {
    return {
      headersTimeout: this.headersTimeoutMs,
      requestTimeout: this.bodyTimeoutMs,
      keepAliveTimeout: this.idleTimeoutMs,
      // A deadline is enforced up to one interval late: a fifth of the shortest, at most 1 s.
      // Each check walks only the connections with a request in progress, in C++.
      connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(this.headersTimeoutMs / 5))),
    };
  }

  /** Installs the raw limit and the listeners that count (and quietly close) on `server`. Returns this. */
  attach(server: Server): this {
    server.maxConnections = this.maxRawConnections;
    server.on('drop', () => {
      this.#closed.overLimit++;
    });
    server.on('connection', (socket: Socket) => {
      this.#open++;
      socket.once('close', this.#onSocketClose);
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.#clientError(err, socket));
    server.on('timeout', (socket: Socket) => this.#timeout(socket));
    return this;
  }

  /** A snapshot of the counters. */
  stats(): ConnectionStats {
    return { open: this.#open, maxRawConnections: this.maxRawConnections, closed: { ...this.#closed } };
  }

  /**
   * Replaces node's default 'clientError' handling (which a listener switches off): the same
   * answers, except that a timed-out connection that never sent a byte is closed silently.
   */
  #clientError(err: NodeJS.ErrnoException, duplex: Duplex): void {
    const socket = duplex as HttpSocket;
    const res = socket._httpMessage;
    let answer: string | undefined = CANNED[err.code ?? ''] ?? BAD_REQUEST;
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      // A response object exists once the headers were parsed: it was the body that was late.
      if (res != null && !res.headersSent) this.#closed.bodyTimeout++;
      else this.#closed.headersTimeout++;
      if (socket.bytesRead === 0) answer = undefined;
    }
    // As node does: never write into a response that has started (it would corrupt it).
    if (answer !== undefined && socket.writable && (res == null || !res.headersSent)) socket.write(answer);
    socket.destroy();
  }

  /**
   * Node emits 'timeout' on the server when a socket's timeout fires, which with
   * `server.timeout` 0 (ours) is the keep-alive timeout, and destroys the socket only when
   * nobody listens; we listen to count, so we destroy.
   */
  #timeout(socket: HttpSocket): void {
    const res = socket._httpMessage;
    // Someone set a timeout on a response in progress and handles it there: theirs to decide.
    if (res != null && res.listenerCount('timeout') > 0) return;
    this.#closed.idleTimeout++;
    socket.destroy();
  }
}
