import { randomUUID } from 'node:crypto';
import { ErlmcpError } from '../core/errors.js';
import { AdmitCode } from '../core/router.js';
import type { RequestTracer } from '../ops/tracing.js';
import { QUEUE_FULL, type ShardSet } from '../shards/shard-set.js';
import type { MessageExtra, Transport } from '../transports/transport.js';
import type { HeaderParamsOf } from './era/check.js';
import { checkModernRequest } from './era/check.js';
import { claimsEnvelope } from './era/envelope.js';
import type { Gate, GateTicket } from './gate.js';
import type { SessionSnapshot } from './handover.js';
import { NO_INPUT, SESSION_INPUT } from './input/channel.js';
import {
  ErrorCode,
  errorResponse,
  type JsonRpcNotification,
  type JsonRpcRequest,
  McpError,
  type RequestId,
} from './jsonrpc.js';
import type { NotificationDrops } from './notification-drops.js';
import { operationIndex } from './operations.js';
import { type MethodHandler, Peer } from './peer.js';
import { ServerContext } from './server-context.js';
import type { ClientCapabilities, Implementation, InitializeResult, LoggingLevel } from './types.js';
import { LOGGING_LEVELS } from './types.js';
import { negotiateVersion } from './versions.js';

/** Lifecycle of a session: NEW -> READY (initialize answered) -> CLOSING -> CLOSED. */
export type SessionState = 'new' | 'ready' | 'closing' | 'closed';

/** @internal What a session needs from the server that owns it. */
export interface SessionHost {
  /** The handler of `method` in the era of the request (`stateless`: 2026). */
  handlerFor(method: string, stateless: boolean): MethodHandler<ServerContext> | undefined;
  /** The wire form of a 2026 result (resultType, serverInfo). */
  shapeStateless(ctx: ServerContext, result: unknown): unknown;
  /** The wire form of a 2025 result. */
  shapeSession(ctx: ServerContext, result: unknown): unknown;
  /** A tool's `x-mcp-header` parameters, for the 2026 header checks. */
  headerParams: HeaderParamsOf;
  /** When set, admitted requests wait in their shard's queue and its manager runs them. */
  shards?: ShardSet;
  /** When set, every admitted request gets a span. */
  tracer?: RequestTracer;
  initializeResult(protocolVersion: string): InitializeResult;
  onInitialized?(session: ServerSession): void;
  onNotification?(session: ServerSession, notification: JsonRpcNotification): void;
  /** What another process needs to continue the session changed (see src/mcp/handover.ts). */
  sessionChanged?(session: ServerSession): void;
  sessionClosed(session: ServerSession): void;
}

const NOT_INITIALIZED = new McpError(
  ErrorCode.INVALID_REQUEST,
  'Invalid request: the session is not initialized; send "initialize" first (or, for MCP 2026-07-28, a _meta envelope on every request)',
);
const CLOSING = new McpError(ErrorCode.SESSION_CLOSING, 'Session is closing: no new requests are accepted', {
  reason: 'session_closing',
});

/** A request waiting in a shard queue. */
interface QueuedRequest {
  session: ServerSession;
  request: JsonRpcRequest;
  extra: MessageExtra | undefined;
}

/** The one destination every session registers with the shard set: the item knows its session. */
const deliverQueued = (item: unknown): void => {
  const q = item as QueuedRequest;
  q.session.runQueued(q);
};

/**
 * One client's conversation with an McpServer over one transport. Owns the session's handle
 * in the native gate: every inbound request is admitted there first, and released there when
 * it settles, whatever way it settles.
 */
export class ServerSession extends Peer<ServerContext> {
  /** The session id: the transport's (e.g. Mcp-Session-Id) or a random UUID. */
  readonly id: string;
  /** Where this session sits in the native registry. */
  readonly ticket: GateTicket;
  /**
   * True for a stateless channel: the 2026 requests of one client over Streamable HTTP, with
   * no session behind them (its id names the client, its gate handle carries the client's
   * token bucket). False for a real connection (stdio, WebSocket) or a 2025 HTTP session.
   */
  readonly stateless: boolean;
  /** True when another process may continue it under its id (Transport.resumable). */
  readonly resumable: boolean;
  readonly #host: SessionHost;
  readonly #gate: Gate;
  /** The authenticated principal's key when the transport has one (its ticket is shared). */
  readonly #principalKey: string | undefined;
  #state: SessionState = 'new';
  #initializedNotified = false;
  #clientInfo: Implementation | undefined;
  #clientCapabilities: ClientCapabilities | undefined;
  #protocolVersion: string | undefined;
  #logLevel = 0;
  /** Resource URIs this client subscribed to (change them with {@link subscribe} / {@link unsubscribe}). */
  readonly subscriptions = new Set<string>();
  readonly #shards: ShardSet | undefined;
  /** Requests waiting in the shard queue: id -> cancelled while waiting. */
  readonly #queued = new Map<RequestId, boolean>();
  /** Dropped notifications and the flood window; created at the first drop. */
  #drops: NotificationDrops | undefined;
  readonly #boundNotify = (method: string, params: Record<string, unknown>, related: string | number) =>
    this.notify(method, params, related);

  /** @internal use McpServer.connect */
  constructor(host: SessionHost, gate: Gate, transport: Transport) {
    super();
    this.#host = host;
    this.#gate = gate;
    this.id = transport.sessionId ?? randomUUID();
    this.stateless = transport.stateless === true;
    this.resumable = transport.resumable === true;
    // A principal's sessions, or an anonymous stateless client's channels on every worker
    // thread, share one ticket (one bucket).
    this.#principalKey = transport.principal?.key ?? transport.clientKey;
    this.#shards = host.shards;
    if (this.#principalKey === undefined) {
      this.ticket = gate.open(this.id);
      this.#shards?.attach(this.ticket.handle, deliverQueued);
    } else {
      // Every session of a principal shares its ticket (bucket, shard): the limit is the
      // principal's, not the connection's. Queued items name their session, so one shard
      // destination serves them all.
      // Only an authenticated principal is the same client on every node: its bucket is split
      // over the cluster's nodes (src/cluster/buckets); an address-keyed channel's stays local.
      this.ticket = gate.acquirePrincipal(this.#principalKey, transport.principal !== undefined).ticket;
      // Counted per ShardSet (per thread), not by the gate's process-wide `first`: another
      // worker's session of this principal may hold the ticket already.
      this.#shards?.attachShared(this.ticket.handle, deliverQueued);
    }
    if (transport.restored !== undefined) this.#restore(transport.restored, transport);
    this.attach(transport);
  }

  /** Continues a session another process served: initialized as it was there. */
  #restore(s: SessionSnapshot, transport: Transport): void {
    this.#clientInfo = s.clientInfo;
    this.#clientCapabilities = s.capabilities;
    this.#protocolVersion = s.protocolVersion;
    this.#initializedNotified = s.initialized;
    this.#logLevel = Math.min(Math.max(0, s.logLevel), LOGGING_LEVELS.length - 1);
    for (const uri of s.subscriptions) this.subscriptions.add(uri);
    transport.setProtocolVersion?.(s.protocolVersion);
    this.#state = 'ready';
  }

  /** What another process needs to continue this session; undefined before initialize. */
  snapshot(): SessionSnapshot | undefined {
    if (this.#protocolVersion === undefined || this.#clientInfo === undefined) return undefined;
    const out: SessionSnapshot = {
      v: 1,
      id: this.id,
      protocolVersion: this.#protocolVersion,
      clientInfo: this.#clientInfo,
      capabilities: this.#clientCapabilities ?? {},
      initialized: this.#initializedNotified,
      logLevel: this.#logLevel,
      subscriptions: [...this.subscriptions],
      ...(this.transport?.principal === undefined ? {} : { principalKey: this.transport.principal.key }),
    };
    return out;
  }

  /** `resources/subscribe`: updates of `uri` are sent to this session. */
  subscribe(uri: string): void {
    if (this.subscriptions.has(uri)) return;
    this.subscriptions.add(uri);
    this.#host.sessionChanged?.(this);
  }

  /** `resources/unsubscribe`. */
  unsubscribe(uri: string): void {
    if (this.subscriptions.delete(uri)) this.#host.sessionChanged?.(this);
  }

  get state(): SessionState {
    return this.#state;
  }

  /** True after the client sent `notifications/initialized`. */
  get initialized(): boolean {
    return this.#initializedNotified;
  }

  get clientInfo(): Implementation | undefined {
    return this.#clientInfo;
  }

  get clientCapabilities(): ClientCapabilities | undefined {
    return this.#clientCapabilities;
  }

  /** Inbound notifications dropped because this session's token bucket was empty. */
  get notificationsDropped(): number {
    return this.#drops?.total ?? 0;
  }

  /** The negotiated protocol version (after initialize). */
  get protocolVersion(): string | undefined {
    return this.#protocolVersion;
  }

  /** @internal */
  async start(): Promise<void> {
    await this.transport?.start();
  }

  protected override handlerFor(method: string, ctx: ServerContext): MethodHandler<ServerContext> | undefined {
    return this.#host.handlerFor(method, ctx.stateless);
  }

  protected override createContext(request: JsonRpcRequest, extra: MessageExtra | undefined): ServerContext {
    // admit() accepted the request, so a claimed envelope is valid here; the context reads it
    // from _meta when asked (most handlers never do).
    const stateless = this.stateless || claimsEnvelope(request.params);
    const ctx = new ServerContext(
      this,
      request.id,
      request.method,
      request.params,
      extra,
      this.#boundNotify,
      stateless,
      stateless ? NO_INPUT : SESSION_INPUT,
    );
    const tracer = this.#host.tracer;
    if (tracer) {
      ctx.span = tracer.start({
        method: request.method,
        params: request.params,
        requestId: ctx.clientRequestId,
        sessionId: stateless ? undefined : this.id,
        protocolVersion: ctx.protocolVersion,
      });
    }
    return ctx;
  }

  protected override shapeResult(ctx: ServerContext, result: unknown): unknown {
    return ctx.stateless ? this.#host.shapeStateless(ctx, result) : this.#host.shapeSession(ctx, result);
  }

  protected override admit(request: JsonRpcRequest, extra: MessageExtra | undefined): McpError | undefined {
    if (this.#state === 'closing' || this.#state === 'closed') return CLOSING;
    // MCP 2026-07-28: a request carrying the envelope (or arriving on a stateless channel) is
    // served on its own, whatever the session's state; it never needs initialize.
    if (this.stateless || claimsEnvelope(request.params)) {
      const refused = checkModernRequest(
        request.method,
        request.params,
        extra?.requestHeaders,
        this.#host.headerParams,
      );
      if (refused) return refused;
    } else if (this.#state !== 'ready' && request.method !== 'initialize' && request.method !== 'ping') {
      return NOT_INITIALIZED;
    }
    // In shard mode the shard set makes the one Router.admit call (see enqueue).
    if (this.#shards) return undefined;
    const meter = this.ticket.meter;
    if (meter !== undefined) meter.demand++;
    const verdict = this.#gate.router.admit(this.ticket.handle);
    return verdict === 0 ? undefined : this.#gate.rejection(verdict, this.ticket.handle);
  }

  protected override enqueue(request: JsonRpcRequest, extra: MessageExtra | undefined): boolean {
    const shards = this.#shards;
    if (!shards) return false;
    const meter = this.ticket.meter;
    if (meter !== undefined) meter.demand++;
    const verdict = shards.submit(this.ticket.handle, { session: this, request, extra } satisfies QueuedRequest);
    if (verdict === AdmitCode.OK) {
      this.#queued.set(request.id, false);
      return true;
    }
    const code = verdict === QUEUE_FULL ? AdmitCode.SHARD_OVERLOADED : verdict;
    const e = this.#gate.rejection(code, this.ticket.handle);
    this.post(errorResponse(request.id, e.code, e.message, e.data), request.id);
    return true;
  }

  /** Requests being handled or waiting in the shard queue (graceful shutdown waits for both). */
  override get inFlight(): number {
    return super.inFlight + this.#queued.size;
  }

  protected override isQueued(id: RequestId): boolean {
    return this.#queued.has(id);
  }

  protected override cancelQueued(id: RequestId): void {
    if (this.#queued.has(id)) this.#queued.set(id, true);
  }

  /**
   * @internal Called by the shard manager: runs a request that waited in the queue, or, when
   * it was cancelled meanwhile or the session closed, releases its admission slot unanswered.
   */
  runQueued(q: QueuedRequest): void {
    const id = q.request.id;
    const cancelled = this.#queued.get(id);
    this.#queued.delete(id);
    if (cancelled !== false || this.closed) {
      this.#gate.router.completeOnShard(this.ticket.shard, true);
      return;
    }
    this.dispatch(q.request, q.extra);
  }

  protected override onSettled(ctx: ServerContext, ok: boolean, errorCode: number | undefined): void {
    if (!ctx.admissionReleased) this.#complete(ctx, ok, errorCode === undefined);
    ctx.span?.end(errorCode);
  }

  #complete(ctx: ServerContext, ok: boolean, answered: boolean): void {
    const us = Math.round((performance.now() - ctx.startedAt) * 1000);
    const gate = this.#gate;
    gate.router.completeTimed(this.ticket.shard, ok, us, gate.timings, operationIndex(ctx.method), answered);
    gate.countCompleted();
  }

  /**
   * @internal Gives a long-lived request's admission slot back early (a `subscriptions/listen`
   * once acknowledged): it holds a stream, not a worker, and must not count against the
   * shard's in-flight limit or its deadline.
   */
  releaseAdmission(ctx: ServerContext): void {
    if (ctx.admissionReleased || ctx.settled) return;
    ctx.admissionReleased = true;
    ctx.longLived = true;
    this.#complete(ctx, true, true);
  }

  /**
   * A notification costs one token of the session's bucket, like a request (one native call,
   * no admission slot: nothing to complete). Past the bucket it is dropped and counted, the
   * transport is told (HTTP answers 429; a flooding WebSocket is closed with 1008), and the
   * first drop past the flood rule is reported through onerror as ERR_NOTIFICATION_FLOOD.
   */
  protected override admitNotification(_n: JsonRpcNotification): boolean {
    const gate = this.#gate;
    const meter = this.ticket.meter;
    if (meter !== undefined) meter.demand++;
    if (gate.admitNotification(this.ticket.handle)) return true;
    this.#drops ??= gate.notificationDrops(this.ticket);
    const drops = this.#drops;
    const broke = drops.record(performance.now());
    gate.countDrop(broke);
    if (broke) {
      const { after, windowMs } = gate.flood;
      this.reportError(
        new ErlmcpError(
          'ERR_NOTIFICATION_FLOOD',
          `session ${this.id}: more than ${after} notifications dropped by the rate limit within ${windowMs} ms`,
        ),
      );
    }
    this.transport?.notificationDropped?.(drops);
    return false;
  }

  protected override handleNotification(n: JsonRpcNotification): void {
    if (n.method === 'notifications/initialized') {
      if (this.#state === 'ready' && !this.#initializedNotified) {
        this.#initializedNotified = true;
        this.#host.onInitialized?.(this);
        this.#host.sessionChanged?.(this);
      }
      return;
    }
    this.#host.onNotification?.(this, n);
  }

  /** @internal the `initialize` request. */
  initialize(params: Record<string, unknown>): InitializeResult {
    if (this.#state !== 'new') {
      throw new McpError(ErrorCode.INVALID_REQUEST, 'Invalid request: the session is already initialized');
    }
    const info = params.clientInfo as Implementation | undefined;
    if (typeof params.protocolVersion !== 'string' || typeof info?.name !== 'string') {
      throw new McpError(
        ErrorCode.INVALID_PARAMS,
        'Invalid params: initialize needs protocolVersion and clientInfo.name',
      );
    }
    const version = negotiateVersion(params.protocolVersion);
    this.#clientInfo = info;
    this.#clientCapabilities = (params.capabilities as ClientCapabilities | undefined) ?? {};
    this.#protocolVersion = version;
    this.transport?.setProtocolVersion?.(version);
    this.#state = 'ready';
    const result = this.#host.initializeResult(version);
    this.#host.sessionChanged?.(this);
    return result;
  }

  /** @internal `logging/setLevel`. */
  setLogLevel(level: unknown): void {
    const i = LOGGING_LEVELS.indexOf(level as LoggingLevel);
    if (i < 0) {
      throw new McpError(ErrorCode.INVALID_PARAMS, `Invalid params: level must be one of ${LOGGING_LEVELS.join(', ')}`);
    }
    if (this.#logLevel === i) return;
    this.#logLevel = i;
    this.#host.sessionChanged?.(this);
  }

  /** Sends `notifications/message` when `level` passes the client's threshold. */
  sendLog(level: LoggingLevel, data: unknown, logger?: string, relatedRequestId?: string | number): Promise<void> {
    const i = LOGGING_LEVELS.indexOf(level);
    if (i < this.#logLevel || this.closed) return Promise.resolve();
    const params: Record<string, unknown> = { level, data };
    if (logger !== undefined) params.logger = logger;
    return this.notify('notifications/message', params, relatedRequestId);
  }

  /** @internal Fails requests that overran `timeoutMs` (called by the server's sweep). */
  expireOverdue(now: number, timeoutMs: number): void {
    this.forEachInbound((ctx) => {
      if (!ctx.longLived && now - ctx.startedAt >= timeoutMs) this.expire(ctx, timeoutMs);
    });
  }

  /** @internal Stop admitting requests (graceful shutdown); in-flight ones finish. */
  drain(): void {
    if (this.#state !== 'closed') this.#state = 'closing';
  }

  protected override handleClose(): void {
    if (this.closed) return;
    this.#state = 'closed';
    super.handleClose();
    // Requests still queued are released by the shard set (orphaned) or by runQueued.
    if (this.#principalKey === undefined) {
      this.#shards?.detach(this.ticket.handle);
      this.#gate.close(this.id, this.ticket);
    } else {
      // Detached (by this thread's last holder) while the handle is still registered: detach
      // needs its shard.
      this.#shards?.detachShared(this.ticket.handle);
      this.#gate.releasePrincipal(this.#principalKey);
    }
    this.#host.sessionClosed(this);
  }
}
