/**
 * The legacy registry across the nodes of a cluster (docs/cluster.md#legacy-registry-across-nodes):
 * every thread that serves (each worker of each node, or a node's one thread) joins its default
 * legacy registry to the others over Redis, so `registerServer` on one node is found, listed,
 * bound and routed to from every other. Started by src/app/serving.ts when `cluster.redis` is set.
 */
import { randomBytes } from 'node:crypto';
import type { LegacyRegistry } from '../../legacy/registry.js';
import type { Logger } from '../../ops/logger.js';
import type { WorkerMesh } from '../../workers/mesh.js';
import { onClusterView } from '../current.js';
import { NodeSync } from './node-sync.js';
import { startRedisWire } from './redis-wire.js';

/** Options of {@link startClusterLegacy}. */
export interface ClusterLegacyOptions {
  readonly registry: LegacyRegistry;
  readonly redis: string;
  readonly keyPrefix: string;
  readonly nodeId: string;
  /** This thread's worker index (0 on a node with one thread). */
  readonly worker: number;
  /** The worker mesh, in a pool worker: the death of a sibling is told to the other nodes. */
  readonly mesh?: WorkerMesh;
  readonly logger: Logger;
  /** Deadline of one Redis command (ms). */
  readonly timeoutMs: number;
}

/** A running cluster side of a registry. */
export interface ClusterLegacy {
  /** This thread's address in the cluster, `<nodeId>/<worker>/<incarnation>`. */
  readonly address: string;
  close(): Promise<void>;
}

/** Joins `registry` to the other nodes' threads; resolves once connected (or the first attempt failed: it retries). */
export async function startClusterLegacy(o: ClusterLegacyOptions): Promise<ClusterLegacy> {
  const address = `${o.nodeId}/${o.worker}/${randomBytes(4).toString('hex')}`;
  const log = o.logger.child({ legacy: address });
  let sync: NodeSync | undefined;
  const wire = await startRedisWire({
    redis: o.redis,
    keyPrefix: o.keyPrefix,
    address,
    logger: log,
    timeoutMs: o.timeoutMs,
    onFrame: (frame) => sync?.receive(frame),
    onReady: () => sync?.reconnected(),
  });
  sync = o.registry.attachCluster((host) => new NodeSync(host, wire, log)) as NodeSync;
  // Subscribed before attaching (when Redis is up): the first resync is this one.
  if (wire.up) sync.resync();
  const unview = onClusterView((view) => sync?.onView(view));
  const undown = o.mesh?.onPeerDown((i) => sync?.siblingDown(i));
  return {
    address,
    async close() {
      unview();
      undown?.();
      await wire.close();
    },
  };
}
