/**
 * The shapes of the legacy (erlmcp_registry-compatible) API: what is registered, what it
 * receives, and the result values that stand in for Erlang's `ok` / `{error, Reason}`.
 */

/** What a server receives from {@link LegacyRegistry.routeToServer}: Erlang's `{mcp_message, TransportId, Message}`. */
export interface McpMessageEnvelope<M = unknown> {
  readonly type: 'mcp_message';
  /** The transport the message came in on (as passed to `routeToServer`). */
  readonly transportId: string;
  readonly message: M;
}

/** What a transport receives from {@link LegacyRegistry.routeToTransport}: Erlang's `{mcp_response, ServerId, Message}`. */
export interface McpResponseEnvelope<M = unknown> {
  readonly type: 'mcp_response';
  /** The server that answered (as passed to `routeToTransport`). */
  readonly serverId: string;
  readonly message: M;
}

/**
 * How a registered object reports that it is gone (the Erlang monitor). Any one of:
 * - `onExit(listener)`, returning an unsubscribe function (or nothing);
 * - an EventEmitter-like `once('exit' | 'close', listener)` with `off` or `removeListener`
 *   (Node's `EventEmitter`, `Worker`, `ChildProcess`, sockets...): the first of the two events counts.
 * An object with neither is never removed automatically: unregister it yourself.
 */
export interface ExitSource {
  /** Calls `listener` once when the object exits; may return a function that cancels the subscription (anything else is ignored). */
  onExit?(listener: (reason?: unknown) => void): unknown;
  /** EventEmitter-style subscription; used when `onExit` is absent. */
  once?(event: 'exit' | 'close', listener: (...args: unknown[]) => void): unknown;
  /** EventEmitter-style unsubscription (`off` is preferred over `removeListener`). */
  off?(event: 'exit' | 'close', listener: (...args: unknown[]) => void): unknown;
  /** EventEmitter-style unsubscription for emitters without `off`. */
  removeListener?(event: 'exit' | 'close', listener: (...args: unknown[]) => void): unknown;
}

/**
 * Something a message can be routed to (the Erlang pid): a plain function, or an object with
 * `deliver(envelope)` which may also report its exit ({@link ExitSource}). Delivery is a
 * synchronous call; an exception it throws reaches the caller of the routing function.
 */
export type Endpoint<E> = ((envelope: E) => void) | ({ deliver(envelope: E): void } & ExitSource);

/** A registered server: receives {@link McpMessageEnvelope}s. */
export type LegacyServer<M = unknown> = Endpoint<McpMessageEnvelope<M>>;

/** A registered transport: receives {@link McpResponseEnvelope}s. */
export type LegacyTransport<M = unknown> = Endpoint<McpResponseEnvelope<M>>;

/** A server's config: opaque to the registry, handed back by `findServer` / `listServers`. */
export type ServerConfig = Readonly<Record<string, unknown>>;

/** A transport's config; `serverId` (Erlang `server_id`) binds the transport to that server on registration. */
export type TransportConfig = Readonly<Record<string, unknown>> & { readonly serverId?: string };

/** Erlang `ok`. */
export interface Ok {
  readonly ok: true;
}

/** Erlang `{error, Reason}`. */
export interface Err<E extends string> {
  readonly ok: false;
  readonly error: E;
}

/** `registerServer` / `registerTransport`: `ok` or `{error, already_registered}` (the id is taken in the whole process). */
export type RegisterResult = Ok | Err<'already_registered'>;

/** `bindTransportToServer`: the server is checked first, as in the original. */
export type BindResult = Ok | Err<'server_not_found'> | Err<'transport_not_found'>;

/**
 * `{error, not_found}` of a lookup. `registeredElsewhere` is set when the id is registered in
 * the shared native registry by another LegacyRegistry (another worker_thread): the id is
 * taken, but its object lives in another isolate and cannot be handed out here.
 */
export interface NotFound extends Err<'not_found'> {
  readonly registeredElsewhere?: true;
  /** In a cluster: Redis is unreachable, so the other nodes' entries are out of this view (docs/cluster.md#legacy-registry-across-nodes). */
  readonly clusterUnavailable?: true;
}

/** One registered server (Erlang `{ServerId, {Pid, Config}}`). */
export interface ServerEntry<M = unknown> {
  readonly id: string;
  readonly server: LegacyServer<M>;
  readonly config: ServerConfig;
  /** The process-wide handle the id maps to in the native registry. */
  readonly handle: number;
  /**
   * In a pool worker: the worker that holds the server. For another worker's server, `server`
   * is a `RemoteEndpoint` whose `deliver` routes to it.
   */
  readonly worker?: number;
  /** In a cluster: the node that holds the server, for another node's (`server` is then a `RemoteEndpoint`). */
  readonly node?: string;
}

/** One registered transport (Erlang `{TransportId, {Pid, Config}}`). */
export interface TransportEntry<M = unknown> {
  readonly id: string;
  readonly transport: LegacyTransport<M>;
  readonly config: TransportConfig;
  /** The process-wide handle the id maps to in the native registry. */
  readonly handle: number;
  /** In a pool worker: the worker that holds the transport (see {@link ServerEntry.worker}). */
  readonly worker?: number;
  /** In a cluster: the node that holds the transport (see {@link ServerEntry.node}). */
  readonly node?: string;
}

/** `findServer`: Erlang `{ok, {Pid, Config}}` / `{error, not_found}`. */
export type FindServerResult<M = unknown> = (Ok & ServerEntry<M>) | NotFound;

/** `findTransport`: Erlang `{ok, {Pid, Config}}` / `{error, not_found}`. */
export type FindTransportResult<M = unknown> = (Ok & TransportEntry<M>) | NotFound;

/** `getServerForTransport`: Erlang `{ok, ServerId}` / `{error, not_found}`. */
export type ServerForTransportResult = (Ok & { readonly serverId: string }) | Err<'not_found'>;

/**
 * Why a routed message reached nobody. `cluster_unavailable`: the target is another node's
 * and Redis is unreachable (nothing was sent; docs/errors.md).
 */
export type DropReason = 'server_not_found' | 'transport_not_found' | 'cluster_unavailable';

/**
 * A message that left this thread for another node and was not delivered there (reported to
 * {@link LegacyRegistry.onUndelivered} listeners and logged at warn): `node_unreachable` when
 * the owner's thread no longer listened (it died or lost Redis), `cluster_unavailable` when
 * Redis failed the send.
 */
export interface Undelivered {
  readonly reason: 'node_unreachable' | 'cluster_unavailable';
  /** `route` to a server, a transport, or a `broadcast` to transports. */
  readonly kind: 'server' | 'transport' | 'broadcast';
  /** The target's id (the server's for a broadcast). */
  readonly id: string;
  /** The node that held it. */
  readonly node: string;
  /** How many deliveries it stood for (1, or the transports of a broadcast frame). */
  readonly count: number;
  readonly message: unknown;
}

/**
 * A routing call's answer. Erlang's `route_to_*` always return `ok` (a cast) and log and drop a
 * message for an unknown target; ours always has `ok: true` too, and says what happened:
 * `delivered` envelopes handed over, and `dropped` when the target was unknown here
 * (`registeredElsewhere` when another worker holds it). A broadcast to a server with no bound
 * transports delivers 0 and drops nothing.
 */
export interface RouteResult {
  readonly ok: true;
  readonly delivered: number;
  readonly dropped?: DropReason;
  readonly registeredElsewhere?: true;
  /**
   * In a pool worker: how many of `delivered` went to objects of other workers (in a cluster,
   * also of other nodes). Those are handed to their worker's inbox (another node's: over
   * Redis), in order per (sender, target), and delivered there after this call returns; an
   * exception they throw is logged there. One that does not reach another node is reported to
   * {@link LegacyRegistry.onUndelivered}.
   */
  readonly forwarded?: number;
}
