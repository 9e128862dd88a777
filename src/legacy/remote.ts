import type { Kind } from './peers.js';

/** What `findServer` / `listServers` hand out for an object held by another pool worker. */
export interface RemoteEndpoint<E = unknown> {
  /** The pool worker that holds the object. */
  readonly worker: number;
  /** In a cluster, for an object of another node: that node's id. */
  readonly node?: string;
  /** Routes `envelope` to the object on its worker, as `routeTo*` would (the message must be JSON). */
  deliver(envelope: E): void;
}

/** This worker's copy of a registration held by another worker. */
export interface RemoteRecord {
  readonly id: string;
  readonly handle: number;
  /** The worker that holds the object. */
  readonly owner: number;
  /** The owner's generation (its start count at that index). */
  readonly generation: number;
  readonly config: Readonly<Record<string, unknown>>;
  readonly endpoint: RemoteEndpoint;
}

/**
 * The registrations of the other workers as announced to this one (`reg` / `unreg` / `sync`
 * frames), for `find*`, `list*` and bindings; routing does not depend on it (the native
 * registry and the handle's block tag say where an id lives). Also counts the bind requests
 * this worker sent to a transport's owner and not yet saw answered, so that its own latest
 * bind is not overwritten by an older one still in flight (see PoolSync.#onBound).
 * @internal
 */
export class Replica {
  readonly #tables: Record<Kind, Map<string, RemoteRecord>> = { s: new Map(), t: new Map() };
  readonly #pending = new Map<string, number>();

  /** The entry `id` of `k`, if it has `handle` (when given). */
  get(k: Kind, id: string, handle?: number): RemoteRecord | undefined {
    const rec = this.#tables[k].get(id);
    return rec !== undefined && (handle === undefined || rec.handle === handle) ? rec : undefined;
  }

  values(k: Kind): IterableIterator<RemoteRecord> {
    return this.#tables[k].values();
  }

  /** Adds `rec`, replacing any entry of its id. */
  put(k: Kind, rec: RemoteRecord): void {
    this.#tables[k].set(rec.id, rec);
  }

  /** Removes entry `id` if it has `handle` (any handle when not given). */
  remove(k: Kind, id: string, handle?: number): RemoteRecord | undefined {
    const rec = this.get(k, id, handle);
    if (rec === undefined) return undefined;
    this.#tables[k].delete(id);
    if (k === 't') this.#pending.delete(id);
    return rec;
  }

  /** Removes and returns every entry held by `owner` in a generation up to `upTo` (not its successor's). */
  removeOwner(owner: number, upTo: number): { s: RemoteRecord[]; t: RemoteRecord[] } {
    const out = { s: [] as RemoteRecord[], t: [] as RemoteRecord[] };
    for (const k of ['s', 't'] as const) {
      for (const rec of this.#tables[k].values()) if (rec.owner === owner && rec.generation <= upTo) out[k].push(rec);
      for (const rec of out[k]) this.remove(k, rec.id);
    }
    return out;
  }

  /** A bind request for transport `id` went to its owner. */
  requested(id: string): void {
    this.#pending.set(id, (this.#pending.get(id) ?? 0) + 1);
  }

  /** True while bind requests for `id` sent by this worker are unanswered. */
  waiting(id: string): boolean {
    return this.#pending.has(id);
  }

  /**
   * Whether to apply the owner's `bound` for `id`, caused by worker `origin` (`self` = this
   * one): while requests of ours are in flight only the answer to the last one counts.
   */
  accept(id: string, origin: number, self: number): boolean {
    const n = this.#pending.get(id);
    if (n === undefined) return true;
    if (origin !== self) return false;
    if (n > 1) this.#pending.set(id, n - 1);
    else this.#pending.delete(id);
    return n === 1;
  }
}
