/**
 * The client's open `subscriptions/listen` streams: sending a listen, demultiplexing what comes
 * back by `_meta["io.modelcontextprotocol/subscriptionId"]` (the listen's JSON-RPC id), and
 * ending subscriptions however they end. Listens bypass the Peer's request table: they have
 * no timeout once acknowledged, and their answer ends them rather than settling a call.
 */
import type { Transport, TransportSendOptions } from '../../transports/transport.js';
import { ErrorCode, type JsonRpcRequest, McpError } from '../jsonrpc.js';
import { META_SUBSCRIPTION_ID } from '../meta-keys.js';
import type { SubscriptionFilter } from '../types.js';
import { type ListenHandlers, Subscription, type SubscriptionEnd } from './subscription.js';

export interface SubscriptionOptions {
  /** How long to wait for the acknowledgement, in ms (default: the client's request timeout). */
  timeoutMs?: number;
  /** Aborting closes the subscription (before the acknowledgement: listen() rejects with the reason). */
  signal?: AbortSignal;
}

export interface ListenDeps {
  transport: Transport;
  /** Puts the 2026 envelope on the listen's params. */
  envelope(params: Record<string, unknown>): Record<string, unknown>;
  /** Sends `notifications/cancelled` (shared-channel transports). */
  notifyCancelled(id: string, reason: string): void;
  report(error: Error): void;
}

const ACK = 'notifications/subscriptions/acknowledged';

export class Listens {
  readonly #open = new Map<string, Subscription>();
  #next = 0;

  get size(): number {
    return this.#open.size;
  }

  /** Sends a listen and resolves with its subscription once the server acknowledged it. */
  async open(
    filter: SubscriptionFilter,
    handlers: ListenHandlers,
    timeoutMs: number,
    options: SubscriptionOptions,
    deps: ListenDeps,
  ): Promise<Subscription> {
    const { signal } = options;
    if (signal?.aborted) throw signal.reason;
    const id = `listen-${++this.#next}`;
    // Over HTTP closing the listen's own stream is its cancellation; elsewhere a notification.
    const stream = deps.transport.hasPerRequestStream === true ? new AbortController() : undefined;
    const cancel = (sid: string, reason: string): void => {
      if (stream) stream.abort(new Error(reason));
      else deps.notifyCancelled(sid, reason);
    };
    const sub = new Subscription(id, filter, handlers, {
      cancel,
      release: (sid) => this.#open.delete(sid),
      report: deps.report,
    });
    this.#open.set(id, sub);
    const request: JsonRpcRequest = {
      jsonrpc: '2.0',
      id,
      method: 'subscriptions/listen',
      params: deps.envelope({ notifications: filter }),
    };
    const sendOptions: TransportSendOptions | undefined = stream && {
      requestSignal: stream.signal,
      onRequestStreamEnd: () =>
        sub.finish({
          reason: 'ended',
          error: new McpError(ErrorCode.CONNECTION_CLOSED, 'the subscriptions/listen stream ended'),
        }),
    };
    const onAbort = (): void => {
      const reason = signal?.reason;
      void sub.close(reason instanceof Error ? reason.message : 'aborted');
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    void sub.closed.then(() => signal?.removeEventListener('abort', onAbort));
    const timer = setTimeout(() => {
      if (!sub.active) return;
      cancel(id, 'timeout');
      sub.finish({
        reason: 'error',
        error: new McpError(
          ErrorCode.REQUEST_TIMEOUT,
          `subscriptions/listen was not acknowledged within ${timeoutMs} ms`,
          {
            timeoutMs,
          },
        ),
      });
    }, timeoutMs);
    timer.unref?.();
    deps.transport.send(request, sendOptions).catch((err: unknown) => {
      if (stream?.signal.aborted) return;
      sub.finish({ reason: 'error', error: err instanceof Error ? err : new Error(String(err)) });
    });
    try {
      await sub.acknowledged;
    } catch (err) {
      throw signal?.aborted ? signal.reason : err;
    } finally {
      clearTimeout(timer);
    }
    return sub;
  }

  /**
   * Takes what belongs to an open subscription. Returns 'consumed' for its acknowledgement, its
   * final answer and the server's cancellation of it (nobody else needs those), 'shared' for its
   * other notifications (delivered to it; the client's own handlers see them too), undefined
   * for anything else.
   */
  route(message: unknown): 'consumed' | 'shared' | undefined {
    // Before any listen nothing can be ours; after one, late stragglers of ended ones still are.
    if (this.#next === 0 || typeof message !== 'object' || message === null) return undefined;
    const m = message as { id?: unknown; method?: unknown; params?: Record<string, unknown>; error?: unknown };
    if (typeof m.method !== 'string') {
      const sub = typeof m.id === 'string' ? this.#open.get(m.id) : undefined;
      if (!sub) return undefined;
      const e = m.error as { code: number; message: string; data?: unknown } | undefined;
      sub.finish(e ? { reason: 'error', error: new McpError(e.code, e.message, e.data) } : { reason: 'completed' });
      return 'consumed';
    }
    const params = m.params ?? {};
    if (m.method === 'notifications/cancelled') {
      const sub = typeof params.requestId === 'string' ? this.#open.get(params.requestId) : undefined;
      if (!sub) return undefined;
      const why = typeof params.reason === 'string' ? params.reason : 'cancelled by the server';
      sub.finish({ reason: 'cancelled', error: new Error(why) });
      return 'consumed';
    }
    const sid = (params._meta as Record<string, unknown> | undefined)?.[META_SUBSCRIPTION_ID];
    if (typeof sid !== 'string' || !sid.startsWith('listen-')) return undefined;
    const sub = this.#open.get(sid);
    // A late notification of a subscription already over: nobody asked for it any more.
    if (!sub) return 'consumed';
    if (m.method === ACK) {
      sub.acknowledge(params.notifications);
      return 'consumed';
    }
    sub.deliver(m.method, params);
    return 'shared';
  }

  /** The connection is going or gone: every subscription ends, as `end` says. */
  endAll(end: SubscriptionEnd): void {
    for (const sub of [...this.#open.values()]) sub.finish(end);
  }
}
