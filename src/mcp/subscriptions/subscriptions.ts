import { ErrorCode, McpError, type RequestId } from '../jsonrpc.js';
import { META_SUBSCRIPTION_ID, TASKS_EXTENSION } from '../meta-keys.js';
import type { ServerContext } from '../server-context.js';
import type { ServerCapabilities, SubscriptionFilter } from '../types.js';
import { honoured, isEmpty, readFilter } from './filter.js';

/** What the subscriptions need from their server. */
export interface SubscriptionsHost {
  capabilities(): ServerCapabilities;
  /** True when the Tasks extension is served (task notifications can be honoured). */
  tasksEnabled(): boolean;
}

/** Options of {@link Subscriptions}. */
export interface SubscriptionsOptions {
  /** Open `subscriptions/listen` streams the server holds at once (default 10,000). */
  maxSubscriptions?: number;
  /** Most resource URIs or task ids one listen may name (default 1,000). */
  maxEntries?: number;
}

interface Listener {
  readonly ctx: ServerContext;
  readonly id: RequestId;
  readonly filter: SubscriptionFilter;
  readonly uris: ReadonlySet<string> | undefined;
  readonly taskIds: ReadonlySet<string> | undefined;
  readonly end: (result: Record<string, unknown> | undefined) => void;
}

export type ListKind = 'tools' | 'prompts' | 'resources';
const LIST_FLAG = {
  tools: 'toolsListChanged',
  prompts: 'promptsListChanged',
  resources: 'resourcesListChanged',
} as const;

/**
 * The open `subscriptions/listen` streams of one server (MCP 2026-07-28): each is a request
 * that stays open; the first message on it is the acknowledgement with the honoured filter,
 * every later one a notification the client asked for, tagged with the listen request's id.
 * Ended by the client (closing the stream or notifications/cancelled) or by the server
 * ({@link close}, answered with a completion result).
 */
export class Subscriptions {
  readonly #host: SubscriptionsHost;
  readonly #max: number;
  readonly #maxEntries: number;
  readonly #all = new Set<Listener>();
  #closed = false;

  constructor(host: SubscriptionsHost, options: SubscriptionsOptions = {}) {
    this.#host = host;
    this.#max = options.maxSubscriptions ?? 10_000;
    this.#maxEntries = options.maxEntries ?? 1_000;
  }

  /** Open listens. */
  get size(): number {
    return this.#all.size;
  }

  /** The `subscriptions/listen` handler: resolves (with a completion result) only when the server ends it. */
  async listen(params: Record<string, unknown>, ctx: ServerContext): Promise<Record<string, unknown> | undefined> {
    const asked = readFilter(params, this.#maxEntries);
    if ((asked.taskIds?.length ?? 0) > 0 && !ctx.clientCapabilities.extensions?.[TASKS_EXTENSION]) {
      throw new McpError(
        ErrorCode.MISSING_REQUIRED_CLIENT_CAPABILITY,
        `Missing required client capability: task notifications need the ${TASKS_EXTENSION} extension`,
        { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } },
      );
    }
    if (this.#all.size >= this.#max) {
      throw new McpError(ErrorCode.GLOBAL_OVERLOADED, `Server overloaded: ${this.#max} subscriptions are open`, {
        reason: 'max_subscriptions',
        retryAfterMs: 1_000,
      });
    }
    const filter = honoured(asked, this.#host.capabilities(), this.#host.tasksEnabled());
    const id = ctx.clientRequestId;
    const tag = { [META_SUBSCRIPTION_ID]: id };
    await ctx.sendNotification('notifications/subscriptions/acknowledged', { notifications: filter, _meta: tag });
    // Cancelled while the acknowledgement went out: settled already, nothing to hold.
    if (ctx.aborted) return undefined;
    // Nothing honoured (nothing could ever be delivered), or the server began shutting down
    // meanwhile: end it now rather than hold a stream.
    if (isEmpty(filter) || this.#closed) return { _meta: tag };
    ctx.session.releaseAdmission(ctx);
    return new Promise((resolve) => {
      const listener: Listener = {
        ctx,
        id,
        filter,
        uris: filter.resourceSubscriptions ? new Set(filter.resourceSubscriptions) : undefined,
        taskIds: filter.taskIds ? new Set(filter.taskIds) : undefined,
        end: resolve,
      };
      this.#all.add(listener);
      // The client went away or cancelled: the request is settled already (no answer).
      ctx.signal.addEventListener(
        'abort',
        () => {
          this.#all.delete(listener);
          resolve(undefined);
        },
        { once: true },
      );
    });
  }

  /** Tells every listener that asked that a list changed. */
  listChanged(kind: ListKind): void {
    const flag = LIST_FLAG[kind];
    for (const l of this.#all) if (l.filter[flag]) this.#send(l, `notifications/${kind}/list_changed`, {});
  }

  /** Tells every listener subscribed to `uri` that the resource changed. */
  resourceUpdated(uri: string): void {
    for (const l of this.#all) if (l.uris?.has(uri)) this.#send(l, 'notifications/resources/updated', { uri });
  }

  /** Sends a task's current state (a DetailedTask) to every listener of that task. */
  taskUpdated(taskId: string, task: Record<string, unknown>): void {
    for (const l of this.#all) if (l.taskIds?.has(taskId)) this.#send(l, 'notifications/tasks', task);
  }

  /** Ends every listen gracefully: each is answered with a completion result (server shutdown). */
  close(): void {
    this.#closed = true;
    for (const l of [...this.#all]) {
      this.#all.delete(l);
      l.end({ _meta: { [META_SUBSCRIPTION_ID]: l.id } });
    }
  }

  #send(l: Listener, method: string, params: Record<string, unknown>): void {
    if (l.ctx.settled) {
      this.#all.delete(l);
      return;
    }
    const meta = params._meta as Record<string, unknown> | undefined;
    const tagged = { ...params, _meta: { ...meta, [META_SUBSCRIPTION_ID]: l.id } };
    l.ctx.sendNotification(method, tagged).catch(() => {});
  }
}
