import { randomUUID } from 'node:crypto';
import type { MessageExtra, Transport } from '../transports/transport.js';
import type { Gate, GateTicket } from './gate.js';
import { ErrorCode, type JsonRpcNotification, type JsonRpcRequest, McpError } from './jsonrpc.js';
import { type MethodHandler, Peer } from './peer.js';
import { ServerContext } from './server-context.js';
import type { ClientCapabilities, Implementation, InitializeResult, LoggingLevel } from './types.js';
import { LOGGING_LEVELS } from './types.js';
import { negotiateVersion } from './versions.js';

/** Lifecycle of a session: NEW -> READY (initialize answered) -> CLOSING -> CLOSED. */
export type SessionState = 'new' | 'ready' | 'closing' | 'closed';

/** @internal What a session needs from the server that owns it. */
export interface SessionHost {
  handlerFor(method: string): MethodHandler<ServerContext> | undefined;
  initializeResult(protocolVersion: string): InitializeResult;
  onInitialized?(session: ServerSession): void;
  onNotification?(session: ServerSession, notification: JsonRpcNotification): void;
  sessionClosed(session: ServerSession): void;
}

const NOT_INITIALIZED = new McpError(
  ErrorCode.INVALID_REQUEST,
  'Invalid request: the session is not initialized; send "initialize" first',
);
const CLOSING = new McpError(ErrorCode.SESSION_CLOSING, 'Session is closing: no new requests are accepted', {
  reason: 'session_closing',
});

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
  readonly #host: SessionHost;
  readonly #gate: Gate;
  #state: SessionState = 'new';
  #initializedNotified = false;
  #clientInfo: Implementation | undefined;
  #clientCapabilities: ClientCapabilities | undefined;
  #protocolVersion: string | undefined;
  #logLevel = 0;
  /** Resource URIs this client subscribed to. */
  readonly subscriptions = new Set<string>();
  readonly #boundNotify = (method: string, params: Record<string, unknown>, related: string | number) =>
    this.notify(method, params, related);

  /** @internal use McpServer.connect */
  constructor(host: SessionHost, gate: Gate, transport: Transport) {
    super();
    this.#host = host;
    this.#gate = gate;
    this.id = transport.sessionId ?? randomUUID();
    this.ticket = gate.open(this.id);
    this.attach(transport);
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

  /** The negotiated protocol version (after initialize). */
  get protocolVersion(): string | undefined {
    return this.#protocolVersion;
  }

  /** @internal */
  async start(): Promise<void> {
    await this.transport?.start();
  }

  protected override handlerFor(method: string): MethodHandler<ServerContext> | undefined {
    return this.#host.handlerFor(method);
  }

  protected override createContext(request: JsonRpcRequest, extra: MessageExtra | undefined): ServerContext {
    return new ServerContext(this, request.id, request.method, request.params, extra, this.#boundNotify);
  }

  protected override admit(request: JsonRpcRequest): McpError | undefined {
    if (this.#state !== 'ready') {
      if (this.#state === 'closing' || this.#state === 'closed') return CLOSING;
      if (request.method !== 'initialize' && request.method !== 'ping') return NOT_INITIALIZED;
    }
    const verdict = this.#gate.router.admit(this.ticket.handle);
    return verdict === 0 ? undefined : this.#gate.rejection(verdict, this.ticket.handle);
  }

  protected override onSettled(ctx: ServerContext, ok: boolean): void {
    const us = Math.round((performance.now() - ctx.startedAt) * 1000);
    this.#gate.router.completeOnShard(this.ticket.shard, ok, us);
  }

  protected override handleNotification(n: JsonRpcNotification): void {
    if (n.method === 'notifications/initialized') {
      if (this.#state === 'ready' && !this.#initializedNotified) {
        this.#initializedNotified = true;
        this.#host.onInitialized?.(this);
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
    return this.#host.initializeResult(version);
  }

  /** @internal `logging/setLevel`. */
  setLogLevel(level: unknown): void {
    const i = LOGGING_LEVELS.indexOf(level as LoggingLevel);
    if (i < 0) {
      throw new McpError(ErrorCode.INVALID_PARAMS, `Invalid params: level must be one of ${LOGGING_LEVELS.join(', ')}`);
    }
    this.#logLevel = i;
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
      if (now - ctx.startedAt >= timeoutMs) this.expire(ctx, timeoutMs);
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
    this.#gate.close(this.id, this.ticket);
    this.#host.sessionClosed(this);
  }
}
