import { ErlmcpError } from '../core/errors.js';
import { type MessageExtra, SENT, type Transport, type TransportSendOptions } from '../transports/transport.js';
import type { RequestContext } from './context.js';
import {
  classify,
  ErrorCode,
  errorResponse,
  invalidId,
  invalidReason,
  type JsonRpcErrorResponse,
  type JsonRpcMessage,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  Kind,
  McpError,
  type RequestId,
} from './jsonrpc.js';
import type { Progress } from './types.js';

/** Options of one outgoing request. */
export interface RequestOptions {
  /** Aborting sends `notifications/cancelled` to the peer and rejects with the abort reason. */
  signal?: AbortSignal;
  /** Milliseconds before the request fails with REQUEST_TIMEOUT (default: the peer's). */
  timeoutMs?: number;
  /** Asks the peer for progress (adds `_meta.progressToken`) and receives it here. */
  onprogress?: (progress: Progress) => void;
  /** Restart the timeout whenever progress arrives (default false). */
  resetTimeoutOnProgress?: boolean;
  /** The inbound request this one is sent on behalf of (Streamable HTTP routes by it). */
  relatedRequestId?: RequestId;
  /** Extra HTTP headers for this request only (Streamable HTTP; other transports ignore them). */
  headers?: Readonly<Record<string, string>>;
}

/** A handler of one inbound method. */
export type MethodHandler<C extends RequestContext = RequestContext> = (
  params: Record<string, unknown>,
  ctx: C,
) => unknown;

interface Pending {
  resolve: (value: Record<string, unknown>) => void;
  reject: (reason: unknown) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
  timeoutMs: number;
  onprogress: ((progress: Progress) => void) | undefined;
  resetOnProgress: boolean;
  signal: AbortSignal | undefined;
  onabort: (() => void) | undefined;
  /** Set when the request is cancelled by aborting its own exchange (see {@link Peer.cancelsByStream}). */
  stream: AbortController | undefined;
}

const EMPTY: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

/**
 * One end of an MCP conversation over one transport, shared by the server session and the
 * client: outgoing requests (ids, timeouts, progress, cancellation), inbound requests (dispatch,
 * cancellation, exactly one answer each), and the transport's lifecycle. Subclasses decide
 * which inbound requests are admitted and what happens when one settles.
 */
export abstract class Peer<C extends RequestContext = RequestContext> {
  /** Default timeout of outgoing requests in ms (60 s, as the official SDK). */
  requestTimeoutMs = 60_000;
  protected transport: Transport | undefined;
  #nextId = 0;
  readonly #pending = new Map<RequestId, Pending>();
  readonly #inbound = new Map<RequestId, C>();
  #closed = false;

  /** Methods this peer answers (`ctx` is the request's context: the era decides the method table). */
  protected abstract handlerFor(method: string, ctx: C): MethodHandler<C> | undefined;
  /** Builds the context handed to a handler (one object per request). */
  protected abstract createContext(request: JsonRpcRequest, extra: MessageExtra | undefined): C;
  /** Inbound notifications other than progress and cancellation. */
  protected abstract handleNotification(notification: JsonRpcNotification): void;

  /**
   * Decides whether an inbound request is served. Returns the error to answer instead, or
   * undefined to go on; a request admitted here gets exactly one {@link onSettled} later.
   */
  protected admit(_request: JsonRpcRequest, _extra: MessageExtra | undefined): McpError | undefined {
    return undefined;
  }

  /**
   * Decides whether an inbound notification is handled; false drops it (a notification cannot
   * be answered with an error). Not asked for those the transport made itself
   * (`extra.internal`). The default handles every one.
   */
  protected admitNotification(_notification: JsonRpcNotification): boolean {
    return true;
  }

  /**
   * The result to put on the wire for a handler's return value (a subclass may decorate it,
   * e.g. with the 2026 era's `resultType`). Called once per successful request.
   */
  protected shapeResult(_ctx: C, result: unknown): unknown {
    return result;
  }

  /**
   * An admitted request ended (answered, failed, cancelled, timed out or dropped at close).
   * `ok`: not a server fault (what the breaker counts); `errorCode`: the JSON-RPC error it
   * was answered with, undefined otherwise.
   */
  protected onSettled(_ctx: C, _ok: boolean, _errorCode: number | undefined): void {}

  /**
   * True when `request`, sent over a transport with `hasPerRequestStream`, is cancelled (by the
   * caller or its timeout) by aborting its own exchange instead of sending
   * `notifications/cancelled`: MCP 2026 Streamable HTTP, where closing a request's stream is
   * the cancellation. The default never does (the 2025 era, and every server-side request).
   */
  protected cancelsByStream(_request: JsonRpcRequest): boolean {
    return false;
  }

  /** Errors that have no request to answer (transport errors, unanswerable replies). */
  onerror?: (error: Error) => void;
  /** Called once when the transport closes. */
  onclose?: () => void;

  get closed(): boolean {
    return this.#closed;
  }

  /** Inbound requests currently being handled. */
  get inFlight(): number {
    return this.#inbound.size;
  }

  /** Outgoing requests waiting for their answer. */
  get pendingRequests(): number {
    return this.#pending.size;
  }

  protected attach(transport: Transport): void {
    if (this.transport) throw new ErlmcpError('ERR_ALREADY_STARTED', 'already connected to a transport');
    this.transport = transport;
    transport.onmessage = (message, extra) => this.receive(message, extra);
    transport.onerror = (error) => this.reportError(error);
    transport.onclose = () => this.handleClose();
  }

  protected reportError(error: Error): void {
    this.onerror?.(error);
  }

  /**
   * Sends one message; a failure is reported through onerror (the peer may be gone).
   * `httpStatus` overrides the status a Streamable HTTP transport would pick for an error.
   */
  protected post(message: JsonRpcMessage, relatedRequestId?: RequestId, httpStatus?: number): void {
    const t = this.transport;
    if (!t || this.#closed) return;
    const sent =
      relatedRequestId === undefined
        ? t.send(message)
        : t.send(message, httpStatus === undefined ? { relatedRequestId } : { relatedRequestId, httpStatus });
    if (sent !== SENT) sent.then(undefined, this.#onSendError);
  }

  readonly #onSendError = (err: unknown): void => this.reportError(asError(err));

  /** Sends a notification. */
  notify(method: string, params?: Record<string, unknown>, relatedRequestId?: RequestId): Promise<void> {
    const t = this.transport;
    if (!t || this.#closed) return Promise.reject(notConnected());
    const message: JsonRpcNotification =
      params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params };
    return relatedRequestId === undefined ? t.send(message) : t.send(message, { relatedRequestId });
  }

  /** Sends a request and resolves with its result; rejects with an McpError on an error answer. */
  request<T = Record<string, unknown>>(
    method: string,
    params?: Record<string, unknown>,
    options: RequestOptions = {},
  ): Promise<T> {
    const t = this.transport;
    if (!t || this.#closed) return Promise.reject(notConnected());
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const id = this.#nextId++;
    let p = params;
    if (options.onprogress) {
      const meta = (params?._meta as Record<string, unknown> | undefined) ?? {};
      p = { ...params, _meta: { ...meta, progressToken: id } };
    }
    const message: JsonRpcRequest =
      p === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params: p };
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = {
        resolve: resolve as (v: Record<string, unknown>) => void,
        reject,
        timer: undefined,
        timeoutMs: options.timeoutMs ?? this.requestTimeoutMs,
        onprogress: options.onprogress,
        resetOnProgress: options.resetTimeoutOnProgress ?? false,
        signal,
        onabort: undefined,
        stream: t.hasPerRequestStream === true && this.cancelsByStream(message) ? new AbortController() : undefined,
      };
      this.#pending.set(id, pending);
      this.#arm(id, pending);
      if (signal) {
        pending.onabort = () => this.#cancelOutgoing(id, signal.reason);
        signal.addEventListener('abort', pending.onabort, { once: true });
      }
      const sendOptions = this.#sendOptions(id, options, pending.stream);
      const sent = sendOptions === undefined ? t.send(message) : t.send(message, sendOptions);
      sent.catch((err: unknown) => {
        if (this.#take(id)) reject(asError(err));
      });
    });
  }

  /** The transport options of one request; undefined (the common case) when it needs none. */
  #sendOptions(
    id: RequestId,
    options: RequestOptions,
    stream: AbortController | undefined,
  ): TransportSendOptions | undefined {
    if (options.relatedRequestId === undefined && options.headers === undefined && stream === undefined)
      return undefined;
    const o: TransportSendOptions = {};
    if (options.relatedRequestId !== undefined) o.relatedRequestId = options.relatedRequestId;
    if (options.headers !== undefined) o.headers = options.headers;
    if (stream) {
      o.requestSignal = stream.signal;
      // The exchange that would carry the answer is gone: no answer will come, fail now
      // instead of at the timeout.
      o.onRequestStreamEnd = () =>
        this.#take(id)?.reject(
          new McpError(ErrorCode.CONNECTION_CLOSED, 'the response stream ended before the response arrived'),
        );
    }
    return o;
  }

  #arm(id: RequestId, pending: Pending): void {
    if (!Number.isFinite(pending.timeoutMs) || pending.timeoutMs <= 0) return;
    pending.timer = setTimeout(() => {
      if (!this.#take(id)) return;
      this.#cancelRemote(id, pending, 'timeout');
      pending.reject(
        new McpError(ErrorCode.REQUEST_TIMEOUT, `request timed out after ${pending.timeoutMs} ms`, {
          timeoutMs: pending.timeoutMs,
        }),
      );
    }, pending.timeoutMs);
    pending.timer.unref?.();
  }

  /** Removes a pending request and its timer/listener; false when it was already gone. */
  #take(id: RequestId): Pending | undefined {
    const pending = this.#pending.get(id);
    if (!pending) return undefined;
    this.#pending.delete(id);
    if (pending.timer) clearTimeout(pending.timer);
    if (pending.onabort) pending.signal?.removeEventListener('abort', pending.onabort);
    return pending;
  }

  #cancelOutgoing(id: RequestId, reason: unknown): void {
    const pending = this.#take(id);
    if (!pending) return;
    this.#cancelRemote(id, pending, reason instanceof Error ? reason.message : String(reason ?? 'cancelled'));
    pending.reject(reason);
  }

  /** Tells the peer an outgoing request is cancelled: abort its own exchange, or notify. */
  #cancelRemote(id: RequestId, pending: Pending, reason: string): void {
    if (pending.stream) pending.stream.abort(new Error(reason));
    else this.#sendCancelled(id, reason);
  }

  #sendCancelled(id: RequestId, reason: string): void {
    this.post({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason } });
  }

  /** Entry point for every inbound value the transport parsed. */
  protected receive(message: unknown, extra?: MessageExtra): void {
    switch (classify(message)) {
      case Kind.REQUEST:
        this.#onRequest(message as JsonRpcRequest, extra);
        return;
      case Kind.NOTIFICATION:
        this.#onNotification(message as JsonRpcNotification, extra);
        return;
      case Kind.RESPONSE:
        this.#onResponse(message as JsonRpcResponse);
        return;
      default:
        this.post(
          errorResponse(invalidId(message), ErrorCode.INVALID_REQUEST, `Invalid request: ${invalidReason(message)}`),
        );
    }
  }

  #onRequest(request: JsonRpcRequest, extra: MessageExtra | undefined): void {
    const id = request.id;
    if (this.#inbound.has(id) || this.isQueued(id)) {
      // Answering with the same id would settle the client's first request with this error.
      this.post(
        errorResponse(
          null,
          ErrorCode.INVALID_REQUEST,
          `Invalid request: id ${JSON.stringify(id)} is already in use by a request in flight`,
          { id },
        ),
      );
      return;
    }
    const refused = this.admit(request, extra);
    if (refused) {
      this.post(errorResponse(id, refused.code, refused.message, refused.data), id, refused.httpStatus);
      return;
    }
    if (this.enqueue(request, extra)) return;
    this.dispatch(request, extra);
  }

  /**
   * Hands an admitted request to a queue instead of running it now; true when taken (the
   * subclass then calls {@link dispatch} later, or answers/releases it itself).
   */
  protected enqueue(_request: JsonRpcRequest, _extra: MessageExtra | undefined): boolean {
    return false;
  }

  /** True when a request with this id waits in the subclass's queue (duplicate-id check). */
  protected isQueued(_id: RequestId): boolean {
    return false;
  }

  /** A cancellation for a request that is not running: the subclass may hold it queued. */
  protected cancelQueued(_id: RequestId): void {}

  /** Runs an admitted request: its context, its handler, exactly one settle. */
  protected dispatch(request: JsonRpcRequest, extra: MessageExtra | undefined): void {
    const ctx = this.createContext(request, extra);
    this.#inbound.set(request.id, ctx);
    const handler = this.handlerFor(request.method, ctx);
    if (!handler) {
      this.#fail(ctx, new McpError(ErrorCode.METHOD_NOT_FOUND, `Method not found: ${request.method}`));
      return;
    }
    let out: unknown;
    try {
      out = handler(request.params ?? EMPTY, ctx);
    } catch (err) {
      this.#fail(ctx, err);
      return;
    }
    if (out !== null && typeof out === 'object' && typeof (out as PromiseLike<unknown>).then === 'function') {
      (out as PromiseLike<unknown>).then(
        (result) => this.#succeed(ctx, result),
        (err) => this.#fail(ctx, err),
      );
    } else {
      this.#succeed(ctx, out);
    }
  }

  /** Marks ctx settled and releases it; false when something settled it first. */
  #settle(ctx: C, ok: boolean, errorCode?: number): boolean {
    if (ctx.settled) return false;
    ctx.settled = true;
    this.#inbound.delete(ctx.requestId);
    this.onSettled(ctx, ok, errorCode);
    return true;
  }

  #succeed(ctx: C, result: unknown): void {
    if (ctx.settled) return;
    let shaped: unknown;
    try {
      shaped = this.shapeResult(ctx, result === undefined || result === null ? EMPTY : result);
    } catch (err) {
      this.#fail(ctx, err);
      return;
    }
    if (!this.#settle(ctx, true)) return;
    this.post({ jsonrpc: '2.0', id: ctx.requestId, result: shaped as Record<string, unknown> }, ctx.requestId);
  }

  #fail(ctx: C, err: unknown): void {
    // Errors of the caller's making (bad params, unknown method) are not server faults: they
    // must not trip the breaker.
    const wire = toWireError(err);
    const serverFault = wire.code === ErrorCode.INTERNAL_ERROR || wire.code === ErrorCode.REQUEST_TIMEOUT;
    if (!this.#settle(ctx, !serverFault, wire.code)) return;
    const response: JsonRpcErrorResponse = errorResponse(ctx.requestId, wire.code, wire.message, wire.data);
    this.post(response, ctx.requestId, wire.httpStatus);
  }

  /** Ends an inbound request that overran its deadline: answered with REQUEST_TIMEOUT. */
  protected expire(ctx: C, timeoutMs: number): void {
    this.#fail(ctx, new McpError(ErrorCode.REQUEST_TIMEOUT, `Request timed out after ${timeoutMs} ms`, { timeoutMs }));
    ctx.abort(new McpError(ErrorCode.REQUEST_TIMEOUT, 'request timed out'));
  }

  /** Visits the inbound requests in flight (for deadline sweeps). */
  protected forEachInbound(fn: (ctx: C) => void): void {
    for (const ctx of this.#inbound.values()) fn(ctx);
  }

  #onNotification(n: JsonRpcNotification, extra: MessageExtra | undefined): void {
    if (extra?.internal !== true && !this.admitNotification(n)) return;
    if (extra?.chargeOnly === true) return;
    if (n.method === 'notifications/cancelled') {
      const id = n.params?.requestId;
      if (typeof id !== 'string' && typeof id !== 'number') return;
      const ctx = this.#inbound.get(id);
      if (!ctx) {
        this.cancelQueued(id);
        return;
      }
      // The spec: a cancelled request gets no response. Settle first so a handler that
      // returns after the abort cannot answer.
      if (ctx.method === 'initialize' || !this.#settle(ctx, true)) return;
      const reason = typeof n.params?.reason === 'string' ? n.params.reason : 'cancelled by the client';
      ctx.abort(new McpError(ErrorCode.REQUEST_TIMEOUT, reason));
      return;
    }
    if (n.method === 'notifications/progress') {
      const token = n.params?.progressToken;
      const pending = token === undefined ? undefined : this.#pending.get(token as RequestId);
      if (!pending?.onprogress) return;
      const { progress, total, message } = n.params as Record<string, unknown>;
      if (typeof progress !== 'number') return;
      if (pending.resetOnProgress && pending.timer) {
        clearTimeout(pending.timer);
        this.#arm(token as RequestId, pending);
      }
      const p: Progress = { progress };
      if (typeof total === 'number') p.total = total;
      if (typeof message === 'string') p.message = message;
      pending.onprogress(p);
      return;
    }
    this.handleNotification(n);
  }

  #onResponse(response: JsonRpcResponse): void {
    const id = response.id;
    const pending = id === null ? undefined : this.#take(id);
    if (!pending) {
      if ('error' in response) {
        const e = response.error;
        this.reportError(new McpError(e.code, `peer reported: ${e.message}`, e.data));
      }
      return;
    }
    if ('error' in response) {
      const e = response.error;
      pending.reject(new McpError(e.code, e.message, e.data));
    } else {
      pending.resolve(response.result);
    }
  }

  /** Closes the transport; pending work is failed by {@link handleClose}. */
  async close(): Promise<void> {
    if (this.#closed) return;
    const t = this.transport;
    if (t) await t.close();
    this.handleClose();
  }

  /** The transport closed: fail outgoing requests, release inbound ones without answers. */
  protected handleClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const id of [...this.#pending.keys()]) {
      this.#take(id)?.reject(new McpError(ErrorCode.CONNECTION_CLOSED, 'Connection closed'));
    }
    for (const ctx of [...this.#inbound.values()]) {
      if (this.#settle(ctx, true)) ctx.abort(new McpError(ErrorCode.CONNECTION_CLOSED, 'Connection closed'));
    }
    this.onclose?.();
  }
}

function notConnected(): ErlmcpError {
  return new ErlmcpError('ERR_NOT_CONNECTED', 'not connected: the transport is closed or was never attached');
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** Maps whatever a handler threw to the error put on the wire. */
export function toWireError(err: unknown): McpError {
  if (err instanceof McpError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new McpError(ErrorCode.INTERNAL_ERROR, message || 'Internal error');
}
