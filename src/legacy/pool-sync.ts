import type { ShardedRegistry } from '../core/registry.js';
import { deliverBroadcast, deliverRoute } from './forwarded.js';
import { announce, drop, removeServer, removeTransport, snapshot } from './local.js';
import type { Announced, Kind, LegacyPeers, PeerFrame } from './peers.js';
import { type RemoteRecord, Replica } from './remote.js';
import { FORWARDED_ONE, NOT_FOUND, NOT_FOUND_ELSEWHERE } from './results.js';
import { assertSerializable } from './serializable.js';
import type { RegistryState, ServerRecord, TransportRecord } from './state.js';
import type {
  FindServerResult,
  FindTransportResult,
  LegacyServer,
  LegacyTransport,
  RouteResult,
  ServerEntry,
  TransportEntry,
} from './types.js';

/** How long a worker's entries outlive the notice of its death here (see peerDown). */
const PEER_DOWN_DELAY_MS = 20;

/**
 * The pool-worker half of a {@link LegacyRegistry}: what it does with the other workers'
 * frames (announcements, snapshots, remote binds, forwarded messages), with their coming and
 * going (reaping a dead worker's entries), and what it asks of them for ids they hold. The
 * registry creates one only when opened over the worker mesh and delegates to it; the state
 * both work on is passed in explicitly ({@link RegistryState}).
 * @internal
 */
export class PoolSync {
  readonly #state: RegistryState;
  /** `state.peers`, which is always set in a pool worker. */
  readonly #peers: LegacyPeers;
  readonly #replica = new Replica();
  /** Claims of the right to remove a dead worker's entry: one survivor removes each. */
  readonly #reaps: ShardedRegistry | undefined;
  /** Worker index -> the newest generation that announced an entry here. */
  readonly #lastSeen = new Map<number, number>();
  /** Worker index -> generations up to this one are dead (their late announcements are removed, not added). */
  readonly #deadUpTo = new Map<number, number>();

  constructor(state: RegistryState, peers: LegacyPeers, reaps: ShardedRegistry | undefined) {
    this.#state = state;
    this.#peers = peers;
    this.#reaps = reaps;
  }

  /** Handles `frame` from worker `from`. */
  receive(from: number, frame: PeerFrame): void {
    switch (frame.op) {
      case 'reg':
        this.#onReg(from, frame.g, frame.k, frame.e);
        return;
      case 'unreg':
        this.#onUnreg(frame.k, frame.id, frame.h);
        return;
      case 'drop': {
        const { serverRecords, transportRecords } = this.#state;
        const rec = frame.k === 's' ? serverRecords.get(frame.h) : transportRecords.get(frame.h);
        if (rec?.id !== frame.id) return;
        if (frame.k === 's') removeServer(this.#state, rec as ServerRecord);
        else removeTransport(this.#state, rec as TransportRecord);
        return;
      }
      case 'bind':
        this.#onBindRequest(from, frame.id, frame.h, frame.s);
        return;
      case 'bound':
        this.#onBound(frame.id, frame.h, frame.s, frame.o);
        return;
      case 'route':
        deliverRoute(this.#state, frame.k, frame.id, frame.h, frame.v, frame.m);
        return;
      case 'bcast':
        deliverBroadcast(this.#state, frame.s, frame.m, frame.t);
        return;
      case 'hello':
        this.#peers.send(from, this.#snapshot());
        return;
      case 'sync':
        for (const e of frame.s) this.#onReg(from, frame.g, 's', e);
        for (const e of frame.t) this.#onReg(from, frame.g, 't', e);
        return;
    }
  }

  /** Worker `index` is down: see {@link LegacyRegistry.peerDown}. */
  peerDown(index: number): void {
    // Its frames already in this worker's inbox are handled first (the pool's notice and the
    // inbox are separate channels): they may announce entries that must go too. Meanwhile
    // routes and lookups already answer not-found (the owner is down).
    setTimeout(() => this.#forgetPeer(index), PEER_DOWN_DELAY_MS).unref();
  }

  /** Worker `index` came up: tell it what this one holds, and ask what it holds. */
  peerUp(index: number): void {
    this.#peers.send(index, this.#snapshot());
    this.#peers.send(index, { op: 'hello' });
  }

  /**
   * The live worker (not this one) that owns `handle`, from its block's tag. A handle tagged
   * with this worker's index but not in its tables was a predecessor's at this index: dead.
   */
  liveOwner(handle: number): number | undefined {
    const owner = this.#state.handles.tagOf(handle);
    return owner === undefined || owner === this.#peers.self || !this.#peers.isUp(owner) ? undefined : owner;
  }

  /** The entries of `k` held by the other live workers, as `list*` hands them out. */
  entries(k: Kind): (ServerEntry | TransportEntry)[] {
    const out: (ServerEntry | TransportEntry)[] = [];
    for (const r of this.#replica.values(k)) if (this.#peers.isUp(r.owner)) out.push(remoteEntry(k, r));
    return out;
  }

  /** `find*` of an id whose native handle is not this instance's. */
  findRemote(k: Kind, id: string, handle: number): FindServerResult | FindTransportResult {
    if (this.liveOwner(handle) === undefined) return NOT_FOUND;
    const rec = this.#replica.get(k, id, handle);
    // Registered on a live worker whose announcement is still on its way: taken, not yet seen.
    if (rec === undefined) return NOT_FOUND_ELSEWHERE;
    return { ok: true, ...remoteEntry(k, rec) } as FindServerResult;
  }

  /** Asks the owner of another worker's entry to unregister it. */
  askDrop(k: Kind, id: string): void {
    const handle = this.#table(k).lookup(id);
    const owner = handle === undefined ? undefined : this.liveOwner(handle);
    if (handle === undefined || owner === undefined) return;
    // Leave this worker's view now (unregister is `ok` at once); the owner's `unreg` confirms.
    if (this.#replica.remove(k, id, handle) !== undefined) {
      if (k === 's') this.#state.bindings.unbindServer(id);
      else this.#state.bindings.unbind(id);
    }
    this.#peers.send(owner, { op: 'drop', k, id, h: handle });
  }

  /** Asks the owner of another worker's transport to (un)bind it; false when no live worker holds it. */
  askBind(transportId: string, serverId: string | null): boolean {
    const handle = this.#state.transports.lookup(transportId);
    const owner = handle === undefined ? undefined : this.liveOwner(handle);
    if (handle === undefined || owner === undefined) return false;
    // Applied here at once (a caller reads its own bind back), settled by the owner's answer.
    const rec = this.#replica.get('t', transportId, handle);
    if (rec !== undefined && serverId !== null) this.#state.bindings.bind(transportId, rec, serverId);
    else this.#state.bindings.unbind(transportId);
    this.#replica.requested(transportId);
    this.#peers.send(owner, { op: 'bind', id: transportId, h: handle, s: serverId });
    return true;
  }

  /** Routes `message` to another worker's entry (`via`: the transport or server id of the envelope). */
  forward(k: Kind, id: string, handle: number, via: string, message: unknown): RouteResult {
    const reason = k === 's' ? 'server_not_found' : 'transport_not_found';
    const owner = this.liveOwner(handle);
    // A worker that died answers as if the id were not registered (its entries are being removed).
    if (owner === undefined) return drop(this.#state, reason, id, false);
    assertSerializable('message', message);
    if (!this.#peers.send(owner, { op: 'route', k, id, h: handle, v: via, m: message })) {
      return drop(this.#state, reason, id, false);
    }
    return FORWARDED_ONE;
  }

  /** Sends a broadcast of `serverId` to the other workers' transports, grouped by owner; returns how many were sent. */
  forwardBroadcast(serverId: string, message: unknown, remote: Map<number, [string, number][]>): number {
    assertSerializable('message', message);
    let forwarded = 0;
    for (const [owner, t] of remote) {
      if (this.#peers.send(owner, { op: 'bcast', s: serverId, m: message, t })) forwarded += t.length;
    }
    return forwarded;
  }

  #table(k: Kind): ShardedRegistry {
    return k === 's' ? this.#state.servers : this.#state.transports;
  }

  #forgetPeer(index: number): void {
    const upTo = Math.max(this.#deadUpTo.get(index) ?? 0, this.#lastSeen.get(index) ?? 0);
    this.#deadUpTo.set(index, upTo);
    const gone = this.#replica.removeOwner(index, upTo);
    for (const rec of gone.s) {
      this.#state.bindings.unbindServer(rec.id);
      this.#reap('s', rec.id, rec.handle);
    }
    for (const rec of gone.t) {
      this.#state.bindings.unbind(rec.id);
      this.#reap('t', rec.id, rec.handle);
    }
  }

  /** What this worker holds, for a peer that (re)joined. */
  #snapshot(): PeerFrame {
    return { op: 'sync', ...snapshot(this.#state), g: this.#peers.generation };
  }

  #onReg(from: number, generation: number, k: Kind, [id, handle, config, boundTo]: Announced): void {
    // A frame of a worker that died meanwhile: its entry is dead, remove it like the others.
    if (generation <= (this.#deadUpTo.get(from) ?? 0)) {
      this.#reap(k, id, handle);
      return;
    }
    if (generation > (this.#lastSeen.get(from) ?? 0)) this.#lastSeen.set(from, generation);
    const previous = this.#replica.get(k, id);
    if (previous !== undefined && previous.handle !== handle) this.#onUnreg(k, id, previous.handle);
    const endpoint = this.#stub(k, id, handle, from);
    const rec: RemoteRecord = { id, handle, owner: from, generation, config, endpoint };
    this.#replica.put(k, rec);
    // The owner's binding, unless a bind of ours is still on its way to it (its answer settles it).
    if (k === 't' && !this.#replica.waiting(id)) {
      if (boundTo === null) this.#state.bindings.unbind(id);
      else this.#state.bindings.bind(id, rec, boundTo);
    }
  }

  #onUnreg(k: Kind, id: string, handle: number): void {
    if (this.#replica.remove(k, id, handle) === undefined) return;
    // Erlang semantics everywhere: a server's going unbinds the transports bound to it.
    if (k === 's') this.#state.bindings.unbindServer(id);
    else this.#state.bindings.unbind(id);
  }

  #onBindRequest(from: number, id: string, handle: number, serverId: string | null): void {
    const rec = this.#state.transportRecords.get(handle);
    if (rec?.id !== id) {
      // Gone meanwhile: still answer, so the asker stops waiting for it.
      this.#peers.send(from, { op: 'bound', id, h: handle, s: null, o: from });
      return;
    }
    if (serverId === null) this.#state.bindings.unbind(id);
    else this.#state.bindings.bind(id, rec, serverId);
    announce(this.#state, { op: 'bound', id, h: handle, s: serverId, o: from });
  }

  #onBound(id: string, handle: number, serverId: string | null, origin: number): void {
    if (!this.#replica.accept(id, origin, this.#peers.self)) return;
    const rec = this.#replica.get('t', id, handle);
    if (rec === undefined || serverId === null) this.#state.bindings.unbind(id);
    else this.#state.bindings.bind(id, rec, serverId);
  }

  /** Removes a dead worker's entry from the native table; the `<name>:reaped` claim elects one remover. */
  #reap(k: Kind, id: string, handle: number): void {
    // Handles are never reused across workers, so `lookup === handle` means the dead entry is
    // still there, and while it is nobody else can register the id: the check cannot race.
    if (this.#reaps === undefined || !this.#reaps.register(`${k}${handle}`, 0)) return;
    const table = this.#table(k);
    if (table.lookup(id) === handle) table.unregister(id);
  }

  #stub(k: Kind, id: string, handle: number, worker: number): RemoteRecord['endpoint'] {
    return {
      worker,
      deliver: (envelope: unknown) => {
        const e = envelope as { transportId?: string; serverId?: string; message: unknown };
        this.forward(k, id, handle, (k === 's' ? e.transportId : e.serverId) ?? '', e.message);
      },
    };
  }
}

function remoteEntry(k: Kind, rec: RemoteRecord): ServerEntry | TransportEntry {
  const base = { id: rec.id, config: rec.config, handle: rec.handle, worker: rec.owner };
  return k === 's'
    ? { ...base, server: rec.endpoint as unknown as LegacyServer }
    : { ...base, transport: rec.endpoint as unknown as LegacyTransport };
}
