/**
 * What the WebSocket and Streamable HTTP load sessions share: request ids unique per session,
 * the map of unanswered ids to their scheduled send times (bounded by the in-flight cap), and
 * the rule that turns every answer into exactly one recorder outcome.
 */
import { performance } from 'node:perf_hooks';
import { outcomeOf, type WireResponse } from './protocol.js';
import type { Recorder } from './recorder.js';
import type { ErrorKind } from './report.js';

/** How opening a session ended. */
export type OpenOutcome =
  | { ok: true }
  /** `refused`: the server turned it away (503, close 1013/1008, max_sessions); else it failed. */
  | { ok: false; refused: boolean; reason: string };

/** Callbacks a driver hangs on every session. */
export interface SessionHooks {
  /** After each load answer or failure (closed-loop drivers send the next request here). */
  onSettled?: (session: LoadSession) => void;
  /** Once, when an open session closes for any reason. */
  onClosed?: (session: LoadSession) => void;
}

/** Where and how a session connects. */
export interface SessionEnv {
  /** The MCP endpoint (http: or https:; the WebSocket session swaps the scheme). */
  url: URL;
  /**
   * HTTP only: where the session's requests go after the handshake, when not `url` (another
   * node of a cluster, which proxies them to the session's owner).
   */
  requestUrl?: URL;
  recorder: Recorder;
  /** Handshake deadline in ms. */
  timeoutMs: number;
  /** Local address to bind the socket to (spreads sockets over loopback addresses). */
  localAddress?: string;
  hooks: SessionHooks;
}

/** Lifecycle of a load session. */
export type SessionState = 'new' | 'connecting' | 'open' | 'closed';

/** One MCP session driven by the harness; see the file comment. */
export abstract class LoadSession {
  state: SessionState = 'new';
  /** The session's place in its pool (round-robin order). */
  readonly index: number;
  protected readonly env: SessionEnv;
  /** Unanswered request ids -> scheduled send time (ms, performance.now()). */
  protected readonly pending = new Map<number, number>();
  /** Set once the run is over: late answers are neither counted nor called duplicated. */
  protected ignoring = false;
  /** Load requests answered with a result (not an error) so far. */
  okCount = 0;
  #nextId = 1;

  constructor(index: number, env: SessionEnv) {
    this.index = index;
    this.env = env;
  }

  /** Requests sent and not answered. */
  get inflight(): number {
    return this.pending.size;
  }

  /** Opens the connection and completes the MCP handshake (never rejects). */
  abstract connect(): Promise<OpenOutcome>;

  /** Ends the session politely (close frame / HTTP DELETE), within the handshake deadline. */
  abstract close(): Promise<void>;

  /** Drops the session's sockets at once. */
  abstract destroy(): void;

  /** Writes one request; `scheduledAt` is when the schedule wanted it sent (latency counts from there). */
  send(scheduledAt: number): void {
    const id = this.#nextId++;
    this.pending.set(id, scheduledAt);
    this.env.recorder.recordSent();
    this.write(id);
  }

  /**
   * Ends the run for this session: returns how many requests are still unanswered (they are
   * lost) and ignores whatever arrives from now on.
   */
  abandon(): number {
    const n = this.pending.size;
    this.pending.clear();
    this.ignoring = true;
    return n;
  }

  /** Puts request `id` on the wire. */
  protected abstract write(id: number): void;

  /** Accounts one answer to a load request. */
  protected answer(msg: WireResponse): void {
    if (this.ignoring) return;
    const id = msg.id;
    const t0 = typeof id === 'number' ? this.pending.get(id) : undefined;
    if (t0 === undefined) {
      this.env.recorder.recordDuplicate();
      return;
    }
    this.pending.delete(id as number);
    const us = Math.max(0, (performance.now() - t0) * 1000);
    const outcome = outcomeOf(msg);
    if (outcome === 'ok') {
      this.okCount++;
      this.env.recorder.recordOk(us);
    } else this.env.recorder.recordError(outcome, us);
    this.env.hooks.onSettled?.(this);
  }

  /**
   * Request `id` ended without a JSON-RPC answer (HTTP status, broken socket): `answered` when
   * the server did answer (its latency is recorded), false for a local failure.
   */
  protected fail(id: number, kind: ErrorKind, answered: boolean): void {
    if (this.ignoring) return;
    const t0 = this.pending.get(id);
    if (t0 === undefined) return;
    this.pending.delete(id);
    this.env.recorder.recordError(kind, answered ? Math.max(0, (performance.now() - t0) * 1000) : undefined);
    this.env.hooks.onSettled?.(this);
  }

  /** The session closed under its requests: each still unanswered fails as `transport`. */
  protected closed(): void {
    if (this.state === 'closed') return;
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    if (!this.ignoring) {
      const n = this.pending.size;
      this.pending.clear();
      for (let i = 0; i < n; i++) this.env.recorder.recordError('transport');
    }
    if (wasOpen) this.env.hooks.onClosed?.(this);
  }
}
