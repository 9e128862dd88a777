import type { IncomingMessage } from 'node:http';
import { type RawData, WebSocket } from 'ws';
import { ErlmcpError } from '../core/errors.js';
import type { JsonRpcMessage } from '../mcp/jsonrpc.js';
import { ClientAuth, type ClientAuthOption } from './client-auth.js';
import { closedError, type MessageExtra, SENT, type Transport, type TransportSendOptions } from './transport.js';

/** Options of {@link WebSocketClientTransport}. */
export interface WebSocketClientOptions {
  /** Extra headers on the upgrade request, e.g. Authorization (default none). */
  headers?: Record<string, string>;
  /** Subprotocols offered; the server must pick one of them (default ['mcp']). */
  protocols?: string[];
  /** Largest inbound message in bytes; a larger one closes the connection with 1009 (default 4 MiB). */
  maxPayload?: number;
  /** Milliseconds between client pings; a server that has not answered by the next is dropped. Unset: no client pings, the server's keep-alive pings are answered (default unset). */
  keepAliveMs?: number;
  /** How long the opening handshake may take (default 10,000 ms). */
  handshakeTimeoutMs?: number;
  /**
   * A bearer token for the upgrade's `Authorization`, or a {@link TokenProvider}: asked before
   * connecting and once more when the upgrade is refused with 401 (or 403 `insufficient_scope`).
   */
  auth?: ClientAuthOption;
}

/** An upgrade the server refused, with what a token provider needs to try again. */
class UpgradeRefused extends ErlmcpError {
  constructor(
    message: string,
    readonly status: number,
    readonly challenge: string | null,
  ) {
    super('ERR_TRANSPORT', message);
  }
}

const OPEN = 1;
const RESOLVED = SENT;
const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The client end of an MCP WebSocket connection, on `ws` (no need for globalThis.WebSocket).
 * Each message is one JSON-RPC message; inbound messages that are not UTF-8 JSON are reported
 * through onerror and skipped. onclose fires once, after a successful start().
 */
export class WebSocketClientTransport implements Transport {
  onmessage?: (message: JsonRpcMessage, extra?: MessageExtra) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  sessionId?: string;
  readonly #url: string;
  readonly #options: WebSocketClientOptions;
  #ws: WebSocket | undefined;
  #closed: Promise<void> | undefined;
  #closing = false;
  #ping: NodeJS.Timeout | undefined;
  #awaitingPong = false;
  #started = false;

  constructor(url: string | URL, options: WebSocketClientOptions = {}) {
    this.#url = String(url);
    this.#options = options;
  }

  /** The subprotocol the server picked ('' before open). */
  get protocol(): string {
    return this.#ws?.protocol ?? '';
  }

  /** Opens the connection; rejects with ERR_TRANSPORT (HTTP status in the message) when refused. */
  async start(): Promise<void> {
    if (this.#started) throw new ErlmcpError('ERR_ALREADY_STARTED', 'WebSocketClientTransport already started');
    this.#started = true;
    const o = this.#options;
    if (o.auth === undefined) return this.#open(o.headers);
    const auth = new ClientAuth(o.auth);
    try {
      return await this.#open({ ...o.headers, authorization: await auth.header() });
    } catch (err) {
      if (!(err instanceof UpgradeRefused) || !(await auth.refresh(err.status, err.challenge))) throw err;
      this.#ws = undefined;
      this.#closing = false;
      return this.#open({ ...o.headers, authorization: await auth.header() });
    }
  }

  #open(headers: Record<string, string> | undefined): Promise<void> {
    const o = this.#options;
    const ws = new WebSocket(this.#url, o.protocols ?? ['mcp'], {
      headers,
      maxPayload: o.maxPayload ?? 4 * 1024 * 1024,
      handshakeTimeout: o.handshakeTimeoutMs ?? 10_000,
      perMessageDeflate: false,
    });
    this.#ws = ws;
    return new Promise((resolve, reject) => {
      let opened = false;
      ws.on('unexpected-response', (req, res: IncomingMessage) => {
        // With this listener ws leaves the refused request to us: read nothing, free the socket.
        req.destroy();
        res.destroy();
        this.#closing = true;
        const challenge = res.headers['www-authenticate'];
        reject(
          new UpgradeRefused(
            `websocket: upgrade refused: HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trimEnd(),
            res.statusCode ?? 0,
            typeof challenge === 'string' ? challenge : null,
          ),
        );
      });
      ws.on('error', (err) => {
        const e = new ErlmcpError('ERR_TRANSPORT', `websocket: ${err.message}`, { cause: err });
        if (opened) this.onerror?.(e);
        else reject(e);
      });
      ws.once('open', () => {
        opened = true;
        this.#startPing();
        resolve();
      });
      ws.on('message', this.#onMessage);
      ws.on('pong', () => {
        this.#awaitingPong = false;
      });
      this.#closed = new Promise((done) => {
        ws.once('close', () => {
          // A refused first attempt closing late must not touch the retry's connection.
          if (this.#ws !== ws) {
            done();
            return;
          }
          this.#closing = true;
          if (this.#ping) clearInterval(this.#ping);
          done();
          if (opened) this.onclose?.();
        });
      });
    });
  }

  /** Hands the message to the socket and resolves at once; rejects once the connection is closing. */
  send(message: JsonRpcMessage, _options?: TransportSendOptions): Promise<void> {
    const ws = this.#ws;
    if (!ws) return Promise.reject(new ErlmcpError('ERR_NOT_CONNECTED', 'WebSocketClientTransport not started'));
    if (this.#closing || ws.readyState !== OPEN) return Promise.reject(closedError());
    let text: string;
    try {
      text = JSON.stringify(message);
    } catch (err) {
      return Promise.reject(err);
    }
    ws.send(text);
    return RESOLVED;
  }

  /** Closes with 1000; resolves once the socket is closed. Idempotent. */
  async close(): Promise<void> {
    this.#closing = true;
    const ws = this.#ws;
    if (!ws) return;
    if (ws.readyState === OPEN) ws.close(1000);
    else if (ws.readyState === 0) ws.terminate();
    await this.#closed;
  }

  /** Bytes handed to the socket and not yet written. */
  get bufferedAmount(): number {
    return this.#ws?.bufferedAmount ?? 0;
  }

  #startPing(): void {
    const every = this.#options.keepAliveMs;
    if (every === undefined || every <= 0) return;
    this.#ping = setInterval(() => {
      const ws = this.#ws;
      if (!ws || this.#closing) return;
      if (this.#awaitingPong) {
        this.onerror?.(new ErlmcpError('ERR_TIMEOUT', 'websocket: server did not answer ping; terminated'));
        ws.terminate();
        return;
      }
      this.#awaitingPong = true;
      ws.ping();
    }, every);
    this.#ping.unref();
  }

  readonly #onMessage = (data: RawData, isBinary: boolean): void => {
    if (this.#closing) return;
    let value: unknown;
    try {
      value = JSON.parse(isBinary ? fatalUtf8.decode(data as Buffer) : (data as Buffer).toString());
    } catch (err) {
      this.onerror?.(new ErlmcpError('ERR_TRANSPORT', `websocket: parse error from server: ${(err as Error).message}`));
      return;
    }
    this.onmessage?.(value as JsonRpcMessage);
  };
}
