/**
 * This thread's window on the cluster, for /health: the node's membership runs once per
 * process (on the main thread), and every thread that answers /health reads the view from here.
 * Without a cluster nothing is set and /health has no `cluster` object.
 */
import type { ClusterView } from './membership.js';

let source: (() => ClusterView) | undefined;
const listeners = new Set<(view: ClusterView) => void>();

/** Sets where this thread reads the cluster view (the membership itself, or the pool's copies); tells the listeners. */
export function setClusterSource(read: (() => ClusterView) | undefined): void {
  source = read;
  clusterViewChanged();
}

/** The cluster view, or undefined when this process is not in a cluster. */
export function clusterView(): ClusterView | undefined {
  return source?.();
}

/** A new view is readable (after each heartbeat): tells every {@link onClusterView} listener. */
export function clusterViewChanged(): void {
  const view = source?.();
  if (view !== undefined) for (const l of listeners) l(view);
}

/** Calls `listener` with every new view of this thread (the legacy registry drops left nodes by it). */
export function onClusterView(listener: (view: ClusterView) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
