/**
 * Server events that must reach the clients of every copy of a server, not only those of the
 * copy where they happened: with `--workers N` every worker runs its own McpServer, and in a
 * cluster every node does. `notifyResourceUpdated(uri)` on any copy reaches every 2025 session
 * subscribed to `uri` and every `subscriptions/listen` stream naming it, on every copy that
 * shares the bus.
 *
 * List changes do not travel: each copy has its own tools, resources and prompts (what one
 * registers, another may not have), so a copy tells only its own clients.
 */

/** What travels on a {@link ServerEventBus}. */
export type ServerEvent = { readonly type: 'resource_updated'; readonly uri: string };

/**
 * The seam between the copies of a server (the `events` option of McpServer). Delivery is at
 * most once: an event published while a copy is unreachable is not replayed to it (a client
 * that must not miss a change re-reads the resource after it re-listens).
 */
export interface ServerEventBus {
  /** Sends `event` to every other copy. Must not call this copy's own listener back. */
  publish(event: ServerEvent): void;
  /** Calls `listener` for every event another copy publishes; returns the unsubscribe. */
  subscribe(listener: (event: ServerEvent) => void): () => void;
}

/** Whether `v` is a ServerEvent this version understands (events come from other processes). */
export function isServerEvent(v: unknown): v is ServerEvent {
  const e = v as { type?: unknown; uri?: unknown } | null;
  return e?.type === 'resource_updated' && typeof e.uri === 'string' && e.uri.length > 0;
}

/**
 * The receiving half every bus shares: `deliver` hands what arrived from another copy to the
 * subscribed listeners (anything that is not a ServerEvent this version understands is
 * dropped), `subscribe` is the bus's own.
 */
export function eventListeners(): {
  deliver(received: unknown): void;
  subscribe: ServerEventBus['subscribe'];
  clear(): void;
} {
  const listeners = new Set<(event: ServerEvent) => void>();
  return {
    deliver(received) {
      if (!isServerEvent(received)) return;
      for (const l of listeners) l(received);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    clear: () => listeners.clear(),
  };
}
