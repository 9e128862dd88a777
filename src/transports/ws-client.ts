import type { IncomingMessage } from 'node:http';
import { type RawData, WebSocket } from 'ws';
import { ErlmcpError } from '../core/errors.js';
import type { JsonRpcMessage } from '../mcp/jsonrpc.js';
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

  constructor(url: string | URL, options: WebSocketClientOptions = {}) {
    this.#url = String(url);
    this.#options = options;
  }

  /** The subprotocol the server picked ('' before open). */
  get protocol(): string {
    return this.#ws?.protocol ?? '';
  }

  /** Opens the connection; rejects with ERR_TRANSPORT (HTTP status in the message) when refused. */
  start(): Promise<void> {
    if (this.#ws)
      return Promise.reject(new ErlmcpError('ERR_ALREADY_STARTED', 'WebSocketClientTransport already started'));
    const o = this.#options;
    const ws = new WebSocket(this.#url, o.protocols ?? ['mcp'], {
      headers: o.headers,
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
        reject(
          new ErlmcpError(
            'ERR_TRANSPORT',
            `websocket: upgrade refused: HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trimEnd(),
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
