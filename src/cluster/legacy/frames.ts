/**
 * What the threads of the cluster's nodes say to each other about their legacy registrations:
 * the pool's own {@link PeerFrame}s (src/legacy/peers.ts), wrapped in an envelope naming the
 * sending thread, plus one envelope of its own, `gone`, by which the survivors of a node tell
 * the others that one of its worker threads died (the pool knows; Redis does not).
 * @internal
 */
import type { PeerFrame } from '../../legacy/peers.js';

/**
 * A thread of the cluster: `<nodeId>/<worker>/<incarnation>`. The incarnation (random, new at
 * every start of the thread) tells a restarted worker from the one that died at its index, so a
 * late frame of the dead one is never taken for its successor's.
 */
export type Address = string;

/** One message on the wire. */
export type NodeFrame =
  /** A frame of the pool protocol from thread `f`. */
  | { readonly f: Address; readonly p: PeerFrame }
  /** Thread `gone` (a worker of `f`'s node) died: its entries are dead. */
  | { readonly f: Address; readonly gone: Address };

/** The parts of an address. */
export function parseAddress(a: Address): { node: string; worker: number } {
  const end = a.lastIndexOf('/');
  const mid = a.lastIndexOf('/', end - 1);
  return { node: a.slice(0, mid), worker: Number(a.slice(mid + 1, end)) };
}

/** Channels: every thread listens on the shared one and on its own. */
export const channels = {
  all: (prefix: string) => `${prefix}:legacy`,
  thread: (prefix: string, a: Address) => `${prefix}:legacy:${a}`,
};
