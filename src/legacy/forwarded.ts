/**
 * What the owner of an entry does with a message routed to it from another thread (a pool
 * worker over the mesh, or a node of the cluster over Redis): deliver it to the object it
 * holds, if it still holds it under that handle. The caller returned long ago, so an
 * exception can only be logged here.
 * @internal
 */
import type { Kind } from './peers.js';
import type { RegistryState, ServerRecord, TransportRecord } from './state.js';
import type { McpResponseEnvelope } from './types.js';

/** Delivers a `route` frame to this instance's entry `id` (of `handle`); logs and drops it when the entry is gone. */
export function deliverRoute(
  state: RegistryState,
  k: Kind,
  id: string,
  handle: number,
  via: string,
  message: unknown,
): void {
  const rec = k === 's' ? state.serverRecords.get(handle) : state.transportRecords.get(handle);
  if (rec?.id !== id) {
    state.log.warn({ id, kind: k }, 'legacy registry: forwarded message for an id no longer held here; dropped');
    return;
  }
  try {
    if (k === 's') (rec as ServerRecord).deliver({ type: 'mcp_message', transportId: via, message });
    else (rec as TransportRecord).deliver({ type: 'mcp_response', serverId: via, message });
  } catch (err) {
    state.log.warn({ err, id }, 'legacy registry: delivery of a forwarded message threw');
  }
}

/** Delivers a `bcast` frame of `serverId` to those of `targets` this instance holds and still binds to it. */
export function deliverBroadcast(
  state: RegistryState,
  serverId: string,
  message: unknown,
  targets: [string, number][],
): void {
  const envelope: McpResponseEnvelope = { type: 'mcp_response', serverId, message };
  for (const [id, handle] of targets) {
    const rec = state.transportRecords.get(handle);
    // The binding is the owner's to decide: skip a transport unbound since the sender looked.
    if (rec?.id !== id || state.bindings.serverOf(id) !== serverId) continue;
    try {
      rec.deliver(envelope);
    } catch (err) {
      state.log.warn({ err, id }, 'legacy registry: delivery of a forwarded broadcast threw');
    }
  }
}
