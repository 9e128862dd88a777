import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import type { Principal } from '../auth/types.js';
import { ErlmcpError } from '../core/errors.js';
import { encodeMessage, type JsonRpcMessage, parseErrorResponse } from '../mcp/jsonrpc.js';
import {
  closedError,
  type DroppedNotification,
  type MessageExtra,
  SENT,
  type Transport,
  type TransportSendOptions,
} from './transport.js';

/** WebSocket close codes erlmcp sends (RFC 6455 section 7.4.1). */
export const WsCloseCode = {
  NORMAL: 1000,
  /** The listener is shutting down. */
  GOING_AWAY: 1001,
  /** Sent by ws itself: a text frame that is not valid UTF-8. */
  INVALID_PAYLOAD: 1007,
  /** The peer does not read its responses (outbound buffer limit or stall), or floods notifications. */
  POLICY_VIOLATION: 1008,
  /** Sent by ws itself: a message over maxPayload. */
  MESSAGE_TOO_BIG: 1009,
  /** The connection handler (onconnection) threw. */
  INTERNAL_ERROR: 1011,
} as const;

/** The close reason of a slow consumer. */
export const SLOW_CONSUMER_REASON = 'slow consumer: outbound buffer limit exceeded';

/** The close reason of a client that broke the flood rule (too many notifications over its rate limit). */
export const NOTIFICATION_FLOOD_REASON = 'notification flood: too many notifications over the rate limit';
/** Close reason (with 1008) when the token the upgrade was authenticated with expires. */
export const TOKEN_EXPIRED_REASON = 'token expired: reconnect with a fresh token';

/** Longest a timer may be set for (node clamps longer delays to 1 ms). */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * What a listener shares with all of its sessions (one object, not a copy per session).
 * @internal
 */
export interface WsSessionHost {
  /** Outbound bytes at which reading from the peer pauses (75 % of maxBufferedBytes). */
  readonly warnAt: number;
  /** Outbound bytes at which the session is closed with 1008 (95 % of maxBufferedBytes). */
  readonly rejectAt: number;
  readonly maxBufferedBytes: number;
  readonly stallTimeoutMs: number;
  onwarning?: ((message: string, transport: WebSocketServerTransport) => void) | undefined;
  /** The session's socket closed. */
  removeSession(transport: WebSocketServerTransport): void;
}

const OPEN = 1;
const RESOLVED = SENT;
// Shared: decode() without {stream: true} keeps no state between calls.
const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * One WebSocket connection as an MCP transport (created by {@link WebSocketListener}, handed to
 * its `onconnection`). Each text or binary message is one JSON-RPC message. Reading is paused
 * until start(), so nothing arrives before the protocol layer is connected.
 *
 * Outbound bound: after each send the socket's unsent bytes are checked. At 75 % of
 * maxBufferedBytes reading from the peer pauses (no new requests from a client that does not
 * read its responses) and resumes once the socket has drained; at 95 %, or when the buffer
 * stays above 75 % for stallTimeoutMs, the connection is closed with 1008 and onerror gets
 * ERR_SLOW_CONSUMER. A message is never dropped: send() hands it to the socket or rejects.
 */
export class WebSocketServerTransport implements Transport {
  onmessage?: (message: JsonRpcMessage, extra?: MessageExtra) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  /** A random UUID naming this connection. */
  readonly sessionId: string = randomUUID();
  /** The negotiated subprotocol: 'mcp', or '' when the client offered none. */
  readonly protocol: string;
  /** @internal Set by each keep-alive tick, cleared by the pong. */
  awaitingPong = false;
  readonly #ws: WebSocket;
  readonly #socket: Duplex;
  readonly #host: WsSessionHost;
  // One object per connection, handed with every message: no per-message allocation.
  readonly #extra: MessageExtra;
  readonly #closed: Promise<void>;
  #resolveClosed!: () => void;
  /** Closes the connection when the upgrade's token expires (auth on, a token with `exp`). */
  #expiry: NodeJS.Timeout | undefined;
  /** The principal the upgrade authenticated (auth on): every message of the connection is its. */
  readonly principal: Principal | undefined;
  #started = false;
  #closing = false;
  #pressure = false;
  #stallTimer: NodeJS.Timeout | undefined;

  /** @internal `principal`: who the upgrade request authenticated as (auth on). */
  constructor(ws: WebSocket, socket: Duplex, req: IncomingMessage, host: WsSessionHost, principal?: Principal) {
    this.#ws = ws;
    this.#socket = socket;
    this.#host = host;
    this.protocol = ws.protocol;
    this.principal = principal;
    this.#extra = { requestInfo: { headers: req.headers }, principal: principal?.key, authInfo: principal };
    // Over HTTP every request shows its token; a WebSocket showed one at the upgrade, so the
    // connection lasts no longer than that token (the client reconnects with a fresh one).
    const expiresAt = principal?.expiresAt;
    if (expiresAt !== undefined) {
      const left = expiresAt - Date.now();
      if (left <= MAX_TIMER_MS) {
        this.#expiry = setTimeout(
          () => this.closeWith(WsCloseCode.POLICY_VIOLATION, TOKEN_EXPIRED_REASON),
          Math.max(0, left),
        );
        this.#expiry.unref();
      }
    }
    this.#closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    ws.pause();
    ws.on('message', this.#onMessage);
    ws.on('close', this.#onClose);
    ws.on('error', this.#onError);
    ws.on('pong', this.#onPong);
    // ws emits no drain of its own; the socket's 'drain' means its write buffer is empty.
    socket.on('drain', this.#onDrain);
  }

  /** Starts delivering messages to onmessage. */
  async start(): Promise<void> {
    if (this.#started) throw new ErlmcpError('ERR_ALREADY_STARTED', 'WebSocketServerTransport already started');
    this.#started = true;
    if (!this.#closing && !this.#pressure) this.#ws.resume();
  }

  /**
   * Hands the message to the socket and resolves at once (the write completes later); rejects
   * with ERR_CONNECTION_CLOSED once the connection is closing.
   */
  send(message: JsonRpcMessage, _options?: TransportSendOptions): Promise<void> {
    const ws = this.#ws;
    if (this.#closing || ws.readyState !== OPEN) return Promise.reject(closedError());
    let text: string;
    try {
      text = encodeMessage(message);
    } catch (err) {
      return Promise.reject(err);
    }
    ws.send(text);
    const buffered = ws.bufferedAmount;
    if (buffered >= this.#host.warnAt || this.#pressure) this.#checkPressure(buffered);
    return RESOLVED;
  }

  /** Closes with 1000; resolves once the socket is closed. Idempotent. */
  close(): Promise<void> {
    this.closeWith(WsCloseCode.NORMAL, '');
    return this.#closed;
  }

  /**
   * A notification of this peer was dropped by its rate limit: nothing to tell it (WebSocket has
   * no per-message answer), unless it broke the flood rule: then it is closed with 1008.
   * Messages still arriving are dropped unread while the close handshake runs.
   */
  notificationDropped(drop: DroppedNotification): void {
    if (drop.flooding) this.closeWith(WsCloseCode.POLICY_VIOLATION, NOTIFICATION_FLOOD_REASON);
  }

  /** Bytes handed to the socket and not yet written to the kernel. */
  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  /** Resolves once the socket is closed (after onclose). */
  get closed(): Promise<void> {
    return this.#closed;
  }

  /**
   * Starts the closing handshake; the listener's closeTimeoutMs bounds how long the peer may
   * take to answer it before the socket is destroyed.
   * @internal
   */
  closeWith(code: number, reason: string): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#clearStall();
    const ws = this.#ws;
    if (ws.readyState === OPEN) ws.close(code, reason);
    // Read again so the peer's close frame is seen; messages that still arrive are dropped.
    ws.resume();
  }

  /**
   * One keep-alive tick: a peer that has not answered the previous ping is terminated.
   * Sessions under backpressure are skipped: their socket is paused (pongs unread) and the stall
   * timer watches them instead.
   * @internal
   */
  tick(): void {
    if (this.#closing || this.#pressure) return;
    if (this.awaitingPong) {
      this.#closing = true;
      this.onerror?.(new ErlmcpError('ERR_TIMEOUT', 'websocket: peer did not answer ping; terminated'));
      this.#ws.terminate();
      return;
    }
    this.awaitingPong = true;
    this.#ws.ping();
  }

  #checkPressure(buffered: number): void {
    const host = this.#host;
    if (buffered >= host.rejectAt) {
      this.#slowConsumer(`${buffered} unsent bytes reached 95 % of maxBufferedBytes (${host.maxBufferedBytes})`);
    } else if (buffered < host.warnAt) {
      this.#relieve();
    } else if (!this.#pressure) {
      this.#pressure = true;
      this.#ws.pause();
      this.#stallTimer = setTimeout(this.#onStall, host.stallTimeoutMs);
      this.#stallTimer.unref();
      host.onwarning?.(`${buffered} unsent bytes reached 75 % of maxBufferedBytes; reading paused`, this);
    }
  }

  #relieve(): void {
    if (!this.#pressure) return;
    this.#pressure = false;
    this.#clearStall();
    if (this.#started && !this.#closing) this.#ws.resume();
  }

  #clearStall(): void {
    if (this.#stallTimer !== undefined) clearTimeout(this.#stallTimer);
    this.#stallTimer = undefined;
  }

  #slowConsumer(detail: string): void {
    if (this.#closing) return;
    this.onerror?.(new ErlmcpError('ERR_SLOW_CONSUMER', `websocket: slow consumer: ${detail}`));
    this.closeWith(WsCloseCode.POLICY_VIOLATION, SLOW_CONSUMER_REASON);
  }

  #parseError(detail: string): void {
    if (this.#ws.readyState === OPEN) this.#ws.send(JSON.stringify(parseErrorResponse(detail)));
    this.onerror?.(new ErlmcpError('ERR_TRANSPORT', `websocket: parse error: ${detail}`));
  }

  readonly #onMessage = (data: RawData, isBinary: boolean): void => {
    if (this.#closing) return;
    let value: unknown;
    try {
      // Text frames were UTF-8-validated by ws (1007 otherwise); binary ones are checked here.
      value = JSON.parse(isBinary ? fatalUtf8.decode(data as Buffer) : (data as Buffer).toString());
    } catch (err) {
      this.#parseError((err as Error).message);
      return;
    }
    this.onmessage?.(value as JsonRpcMessage, this.#extra);
  };

  readonly #onStall = (): void => {
    this.#stallTimer = undefined;
    const buffered = this.#ws.bufferedAmount;
    // A socket whose buffer fell below the mark without a 'drain' (warn under the stream's highWaterMark).
    if (buffered < this.#host.warnAt) this.#relieve();
    else this.#slowConsumer(`unsent bytes stayed above 75 % of maxBufferedBytes for ${this.#host.stallTimeoutMs} ms`);
  };

  readonly #onDrain = (): void => {
    if (this.#pressure) this.#relieve();
  };

  readonly #onPong = (): void => {
    this.awaitingPong = false;
  };

  readonly #onError = (err: Error & { code?: string }): void => {
    // ws closes the connection itself after these (1009 for size, 1007 for UTF-8, 1002 otherwise).
    this.#closing = true;
    const code = err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'ERR_MESSAGE_TOO_LARGE' : 'ERR_TRANSPORT';
    this.onerror?.(new ErlmcpError(code, `websocket: ${err.message}`, { cause: err }));
  };

  readonly #onClose = (): void => {
    if (this.#expiry !== undefined) clearTimeout(this.#expiry);
    this.#closing = true;
    this.#pressure = false;
    this.#clearStall();
    this.#socket.off('drain', this.#onDrain);
    this.#host.removeSession(this);
    this.#resolveClosed();
    this.onclose?.();
  };
}
