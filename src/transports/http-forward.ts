/**
 * The seam through which a Streamable HTTP listener serves requests for 2025-era sessions
 * that another listener of the process owns (one listener per worker thread, all on one port:
 * a session's next TCP connection may land on any of them). The listener that received the
 * request hands it to the owner ({@link SessionPeers.forward}); the owner serves it through
 * its normal code path against a {@link RemoteResponse}, whose head, writes and end travel back
 * and are replayed on the real response. src/workers/session-relay.ts implements it over the
 * worker mesh.
 */
import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Principal } from '../auth/types.js';
import type { SessionSnapshot } from '../mcp/handover.js';
import { errorResponse, type RequestId } from '../mcp/jsonrpc.js';

/** A request for a session another listener owns, as the receiving listener read it. */
export interface ForwardedRequest {
  readonly method: 'POST' | 'GET' | 'DELETE';
  readonly headers: IncomingHttpHeaders;
  /** The POST body as received (the owner parses it again). */
  readonly body?: string;
  /** The JSON-RPC id the POST carried, for an error answered without reaching the owner. */
  readonly id?: RequestId | null;
  /** Who sent it, already authenticated by the receiving listener (auth on). */
  readonly principal?: Principal;
  /** An MCP 2026-07-28 request (a task operation for a task the owner holds), not a session's. */
  readonly stateless?: boolean;
  /** The client's address: an anonymous 2026 client is keyed on it. */
  readonly remoteAddress?: string;
}

/** The listener end that serves forwarded requests (a StreamableHttpListener). */
export interface ForwardTarget {
  serveForwarded(request: ForwardedRequest, res: ServerResponse): void;
  /** Continues the session of `snapshot` here (its owner is gone), then serves `request` on it. */
  serveRestored?(snapshot: SessionSnapshot, request: ForwardedRequest, res: ServerResponse): void;
}

/** Where the sessions of the other listeners of this process are. */
export interface SessionPeers {
  /** Called by the listener given these peers: forwarded requests for its sessions go to it. */
  attach(listener: ForwardTarget): void;
  /** Prepended to the ids of sessions this listener creates, so any peer can tell the owner. */
  readonly sessionIdPrefix: string;
  /** The peer owning session (or task) id `sid`; undefined when it is this listener's (or nobody's). */
  ownerOf(sid: string): number | undefined;
  /** Serves `request` on peer `owner`; whatever the owner answers is written to `res`. */
  forward(owner: number, request: ForwardedRequest, res: ServerResponse): void;
  /**
   * A request for session `sid`, which no listener holds: its owner may be gone, and the
   * session continues elsewhere (a cluster: src/cluster/session-peers.ts). Answers `res`
   * (404 when the session is gone for good). Without it such a request gets 404 at once.
   */
  recover?(sid: string, request: ForwardedRequest, res: ServerResponse): void;
  /**
   * The peer that continues session `sid` when nobody holds it (the same for every listener of
   * the process, so concurrent requests meet there); undefined: this one.
   */
  home?(sid: string): number | undefined;
}

/** One piece of a remote answer, in order: the head rides on the first piece. */
export interface ResponseFrame {
  /** Status and headers, on the first frame only. */
  status?: number;
  headers?: OutgoingHttpHeaders;
  /** Body bytes as text (JSON or SSE frames). */
  chunk?: string;
  /** Last frame: end the response. */
  end?: boolean;
}

/**
 * The owner's stand-in for the receiving listener's `ServerResponse`: the subset of its API
 * that sessions, SSE streams and refusals use. Writes are sent at once (an SSE event must not
 * wait); the head waits for the first write, so a JSON answer is one frame. Backpressure
 * belongs to the real response: the receiving side destroys it when its client stops reading,
 * which comes back here as `gone()`, a 'close' like a client hanging up.
 */
export class RemoteResponse extends EventEmitter {
  headersSent = false;
  destroyed = false;
  writableEnded = false;
  /** Bytes buffered here: none, every write leaves at once. */
  readonly writableLength = 0;
  readonly #send: (frame: ResponseFrame) => void;
  #status = 200;
  #headers: OutgoingHttpHeaders | undefined;
  #headPending = false;

  constructor(send: (frame: ResponseFrame) => void) {
    super();
    this.#send = send;
  }

  writeHead(status: number, headers?: OutgoingHttpHeaders): this {
    if (this.headersSent) return this;
    this.headersSent = true;
    this.#status = status;
    this.#headers = headers;
    this.#headPending = true;
    return this;
  }

  flushHeaders(): void {
    if (!this.headersSent) this.writeHead(200);
    if (this.#headPending) this.#frame({});
  }

  write(chunk: string | Buffer): boolean {
    if (this.destroyed || this.writableEnded) return false;
    if (!this.headersSent) this.writeHead(200);
    this.#frame({ chunk: String(chunk) });
    return true;
  }

  end(chunk?: string | Buffer): this {
    if (this.destroyed || this.writableEnded) return this;
    if (!this.headersSent) this.writeHead(200);
    this.writableEnded = true;
    this.#frame(chunk === undefined ? { end: true } : { chunk: String(chunk), end: true });
    this.#closed();
    return this;
  }

  /** Abandons the answer: the receiving side destroys the real response. */
  destroy(): this {
    if (this.destroyed) return this;
    this.#frame({ end: true, status: -1 });
    this.#closed();
    return this;
  }

  /** @internal The real response went away (client gone, receiving worker gone). */
  gone(): void {
    if (this.destroyed) return;
    this.#closed();
  }

  #frame(frame: ResponseFrame): void {
    if (this.#headPending) {
      this.#headPending = false;
      frame.status ??= this.#status;
      if (this.#headers !== undefined) frame.headers = this.#headers;
    }
    this.#send(frame);
  }

  #closed(): void {
    this.destroyed = true;
    // As ServerResponse: 'close' after end or abort, asynchronously.
    queueMicrotask(() => this.emit('close'));
  }

  /** Typed as what the listener code takes. */
  asServerResponse(): ServerResponse {
    return this as unknown as ServerResponse;
  }
}

/**
 * Replays frames from the owner on the real response. Returns true once the response is
 * finished (ended or destroyed) and the caller can forget it.
 */
export function replayFrame(res: ServerResponse, frame: ResponseFrame, maxBufferedBytes: number): boolean {
  if (res.destroyed) return true;
  if (frame.status === -1) {
    res.destroy();
    return true;
  }
  if (frame.status !== undefined && !res.headersSent) {
    res.writeHead(frame.status, frame.headers);
    // An SSE head goes out now: the client waits on it before any event.
    if (frame.chunk === undefined && frame.end !== true) res.flushHeaders();
  }
  if (frame.end === true) {
    res.end(frame.chunk);
    return true;
  }
  if (frame.chunk !== undefined) {
    res.write(frame.chunk);
    // A client not reading its relayed stream: cut it, as SseStream does for local ones.
    if (res.writableLength >= maxBufferedBytes) {
      res.destroy();
      return true;
    }
  }
  return false;
}

/** A JSON-RPC error answered for a forwarded request, in place of its owner's answer (503 gets Retry-After: 1). */
export function answerForwarded(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  id: RequestId | null,
  data?: unknown,
) {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (status === 503) headers['retry-after'] = '1';
  res.writeHead(status, headers);
  res.end(JSON.stringify(errorResponse(id, code, message, data)));
}
