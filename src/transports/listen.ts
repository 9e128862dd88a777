import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RequestAuthenticator } from '../auth/types.js';
import type { McpServer } from '../mcp/server.js';
import { type ReusePortMode, sharedListenTarget } from '../workers/listen-target.js';
import { ConnectionGuard, type ConnectionGuardOptions, type ConnectionStats } from './conn-guard.js';
import { StreamableHttpListener, type StreamableHttpListenerOptions } from './http-server.js';
import { ConnectionLimiter } from './limiter.js';
import type { Transport } from './transport.js';
import { WebSocketListener, type WebSocketListenerOptions } from './ws-server.js';

/** Options of {@link listen}. */
export interface ListenOptions {
  /** Address to bind (default '127.0.0.1'). */
  host?: string;
  /** Port to bind; 0 picks a free one (default 9999). */
  port?: number;
  /** Path of the MCP endpoint for both transports (default '/mcp'). */
  path?: string;
  /** WebSocket connections + Streamable HTTP sessions held at once; beyond it 503 (default 15,000). */
  maxConnections?: number;
  /**
   * The limiter holding those slots, instead of a private one of `maxConnections`: e.g.
   * `ConnectionLimiter.open(name, max)`, one count for every worker thread of the process.
   */
  limiter?: ConnectionLimiter;
  /**
   * Deadlines on receiving requests (headers 5 s, whole request 30 s, keep-alive idle 5 s)
   * and the raw TCP connection limit (default: from the open-file limit): see
   * {@link ConnectionGuardOptions}. Responses and upgraded WebSockets are never cut by them.
   */
  connections?: ConnectionGuardOptions;
  /** WebSocket options (path and limiter come from above), or false to serve no WebSocket. */
  websocket?: false | Omit<WebSocketListenerOptions, 'onconnection' | 'path' | 'limiter'>;
  /** Streamable HTTP options (path and limiter come from above), or false to serve no HTTP transport. */
  http?: false | Omit<StreamableHttpListenerOptions, 'onsession' | 'path' | 'limiter'>;
  /**
   * Extra plain-HTTP routes served on the same port before the MCP endpoint (health,
   * metrics): return true when the request was answered. Also asked while shutting down.
   */
  routes?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /**
   * Authenticates every request to the MCP endpoint and every WebSocket upgrade (see
   * StreamableHttpListenerOptions.auth); its `serveMetadata` (the OAuth protected resource
   * metadata) is answered before the MCP endpoint, without a token. `routes` stay open: guard
   * them yourself (erlmcp serve guards /metrics when configured to). Default: none.
   */
  auth?: RequestAuthenticator;
  /**
   * Share the port with the other listeners of this process that ask for it, e.g. one
   * `listen()` per worker thread: each gets its own SO_REUSEPORT socket and the kernel spreads
   * new connections over them; closing one leaves the others serving. `true` is `'auto'`
   * (Node's own `reusePort` on Node >= 22.12, else a socket made natively); `'node'` and
   * `'native'` force one (see {@link ReusePortMode}). With port 0 every such listener of the
   * process gets the same port, picked once. Default false: the port is this listener's alone.
   */
  reusePort?: boolean | ReusePortMode;
  /**
   * Listen on this already listening socket instead of binding (host and port then only
   * describe it): a worker pool's copy of a socket it holds (src/workers/pool.ts). Closing the
   * listener closes this descriptor. While draining ({@link Listener.stopAccepting}) such a
   * listener keeps accepting connections and answers their new requests 503 with
   * `Connection: close`: connections the kernel already queued on the socket are answered,
   * not reset.
   */
  fd?: number;
}

/** How long close() lets requests in progress be answered before it cuts their connections. */
const CLOSE_GRACE_MS = 1_000;

/** Resolves once only idle connections are left (they are closed) or `ms` passed. */
async function settleRequests(server: Server, guard: ConnectionGuard, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    server.closeIdleConnections();
    if (guard.stats().open === 0 || Date.now() >= deadline) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A running endpoint: see {@link listen}. */
export interface Listener {
  /** `http://host:port/path` (the WebSocket URL is the same with `ws:`). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The limiter shared by both transports. */
  readonly limiter: ConnectionLimiter;
  /** The underlying node:http server (add your own routes with its 'request' event). */
  readonly server: Server;
  /** Raw TCP connections open, the raw limit, and the connections closed by deadline or limit. */
  connectionStats(): ConnectionStats;
  /**
   * Stops taking new connections and sessions (503); open sessions keep being served. The
   * first step of a graceful shutdown, before `McpServer.shutdown()` and {@link close}.
   */
  stopAccepting(): Promise<void>;
  /** Closes every connection and session and the listening socket. */
  close(): Promise<void>;
}

/**
 * Serves `mcp` over WebSocket (subprotocol `mcp`) and Streamable HTTP on one port and path,
 * both under one connection limiter. Requests for other paths get 404.
 */
export async function listen(mcp: McpServer, options: ListenOptions = {}): Promise<Listener> {
  const host = options.host ?? '127.0.0.1';
  const path = options.path ?? '/mcp';
  const limiter = options.limiter ?? new ConnectionLimiter(options.maxConnections ?? 15_000);
  // Before anything with timers is built: its options may throw.
  const guard = new ConnectionGuard(options.connections);
  let accepting = true;

  // A transport the server cannot take (its start failed) is closed: the client sees its
  // connection end rather than a session that never answers.
  const serve = (t: Transport) => {
    mcp.connect(t).catch(() => t.close().catch(() => {}));
  };

  const httpListener =
    options.http === false
      ? undefined
      : new StreamableHttpListener({
          ...options.http,
          path,
          limiter,
          onsession: serve,
          onclient: serve,
          auth: options.auth,
        });
  const wsListener =
    options.websocket === false
      ? undefined
      : new WebSocketListener({ ...options.websocket, path, limiter, onconnection: serve, auth: options.auth });
  const auth = options.auth;

  const routes = options.routes;
  const server = createServer(guard.serverOptions(), (req: IncomingMessage, res: ServerResponse) => {
    if (routes?.(req, res)) return;
    if (auth?.serveMetadata?.(req, res)) return;
    if (!accepting && req.headers['mcp-session-id'] === undefined) {
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '1', connection: 'close' });
      res.end('server is shutting down\n');
      return;
    }
    if (httpListener?.handle(req, res)) return;
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end(`not found: the MCP endpoint is ${path}\n`);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!wsListener || !accepting) {
      const status = wsListener ? '503 Service Unavailable\r\nRetry-After: 1' : '404 Not Found';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wsListener.handleUpgrade(req, socket, head);
  });
  guard.attach(server);

  const reuse = options.reusePort === true ? 'auto' : options.reusePort || undefined;
  const fd = options.fd;
  // Made last: in 'native' mode it opens a socket that only server.listen() takes over.
  const target =
    fd !== undefined
      ? { listen: { fd } }
      : reuse
        ? sharedListenTarget({ host, port: options.port ?? 9999, mode: reuse })
        : undefined;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const listening = () => {
      server.off('error', reject);
      resolve();
    };
    if (target) server.listen(target.listen, listening);
    else server.listen(options.port ?? 9999, host, listening);
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closed: Promise<void> | undefined;

  return {
    url: `http://${urlHost}:${port}${path}`,
    host,
    port,
    limiter,
    server,
    connectionStats: () => guard.stats(),
    async stopAccepting() {
      accepting = false;
      // Stop listening; keep-alive connections and WebSockets stay open for their sessions.
      // A pool's socket stays open so that what is queued on it gets its 503 (see `fd`).
      if (fd === undefined) server.close();
    },
    close() {
      closed ??= (async () => {
        accepting = false;
        await Promise.allSettled([wsListener?.close(), httpListener?.close()]);
        // Stop listening first (a pool's socket kept answering until now), then let the
        // requests already on their way get their 503 before the rest is cut: destroying a
        // connection whose request is unanswered resets it.
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await settleRequests(server, guard, CLOSE_GRACE_MS);
        server.closeAllConnections();
        await stopped;
      })();
      return closed;
    },
  };
}
