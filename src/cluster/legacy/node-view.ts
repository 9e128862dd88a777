/**
 * This thread's copy of the legacy registrations held by the threads of the other nodes, as
 * they announced them (`reg` / `unreg` / `sync`), indexed both by holder (a thread's entries go
 * at once when it dies or re-syncs) and by id (for `find*` and routing).
 * @internal
 */
import type { NodeTransport } from '../../legacy/cluster-hook.js';
import type { Kind } from '../../legacy/peers.js';
import type { RemoteEndpoint } from '../../legacy/remote.js';
import type { Address } from './frames.js';

/** One entry of another node's thread. */
export interface NodeEntry extends NodeTransport {
  readonly kind: Kind;
  readonly node: string;
  readonly worker: number;
  readonly config: Readonly<Record<string, unknown>>;
  /** What `find*` / `list*` hand out as `server` / `transport`: its `deliver` routes to the entry. */
  readonly endpoint: RemoteEndpoint & { readonly node: string };
}

type Tables = Record<Kind, Map<string, NodeEntry>>;

/** See the module comment. */
export class NodeView {
  readonly #byAddress = new Map<Address, Tables>();
  readonly #byId: Record<Kind, Map<string, Set<Address>>> = { s: new Map(), t: new Map() };

  /**
   * The entry `id` of `k`. Two nodes may hold one id (registered on both within the time an
   * announcement takes, or while Redis was away): every thread then picks the same one, the
   * holder with the smallest address, so routes from anywhere reach one object.
   */
  get(k: Kind, id: string): NodeEntry | undefined {
    const holders = this.#byId[k].get(id);
    if (holders === undefined) return undefined;
    let best: Address | undefined;
    for (const a of holders) if (best === undefined || a < best) best = a;
    return best === undefined ? undefined : this.#byAddress.get(best)?.[k].get(id);
  }

  /** The entry `id` of `k` held by `address`. */
  at(address: Address, k: Kind, id: string): NodeEntry | undefined {
    return this.#byAddress.get(address)?.[k].get(id);
  }

  /** One entry per id (the one {@link get} picks). */
  *values(k: Kind): Generator<NodeEntry> {
    for (const id of this.#byId[k].keys()) {
      const e = this.get(k, id);
      if (e !== undefined) yield e;
    }
  }

  /** Adds `e`, replacing what its holder had under that id; returns the replaced entry. */
  put(e: NodeEntry): NodeEntry | undefined {
    let tables = this.#byAddress.get(e.address);
    if (tables === undefined) {
      tables = { s: new Map(), t: new Map() };
      this.#byAddress.set(e.address, tables);
    }
    const previous = tables[e.kind].get(e.id);
    tables[e.kind].set(e.id, e);
    let holders = this.#byId[e.kind].get(e.id);
    if (holders === undefined) {
      holders = new Set();
      this.#byId[e.kind].set(e.id, holders);
    }
    holders.add(e.address);
    return previous;
  }

  /** Removes `address`'s entry `id` of `k` (only if it has `handle`, when given). */
  remove(address: Address, k: Kind, id: string, handle?: number): NodeEntry | undefined {
    const tables = this.#byAddress.get(address);
    const e = tables?.[k].get(id);
    if (tables === undefined || e === undefined || (handle !== undefined && e.handle !== handle)) return undefined;
    tables[k].delete(id);
    if (tables.s.size === 0 && tables.t.size === 0) this.#byAddress.delete(address);
    const holders = this.#byId[k].get(id);
    holders?.delete(address);
    if (holders?.size === 0) this.#byId[k].delete(id);
    return e;
  }

  /** Removes and returns every entry of `address`. */
  removeAddress(address: Address): NodeEntry[] {
    return this.removeAddressIf(address, () => true);
  }

  /** Removes and returns the entries of `address` that `test` selects. */
  removeAddressIf(address: Address, test: (e: NodeEntry) => boolean): NodeEntry[] {
    const tables = this.#byAddress.get(address);
    if (tables === undefined) return [];
    const gone = [...tables.s.values(), ...tables.t.values()].filter(test);
    for (const e of gone) this.remove(address, e.kind, e.id);
    return gone;
  }

  /** The threads holding entries here. */
  addresses(): Address[] {
    return [...this.#byAddress.keys()];
  }
}
