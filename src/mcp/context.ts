import type { MessageExtra } from '../transports/transport.js';
import type { RequestId } from './jsonrpc.js';

/**
 * What a handler gets besides its params: the request's identity, an AbortSignal that fires on
 * cancellation, timeout or session close, and progress reporting. One object per request; the
 * AbortController behind `signal` is created only when a handler asks for it, because most
 * handlers finish before anything could cancel them.
 */
export class RequestContext {
  readonly requestId: RequestId;
  readonly method: string;
  /** `params._meta` of the request, if any. */
  readonly meta: Record<string, unknown> | undefined;
  /** Transport details of the message (HTTP headers for Streamable HTTP). */
  readonly extra: MessageExtra | undefined;
  /** performance.now() when the request arrived. */
  readonly startedAt: number;
  /** @internal set once the request has been answered, cancelled or dropped. */
  settled = false;
  #controller: AbortController | undefined;
  #abortReason: unknown;
  #aborted = false;
  readonly #notify: (method: string, params: Record<string, unknown>, related: RequestId) => Promise<void>;

  constructor(
    requestId: RequestId,
    method: string,
    params: Record<string, unknown> | undefined,
    extra: MessageExtra | undefined,
    notify: (method: string, params: Record<string, unknown>, related: RequestId) => Promise<void>,
  ) {
    this.requestId = requestId;
    this.method = method;
    this.meta = params?._meta as Record<string, unknown> | undefined;
    this.extra = extra;
    this.startedAt = performance.now();
    this.#notify = notify;
  }

  /** Aborts when the client cancels the request, it times out, or the session closes. */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#abortReason);
    }
    return this.#controller.signal;
  }

  /** True once the request was cancelled, timed out or its session closed. */
  get aborted(): boolean {
    return this.#aborted;
  }

  /** @internal */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#abortReason = reason;
    this.#controller?.abort(reason);
  }

  /** The client's progress token, when it asked for progress. */
  get progressToken(): string | number | undefined {
    const t = this.meta?.progressToken;
    return typeof t === 'string' || typeof t === 'number' ? t : undefined;
  }

  /**
   * Reports progress (`notifications/progress`) when the client asked for it; a no-op
   * otherwise. `progress` must increase from call to call (the spec requires it).
   */
  progress(progress: number, total?: number, message?: string): Promise<void> {
    const token = this.progressToken;
    if (token === undefined || this.settled) return Promise.resolve();
    const params: Record<string, unknown> = { progressToken: token, progress };
    if (total !== undefined) params.total = total;
    if (message !== undefined) params.message = message;
    return this.#notify('notifications/progress', params, this.requestId);
  }

  /** Sends a notification related to this request (routed with it over Streamable HTTP). */
  sendNotification(method: string, params: Record<string, unknown> = {}): Promise<void> {
    return this.#notify(method, params, this.requestId);
  }
}
