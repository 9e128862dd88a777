/**
 * One `subscriptions/listen` stream (MCP 2026-07-28, basic/patterns/subscriptions.mdx) as the
 * client sees it: acknowledged once with the filter the server honours, then notifications
 * tagged with its id, until someone ends it.
 */
import { ErlmcpError } from '../../core/errors.js';
import type { DetailedTask, SubscriptionFilter } from '../types.js';

/**
 * Why a subscription ended: `closed` by this client; `completed` by the server's graceful
 * result; `cancelled` by the server's `notifications/cancelled`; `ended` when its stream or the
 * connection went away without either (an unexpected disconnect: listen again if you still
 * want the notifications); `error` when the server answered the listen with an error.
 */
export type SubscriptionEndReason = 'closed' | 'completed' | 'cancelled' | 'ended' | 'error';

export interface SubscriptionEnd {
  reason: SubscriptionEndReason;
  /** What went wrong, for `ended` and `error` (and the reason string of a server `cancelled`). */
  error?: Error;
}

/** Handlers of one subscription's notifications; the client's onNotification handlers see them too. */
export interface ListenHandlers {
  onToolsListChanged?: () => void;
  onPromptsListChanged?: () => void;
  onResourcesListChanged?: () => void;
  onResourceUpdated?: (uri: string) => void;
  /** Tasks extension: `notifications/tasks` for the subscribed `taskIds`. */
  onTaskStatus?: (task: DetailedTask) => void;
  /** Every notification of the subscription, after the typed handler above that fits it. */
  onNotification?: (method: string, params: Record<string, unknown>) => void;
  /** Once, when the subscription ends for any reason. */
  onClose?: (end: SubscriptionEnd) => void;
}

/** What the subscription needs from its client. */
export interface SubscriptionHost {
  /** Cancels the listen on the wire (aborts its HTTP exchange, or sends notifications/cancelled). */
  cancel(id: string, reason: string): void;
  /** The subscription ended: forget it. */
  release(id: string): void;
  /** A handler threw. */
  report(error: Error): void;
}

export class Subscription {
  /** The listen request's JSON-RPC id, which tags every notification of the stream. */
  readonly id: string;
  /** The filter this client asked for. */
  readonly requested: SubscriptionFilter;
  /** Resolves once, when the subscription ends (never rejects). */
  readonly closed: Promise<SubscriptionEnd>;
  readonly #handlers: ListenHandlers;
  readonly #host: SubscriptionHost;
  #honoured: SubscriptionFilter | undefined;
  #end: SubscriptionEnd | undefined;
  #resolveClosed!: (end: SubscriptionEnd) => void;
  #ack!: { resolve: () => void; reject: (err: Error) => void };
  /** @internal settles when acknowledged, rejects when it ends first. */
  readonly acknowledged: Promise<void>;

  constructor(id: string, requested: SubscriptionFilter, handlers: ListenHandlers, host: SubscriptionHost) {
    this.id = id;
    this.requested = requested;
    this.#handlers = handlers;
    this.#host = host;
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    this.acknowledged = new Promise((resolve, reject) => {
      this.#ack = { resolve, reject };
    });
    // listen() awaits it; a rejection nobody awaits any more must not crash the process.
    this.acknowledged.catch(() => {});
  }

  /** The filter the server agreed to honour (what its acknowledgement said). */
  get filter(): SubscriptionFilter {
    return this.#honoured ?? {};
  }

  /** True until the subscription ends. */
  get active(): boolean {
    return this.#end === undefined;
  }

  /** Ends the subscription from this side (idempotent): the server stops sending. */
  async close(reason = 'closed by the client'): Promise<void> {
    if (this.#end) return;
    this.#host.cancel(this.id, reason);
    this.finish({ reason: 'closed' });
  }

  /** @internal the server's acknowledgement. */
  acknowledge(filter: unknown): void {
    if (this.#end || this.#honoured) return;
    this.#honoured = typeof filter === 'object' && filter !== null ? (filter as SubscriptionFilter) : {};
    this.#ack.resolve();
  }

  /** @internal one notification of this subscription. */
  deliver(method: string, params: Record<string, unknown>): void {
    if (this.#end) return;
    const h = this.#handlers;
    try {
      switch (method) {
        case 'notifications/tools/list_changed':
          h.onToolsListChanged?.();
          break;
        case 'notifications/prompts/list_changed':
          h.onPromptsListChanged?.();
          break;
        case 'notifications/resources/list_changed':
          h.onResourcesListChanged?.();
          break;
        case 'notifications/resources/updated':
          if (typeof params.uri === 'string') h.onResourceUpdated?.(params.uri);
          break;
        case 'notifications/tasks':
          h.onTaskStatus?.(params as unknown as DetailedTask);
          break;
      }
      h.onNotification?.(method, params);
    } catch (err) {
      this.#host.report(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** @internal the subscription is over: tell whoever waits, once. */
  finish(end: SubscriptionEnd): void {
    if (this.#end) return;
    this.#end = end;
    this.#host.release(this.id);
    if (!this.#honoured) {
      this.#ack.reject(
        end.error ??
          new ErlmcpError(
            'ERR_SUBSCRIPTION_CLOSED',
            `subscriptions/listen ${end.reason} before the server acknowledged it`,
          ),
      );
    }
    this.#resolveClosed(end);
    try {
      this.#handlers.onClose?.(end);
    } catch (err) {
      this.#host.report(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
