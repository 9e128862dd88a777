/**
 * The function-style API, like the Erlang module: every function acts on one default
 * {@link LegacyRegistry} per thread, created on first use. In a pool worker (`erlmcp serve
 * --workers N`) it is process-wide: opened over the worker mesh, it sees and reaches the
 * registrations of every worker (src/workers/legacy-bridge.ts). Elsewhere it is private to the
 * thread unless replaced with {@link setDefaultRegistry}.
 */
import { poolLegacyRegistry } from '../workers/legacy-bridge.js';
import { LegacyRegistry } from './registry.js';
import type {
  BindResult,
  FindServerResult,
  FindTransportResult,
  LegacyServer,
  LegacyTransport,
  Ok,
  RegisterResult,
  RouteResult,
  ServerConfig,
  ServerEntry,
  ServerForTransportResult,
  TransportConfig,
  TransportEntry,
} from './types.js';

let current: LegacyRegistry | undefined;

/** The registry the module-level functions use (created on first use: the pool's in a pool worker, else with default options). */
export function defaultRegistry(): LegacyRegistry {
  current ??= poolLegacyRegistry() ?? new LegacyRegistry();
  return current;
}

/** Makes `registry` the one the module-level functions use; returns the previous one, if any. */
export function setDefaultRegistry(registry: LegacyRegistry): LegacyRegistry | undefined {
  const previous = current;
  current = registry;
  return previous;
}

/** {@link LegacyRegistry.registerServer} on the default registry. */
export function registerServer(serverId: string, server: LegacyServer, config?: ServerConfig): RegisterResult {
  return defaultRegistry().registerServer(serverId, server, config);
}

/** {@link LegacyRegistry.registerTransport} on the default registry. */
export function registerTransport(
  transportId: string,
  transport: LegacyTransport,
  config?: TransportConfig,
): RegisterResult {
  return defaultRegistry().registerTransport(transportId, transport, config);
}

/** {@link LegacyRegistry.unregisterServer} on the default registry. */
export function unregisterServer(serverId: string): Ok {
  return defaultRegistry().unregisterServer(serverId);
}

/** {@link LegacyRegistry.unregisterTransport} on the default registry. */
export function unregisterTransport(transportId: string): Ok {
  return defaultRegistry().unregisterTransport(transportId);
}

/** {@link LegacyRegistry.findServer} on the default registry. */
export function findServer(serverId: string): FindServerResult {
  return defaultRegistry().findServer(serverId);
}

/** {@link LegacyRegistry.findTransport} on the default registry. */
export function findTransport(transportId: string): FindTransportResult {
  return defaultRegistry().findTransport(transportId);
}

/** {@link LegacyRegistry.listServers} on the default registry. */
export function listServers(): ServerEntry[] {
  return defaultRegistry().listServers();
}

/** {@link LegacyRegistry.listTransports} on the default registry. */
export function listTransports(): TransportEntry[] {
  return defaultRegistry().listTransports();
}

/** {@link LegacyRegistry.bindTransportToServer} on the default registry. */
export function bindTransportToServer(transportId: string, serverId: string): BindResult {
  return defaultRegistry().bindTransportToServer(transportId, serverId);
}

/** {@link LegacyRegistry.unbindTransport} on the default registry. */
export function unbindTransport(transportId: string): Ok {
  return defaultRegistry().unbindTransport(transportId);
}

/** {@link LegacyRegistry.getServerForTransport} on the default registry. */
export function getServerForTransport(transportId: string): ServerForTransportResult {
  return defaultRegistry().getServerForTransport(transportId);
}

/** {@link LegacyRegistry.routeToServer} on the default registry. */
export function routeToServer(serverId: string, transportId: string, message: unknown): RouteResult {
  return defaultRegistry().routeToServer(serverId, transportId, message);
}

/** {@link LegacyRegistry.routeToTransport} on the default registry. */
export function routeToTransport(transportId: string, serverId: string, message: unknown): RouteResult {
  return defaultRegistry().routeToTransport(transportId, serverId, message);
}
