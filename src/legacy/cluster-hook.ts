/**
 * What a {@link LegacyRegistry} asks of the cluster (the other nodes' registrations), when one
 * is attached (src/cluster/legacy/ implements it over Redis; docs/cluster.md#legacy-registry-across-nodes).
 * The registry stays the arbiter of this thread's own entries: it consults the hook only for ids
 * it does not hold (nor, in a pool worker, any worker of this node), and tells it every change of
 * its own entries through {@link LegacyCluster.announce}, in the same frames the pool uses.
 * @internal
 */
import type { Kind, PeerFrame } from './peers.js';
import type {
  FindServerResult,
  FindTransportResult,
  RouteResult,
  ServerEntry,
  TransportEntry,
  Undelivered,
} from './types.js';

/** One transport of another node bound to a server, in this thread's bindings. */
export interface NodeTransport {
  readonly id: string;
  readonly handle: number;
  /** The thread that holds it: `<nodeId>/<worker>/<incarnation>`. */
  readonly address: string;
}

/** The other nodes as a registry sees them. */
export interface LegacyCluster {
  /** Whether another node holds `id` (a live entry in this thread's view): `register*` then refuses it. */
  has(k: Kind, id: string): boolean;
  /** `find*` of an id held by another node; undefined when no node holds it. */
  find(k: Kind, id: string): FindServerResult | FindTransportResult | undefined;
  /** The other nodes' entries, as `list*` hands them out. */
  entries(k: Kind): (ServerEntry | TransportEntry)[];
  /** Routes to another node's entry; undefined when no node holds `id`. */
  route(k: Kind, id: string, via: string, message: unknown): RouteResult | undefined;
  /** Sends a broadcast of `serverId` to other nodes' transports; returns how many were sent. */
  broadcast(serverId: string, message: unknown, targets: readonly NodeTransport[]): number;
  /** Asks the owner of another node's entry to unregister it; false when no node holds it. */
  drop(k: Kind, id: string): boolean;
  /** Asks the owner of another node's transport to (un)bind it; false when no node holds it. */
  bind(transportId: string, serverId: string | null): boolean;
  /** A change of this thread's own entries (`reg`, `unreg`, `bound`), for the other nodes. */
  announce(frame: PeerFrame): void;
}

/** What the cluster side needs of the registry it serves (LegacyRegistry.attachCluster hands it over). */
export interface LegacyHost {
  /** Everything this thread holds, for a `sync`. */
  snapshot(): Extract<PeerFrame, { op: 'sync' }>;
  /** Applies a frame from another node aimed at this thread's own entries (`route`, `bcast`, `drop`, `bind`). */
  receive(frame: PeerFrame): void;
  /** Whether this thread (or a worker of this node) holds `id`: another node's announcement of it then stays out of the bindings. */
  holds(k: Kind, id: string): boolean;
  /** The bindings this thread routes broadcasts by: another node's transport is bound / unbound in it. */
  bind(transport: NodeTransport, serverId: string | null): void;
  /** A server id left (unregistered on its node): the transports bound to it are unbound, as locally. */
  serverGone(serverId: string): void;
  /** Reports a message that left this thread and was not delivered (see `onUndelivered`). */
  undelivered(report: Undelivered): void;
}
