import type { Principal } from '../auth/types.js';
import { ErlmcpError } from '../core/errors.js';
import type { SessionSnapshot } from '../mcp/handover.js';
import type { JsonRpcMessage, RequestId } from '../mcp/jsonrpc.js';

/** Per-message information a transport hands up with an inbound message. */
export interface MessageExtra {
  /** The HTTP request that carried the message (Streamable HTTP only). */
  requestInfo?: { headers: Record<string, string | string[] | undefined> };
  /** The verified credential of the caller ({@link Principal}) when the transport authenticated it. */
  authInfo?: Principal;
  /**
   * The headers of the HTTP request that carried exactly this one message (Streamable HTTP:
   * one message per POST). Absent on WebSocket and stdio, where `requestInfo` describes the
   * connection. The 2026 era validates `Mcp-Method`, `Mcp-Name` and `Mcp-Param-*` against it.
   */
  requestHeaders?: Record<string, string | string[] | undefined>;
  /**
   * The JSON-RPC id the client sent, when the transport gave the request another id to keep
   * requests of different clients apart (the 2026 era on Streamable HTTP). Undefined otherwise.
   */
  wireId?: RequestId;
  /**
   * The authenticated caller of this message (a stable id such as an OAuth client id or
   * subject), set by a transport that verified credentials. Undefined for anonymous clients:
   * then tasks and requestState are bound to nobody in particular.
   */
  principal?: string;
  /**
   * The HTTP status of the response that carried the message (Streamable HTTP client only).
   * A 2026 client needs it to tell a modern server's `404` + -32601 from a legacy answer.
   */
  httpStatus?: number;
  /**
   * Made by the transport itself, not sent by the peer (e.g. the cancellation a 2026 HTTP
   * channel derives from a closed stream): never charged to the sender's token bucket, never
   * dropped by it.
   */
  internal?: boolean;
  /**
   * Sent by the peer but meaningless here (a 2026 HTTP client's `notifications/cancelled`,
   * whose id names no request of the channel): the protocol layer charges it to the sender's
   * token bucket, so that it is no free way to flood, and otherwise ignores it.
   */
  chargeOnly?: boolean;
}

/**
 * What the protocol layer tells a transport about an inbound notification it dropped because
 * the sender's token bucket was empty (see {@link Transport.notificationDropped}).
 */
export interface DroppedNotification {
  /** True once the sender broke the flood rule (too many drops within the window): disconnect it. */
  readonly flooding: boolean;
  /** Milliseconds until the sender's bucket holds a token again (costs a native call: ask only to answer with it). */
  retryAfterMs(): number;
}

export interface TransportSendOptions {
  /**
   * The inbound request this message belongs to (a response, or a notification/request sent
   * while handling it). Streamable HTTP uses it to pick the stream that carries the message.
   */
  relatedRequestId?: RequestId;
  /**
   * For an error response: the HTTP status to answer with instead of the one the transport
   * derives from the error code (Streamable HTTP only; others ignore it).
   */
  httpStatus?: number;
  /**
   * Aborts this one outgoing request's own HTTP exchange (MCP 2026 Streamable HTTP, where
   * closing a request's stream is its cancellation) without closing the transport. Only
   * transports with {@link Transport.hasPerRequestStream} honour it; the others ignore it.
   * Same name and meaning as the official SDK v2's option, so either side's transports fit.
   */
  requestSignal?: AbortSignal;
  /**
   * Called when this request's own response stream ended or broke before its response came,
   * other than through {@link requestSignal} (per-request-stream transports only).
   */
  onRequestStreamEnd?: () => void;
  /** Extra HTTP headers for this one message (e.g. `Mcp-Param-*`); sent verbatim, others ignore them. */
  headers?: Readonly<Record<string, string>>;
}

/**
 * The official SDK's `Transport` shape, so that SDK servers and clients can run on our
 * transports and ours on theirs. Inbound values are handed up as parsed JSON; the protocol
 * layer validates their shape (answering -32600), because the transport cannot know which
 * side of the conversation it serves. Bytes that are not JSON are answered by server-side
 * transports with -32700 and reported through `onerror`.
 */
export interface Transport {
  start(): Promise<void>;
  send(message: JsonRpcMessage, options?: TransportSendOptions): Promise<void>;
  close(): Promise<void>;
  onmessage?: (message: JsonRpcMessage, extra?: MessageExtra) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  sessionId?: string;
  /**
   * True when the transport carries only MCP 2026-07-28 (stateless) requests of one client and
   * has no session (erlmcp's Streamable HTTP per-client channel). Such a transport's
   * `sessionId` names the client, not a session.
   */
  readonly stateless?: boolean;
  /**
   * The authenticated caller every message of this transport comes from (set by erlmcp's
   * listeners when `auth` is on: the principal that opened the session, the channel's
   * principal, the WebSocket upgrade's). Its session shares the principal's token bucket.
   */
  readonly principal?: Principal;
  /**
   * Without a principal: a key naming the client across every transport of the process that
   * carries it (erlmcp's stateless channel: `address:<ip>`). Its session then shares that
   * key's token bucket, as a principal's sessions share the principal's, so a client whose
   * connections land on several worker threads still has one bucket.
   */
  readonly clientKey?: string;
  /**
   * True when the session can be reached again under its id by another process after this one
   * is gone (Streamable HTTP 2025 sessions): the server then keeps a snapshot of it with its
   * `handover` (src/mcp/handover.ts). A connection-bound transport (WebSocket, stdio) leaves it unset.
   */
  readonly resumable?: boolean;
  /** A session continued from another process: the server starts it initialized as it was there. */
  readonly restored?: SessionSnapshot;
  /** Called by the protocol layer after initialize (or a 2026 `server/discover`), with the version in use. */
  setProtocolVersion?: (version: string) => void;
  /**
   * True when every outgoing request gets an exchange of its own (Streamable HTTP): such a
   * transport honours {@link TransportSendOptions.requestSignal}, so a 2026-era client cancels
   * by aborting it instead of sending `notifications/cancelled`. Unset on shared channels.
   */
  readonly hasPerRequestStream?: boolean;
  /**
   * Called by the protocol layer, synchronously inside `onmessage`, when the notification being
   * delivered was dropped by the sender's rate limit (a notification cannot be answered with a
   * JSON-RPC error). A transport that can tell the sender answers it here (Streamable HTTP:
   * 429 + Retry-After instead of 202) and disconnects a flooding one (WebSocket: close 1008).
   * Transports without it (stdio) drop silently; the drop is counted either way.
   */
  notificationDropped?(drop: DroppedNotification): void;
}

/**
 * The promise a transport's `send` returns when the message was handed over synchronously.
 * Returning this one object (instead of a fresh resolved promise) lets the protocol layer skip
 * attaching a rejection handler: no allocation and no microtask per message on the hot path.
 */
export const SENT: Promise<void> = Promise.resolve();

/** The error a transport's `send` rejects with once it is closed (code ERR_CONNECTION_CLOSED). */
export function closedError(detail = 'transport is closed'): ErlmcpError {
  return new ErlmcpError('ERR_CONNECTION_CLOSED', detail);
}
