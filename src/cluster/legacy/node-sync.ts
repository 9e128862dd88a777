/**
 * The cluster half of a thread's legacy registry: the other nodes' registrations in this
 * thread's view ({@link NodeView}), kept by the pool's own frames (src/legacy/peers.ts) carried
 * by a {@link NodeWire} (Redis pub/sub, src/cluster/legacy/redis-wire.ts), and what this thread
 * sends their owners (routes, broadcasts, unregister and bind requests).
 *
 * Why not the pool's PoolSync with (node, worker) peers: PoolSync stands on what only threads
 * of one process share, the native id table (an id registered on any worker is found by
 * `lookup` at once, and `register` is the arbiter of uniqueness), handle blocks tagged with the
 * owner's index, and the native `<name>:reaped` claim electing one remover of a dead worker's
 * entry; its peers are dense indices with generations counted by the pool. Across processes
 * none of these exist, so the view here is built from announcements alone, keyed by thread
 * address; the frames, and the owner's handling of them, are the pool's.
 * @internal
 */
import { ErlmcpError } from '../../core/errors.js';
import type { LegacyCluster, LegacyHost, NodeTransport } from '../../legacy/cluster-hook.js';
import type { Announced, Kind, PeerFrame } from '../../legacy/peers.js';
import { DROPPED_UNAVAILABLE, FORWARDED_ONE, NOT_FOUND_UNAVAILABLE } from '../../legacy/results.js';
import { assertSerializable } from '../../legacy/serializable.js';
import type {
  FindServerResult,
  FindTransportResult,
  RouteResult,
  ServerEntry,
  TransportEntry,
  Undelivered,
} from '../../legacy/types.js';
import type { Logger } from '../../ops/logger.js';
import type { ClusterView } from '../membership.js';
import { type Address, type NodeFrame, parseAddress } from './frames.js';
import { type NodeEntry, NodeView } from './node-view.js';

/** How frames travel between the threads of the cluster. */
export interface NodeWire {
  /** This thread's address. */
  readonly address: Address;
  /** Whether frames can be sent now. */
  readonly up: boolean;
  /** To every thread of every node (this one ignores its own). Never throws. */
  publish(frame: NodeFrame): void;
  /**
   * To thread `to`, in order after everything this thread sent before. Resolves true once it
   * reached the thread's subscription, false when nobody listened there; rejects with
   * ERR_CLUSTER_UNAVAILABLE when Redis failed it.
   */
  send(to: Address, frame: NodeFrame): Promise<boolean>;
}

/** Dead thread addresses remembered (to ignore their late frames); the oldest are forgotten past it. */
const MAX_DEAD = 4096;

/** See the module comment. */
export class NodeSync implements LegacyCluster {
  readonly #host: LegacyHost;
  readonly #wire: NodeWire;
  readonly #log: Logger;
  readonly #node: string;
  readonly #worker: number;
  readonly #view = new NodeView();
  /** Threads known dead (declared by the membership, or by their node's survivors). */
  readonly #dead = new Set<Address>();
  /** The node ids in the last fresh membership view. */
  #live: Set<string> | undefined;
  /** Nodes the membership dropped (their threads are in #dead). */
  readonly #deadNodes = new Set<string>();
  /** Until then, nodes missing from the view are not dropped (after a reconnect). */
  #graceUntil = 0;
  /** The membership's grace: deadAfterMs and one heartbeat (read from the views). */
  #deadAfterMs = 1600;
  /** The other workers of this node, by index, as they introduced themselves (for `gone`). */
  readonly #siblings = new Map<number, Address>();

  constructor(host: LegacyHost, wire: NodeWire, logger: Logger) {
    this.#host = host;
    this.#wire = wire;
    this.#log = logger;
    ({ node: this.#node, worker: this.#worker } = parseAddress(wire.address));
  }

  // ---- LegacyCluster (called by the registry) ------------------------------------------

  has(k: Kind, id: string): boolean {
    return this.#wire.up && this.#view.get(k, id) !== undefined;
  }

  find(k: Kind, id: string): FindServerResult | FindTransportResult | undefined {
    const e = this.#view.get(k, id);
    if (e === undefined) return undefined;
    if (!this.#wire.up) return NOT_FOUND_UNAVAILABLE;
    return { ok: true, ...entryOf(e) } as FindServerResult;
  }

  entries(k: Kind): (ServerEntry | TransportEntry)[] {
    // While Redis is away the other nodes cannot be reached: their entries are out of the view.
    if (!this.#wire.up) return [];
    return Array.from(this.#view.values(k), entryOf);
  }

  route(k: Kind, id: string, via: string, message: unknown): RouteResult | undefined {
    const e = this.#view.get(k, id);
    if (e === undefined) return undefined;
    if (!this.#wire.up) {
      this.#log.warn({ id, node: e.node }, 'legacy registry: cannot route to another node, Redis unavailable; dropped');
      return DROPPED_UNAVAILABLE;
    }
    assertSerializable('message', message);
    const kind = k === 's' ? 'server' : 'transport';
    this.#sendTo(e.address, { op: 'route', k, id, h: e.handle, v: via, m: message }, { kind, id, count: 1, message });
    return FORWARDED_ONE;
  }

  broadcast(serverId: string, message: unknown, targets: readonly NodeTransport[]): number {
    if (!this.#wire.up) {
      this.#log.warn(
        { serverId, transports: targets.length },
        'legacy registry: broadcast not sent to other nodes, Redis unavailable',
      );
      return 0;
    }
    assertSerializable('message', message);
    const byThread = new Map<Address, [string, number][]>();
    for (const t of targets) {
      const list = byThread.get(t.address) ?? [];
      list.push([t.id, t.handle]);
      byThread.set(t.address, list);
    }
    for (const [to, t] of byThread) {
      this.#sendTo(
        to,
        { op: 'bcast', s: serverId, m: message, t },
        { kind: 'broadcast', id: serverId, count: t.length, message },
      );
    }
    return targets.length;
  }

  drop(k: Kind, id: string): boolean {
    const e = this.#view.get(k, id);
    if (e === undefined || !this.#wire.up) return false;
    // Out of this thread's view now (unregister answers ok at once); the owner's `unreg` confirms.
    this.#forget(e);
    this.#sendTo(e.address, { op: 'drop', k, id, h: e.handle });
    return true;
  }

  bind(transportId: string, serverId: string | null): boolean {
    const e = this.#view.get('t', transportId);
    if (e === undefined || !this.#wire.up) return false;
    // Applied here at once (a caller reads its own bind back); the owner's `bound` settles it.
    this.#host.bind(e, serverId);
    this.#sendTo(e.address, { op: 'bind', id: transportId, h: e.handle, s: serverId });
    return true;
  }

  announce(frame: PeerFrame): void {
    this.#wire.publish({ f: this.#wire.address, p: frame });
  }

  // ---- from the wire and the membership --------------------------------------------------

  /** Tells every thread what this one holds and asks what they hold (at start, and after Redis came back). */
  resync(): void {
    this.#wire.publish({ f: this.#wire.address, p: this.#host.snapshot() });
    this.#wire.publish({ f: this.#wire.address, p: { op: 'hello' } });
  }

  /** A frame from the wire. */
  receive(frame: NodeFrame): void {
    const from = frame.f;
    if (typeof from !== 'string' || from === this.#wire.address) return;
    const { node, worker } = parseAddress(from);
    if (node === this.#node) {
      // This node's workers reach each other over the mesh; only note who they are.
      if (worker !== this.#worker) this.#siblings.set(worker, from);
      return;
    }
    if ('gone' in frame) {
      this.#threadDead(frame.gone);
      return;
    }
    if (this.#dead.has(from)) return;
    const p = frame.p;
    switch (p.op) {
      case 'reg':
        this.#onReg(from, p.k, p.e);
        return;
      case 'unreg': {
        const e = this.#view.at(from, p.k, p.id);
        if (e !== undefined && e.handle === p.h) this.#forget(e);
        return;
      }
      case 'bound': {
        const e = this.#view.at(from, 't', p.id);
        if (e !== undefined && e.handle === p.h && !this.#host.holds('t', p.id)) this.#host.bind(e, p.s);
        return;
      }
      case 'hello':
        this.#sendTo(from, this.#host.snapshot());
        return;
      case 'sync': {
        // A snapshot replaces what this thread knew of the sender (announcements lost while
        // Redis was away, unregistrations included).
        const keep = new Set([...p.s.map(([id]) => `s${id}`), ...p.t.map(([id]) => `t${id}`)]);
        for (const e of this.#view.removeAddressIf(from, (e) => !keep.has(`${e.kind}${e.id}`))) this.#unbindGone(e);
        for (const e of p.s) this.#onReg(from, 's', e);
        for (const e of p.t) this.#onReg(from, 't', e);
        return;
      }
      default:
        // route, bcast, drop, bind: aimed at this thread's own entries.
        this.#host.receive(p);
    }
  }

  /**
   * A membership view: a node present in the previous fresh view and absent from this one left
   * or was declared dead, and its threads' entries leave with it. A stale view (Redis away)
   * decides nothing, and neither does a view within the membership's grace after Redis came
   * back (a restarted Redis lists a node only once it beat again; see Membership).
   */
  onView(view: ClusterView): void {
    if (view.stale) return;
    const now = new Set(view.nodes.map((n) => n.id));
    if (Date.now() < this.#graceUntil) {
      for (const id of this.#live ?? []) now.add(id);
    } else if (this.#live !== undefined) {
      for (const id of this.#live) if (!now.has(id)) this.#nodeDown(id);
    }
    // A node seen dead that is back (its heartbeat had expired, e.g. cut off from Redis for
    // longer than deadAfterMs): its threads are alive after all; ask for what they hold.
    for (const id of now) if (this.#deadNodes.delete(id)) this.#readmit(id);
    this.#live = now;
    this.#deadAfterMs = view.dead_after_ms + view.heartbeat_ms;
  }

  /** The wire is usable again after Redis was away: resync, and let the membership's grace run first. */
  reconnected(): void {
    this.#graceUntil = Date.now() + this.#deadAfterMs;
    this.resync();
  }

  /** Worker `index` of this node died (the pool said so): tell the other nodes. */
  siblingDown(index: number): void {
    const a = this.#siblings.get(index);
    if (a === undefined) return;
    this.#siblings.delete(index);
    this.#wire.publish({ f: this.#wire.address, gone: a });
  }

  // ---- internals ------------------------------------------------------------------------

  #onReg(from: Address, k: Kind, [id, handle, config, boundTo]: Announced): void {
    const { node, worker } = parseAddress(from);
    const previous = this.#view.at(from, k, id);
    if (previous !== undefined && previous.handle !== handle) this.#forget(previous);
    const e: NodeEntry = {
      kind: k,
      id,
      handle,
      address: from,
      node,
      worker,
      config,
      endpoint: {
        worker,
        node,
        deliver: (envelope: unknown) => {
          const env = envelope as { transportId?: string; serverId?: string; message: unknown };
          this.route(k, id, (k === 's' ? env.transportId : env.serverId) ?? '', env.message);
        },
      },
    };
    this.#view.put(e);
    if (k === 't' && !this.#host.holds('t', id)) this.#host.bind(e, boundTo);
  }

  /** Removes `e` from the view with what hangs on it. */
  #forget(e: NodeEntry): void {
    if (this.#view.remove(e.address, e.kind, e.id, e.handle) !== undefined) this.#unbindGone(e);
  }

  #unbindGone(e: NodeEntry): void {
    if (e.kind === 't') this.#host.bind(e, null);
    // Erlang semantics, as between workers: a server's going unbinds the transports bound to
    // it, unless another holder of the id is still in view.
    else if (this.#view.get('s', e.id) === undefined && !this.#host.holds('s', e.id)) this.#host.serverGone(e.id);
  }

  #threadDead(a: Address): void {
    if (this.#dead.has(a)) return;
    this.#dead.add(a);
    if (this.#dead.size > MAX_DEAD) this.#dead.delete(this.#dead.values().next().value as Address);
    const gone = this.#view.removeAddress(a);
    for (const e of gone) this.#unbindGone(e);
    if (gone.length > 0)
      this.#log.info({ thread: a, entries: gone.length }, 'legacy registry: entries of a dead thread removed');
  }

  #nodeDown(node: string): void {
    this.#deadNodes.add(node);
    for (const a of this.#view.addresses()) if (parseAddress(a).node === node) this.#threadDead(a);
  }

  #readmit(node: string): void {
    for (const a of this.#dead) if (parseAddress(a).node === node) this.#dead.delete(a);
    this.#wire.publish({ f: this.#wire.address, p: { op: 'hello' } });
  }

  /**
   * Sends `p` to thread `to`; a frame that reached nobody is reported (`report`, when it
   * carried a message), and the thread, which no longer listens, leaves the view until it
   * syncs again: later routes to it answer not-found at once instead of vanishing too.
   */
  #sendTo(to: Address, p: PeerFrame, report?: Omit<Undelivered, 'reason' | 'node'>): void {
    this.#wire.send(to, { f: this.#wire.address, p }).then(
      (received) => {
        if (received) return;
        if (report) this.#host.undelivered({ ...report, reason: 'node_unreachable', node: parseAddress(to).node });
        for (const e of this.#view.removeAddress(to)) this.#unbindGone(e);
      },
      (err: unknown) => {
        if (!(err instanceof ErlmcpError)) this.#log.warn({ err }, 'legacy registry: send to another node failed');
        if (report) this.#host.undelivered({ ...report, reason: 'cluster_unavailable', node: parseAddress(to).node });
      },
    );
  }
}

function entryOf(e: NodeEntry): ServerEntry | TransportEntry {
  const base = { id: e.id, config: e.config, handle: e.handle, worker: e.worker, node: e.node };
  return e.kind === 's'
    ? ({ ...base, server: e.endpoint as unknown as ServerEntry['server'] } as ServerEntry)
    : ({ ...base, transport: e.endpoint as unknown as TransportEntry['transport'] } as TransportEntry);
}
