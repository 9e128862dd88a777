/**
 * This thread's window on the cluster, for /health: the node's membership runs once per
 * process (on the main thread), and every thread that answers /health reads the view from here.
 * Without a cluster nothing is set and /health has no `cluster` object.
 */
import type { ClusterView } from './membership.js';

let source: (() => ClusterView) | undefined;

/** Sets where this thread reads the cluster view (the membership itself, or the pool's copies). */
export function setClusterSource(read: (() => ClusterView) | undefined): void {
  source = read;
}

/** The cluster view, or undefined when this process is not in a cluster. */
export function clusterView(): ClusterView | undefined {
  return source?.();
}
