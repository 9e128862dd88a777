/**
 * What one {@link LegacyRegistry} holds: its records and the tables beside them. The registry
 * owns them; its {@link PoolSync} (in a pool worker) is handed the same objects, so both read
 * and change one state and nothing is copied between them.
 * @internal
 */
import type { Logger } from 'pino';
import type { ShardedRegistry } from '../core/registry.js';
import type { Bindings } from './bindings.js';
import type { LegacyCluster, NodeTransport } from './cluster-hook.js';
import type { HandleBlocks } from './handles.js';
import type { LegacyPeers } from './peers.js';
import type { RemoteRecord } from './remote.js';
import type { McpMessageEnvelope, McpResponseEnvelope, ServerConfig, TransportConfig } from './types.js';

/** A registered object and what the registry keeps beside it. */
export interface Held<E, C> {
  readonly id: string;
  readonly handle: number;
  readonly endpoint: unknown;
  readonly config: C;
  readonly deliver: (envelope: E) => void;
  unwatch: () => void;
}
export type ServerRecord = Held<McpMessageEnvelope, ServerConfig>;
export type TransportRecord = Held<McpResponseEnvelope, TransportConfig>;
/** What a binding points at: a transport of this instance, one another worker holds, or one of another node. */
export type BoundTransport = TransportRecord | RemoteRecord | NodeTransport;

/** The tables of one registry, shared with its pool companion. */
export interface RegistryState {
  readonly servers: ShardedRegistry;
  readonly transports: ShardedRegistry;
  readonly handles: HandleBlocks;
  readonly serverRecords: Map<number, ServerRecord>;
  readonly transportRecords: Map<number, TransportRecord>;
  readonly bindings: Bindings<BoundTransport>;
  readonly log: Logger;
  /** The other workers, in a pool worker opened over the mesh; undefined otherwise. */
  readonly peers: LegacyPeers | undefined;
  /** The other nodes, once a cluster is attached (LegacyRegistry.attachCluster); undefined otherwise. */
  cluster: LegacyCluster | undefined;
}
