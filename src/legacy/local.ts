/**
 * What a {@link LegacyRegistry} does with the objects it registered itself: claim an id,
 * find its record, remove it (announcing that to the other pool workers), and hand it out.
 * Shared by the registry's API and its pool side ({@link PoolSync}), over one {@link RegistryState}.
 * @internal
 */
import { assertString } from '../core/errors.js';
import type { ShardedRegistry } from '../core/registry.js';
import type { Announced, PeerFrame } from './peers.js';
import { dropped } from './results.js';
import type { RegistryState, ServerRecord, TransportRecord } from './state.js';
import type { LegacyServer, LegacyTransport, RouteResult, ServerEntry, TransportEntry } from './types.js';

/** Registers `id` under a fresh handle in `table`; undefined (handle returned) when the id is taken. */
export function claim(state: RegistryState, table: ShardedRegistry, id: string): number | undefined {
  assertString('id', id);
  const handle = state.handles.acquire();
  let won = false;
  try {
    won = table.register(id, handle);
  } finally {
    if (!won) state.handles.release(handle);
  }
  return won ? handle : undefined;
}

/** Tells a change of this instance's own entries to the other workers and (in a cluster) the other nodes. */
export function announce(state: RegistryState, frame: PeerFrame): void {
  state.peers?.publish(frame);
  state.cluster?.announce(frame);
}

/** Everything this instance holds (with each transport's binding), as a `sync` carries it. */
export function snapshot(state: RegistryState): { s: Announced[]; t: Announced[] } {
  const s: Announced[] = [];
  const t: Announced[] = [];
  for (const r of state.serverRecords.values()) s.push([r.id, r.handle, r.config, null]);
  for (const r of state.transportRecords.values())
    t.push([r.id, r.handle, r.config, state.bindings.serverOf(r.id) ?? null]);
  return { s, t };
}

/** This instance's record of `id`, if it registered it. */
export function localRecord<R>(table: ShardedRegistry, records: Map<number, R>, id: string): R | undefined {
  const handle = table.lookup(id);
  return handle === undefined ? undefined : records.get(handle);
}

export function removeServer(state: RegistryState, rec: ServerRecord): void {
  state.serverRecords.delete(rec.handle);
  // Only the owner unregisters an id, so the key still maps to this record's handle.
  state.servers.unregister(rec.id);
  state.handles.release(rec.handle);
  rec.unwatch();
  state.bindings.unbindServer(rec.id);
  announce(state, { op: 'unreg', k: 's', id: rec.id, h: rec.handle });
  state.log.debug({ serverId: rec.id }, 'legacy registry: unregistered server');
}

export function removeTransport(state: RegistryState, rec: TransportRecord): void {
  state.transportRecords.delete(rec.handle);
  state.transports.unregister(rec.id);
  state.handles.release(rec.handle);
  rec.unwatch();
  state.bindings.unbind(rec.id);
  announce(state, { op: 'unreg', k: 't', id: rec.id, h: rec.handle });
  state.log.debug({ transportId: rec.id }, 'legacy registry: unregistered transport');
}

/** The monitor's 'DOWN': removes `rec` unless it was already unregistered (its id may be re-registered by now). */
export function exited<R extends ServerRecord | TransportRecord>(
  state: RegistryState,
  records: Map<number, R>,
  rec: R,
  kind: 'server' | 'transport',
): void {
  if (records.get(rec.handle) !== rec) return;
  state.log.warn({ id: rec.id, kind }, 'legacy registry: registered %s exited', kind);
  if (kind === 'server') removeServer(state, rec as ServerRecord);
  else removeTransport(state, rec as TransportRecord);
}

/** Logs (warn) a message that reaches nobody and answers it. */
export function drop(
  state: RegistryState,
  reason: 'server_not_found' | 'transport_not_found',
  id: string,
  elsewhere: boolean,
): RouteResult {
  state.log.warn({ id, registeredElsewhere: elsewhere }, `legacy registry: cannot route, ${reason}; dropped`);
  return dropped(reason, elsewhere);
}

export function serverEntry(state: RegistryState, rec: ServerRecord): ServerEntry {
  const entry = { id: rec.id, server: rec.endpoint as LegacyServer, config: rec.config, handle: rec.handle };
  return state.peers === undefined ? entry : { ...entry, worker: state.peers.self };
}

export function transportEntry(state: RegistryState, rec: TransportRecord): TransportEntry {
  const entry = { id: rec.id, transport: rec.endpoint as LegacyTransport, config: rec.config, handle: rec.handle };
  return state.peers === undefined ? entry : { ...entry, worker: state.peers.self };
}
