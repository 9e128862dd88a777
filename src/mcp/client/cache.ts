/**
 * The client's response cache (SEP-2549, server/utilities/caching.mdx): results of the list
 * methods, `resources/read` and `server/discover` stay fresh for the `ttlMs` the server gave,
 * keyed by method and the params that matter (the cursor, the URI). Change notifications
 * invalidate at once. Bounded: the least recently used entry goes first.
 *
 * One cache per client instance, so `cacheScope` needs no partition here: `private` results
 * are reused only by the caller they were answered to, which is the spec's rule.
 */

/** The methods whose results carry caching hints. */
export const CACHEABLE_METHODS: ReadonlySet<string> = new Set([
  'tools/list',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'server/discover',
]);

/** The methods each change notification makes stale. */
const INVALIDATES: Readonly<Record<string, readonly string[]>> = {
  'notifications/tools/list_changed': ['tools/list'],
  'notifications/prompts/list_changed': ['prompts/list'],
  'notifications/resources/list_changed': ['resources/list', 'resources/templates/list'],
};

interface Entry {
  result: Record<string, unknown>;
  expiresAt: number;
}

/** The part of a request's params that makes its answer differ: the cursor, or the URI. */
export function cacheKeyOf(method: string, params: Record<string, unknown> | undefined): string {
  const v = method === 'resources/read' ? params?.uri : params?.cursor;
  return typeof v === 'string' ? v : '';
}

/** The freshness lifetime of a result, in ms: 0 (not cached) when absent, negative or not a number. */
export function ttlOf(result: Record<string, unknown>): number {
  const ttl = result.ttlMs;
  return typeof ttl === 'number' && Number.isFinite(ttl) && ttl > 0 ? ttl : 0;
}

export class ResponseCache {
  readonly #entries = new Map<string, Entry>();
  /** Bumped by every invalidation of a method: an answer fetched across one is not stored. */
  readonly #generations = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(maxEntries: number, now: () => number = Date.now) {
    this.#maxEntries = maxEntries;
    this.#now = now;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** A fresh copy of the cached answer, or undefined (stale entries are dropped). */
  get(method: string, key: string): Record<string, unknown> | undefined {
    const k = `${method}\u0000${key}`;
    const e = this.#entries.get(k);
    if (e === undefined) return undefined;
    if (this.#now() >= e.expiresAt) {
      this.#entries.delete(k);
      return undefined;
    }
    this.#entries.delete(k);
    this.#entries.set(k, e);
    return structuredClone(e.result);
  }

  /** The method's invalidation count, read before fetching and handed back to {@link set}. */
  generation(method: string): number {
    return this.#generations.get(method) ?? 0;
  }

  /**
   * Stores an answer fetched when the method was at `generation`, if it is cacheable
   * (`ttlMs` > 0) and no invalidation happened meanwhile (it could predate the change).
   */
  set(method: string, key: string, result: Record<string, unknown>, generation: number): void {
    const ttl = ttlOf(result);
    if (ttl === 0 || this.generation(method) !== generation || this.#maxEntries === 0) return;
    const k = `${method}\u0000${key}`;
    this.#entries.delete(k);
    this.#entries.set(k, { result: structuredClone(result), expiresAt: this.#now() + ttl });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  /** Drops every entry of `method`, or only the one for `key`. */
  invalidate(method: string, key?: string): void {
    this.#generations.set(method, this.generation(method) + 1);
    const prefix = `${method}\u0000`;
    for (const k of [...this.#entries.keys()]) {
      if (key === undefined ? k.startsWith(prefix) : k === prefix + key) this.#entries.delete(k);
    }
  }

  /** Applies a server notification: list changes and resource updates make entries stale. */
  onNotification(method: string, params: Record<string, unknown> | undefined): void {
    if (method === 'notifications/resources/updated') {
      if (typeof params?.uri === 'string') this.invalidate('resources/read', params.uri);
      return;
    }
    for (const m of INVALIDATES[method] ?? []) this.invalidate(m);
  }

  clear(): void {
    for (const m of CACHEABLE_METHODS) this.invalidate(m);
  }
}
