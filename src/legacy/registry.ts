import pino, { type Logger } from 'pino';
import { assertString, invalidArg } from '../core/errors.js';
import { ShardedRegistry } from '../core/registry.js';
import { Bindings } from './bindings.js';
import { broadcast } from './broadcast.js';
import type { LegacyCluster, LegacyHost, NodeTransport } from './cluster-hook.js';
import { deliveryOf, watchExit } from './endpoint.js';
import { deliverBroadcast, deliverRoute } from './forwarded.js';
import { HandleBlocks } from './handles.js';
import {
  announce,
  claim,
  drop,
  exited,
  localRecord,
  removeServer,
  removeTransport,
  serverEntry,
  snapshot,
  transportEntry,
} from './local.js';
import type { Announced, LegacyPeers, PeerFrame } from './peers.js';
import { PoolSync } from './pool-sync.js';
import {
  ALREADY_REGISTERED,
  DELIVERED_ONE,
  NOT_FOUND,
  NOT_FOUND_ELSEWHERE,
  OK,
  SERVER_NOT_FOUND,
  TRANSPORT_NOT_FOUND,
} from './results.js';
import { assertSerializable } from './serializable.js';
import type { RegistryState, ServerRecord, TransportRecord } from './state.js';
import { namedTables, OPENED, pooledTables, type Tables } from './tables.js';
import type {
  BindResult,
  FindServerResult,
  FindTransportResult,
  LegacyServer,
  LegacyTransport,
  Ok,
  RegisterResult,
  RouteResult,
  ServerConfig,
  ServerEntry,
  ServerForTransportResult,
  TransportConfig,
  TransportEntry,
  Undelivered,
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
 * registrations are found, listed, bound and routed to from any worker. In a cluster
 * (`erlmcp serve --cluster`) each serving thread's default registry is also joined to the other
 * nodes' ({@link attachCluster}, src/cluster/legacy/; docs/cluster.md#legacy-registry-across-nodes).
 */
export class LegacyRegistry {
  /** This instance's tables and records (shared with `#pool`, which works on the same objects). */
  readonly #state: RegistryState;
  /** What this instance does with the other workers, in a pool worker opened over the mesh; undefined otherwise. */
  readonly #pool: PoolSync | undefined;
  readonly #undelivered = new Set<(report: Undelivered) => void>();

  /** A registry private to this instance (its own native tables). */
  constructor(options: LegacyRegistryOptions = {}) {
    const shards = options.shards ?? 64;
    const opened = (options as Opened)[OPENED];
    const peers = opened?.peers;
    this.#state = {
      servers: opened?.servers ?? new ShardedRegistry({ shards }),
      transports: opened?.transports ?? new ShardedRegistry({ shards }),
      // A pool worker tags its handle blocks with its index: the tag of a handle names its owner.
      handles: new HandleBlocks(opened?.claims ?? new ShardedRegistry({ shards: 1 }), undefined, peers?.self),
      serverRecords: new Map(),
      transportRecords: new Map(),
      bindings: new Bindings(),
      log: options.logger ?? silentLogger(),
      peers,
      cluster: undefined,
    };
    if (peers !== undefined) this.#pool = new PoolSync(this.#state, peers, opened?.reaps);
  }

  /**
   * The instance over the process-global native registries named `name` (`<name>:servers`,
   * `<name>:transports`, `<name>:handles`): instances opened with the same name in any
   * worker_thread share the id space and draw disjoint handles. Open with the same `shards`
   * everywhere (else ERR_OPTIONS_MISMATCH). Each call returns a new instance with its own
   * object tables; call {@link close} before a worker exits so its ids are freed.
   */
  static open(name: string, options: LegacyRegistryOptions = {}): LegacyRegistry {
    return new LegacyRegistry({ ...options, [OPENED]: namedTables(name, options.shards ?? 64) } as Opened);
  }

  /**
   * @internal The registry of a pool worker: {@link open} plus `peers` (the worker mesh), so
   * that it finds, lists, binds and routes to the registrations of every worker
   * (src/workers/legacy-bridge.ts opens it; docs/legacy.md#worker-threads).
   */
  static openPooled(name: string, peers: LegacyPeers, options: LegacyRegistryOptions = {}): LegacyRegistry {
    const opened = pooledTables(name, peers, options.shards ?? 64);
    return new LegacyRegistry({ ...options, [OPENED]: opened } as Opened);
  }

  /** Erlang `register_server/3`: `ok`, or `already_registered` when `serverId` is taken anywhere in the process. */
  registerServer(serverId: string, server: LegacyServer, config: ServerConfig = {}): RegisterResult {
    const deliver = deliveryOf('server', server);
    // Every worker keeps a copy of the config: refuse what cannot cross before claiming the id.
    if (this.#state.peers !== undefined) assertSerializable('config', config);
    const handle = this.#state.cluster?.has('s', serverId)
      ? undefined
      : claim(this.#state, this.#state.servers, serverId);
    if (handle === undefined) {
      this.#state.log.warn({ serverId }, 'legacy registry: server already registered');
      return ALREADY_REGISTERED;
    }
    const rec: ServerRecord = { id: serverId, handle, endpoint: server, config, deliver, unwatch: noop };
    this.#state.serverRecords.set(handle, rec);
    rec.unwatch = watchExit(server, () => exited(this.#state, this.#state.serverRecords, rec, 'server'));
    announce(this.#state, {
      op: 'reg',
      k: 's',
      e: [serverId, handle, config, null],
      g: this.#state.peers?.generation ?? 1,
    });
    this.#state.log.debug({ serverId, handle }, 'legacy registry: registered server');
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
    if (this.#state.peers !== undefined) assertSerializable('config', config);
    const handle = this.#state.cluster?.has('t', transportId)
      ? undefined
      : claim(this.#state, this.#state.transports, transportId);
    if (handle === undefined) {
      this.#state.log.warn({ transportId }, 'legacy registry: transport already registered');
      return ALREADY_REGISTERED;
    }
    const rec: TransportRecord = { id: transportId, handle, endpoint: transport, config, deliver, unwatch: noop };
    this.#state.transportRecords.set(handle, rec);
    if (serverId !== undefined) this.#state.bindings.bind(transportId, rec, serverId);
    rec.unwatch = watchExit(transport, () => exited(this.#state, this.#state.transportRecords, rec, 'transport'));
    const e: Announced = [transportId, handle, config, serverId ?? null];
    announce(this.#state, { op: 'reg', k: 't', e, g: this.#state.peers?.generation ?? 1 });
    this.#state.log.debug({ transportId, handle, serverId }, 'legacy registry: registered transport');
    return OK;
  }

  /**
   * Erlang `unregister_server/1`: always `ok`; the bindings of transports to it are removed
   * too. An id another pool worker holds is unregistered by that worker (asked over the mesh;
   * gone there and everywhere shortly after this returns). Otherwise a no-op for ids this
   * instance does not hold.
   */
  unregisterServer(serverId: string): Ok {
    const rec = localRecord(this.#state.servers, this.#state.serverRecords, serverId);
    if (rec !== undefined) removeServer(this.#state, rec);
    else if (this.#state.servers.lookup(serverId) !== undefined) this.#pool?.askDrop('s', serverId);
    else this.#state.cluster?.drop('s', serverId);
    return OK;
  }

  /** Erlang `unregister_transport/1`: always `ok`; its binding is removed too. Another worker's transport: as {@link unregisterServer}. */
  unregisterTransport(transportId: string): Ok {
    const rec = localRecord(this.#state.transports, this.#state.transportRecords, transportId);
    if (rec !== undefined) removeTransport(this.#state, rec);
    else if (this.#state.transports.lookup(transportId) !== undefined) this.#pool?.askDrop('t', transportId);
    else this.#state.cluster?.drop('t', transportId);
    return OK;
  }

  /**
   * Erlang `find_server/1`: the server, its config and handle, or `not_found`. In a pool
   * worker, a server of another worker is found with a {@link RemoteEndpoint} as `server`.
   */
  findServer(serverId: string): FindServerResult {
    const handle = this.#state.servers.lookup(serverId);
    if (handle === undefined) return (this.#state.cluster?.find('s', serverId) ?? NOT_FOUND) as FindServerResult;
    const rec = this.#state.serverRecords.get(handle);
    if (rec !== undefined) return { ok: true, ...serverEntry(this.#state, rec) };
    return (this.#pool?.findRemote('s', serverId, handle) ?? NOT_FOUND_ELSEWHERE) as FindServerResult;
  }

  /** Erlang `find_transport/1`: the transport, its config and handle, or `not_found` (another worker's: as {@link findServer}). */
  findTransport(transportId: string): FindTransportResult {
    const handle = this.#state.transports.lookup(transportId);
    if (handle === undefined) return (this.#state.cluster?.find('t', transportId) ?? NOT_FOUND) as FindTransportResult;
    const rec = this.#state.transportRecords.get(handle);
    if (rec !== undefined) return { ok: true, ...transportEntry(this.#state, rec) };
    return (this.#pool?.findRemote('t', transportId, handle) ?? NOT_FOUND_ELSEWHERE) as FindTransportResult;
  }

  /** Erlang `list_servers/0`: this instance's servers in registration order, then (pool worker) the other workers'. */
  listServers(): ServerEntry[] {
    const out = Array.from(this.#state.serverRecords.values(), (r) => serverEntry(this.#state, r));
    if (this.#pool !== undefined) out.push(...(this.#pool.entries('s') as ServerEntry[]));
    if (this.#state.cluster !== undefined) out.push(...(this.#state.cluster.entries('s') as ServerEntry[]));
    return out;
  }

  /** Erlang `list_transports/0`: as {@link listServers}. */
  listTransports(): TransportEntry[] {
    const out = Array.from(this.#state.transportRecords.values(), (r) => transportEntry(this.#state, r));
    if (this.#pool !== undefined) out.push(...(this.#pool.entries('t') as TransportEntry[]));
    if (this.#state.cluster !== undefined) out.push(...(this.#state.cluster.entries('t') as TransportEntry[]));
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
    const { transports, transportRecords, bindings, peers } = this.#state;
    const rec = localRecord(transports, transportRecords, transportId);
    if (rec !== undefined) {
      bindings.bind(transportId, rec, serverId);
      announce(this.#state, { op: 'bound', id: transportId, h: rec.handle, s: serverId, o: peers?.self ?? 0 });
    } else if (!this.#askBind(transportId, serverId)) return TRANSPORT_NOT_FOUND;
    this.#state.log.debug({ transportId, serverId }, 'legacy registry: bound transport');
    return OK;
  }

  /** Erlang `unbind_transport/1`: always `ok`, bound or not. */
  unbindTransport(transportId: string): Ok {
    assertString('transportId', transportId);
    const { transports, transportRecords, bindings, peers } = this.#state;
    const rec = localRecord(transports, transportRecords, transportId);
    if (rec !== undefined && bindings.serverOf(transportId) !== undefined) {
      announce(this.#state, { op: 'bound', id: transportId, h: rec.handle, s: null, o: peers?.self ?? 0 });
    } else if (rec === undefined) this.#askBind(transportId, null);
    bindings.unbind(transportId);
    return OK;
  }

  /** Erlang `get_server_for_transport/1`: the server `transportId` is bound to, or `not_found`. */
  getServerForTransport(transportId: string): ServerForTransportResult {
    assertString('transportId', transportId);
    const serverId = this.#state.bindings.serverOf(transportId);
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
    const handle = this.#state.servers.lookup(serverId);
    const rec = handle === undefined ? undefined : this.#state.serverRecords.get(handle);
    if (rec !== undefined) {
      rec.deliver({ type: 'mcp_message', transportId, message });
      return DELIVERED_ONE;
    }
    if (handle !== undefined && this.#pool !== undefined) {
      assertString('transportId', transportId);
      return this.#pool.forward('s', serverId, handle, transportId, message);
    }
    if (handle === undefined && this.#state.cluster !== undefined) {
      assertString('transportId', transportId);
      const routed = this.#state.cluster.route('s', serverId, transportId, message);
      if (routed !== undefined) return routed;
    }
    return drop(this.#state, 'server_not_found', serverId, handle !== undefined);
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
    if (transportId === BROADCAST) {
      return broadcast(this.#state.bindings, this.#pool, this.#state.cluster, serverId, message);
    }
    const handle = this.#state.transports.lookup(transportId);
    const rec = handle === undefined ? undefined : this.#state.transportRecords.get(handle);
    if (rec !== undefined) {
      rec.deliver({ type: 'mcp_response', serverId, message });
      return DELIVERED_ONE;
    }
    if (handle !== undefined && this.#pool !== undefined) {
      assertString('serverId', serverId);
      return this.#pool.forward('t', transportId, handle, serverId, message);
    }
    if (handle === undefined && this.#state.cluster !== undefined) {
      assertString('serverId', serverId);
      const routed = this.#state.cluster.route('t', transportId, serverId, message);
      if (routed !== undefined) return routed;
    }
    return drop(this.#state, 'transport_not_found', transportId, handle !== undefined);
  }

  /** Servers registered by this instance. */
  get serverCount(): number {
    return this.#state.serverRecords.size;
  }

  /** Transports registered by this instance. */
  get transportCount(): number {
    return this.#state.transportRecords.size;
  }

  /**
   * Unregisters every server and transport this instance holds (freeing their ids for other
   * workers) and stops watching their exits. The instance stays usable.
   */
  close(): void {
    for (const rec of this.#state.transportRecords.values()) removeTransport(this.#state, rec);
    for (const rec of this.#state.serverRecords.values()) removeServer(this.#state, rec);
    // The other workers' bindings are theirs: only a registry of its own forgets them all.
    if (this.#state.peers === undefined) this.#state.bindings.clear();
  }

  /**
   * Calls `listener` for every message this registry sent to another node that was not
   * delivered there (its owner no longer listened, or Redis failed the send): with a cluster,
   * a route answers before the owner's node received it, so this is where a loss shows
   * (docs/cluster.md#legacy-registry-across-nodes). Returns the unsubscribe function.
   */
  onUndelivered(listener: (report: Undelivered) => void): () => void {
    this.#undelivered.add(listener);
    return () => this.#undelivered.delete(listener);
  }

  /**
   * @internal Joins this registry to the other nodes of a cluster (src/cluster/legacy/): `open`
   * builds the cluster side from what it needs of this registry. Call once, before the
   * registrations the other nodes should hear of (later ones are announced; earlier ones are
   * in the snapshot the cluster side sends when it starts).
   */
  attachCluster(open: (host: LegacyHost) => LegacyCluster): LegacyCluster {
    const state = this.#state;
    const host: LegacyHost = {
      snapshot: () => ({ op: 'sync', ...snapshot(state), g: state.peers?.generation ?? 1 }),
      receive: (frame) => this.#fromNode(frame),
      holds: (k, id) => (k === 's' ? state.servers : state.transports).lookup(id) !== undefined,
      bind: (t: NodeTransport, serverId) => {
        if (serverId !== null) return state.bindings.bind(t.id, t, serverId);
        // Only this node transport's own binding: a local transport of the same id keeps its.
        const bound = state.bindings.transportsOf(state.bindings.serverOf(t.id) ?? '')?.get(t.id);
        if (bound !== undefined && 'address' in bound && bound.address === t.address) state.bindings.unbind(t.id);
      },
      serverGone: (serverId) => state.bindings.unbindServer(serverId),
      undelivered: (report) => {
        state.log.warn(
          { id: report.id, node: report.node, kind: report.kind, reason: report.reason, count: report.count },
          'legacy registry: a message sent to another node was not delivered',
        );
        for (const l of this.#undelivered) l(report);
      },
    };
    state.cluster = open(host);
    return state.cluster;
  }

  // ---- from the other pool workers (src/workers/legacy-bridge.ts) ----------------------

  /** @internal Handles `frame` from worker `from`. */
  receive(from: number, frame: PeerFrame): void {
    this.#pool?.receive(from, frame);
  }

  /**
   * @internal Worker `index` is down: its entries leave this worker's view with their
   * bindings (its objects died with it, Erlang's 'DOWN'), and one survivor per entry removes
   * it from the native registry so the id can be registered again.
   */
  peerDown(index: number): void {
    this.#pool?.peerDown(index);
  }

  /** @internal Worker `index` came up: tell it what this one holds, and ask what it holds. */
  peerUp(index: number): void {
    this.#pool?.peerUp(index);
  }

  // ---- internals ------------------------------------------------------------------------

  /** A frame of another node for this thread's own entries. */
  #fromNode(frame: PeerFrame): void {
    const state = this.#state;
    switch (frame.op) {
      case 'route':
        deliverRoute(state, frame.k, frame.id, frame.h, frame.v, frame.m);
        return;
      case 'bcast':
        deliverBroadcast(state, frame.s, frame.m, frame.t);
        return;
      case 'drop': {
        const rec = frame.k === 's' ? state.serverRecords.get(frame.h) : state.transportRecords.get(frame.h);
        if (rec?.id !== frame.id) return;
        if (frame.k === 's') removeServer(state, rec as ServerRecord);
        else removeTransport(state, rec as TransportRecord);
        return;
      }
      case 'bind': {
        const rec = state.transportRecords.get(frame.h);
        if (rec?.id !== frame.id) return;
        if (frame.s === null) this.unbindTransport(frame.id);
        else if (!this.bindTransportToServer(frame.id, frame.s).ok) {
          // The server is gone meanwhile: announce the binding as it stands, which settles the
          // asker's view (it applied its request at once).
          const s = state.bindings.serverOf(frame.id) ?? null;
          announce(state, { op: 'bound', id: frame.id, h: frame.h, s, o: state.peers?.self ?? 0 });
        }
        return;
      }
      default:
        return;
    }
  }

  /** Asks another worker, else another node, to (un)bind a transport it holds; false when nobody holds it. */
  #askBind(transportId: string, serverId: string | null): boolean {
    if (this.#state.transports.lookup(transportId) !== undefined)
      return this.#pool?.askBind(transportId, serverId) ?? false;
    return this.#state.cluster?.bind(transportId, serverId) ?? false;
  }

  #hasServer(serverId: string): boolean {
    const handle = this.#state.servers.lookup(serverId);
    if (handle === undefined) return this.#state.cluster?.has('s', serverId) ?? false;
    return this.#state.serverRecords.has(handle) || this.#pool?.liveOwner(handle) !== undefined;
  }
}

type Opened = LegacyRegistryOptions & { [OPENED]?: Tables };

function noop(): void {}
