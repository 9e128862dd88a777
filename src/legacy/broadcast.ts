import type { Bindings } from './bindings.js';
import type { LegacyCluster, NodeTransport } from './cluster-hook.js';
import type { PoolSync } from './pool-sync.js';
import { DELIVERED_NONE } from './results.js';
import type { BoundTransport } from './state.js';
import type { McpResponseEnvelope, RouteResult } from './types.js';

/**
 * `routeToTransport(BROADCAST, serverId, message)`: one shared envelope to every transport
 * bound to `serverId`; those of other pool workers go through `pool`, one frame per worker,
 * and those of other nodes through `cluster`, one frame per node thread.
 * Every local delivery is tried, then the first exception thrown, if any, is rethrown.
 * @internal
 */
export function broadcast(
  bindings: Bindings<BoundTransport>,
  pool: PoolSync | undefined,
  cluster: LegacyCluster | undefined,
  serverId: string,
  message: unknown,
): RouteResult {
  const bound = bindings.transportsOf(serverId);
  if (bound === undefined || bound.size === 0) return DELIVERED_NONE;
  const envelope: McpResponseEnvelope = { type: 'mcp_response', serverId, message };
  let delivered = 0;
  let failure: { error: unknown } | undefined;
  /** Other workers' transports, by owner: one frame per worker. */
  let remote: Map<number, [string, number][]> | undefined;
  /** Other nodes' transports. */
  let nodes: NodeTransport[] | undefined;
  // Snapshot: a delivery may unregister transports (an exit) while we iterate.
  for (const rec of Array.from(bound.values())) {
    if ('address' in rec) {
      nodes ??= [];
      nodes.push(rec);
      continue;
    }
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
  let forwarded = remote === undefined ? 0 : (pool?.forwardBroadcast(serverId, message, remote) ?? 0);
  if (nodes !== undefined) forwarded += cluster?.broadcast(serverId, message, nodes) ?? 0;
  if (failure !== undefined) throw failure.error;
  return forwarded > 0 ? { ok: true, delivered: delivered + forwarded, forwarded } : { ok: true, delivered };
}
