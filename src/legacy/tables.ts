import { assertString } from '../core/errors.js';
import { ShardedRegistry } from '../core/registry.js';
import type { LegacyPeers } from './peers.js';

/**
 * The process-global native registries a {@link LegacyRegistry} is opened over by `open` /
 * `openPooled`, handed to its constructor under {@link OPENED} (not an option a caller sets).
 * @internal
 */
export interface Tables {
  servers: ShardedRegistry;
  transports: ShardedRegistry;
  claims: ShardedRegistry;
  peers?: LegacyPeers;
  reaps?: ShardedRegistry;
}

/** Key under which `open` hands the shared native registries to the constructor. */
export const OPENED: unique symbol = Symbol('erlmcp.legacy.opened');

/** `<name>:servers`, `<name>:transports` and `<name>:handles`. */
export function namedTables(name: string, shards: number): Tables {
  assertString('name', name);
  return {
    servers: ShardedRegistry.open(`${name}:servers`, { shards }),
    transports: ShardedRegistry.open(`${name}:transports`, { shards }),
    claims: ShardedRegistry.open(`${name}:handles`, { shards: 1 }),
  };
}

/** {@link namedTables} plus the worker mesh and `<name>:reaped`, for a pool worker. */
export function pooledTables(name: string, peers: LegacyPeers, shards: number): Tables {
  return { ...namedTables(name, shards), peers, reaps: ShardedRegistry.open(`${name}:reaped`, { shards }) };
}
