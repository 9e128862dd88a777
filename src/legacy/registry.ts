import pino, { type Logger } from 'pino';
import { assertString, invalidArg } from '../core/errors.js';
import { ShardedRegistry } from '../core/registry.js';
import { Bindings } from './bindings.js';
import { deliveryOf, watchExit } from './endpoint.js';
import { HandleBlocks } from './handles.js';
import {
  ALREADY_REGISTERED,
  DELIVERED_NONE,
  DELIVERED_ONE,
  dropped,
  NOT_FOUND,
  NOT_FOUND_ELSEWHERE,
  OK,
  SERVER_NOT_FOUND,
  TRANSPORT_NOT_FOUND,
} from './results.js';
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
 */
export class LegacyRegistry {
  readonly #servers: ShardedRegistry;
  readonly #transports: ShardedRegistry;
  readonly #handles: HandleBlocks;
  readonly #log: Logger;
  readonly #serverRecords = new Map<number, ServerRecord>();
  readonly #transportRecords = new Map<number, TransportRecord>();
  readonly #bindings = new Bindings<TransportRecord>();

  /** A registry private to this instance (its own native tables). */
  constructor(options: LegacyRegistryOptions = {}) {
    const shards = options.shards ?? 64;
    this.#servers = (options as Opened)[OPENED]?.servers ?? new ShardedRegistry({ shards });
    this.#transports = (options as Opened)[OPENED]?.transports ?? new ShardedRegistry({ shards });
    this.#handles = new HandleBlocks((options as Opened)[OPENED]?.claims ?? new ShardedRegistry({ shards: 1 }));
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
    assertString('name', name);
    const shards = options.shards ?? 64;
    const opened: Opened = {
      ...options,
      [OPENED]: {
        servers: ShardedRegistry.open(`${name}:servers`, { shards }),
        transports: ShardedRegistry.open(`${name}:transports`, { shards }),
        claims: ShardedRegistry.open(`${name}:handles`, { shards: 1 }),
      },
    };
    return new LegacyRegistry(opened);
  }

  /** Erlang `register_server/3`: `ok`, or `already_registered` when `serverId` is taken anywhere in the process. */
  registerServer(serverId: string, server: LegacyServer, config: ServerConfig = {}): RegisterResult {
    const deliver = deliveryOf('server', server);
    const handle = this.#claim(this.#servers, serverId);
    if (handle === undefined) {
      this.#log.warn({ serverId }, 'legacy registry: server already registered');
      return ALREADY_REGISTERED;
    }
    const rec: ServerRecord = { id: serverId, handle, endpoint: server, config, deliver, unwatch: noop };
    this.#serverRecords.set(handle, rec);
    rec.unwatch = watchExit(server, () => this.#exited(this.#serverRecords, rec, 'server'));
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
    const handle = this.#claim(this.#transports, transportId);
    if (handle === undefined) {
      this.#log.warn({ transportId }, 'legacy registry: transport already registered');
      return ALREADY_REGISTERED;
    }
    const rec: TransportRecord = { id: transportId, handle, endpoint: transport, config, deliver, unwatch: noop };
    this.#transportRecords.set(handle, rec);
    if (serverId !== undefined) this.#bindings.bind(transportId, rec, serverId);
    rec.unwatch = watchExit(transport, () => this.#exited(this.#transportRecords, rec, 'transport'));
    this.#log.debug({ transportId, handle, serverId }, 'legacy registry: registered transport');
    return OK;
  }

  /** Erlang `unregister_server/1`: always `ok`; the bindings of transports to it are removed too. A no-op for ids this instance does not hold. */
  unregisterServer(serverId: string): Ok {
    const rec = this.#local(this.#servers, this.#serverRecords, serverId);
    if (rec !== undefined) this.#removeServer(rec);
    return OK;
  }

  /** Erlang `unregister_transport/1`: always `ok`; its binding is removed too. A no-op for ids this instance does not hold. */
  unregisterTransport(transportId: string): Ok {
    const rec = this.#local(this.#transports, this.#transportRecords, transportId);
    if (rec !== undefined) this.#removeTransport(rec);
    return OK;
  }

  /** Erlang `find_server/1`: the server, its config and handle, or `not_found`. */
  findServer(serverId: string): FindServerResult {
    const handle = this.#servers.lookup(serverId);
    if (handle === undefined) return NOT_FOUND;
    const rec = this.#serverRecords.get(handle);
    if (rec === undefined) return NOT_FOUND_ELSEWHERE;
    return { ok: true, ...serverEntry(rec) };
  }

  /** Erlang `find_transport/1`: the transport, its config and handle, or `not_found`. */
  findTransport(transportId: string): FindTransportResult {
    const handle = this.#transports.lookup(transportId);
    if (handle === undefined) return NOT_FOUND;
    const rec = this.#transportRecords.get(handle);
    if (rec === undefined) return NOT_FOUND_ELSEWHERE;
    return { ok: true, ...transportEntry(rec) };
  }

  /** Erlang `list_servers/0`: the servers this instance registered, in registration order. */
  listServers(): ServerEntry[] {
    return Array.from(this.#serverRecords.values(), serverEntry);
  }

  /** Erlang `list_transports/0`: the transports this instance registered, in registration order. */
  listTransports(): TransportEntry[] {
    return Array.from(this.#transportRecords.values(), transportEntry);
  }

  /**
   * Erlang `bind_transport_to_server/2`: `ok` (replacing any previous binding),
   * `server_not_found`, or `transport_not_found` — both must be registered by this instance;
   * the server is checked first.
   */
  bindTransportToServer(transportId: string, serverId: string): BindResult {
    if (this.#local(this.#servers, this.#serverRecords, serverId) === undefined) return SERVER_NOT_FOUND;
    const rec = this.#local(this.#transports, this.#transportRecords, transportId);
    if (rec === undefined) return TRANSPORT_NOT_FOUND;
    this.#bindings.bind(transportId, rec, serverId);
    this.#log.debug({ transportId, serverId }, 'legacy registry: bound transport');
    return OK;
  }

  /** Erlang `unbind_transport/1`: always `ok`, bound or not. */
  unbindTransport(transportId: string): Ok {
    assertString('transportId', transportId);
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
   * server's delivery reaches the caller.
   */
  routeToServer(serverId: string, transportId: string, message: unknown): RouteResult {
    const handle = this.#servers.lookup(serverId);
    const rec = handle === undefined ? undefined : this.#serverRecords.get(handle);
    if (rec === undefined) return this.#drop('server_not_found', serverId, handle !== undefined);
    rec.deliver({ type: 'mcp_message', transportId, message });
    return DELIVERED_ONE;
  }

  /**
   * Erlang `route_to_transport/3`: hands `{ type: 'mcp_response', serverId, message }` to the
   * transport, or with `transportId` = `'broadcast'` to every transport bound to `serverId`
   * (one shared envelope; `delivered` counts them; every one is tried, then the first
   * exception thrown, if any, is rethrown). An unknown transport is logged (warn) and the
   * message dropped: `{ ok: true, delivered: 0, dropped: 'transport_not_found' }`.
   */
  routeToTransport(transportId: string, serverId: string, message: unknown): RouteResult {
    if (transportId === BROADCAST) return this.#broadcast(serverId, message);
    const handle = this.#transports.lookup(transportId);
    const rec = handle === undefined ? undefined : this.#transportRecords.get(handle);
    if (rec === undefined) return this.#drop('transport_not_found', transportId, handle !== undefined);
    rec.deliver({ type: 'mcp_response', serverId, message });
    return DELIVERED_ONE;
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
    this.#bindings.clear();
  }

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

  #removeServer(rec: ServerRecord): void {
    this.#serverRecords.delete(rec.handle);
    // Only the owner unregisters an id, so the key still maps to this record's handle.
    this.#servers.unregister(rec.id);
    this.#handles.release(rec.handle);
    rec.unwatch();
    this.#bindings.unbindServer(rec.id);
    this.#log.debug({ serverId: rec.id }, 'legacy registry: unregistered server');
  }

  #removeTransport(rec: TransportRecord): void {
    this.#transportRecords.delete(rec.handle);
    this.#transports.unregister(rec.id);
    this.#handles.release(rec.handle);
    rec.unwatch();
    this.#bindings.unbind(rec.id);
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
    // Snapshot: a delivery may unregister transports (an exit) while we iterate.
    for (const rec of Array.from(bound.values())) {
      try {
        rec.deliver(envelope);
        delivered++;
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure !== undefined) throw failure.error;
    return { ok: true, delivered };
  }

  #drop(reason: 'server_not_found' | 'transport_not_found', id: string, elsewhere: boolean): RouteResult {
    this.#log.warn({ id, registeredElsewhere: elsewhere }, `legacy registry: cannot route, ${reason}; dropped`);
    return dropped(reason, elsewhere);
  }
}

/** Key under which `open` hands the shared native registries to the constructor. */
const OPENED: unique symbol = Symbol('erlmcp.legacy.opened');
type Opened = LegacyRegistryOptions & {
  [OPENED]?: { servers: ShardedRegistry; transports: ShardedRegistry; claims: ShardedRegistry };
};

function noop(): void {}

function serverEntry(rec: ServerRecord): ServerEntry {
  return { id: rec.id, server: rec.endpoint as LegacyServer, config: rec.config, handle: rec.handle };
}

function transportEntry(rec: TransportRecord): TransportEntry {
  return { id: rec.id, transport: rec.endpoint as LegacyTransport, config: rec.config, handle: rec.handle };
}
