import pino, { type Logger } from 'pino';
import { assertString, invalidArg } from '../core/errors.js';
import { ShardedRegistry } from '../core/registry.js';
import { Bindings } from './bindings.js';
import { deliveryOf, watchExit } from './endpoint.js';
import { HandleBlocks } from './handles.js';
import type { Announced, Kind, LegacyPeers, PeerFrame } from './peers.js';
import { type RemoteRecord, Replica } from './remote.js';
import {
  ALREADY_REGISTERED,
  DELIVERED_NONE,
  DELIVERED_ONE,
  dropped,
  FORWARDED_ONE,
  NOT_FOUND,
  NOT_FOUND_ELSEWHERE,
  OK,
  SERVER_NOT_FOUND,
  TRANSPORT_NOT_FOUND,
} from './results.js';
import { assertSerializable } from './serializable.js';
import type {
  BindResult,
  FindServerResult,
  FindTransportResult,
  LegacyServer,
  LegacyTransport,
  McpMessageEnvelope,
  McpResponseEnvelope,
  Ok,
  RegisterResult,
  RouteResult,
  ServerConfig,
  ServerEntry,
  ServerForTransportResult,
  TransportConfig,
  TransportEntry,
} from './types.js';

/** Options of {@link LegacyRegistry}. */
export interface LegacyRegistryOptions {
  /** Shards of each native registry: a power of two in 1..1024. Default 64. */
  shards?: number;
  /** pino logger for registrations (debug) and dropped messages (warn). Default: silent. */
  logger?: Logger;
}

/** The `transportId` of `routeToTransport` that means "every transport bound to the server". */
export const BROADCAST = 'broadcast';

/** A registered object and what the registry keeps beside it. */
interface Held<E, C> {
  readonly id: string;
  readonly handle: number;
  readonly endpoint: unknown;
  readonly config: C;
  readonly deliver: (envelope: E) => void;
  unwatch: () => void;
}
type ServerRecord = Held<McpMessageEnvelope, ServerConfig>;
type TransportRecord = Held<McpResponseEnvelope, TransportConfig>;
/** What a binding points at: a transport of this instance, or one another worker holds. */
type BoundTransport = TransportRecord | RemoteRecord;

let silent: Logger | undefined;

/** One disabled pino logger shared by every instance given none. */
function silentLogger(): Logger {
  silent ??= pino({ enabled: false });
  return silent;
}

/**
 * The erlmcp_registry API over the native {@link ShardedRegistry}: ids map to handles in Rust
 * (the lookup on every routed message), the JS objects and configs live in this instance's
 * tables indexed by handle, and bindings live in JS.
 *
 * Several instances opened with the same name ({@link LegacyRegistry.open}, typically one per
 * worker_thread) share one id space: an id is registered at most once in the process, and the
 * native `register` decides which of two concurrent registrations wins. Objects cannot cross
 * isolates, so each instance only finds, binds, routes to and unregisters the ids it
 * registered itself; an id held by another instance answers `not_found` (or `dropped`) with
 * `registeredElsewhere: true`.
 *
 * In a pool worker the default registry is opened over the worker mesh (see
 * src/workers/legacy-bridge.ts and docs/legacy.md#worker-threads): then every worker's
 * registrations are found, listed, bound and routed to from any worker.
 */
export class LegacyRegistry {
  readonly #servers: ShardedRegistry;
  readonly #transports: ShardedRegistry;
  readonly #handles: HandleBlocks;
  readonly #log: Logger;
  readonly #serverRecords = new Map<number, ServerRecord>();
  readonly #transportRecords = new Map<number, TransportRecord>();
  readonly #bindings = new Bindings<BoundTransport>();
  /** The other workers, in a pool worker opened over the mesh; undefined otherwise (then nothing below uses them). */
  readonly #peers: LegacyPeers | undefined;
  readonly #replica = new Replica();
  /** Claims of the right to remove a dead worker's entry: one survivor removes each. */
  readonly #reaps: ShardedRegistry | undefined;
  /** Worker index -> the newest generation that announced an entry here. */
  readonly #lastSeen = new Map<number, number>();
  /** Worker index -> generations up to this one are dead (their late announcements are removed, not added). */
  readonly #deadUpTo = new Map<number, number>();

  /** A registry private to this instance (its own native tables). */
  constructor(options: LegacyRegistryOptions = {}) {
    const shards = options.shards ?? 64;
    const opened = (options as Opened)[OPENED];
    this.#servers = opened?.servers ?? new ShardedRegistry({ shards });
    this.#transports = opened?.transports ?? new ShardedRegistry({ shards });
    this.#peers = opened?.peers;
    this.#reaps = opened?.reaps;
    // A pool worker tags its handle blocks with its index: the tag of a handle names its owner.
    this.#handles = new HandleBlocks(
      opened?.claims ?? new ShardedRegistry({ shards: 1 }),
      undefined,
      this.#peers?.self,
    );
    this.#log = options.logger ?? silentLogger();
  }

  /**
   * The instance over the process-global native registries named `name` (`<name>:servers`,
   * `<name>:transports`, `<name>:handles`): instances opened with the same name in any
   * worker_thread share the id space and draw disjoint handles. Open with the same `shards`
   * everywhere (else ERR_OPTIONS_MISMATCH). Each call returns a new instance with its own
   * object tables; call {@link close} before a worker exits so its ids are freed.
   */
  static open(name: string, options: LegacyRegistryOptions = {}): LegacyRegistry {
    return new LegacyRegistry({ ...options, [OPENED]: tables(name, options.shards ?? 64) } as Opened);
  }

  /**
   * @internal The registry of a pool worker: {@link open} plus `peers` (the worker mesh), so
   * that it finds, lists, binds and routes to the registrations of every worker
   * (src/workers/legacy-bridge.ts opens it; docs/legacy.md#worker-threads).
   */
  static openPooled(name: string, peers: LegacyPeers, options: LegacyRegistryOptions = {}): LegacyRegistry {
    const shards = options.shards ?? 64;
    const opened = { ...tables(name, shards), peers, reaps: ShardedRegistry.open(`${name}:reaped`, { shards }) };
    return new LegacyRegistry({ ...options, [OPENED]: opened } as Opened);
  }

  /** Erlang `register_server/3`: `ok`, or `already_registered` when `serverId` is taken anywhere in the process. */
  registerServer(serverId: string, server: LegacyServer, config: ServerConfig = {}): RegisterResult {
    const deliver = deliveryOf('server', server);
    // Every worker keeps a copy of the config: refuse what cannot cross before claiming the id.
    if (this.#peers !== undefined) assertSerializable('config', config);
    const handle = this.#claim(this.#servers, serverId);
    if (handle === undefined) {
      this.#log.warn({ serverId }, 'legacy registry: server already registered');
      return ALREADY_REGISTERED;
    }
    const rec: ServerRecord = { id: serverId, handle, endpoint: server, config, deliver, unwatch: noop };
    this.#serverRecords.set(handle, rec);
    rec.unwatch = watchExit(server, () => this.#exited(this.#serverRecords, rec, 'server'));
    this.#peers?.publish({ op: 'reg', k: 's', e: [serverId, handle, config, null], g: this.#peers.generation });
    this.#log.debug({ serverId, handle }, 'legacy registry: registered server');
    return OK;
  }

  /**
   * Erlang `register_transport/3`: `ok` or `already_registered`. `config.serverId` binds the
   * transport to that server at once (whether or not the server is registered yet, as in the original).
   */
  registerTransport(transportId: string, transport: LegacyTransport, config: TransportConfig = {}): RegisterResult {
    const deliver = deliveryOf('transport', transport);
    const serverId = config.serverId;
    if (serverId !== undefined && typeof serverId !== 'string') throw invalidArg('config.serverId must be a string');
    if (this.#peers !== undefined) assertSerializable('config', config);
    const handle = this.#claim(this.#transports, transportId);
    if (handle === undefined) {
      this.#log.warn({ transportId }, 'legacy registry: transport already registered');
      return ALREADY_REGISTERED;
    }
    const rec: TransportRecord = { id: transportId, handle, endpoint: transport, config, deliver, unwatch: noop };
    this.#transportRecords.set(handle, rec);
    if (serverId !== undefined) this.#bindings.bind(transportId, rec, serverId);
    rec.unwatch = watchExit(transport, () => this.#exited(this.#transportRecords, rec, 'transport'));
    const e: Announced = [transportId, handle, config, serverId ?? null];
    this.#peers?.publish({ op: 'reg', k: 't', e, g: this.#peers.generation });
    this.#log.debug({ transportId, handle, serverId }, 'legacy registry: registered transport');
    return OK;
  }

  /**
   * Erlang `unregister_server/1`: always `ok`; the bindings of transports to it are removed
   * too. An id another pool worker holds is unregistered by that worker (asked over the mesh;
   * gone there and everywhere shortly after this returns). Otherwise a no-op for ids this
   * instance does not hold.
   */
  unregisterServer(serverId: string): Ok {
    const rec = this.#local(this.#servers, this.#serverRecords, serverId);
    if (rec !== undefined) this.#removeServer(rec);
    else if (this.#peers !== undefined) this.#askDrop('s', serverId);
    return OK;
  }

  /** Erlang `unregister_transport/1`: always `ok`; its binding is removed too. Another worker's transport: as {@link unregisterServer}. */
  unregisterTransport(transportId: string): Ok {
    const rec = this.#local(this.#transports, this.#transportRecords, transportId);
    if (rec !== undefined) this.#removeTransport(rec);
    else if (this.#peers !== undefined) this.#askDrop('t', transportId);
    return OK;
  }

  /**
   * Erlang `find_server/1`: the server, its config and handle, or `not_found`. In a pool
   * worker, a server of another worker is found with a {@link RemoteEndpoint} as `server`.
   */
  findServer(serverId: string): FindServerResult {
    const handle = this.#servers.lookup(serverId);
    if (handle === undefined) return NOT_FOUND;
    const rec = this.#serverRecords.get(handle);
    if (rec !== undefined) return { ok: true, ...this.#serverEntry(rec) };
    return this.#findRemote('s', serverId, handle) as FindServerResult;
  }

  /** Erlang `find_transport/1`: the transport, its config and handle, or `not_found` (another worker's: as {@link findServer}). */
  findTransport(transportId: string): FindTransportResult {
    const handle = this.#transports.lookup(transportId);
    if (handle === undefined) return NOT_FOUND;
    const rec = this.#transportRecords.get(handle);
    if (rec !== undefined) return { ok: true, ...this.#transportEntry(rec) };
    return this.#findRemote('t', transportId, handle) as FindTransportResult;
  }

  /** Erlang `list_servers/0`: this instance's servers in registration order, then (pool worker) the other workers'. */
  listServers(): ServerEntry[] {
    const out = Array.from(this.#serverRecords.values(), (r) => this.#serverEntry(r));
    for (const r of this.#replica.values('s'))
      if (this.#peers?.isUp(r.owner)) out.push(remoteEntry('s', r) as ServerEntry);
    return out;
  }

  /** Erlang `list_transports/0`: as {@link listServers}. */
  listTransports(): TransportEntry[] {
    const out = Array.from(this.#transportRecords.values(), (r) => this.#transportEntry(r));
    for (const r of this.#replica.values('t')) {
      if (this.#peers?.isUp(r.owner)) out.push(remoteEntry('t', r) as TransportEntry);
    }
    return out;
  }

  /**
   * Erlang `bind_transport_to_server/2`: `ok` (replacing any previous binding),
   * `server_not_found`, or `transport_not_found` — the server is checked first. Both must be
   * registered by this instance, or in a pool worker by any live worker: the binding of a
   * transport is kept by the worker that holds it and copied to every other.
   */
  bindTransportToServer(transportId: string, serverId: string): BindResult {
    if (!this.#hasServer(serverId)) return SERVER_NOT_FOUND;
    const rec = this.#local(this.#transports, this.#transportRecords, transportId);
    if (rec !== undefined) {
      this.#bindings.bind(transportId, rec, serverId);
      this.#peers?.publish({ op: 'bound', id: transportId, h: rec.handle, s: serverId, o: this.#peers.self });
    } else if (!this.#askBind(transportId, serverId)) return TRANSPORT_NOT_FOUND;
    this.#log.debug({ transportId, serverId }, 'legacy registry: bound transport');
    return OK;
  }

  /** Erlang `unbind_transport/1`: always `ok`, bound or not. */
  unbindTransport(transportId: string): Ok {
    assertString('transportId', transportId);
    const rec = this.#local(this.#transports, this.#transportRecords, transportId);
    if (rec !== undefined && this.#peers !== undefined && this.#bindings.serverOf(transportId) !== undefined) {
      this.#peers.publish({ op: 'bound', id: transportId, h: rec.handle, s: null, o: this.#peers.self });
    } else if (rec === undefined && this.#peers !== undefined) this.#askBind(transportId, null);
    this.#bindings.unbind(transportId);
    return OK;
  }

  /** Erlang `get_server_for_transport/1`: the server `transportId` is bound to, or `not_found`. */
  getServerForTransport(transportId: string): ServerForTransportResult {
    assertString('transportId', transportId);
    const serverId = this.#bindings.serverOf(transportId);
    return serverId === undefined ? NOT_FOUND : { ok: true, serverId };
  }

  /**
   * Erlang `route_to_server/3`: hands `{ type: 'mcp_message', transportId, message }` to the
   * server. An unknown server is logged (warn) and the message dropped:
   * `{ ok: true, delivered: 0, dropped: 'server_not_found' }`. An exception thrown by the
   * server's delivery reaches the caller. In a pool worker, a server of another worker gets
   * the message on its worker after this returns: `{ ok: true, delivered: 1, forwarded: 1 }`;
   * the message must then be plain JSON (else ERR_NOT_SERIALIZABLE, nothing sent).
   */
  routeToServer(serverId: string, transportId: string, message: unknown): RouteResult {
    const handle = this.#servers.lookup(serverId);
    const rec = handle === undefined ? undefined : this.#serverRecords.get(handle);
    if (rec !== undefined) {
      rec.deliver({ type: 'mcp_message', transportId, message });
      return DELIVERED_ONE;
    }
    if (handle !== undefined && this.#peers !== undefined) {
      assertString('transportId', transportId);
      return this.#forward('s', serverId, handle, transportId, message);
    }
    return this.#drop('server_not_found', serverId, handle !== undefined);
  }

  /**
   * Erlang `route_to_transport/3`: hands `{ type: 'mcp_response', serverId, message }` to the
   * transport, or with `transportId` = `'broadcast'` to every transport bound to `serverId`
   * (one shared envelope; `delivered` counts them; every one is tried, then the first
   * exception thrown, if any, is rethrown). An unknown transport is logged (warn) and the
   * message dropped: `{ ok: true, delivered: 0, dropped: 'transport_not_found' }`. Transports
   * of other pool workers: as in {@link routeToServer} (`forwarded` counts them).
   */
  routeToTransport(transportId: string, serverId: string, message: unknown): RouteResult {
    if (transportId === BROADCAST) return this.#broadcast(serverId, message);
    const handle = this.#transports.lookup(transportId);
    const rec = handle === undefined ? undefined : this.#transportRecords.get(handle);
    if (rec !== undefined) {
      rec.deliver({ type: 'mcp_response', serverId, message });
      return DELIVERED_ONE;
    }
    if (handle !== undefined && this.#peers !== undefined) {
      assertString('serverId', serverId);
      return this.#forward('t', transportId, handle, serverId, message);
    }
    return this.#drop('transport_not_found', transportId, handle !== undefined);
  }

  /** Servers registered by this instance. */
  get serverCount(): number {
    return this.#serverRecords.size;
  }

  /** Transports registered by this instance. */
  get transportCount(): number {
    return this.#transportRecords.size;
  }

  /**
   * Unregisters every server and transport this instance holds (freeing their ids for other
   * workers) and stops watching their exits. The instance stays usable.
   */
  close(): void {
    for (const rec of this.#transportRecords.values()) this.#removeTransport(rec);
    for (const rec of this.#serverRecords.values()) this.#removeServer(rec);
    // The other workers' bindings are theirs: only a registry of its own forgets them all.
    if (this.#peers === undefined) this.#bindings.clear();
  }

  // ---- from the other pool workers (src/workers/legacy-bridge.ts) ----------------------

  /** @internal Handles `frame` from worker `from`. */
  receive(from: number, frame: PeerFrame): void {
    switch (frame.op) {
      case 'reg':
        this.#onReg(from, frame.g, frame.k, frame.e);
        return;
      case 'unreg':
        this.#onUnreg(frame.k, frame.id, frame.h);
        return;
      case 'drop': {
        const rec = frame.k === 's' ? this.#serverRecords.get(frame.h) : this.#transportRecords.get(frame.h);
        if (rec?.id !== frame.id) return;
        if (frame.k === 's') this.#removeServer(rec as ServerRecord);
        else this.#removeTransport(rec as TransportRecord);
        return;
      }
      case 'bind':
        this.#onBindRequest(from, frame.id, frame.h, frame.s);
        return;
      case 'bound':
        this.#onBound(frame.id, frame.h, frame.s, frame.o);
        return;
      case 'route':
        this.#onRoute(frame.k, frame.id, frame.h, frame.v, frame.m);
        return;
      case 'bcast':
        this.#onBroadcast(frame.s, frame.m, frame.t);
        return;
      case 'hello':
        this.#peers?.send(from, this.#snapshot());
        return;
      case 'sync':
        for (const e of frame.s) this.#onReg(from, frame.g, 's', e);
        for (const e of frame.t) this.#onReg(from, frame.g, 't', e);
        return;
    }
  }

  /**
   * @internal Worker `index` is down: its entries leave this worker's view with their
   * bindings (its objects died with it, Erlang's 'DOWN'), and one survivor per entry removes
   * it from the native registry so the id can be registered again.
   */
  peerDown(index: number): void {
    // Its frames already in this worker's inbox are handled first (the pool's notice and the
    // inbox are separate channels): they may announce entries that must go too. Meanwhile
    // routes and lookups already answer not-found (the owner is down).
    setTimeout(() => this.#forgetPeer(index), PEER_DOWN_DELAY_MS).unref();
  }

  #forgetPeer(index: number): void {
    const upTo = Math.max(this.#deadUpTo.get(index) ?? 0, this.#lastSeen.get(index) ?? 0);
    this.#deadUpTo.set(index, upTo);
    const gone = this.#replica.removeOwner(index, upTo);
    for (const rec of gone.s) {
      this.#bindings.unbindServer(rec.id);
      this.#reap('s', rec.id, rec.handle);
    }
    for (const rec of gone.t) {
      this.#bindings.unbind(rec.id);
      this.#reap('t', rec.id, rec.handle);
    }
  }

  /** @internal Worker `index` came up: tell it what this one holds, and ask what it holds. */
  peerUp(index: number): void {
    this.#peers?.send(index, this.#snapshot());
    this.#peers?.send(index, { op: 'hello' });
  }

  // ---- internals ------------------------------------------------------------------------

  /** Registers `id` under a fresh handle in `table`; undefined (handle returned) when the id is taken. */
  #claim(table: ShardedRegistry, id: string): number | undefined {
    assertString('id', id);
    const handle = this.#handles.acquire();
    let won = false;
    try {
      won = table.register(id, handle);
    } finally {
      if (!won) this.#handles.release(handle);
    }
    return won ? handle : undefined;
  }

  /** This instance's record of `id`, if it registered it. */
  #local<R>(table: ShardedRegistry, records: Map<number, R>, id: string): R | undefined {
    const handle = table.lookup(id);
    return handle === undefined ? undefined : records.get(handle);
  }

  /**
   * The live worker (not this one) that owns `handle`, from its block's tag. A handle tagged
   * with this worker's index but not in its tables was a predecessor's at this index: dead.
   */
  #liveOwner(handle: number): number | undefined {
    const peers = this.#peers;
    const owner = peers === undefined ? undefined : this.#handles.tagOf(handle);
    return owner === undefined || owner === peers?.self || !peers?.isUp(owner) ? undefined : owner;
  }

  #table(k: Kind): ShardedRegistry {
    return k === 's' ? this.#servers : this.#transports;
  }

  #hasServer(serverId: string): boolean {
    const handle = this.#servers.lookup(serverId);
    if (handle === undefined) return false;
    return this.#serverRecords.has(handle) || this.#liveOwner(handle) !== undefined;
  }

  #findRemote(k: Kind, id: string, handle: number): FindServerResult | FindTransportResult {
    if (this.#peers === undefined) return NOT_FOUND_ELSEWHERE;
    if (this.#liveOwner(handle) === undefined) return NOT_FOUND;
    const rec = this.#replica.get(k, id, handle);
    // Registered on a live worker whose announcement is still on its way: taken, not yet seen.
    if (rec === undefined) return NOT_FOUND_ELSEWHERE;
    return { ok: true, ...remoteEntry(k, rec) } as FindServerResult;
  }

  #askDrop(k: Kind, id: string): void {
    const handle = this.#table(k).lookup(id);
    const owner = handle === undefined ? undefined : this.#liveOwner(handle);
    if (handle === undefined || owner === undefined) return;
    // Leave this worker's view now (unregister is `ok` at once); the owner's `unreg` confirms.
    if (this.#replica.remove(k, id, handle) !== undefined) {
      if (k === 's') this.#bindings.unbindServer(id);
      else this.#bindings.unbind(id);
    }
    this.#peers?.send(owner, { op: 'drop', k, id, h: handle });
  }

  /** Asks the owner of another worker's transport to (un)bind it; false when no live worker holds it. */
  #askBind(transportId: string, serverId: string | null): boolean {
    const handle = this.#transports.lookup(transportId);
    const owner = handle === undefined ? undefined : this.#liveOwner(handle);
    if (handle === undefined || owner === undefined) return false;
    // Applied here at once (a caller reads its own bind back), settled by the owner's answer.
    const rec = this.#replica.get('t', transportId, handle);
    if (rec !== undefined && serverId !== null) this.#bindings.bind(transportId, rec, serverId);
    else this.#bindings.unbind(transportId);
    this.#replica.requested(transportId);
    this.#peers?.send(owner, { op: 'bind', id: transportId, h: handle, s: serverId });
    return true;
  }

  #forward(k: Kind, id: string, handle: number, via: string, message: unknown): RouteResult {
    const reason = k === 's' ? 'server_not_found' : 'transport_not_found';
    const owner = this.#liveOwner(handle);
    // A worker that died answers as if the id were not registered (its entries are being removed).
    if (owner === undefined) return this.#drop(reason, id, false);
    assertSerializable('message', message);
    if (!this.#peers?.send(owner, { op: 'route', k, id, h: handle, v: via, m: message })) {
      return this.#drop(reason, id, false);
    }
    return FORWARDED_ONE;
  }

  #removeServer(rec: ServerRecord): void {
    this.#serverRecords.delete(rec.handle);
    // Only the owner unregisters an id, so the key still maps to this record's handle.
    this.#servers.unregister(rec.id);
    this.#handles.release(rec.handle);
    rec.unwatch();
    this.#bindings.unbindServer(rec.id);
    this.#peers?.publish({ op: 'unreg', k: 's', id: rec.id, h: rec.handle });
    this.#log.debug({ serverId: rec.id }, 'legacy registry: unregistered server');
  }

  #removeTransport(rec: TransportRecord): void {
    this.#transportRecords.delete(rec.handle);
    this.#transports.unregister(rec.id);
    this.#handles.release(rec.handle);
    rec.unwatch();
    this.#bindings.unbind(rec.id);
    this.#peers?.publish({ op: 'unreg', k: 't', id: rec.id, h: rec.handle });
    this.#log.debug({ transportId: rec.id }, 'legacy registry: unregistered transport');
  }

  /** The monitor's 'DOWN': removes `rec` unless it was already unregistered (its id may be re-registered by now). */
  #exited<R extends ServerRecord | TransportRecord>(
    records: Map<number, R>,
    rec: R,
    kind: 'server' | 'transport',
  ): void {
    if (records.get(rec.handle) !== rec) return;
    this.#log.warn({ id: rec.id, kind }, 'legacy registry: registered %s exited', kind);
    if (kind === 'server') this.#removeServer(rec as ServerRecord);
    else this.#removeTransport(rec as TransportRecord);
  }

  #broadcast(serverId: string, message: unknown): RouteResult {
    const bound = this.#bindings.transportsOf(serverId);
    if (bound === undefined || bound.size === 0) return DELIVERED_NONE;
    const envelope: McpResponseEnvelope = { type: 'mcp_response', serverId, message };
    let delivered = 0;
    let failure: { error: unknown } | undefined;
    /** Other workers' transports, by owner: one frame per worker. */
    let remote: Map<number, [string, number][]> | undefined;
    // Snapshot: a delivery may unregister transports (an exit) while we iterate.
    for (const rec of Array.from(bound.values())) {
      if ('owner' in rec) {
        remote ??= new Map();
        const list = remote.get(rec.owner) ?? [];
        list.push([rec.id, rec.handle]);
        remote.set(rec.owner, list);
        continue;
      }
      try {
        rec.deliver(envelope);
        delivered++;
      } catch (error) {
        failure ??= { error };
      }
    }
    let forwarded = 0;
    if (remote !== undefined) {
      assertSerializable('message', message);
      for (const [owner, t] of remote) {
        if (this.#peers?.send(owner, { op: 'bcast', s: serverId, m: message, t })) forwarded += t.length;
      }
    }
    if (failure !== undefined) throw failure.error;
    return forwarded > 0 ? { ok: true, delivered: delivered + forwarded, forwarded } : { ok: true, delivered };
  }

  #drop(reason: 'server_not_found' | 'transport_not_found', id: string, elsewhere: boolean): RouteResult {
    this.#log.warn({ id, registeredElsewhere: elsewhere }, `legacy registry: cannot route, ${reason}; dropped`);
    return dropped(reason, elsewhere);
  }

  #serverEntry(rec: ServerRecord): ServerEntry {
    const entry = { id: rec.id, server: rec.endpoint as LegacyServer, config: rec.config, handle: rec.handle };
    return this.#peers === undefined ? entry : { ...entry, worker: this.#peers.self };
  }

  #transportEntry(rec: TransportRecord): TransportEntry {
    const entry = { id: rec.id, transport: rec.endpoint as LegacyTransport, config: rec.config, handle: rec.handle };
    return this.#peers === undefined ? entry : { ...entry, worker: this.#peers.self };
  }

  /** What this worker holds, for a peer that (re)joined. */
  #snapshot(): PeerFrame {
    const s: Announced[] = [];
    const t: Announced[] = [];
    for (const r of this.#serverRecords.values()) s.push([r.id, r.handle, r.config, null]);
    for (const r of this.#transportRecords.values()) {
      t.push([r.id, r.handle, r.config, this.#bindings.serverOf(r.id) ?? null]);
    }
    return { op: 'sync', s, t, g: this.#peers?.generation ?? 1 };
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
      if (boundTo === null) this.#bindings.unbind(id);
      else this.#bindings.bind(id, rec, boundTo);
    }
  }

  #onUnreg(k: Kind, id: string, handle: number): void {
    if (this.#replica.remove(k, id, handle) === undefined) return;
    // Erlang semantics everywhere: a server's going unbinds the transports bound to it.
    if (k === 's') this.#bindings.unbindServer(id);
    else this.#bindings.unbind(id);
  }

  #onBindRequest(from: number, id: string, handle: number, serverId: string | null): void {
    const rec = this.#transportRecords.get(handle);
    if (rec?.id !== id) {
      // Gone meanwhile: still answer, so the asker stops waiting for it.
      this.#peers?.send(from, { op: 'bound', id, h: handle, s: null, o: from });
      return;
    }
    if (serverId === null) this.#bindings.unbind(id);
    else this.#bindings.bind(id, rec, serverId);
    this.#peers?.publish({ op: 'bound', id, h: handle, s: serverId, o: from });
  }

  #onBound(id: string, handle: number, serverId: string | null, origin: number): void {
    const self = this.#peers?.self ?? -1;
    if (!this.#replica.accept(id, origin, self)) return;
    const rec = this.#replica.get('t', id, handle);
    if (rec === undefined || serverId === null) this.#bindings.unbind(id);
    else this.#bindings.bind(id, rec, serverId);
  }

  #onRoute(k: Kind, id: string, handle: number, via: string, message: unknown): void {
    const rec = k === 's' ? this.#serverRecords.get(handle) : this.#transportRecords.get(handle);
    if (rec?.id !== id) {
      this.#log.warn({ id, kind: k }, 'legacy registry: forwarded message for an id no longer held here; dropped');
      return;
    }
    try {
      if (k === 's') (rec as ServerRecord).deliver({ type: 'mcp_message', transportId: via, message });
      else (rec as TransportRecord).deliver({ type: 'mcp_response', serverId: via, message });
    } catch (err) {
      // The caller returned long ago on its own worker: the exception can only be logged here.
      this.#log.warn({ err, id }, 'legacy registry: delivery of a forwarded message threw');
    }
  }

  #onBroadcast(serverId: string, message: unknown, targets: [string, number][]): void {
    const envelope: McpResponseEnvelope = { type: 'mcp_response', serverId, message };
    for (const [id, handle] of targets) {
      const rec = this.#transportRecords.get(handle);
      // The binding is this worker's to decide: skip a transport unbound since the sender looked.
      if (rec?.id !== id || this.#bindings.serverOf(id) !== serverId) continue;
      try {
        rec.deliver(envelope);
      } catch (err) {
        this.#log.warn({ err, id }, 'legacy registry: delivery of a forwarded broadcast threw');
      }
    }
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
        this.#forward(k, id, handle, (k === 's' ? e.transportId : e.serverId) ?? '', e.message);
      },
    };
  }
}

/** How long a worker's entries outlive the notice of its death here (see peerDown). */
const PEER_DOWN_DELAY_MS = 20;

/** Key under which `open` hands the shared native registries to the constructor. */
const OPENED: unique symbol = Symbol('erlmcp.legacy.opened');
interface Tables {
  servers: ShardedRegistry;
  transports: ShardedRegistry;
  claims: ShardedRegistry;
  peers?: LegacyPeers;
  reaps?: ShardedRegistry;
}
type Opened = LegacyRegistryOptions & { [OPENED]?: Tables };

function tables(name: string, shards: number): Tables {
  assertString('name', name);
  return {
    servers: ShardedRegistry.open(`${name}:servers`, { shards }),
    transports: ShardedRegistry.open(`${name}:transports`, { shards }),
    claims: ShardedRegistry.open(`${name}:handles`, { shards: 1 }),
  };
}

function noop(): void {}

function remoteEntry(k: Kind, rec: RemoteRecord): ServerEntry | TransportEntry {
  const base = { id: rec.id, config: rec.config, handle: rec.handle, worker: rec.owner };
  return k === 's'
    ? { ...base, server: rec.endpoint as unknown as LegacyServer }
    : { ...base, transport: rec.endpoint as unknown as LegacyTransport };
}
