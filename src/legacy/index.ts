/**
 * `erlmcp/legacy`: a drop-in for the Erlang erlmcp_registry API, backed by the native
 * ShardedRegistry. See docs/legacy.md for the mapping from each Erlang function.
 */
export {
  bindTransportToServer,
  defaultRegistry,
  findServer,
  findTransport,
  getServerForTransport,
  listServers,
  listTransports,
  registerServer,
  registerTransport,
  routeToServer,
  routeToTransport,
  setDefaultRegistry,
  unbindTransport,
  unregisterServer,
  unregisterTransport,
} from './default.js';
export { BROADCAST, LegacyRegistry, type LegacyRegistryOptions } from './registry.js';
export type { RemoteEndpoint } from './remote.js';
export type {
  BindResult,
  DropReason,
  Endpoint,
  Err,
  ExitSource,
  FindServerResult,
  FindTransportResult,
  LegacyServer,
  LegacyTransport,
  McpMessageEnvelope,
  McpResponseEnvelope,
  NotFound,
  Ok,
  RegisterResult,
  RouteResult,
  ServerConfig,
  ServerEntry,
  ServerForTransportResult,
  TransportConfig,
  TransportEntry,
} from './types.js';
