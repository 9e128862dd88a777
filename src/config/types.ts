/**
 * The shape of erlmcp's configuration (`erlmcp serve --config FILE`). Every key, its range,
 * default and environment variable are in one table (schema.ts) that also renders
 * docs/config.md; the interfaces here are what that table resolves to.
 */

/** pino's levels, plus 'silent'. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/** How a closed circuit breaker decides to open (see BreakerOptions.policy). */
export type BreakerPolicy = 'consecutive' | 'window' | 'error_rate';

/** Where and how the server listens. */
export interface ServerConfig {
  /** Address to bind. Default "127.0.0.1". */
  readonly host: string;
  /** Port to bind, 0..65535; 0 picks a free one. Default 9999. */
  readonly port: number;
  /** Path of the MCP endpoint for WebSocket and Streamable HTTP. Default "/mcp". */
  readonly path: string;
  /** WebSocket connections + HTTP sessions held at once. Default 15000. */
  readonly maxConnections: number;
  /** Request headers must be complete within this many ms of their first byte (or of the connection opening). Default 5000. */
  readonly headersTimeoutMs: number;
  /** A whole request, body included, must be received within this many ms of its first byte. Default 30000. */
  readonly bodyTimeoutMs: number;
  /** A keep-alive connection with no new request for this many ms after a response is closed. Default 5000. */
  readonly idleTimeoutMs: number;
  /** TCP connections open at once; 0 derives it from the open-file limit. Default 0. */
  readonly maxRawConnections: number;
  /** How long in-flight requests may finish on shutdown, in ms. Default 5000. */
  readonly shutdownMs: number;
  /** Serve one client over stdin/stdout instead of the network. Default false. */
  readonly stdio: boolean;
  /** Worker threads serving the port; 0 = os.availableParallelism(), 1 = no workers. Default 0. */
  readonly workers: number;
  /** Module whose default export builds the McpServer (every worker calls it); "demo" = the demo toolset. Default "demo". */
  readonly module: string;
}

/** The WebSocket transport (WebSocketListenerOptions). */
export interface WebSocketConfig {
  /** Serve MCP over WebSocket. Default true. */
  readonly enabled: boolean;
  /** Largest inbound message in bytes. Default 4194304 (4 MiB). */
  readonly maxPayload: number;
  /** Ms between pings; 0 disables. Default 30000. */
  readonly keepAliveMs: number;
  /** permessage-deflate. Default false. */
  readonly perMessageDeflate: boolean;
  /** Per-connection bound on unsent bytes. Default 8388608 (8 MiB). */
  readonly maxBufferedBytes: number;
  /** How long unsent bytes may stay above 75 % of maxBufferedBytes, in ms. Default 30000. */
  readonly stallTimeoutMs: number;
  /** How long a peer may take to answer our close frame, in ms. Default 5000. */
  readonly closeTimeoutMs: number;
  /** Origin values accepted; null = the built-in policy. Default null. */
  readonly allowedOrigins: readonly string[] | null;
  /** Host values accepted; null = the built-in policy. Default null. */
  readonly allowedHosts: readonly string[] | null;
}

/** The Streamable HTTP transport (StreamableHttpListenerOptions). */
export interface HttpConfig {
  /** Serve MCP over Streamable HTTP. Default true. */
  readonly enabled: boolean;
  /** Largest POST body in bytes. Default 4194304 (4 MiB). */
  readonly maxBodyBytes: number;
  /** Ms between keep-alive comments on open SSE streams; 0 disables. Default 15000. */
  readonly sseKeepAliveMs: number;
  /** An idle session is closed after this many ms. Default 300000. */
  readonly sessionIdleMs: number;
  /** Per SSE stream bound on unsent bytes. Default 8388608 (8 MiB). */
  readonly maxBufferedBytes: number;
  /** Server-initiated messages kept per session while no GET stream is open. Default 1000. */
  readonly maxBacklog: number;
  /** A client's stateless (2026) channel with nothing in flight is closed after this many ms. Default 60000. */
  readonly clientIdleMs: number;
  /** Stateless channels (client addresses) held at once. Default 65536. */
  readonly maxClients: number;
  /** Origin values accepted; null = the built-in policy. Default null. */
  readonly allowedOrigins: readonly string[] | null;
  /** Host values accepted; null = the built-in policy. Default null. */
  readonly allowedHosts: readonly string[] | null;
}

/** The sharded session registry. */
export interface RegistryConfig {
  /** Registry (and admission, and shard manager) shards: a power of two in 1..1024. Default 64. */
  readonly shards: number;
}

/** Each shard manager's bounded message queue (RingOptions). */
export interface QueueConfig {
  /** Messages each shard's queue holds. Default 10000. */
  readonly size: number;
  /** Fill ratio from which a push is flagged as a warning. Default 0.75. */
  readonly warnAt: number;
  /** Fill ratio from which a push is refused. Default 0.95. */
  readonly rejectAt: number;
}

/** Whether requests run through the crash-isolated shard managers. */
export interface ShardsConfig {
  /** true: requests queue per shard and run in that shard's supervised manager; false: inline. Default true. */
  readonly enabled: boolean;
}

/** The per-session token bucket (BucketOptions). */
export interface BucketConfig {
  /** Burst size in requests. Default 1000. */
  readonly capacity: number;
  /** Requests refilled per second. Default 10000. */
  readonly refillPerSec: number;
  /** Notifications dropped (bucket empty) within floodWindowMs past which the sender is disconnected; 0 never. Default 1000. */
  readonly floodDisconnectAfter: number;
  /** The window of the flood rule, ms. Default 10000. */
  readonly floodWindowMs: number;
}

/** Admission control (AdmissionOptions, GateOptions.overloadRetryMs). */
export interface AdmissionConfig {
  /** Requests in flight per shard. Default 10000. */
  readonly maxPerShard: number;
  /** Requests in flight in total. Default 500000. */
  readonly maxGlobal: number;
  /** retryAfterMs suggested to a client refused for overload. Default 100. */
  readonly overloadRetryMs: number;
}

/** The global circuit breaker (BreakerOptions). */
export interface BreakerConfig {
  /** Trip policy. Default "consecutive". */
  readonly policy: BreakerPolicy;
  /** Failures that open the breaker ('consecutive', 'window'). Default 5. */
  readonly failureThreshold: number;
  /** Rolling window for 'window' and 'error_rate', in ms. Default 10000. */
  readonly windowMs: number;
  /** Failure percentage that opens the breaker ('error_rate'). Default 50. */
  readonly errorThresholdPct: number;
  /** Calls in the window before 'error_rate' may open. Default 10. */
  readonly minCalls: number;
  /** Time open before trial calls, in ms. Default 30000. */
  readonly openMs: number;
  /** Trial calls allowed while half open. Default 3. */
  readonly halfOpenMaxCalls: number;
  /** Trial successes that close the breaker. Default 3. */
  readonly successThreshold: number;
}

/** Restart intensity of the supervision tree. */
export interface SupervisorConfig {
  /** Restarts allowed within periodMs before a supervisor gives up. Default 5. */
  readonly intensity: number;
  /** The intensity window in ms. Default 60000. */
  readonly periodMs: number;
  /** How long a worker child may take to stop before it is killed, in ms. Default 5000. */
  readonly childShutdownMs: number;
}

/** MCP 2026-07-28 (stateless era): multi round-trip state, caching hints, subscriptions, tasks. */
export interface McpConfig {
  /** Secret the requestState sealing key is derived from (>= 32 characters), or "random" for one per process. Default "random". */
  readonly requestStateKey: string;
  /** How long sealed requestState stays valid, ms. Default 600000. */
  readonly requestStateTtlMs: number;
  /** ttlMs of server/discover and list results. Default 0. */
  readonly cacheTtlMs: number;
  /** cacheScope of server/discover and list results. Default "private". */
  readonly cacheScope: 'public' | 'private';
  /** Open subscriptions/listen streams at once. Default 10000. */
  readonly maxSubscriptions: number;
  /** Default lifetime of a task, ms. Default 3600000. */
  readonly taskTtlMs: number;
  /** Suggested polling interval of tasks, ms. Default 1000. */
  readonly taskPollIntervalMs: number;
  /** Tasks running at once. Default 10000. */
  readonly maxRunningTasks: number;
}

/**
 * OAuth 2.1 resource server (docs/auth.md). Off while `resource` is "none"; on, every HTTP
 * request to the MCP endpoint and every WebSocket upgrade needs `Authorization: Bearer`.
 */
export interface AuthConfig {
  /** This server's resource identifier (RFC 8707/9728), e.g. "https://mcp.example.com/mcp"; "none": auth off. Default "none". */
  readonly resource: string;
  /** Issuer URLs of the authorization servers (RFC 9728 `authorization_servers`). Default unset. */
  readonly authorizationServers: readonly string[] | null;
  /** `scopes_supported` of the resource metadata. Default unset. */
  readonly scopesSupported: readonly string[] | null;
  /** JWKS URL for JWT access tokens; "none": no JWT verification. Default "none". */
  readonly jwksUri: string;
  /** The `iss` JWTs must carry; "none": the single authorization server. Default "none". */
  readonly issuer: string;
  /** Accepted `aud` values; unset: the resource. Default unset. */
  readonly audience: readonly string[] | null;
  /** Accepted JWT algorithms; unset: RS256, PS256, ES256, EdDSA. Default unset. */
  readonly algorithms: readonly string[] | null;
  /** Slack for `exp`/`nbf` in seconds. Default 30. */
  readonly clockToleranceSec: number;
  /** RFC 7662 introspection endpoint for opaque tokens; "none": off. Default "none". */
  readonly introspectionUri: string;
  /** Client id for introspection (client_secret_basic). Default "none". */
  readonly introspectionClientId: string;
  /** Client secret for introspection. Default "none". */
  readonly introspectionClientSecret: string;
  /** Static API keys as "id:sha256hex[:scope scope...]" (see `erlmcp hash-key`). Default unset. */
  readonly apiKeys: readonly string[] | null;
  /** What limits and isolation key on: the client id or the subject. Default "clientId". */
  readonly principalKey: 'clientId' | 'subject';
  /** Token buckets of their own as "PRINCIPAL_KEY=capacity/refillPerSec". Default unset. */
  readonly principalBuckets: readonly string[] | null;
  /** Require a token for /metrics too. Default false. */
  readonly protectMetrics: boolean;
  /** Serve on a non-loopback address without auth (refused otherwise). Default false. */
  readonly allowAnonymous: boolean;
  /** Accepted tokens remembered without verifying again. Default 10000. */
  readonly tokenCacheEntries: number;
  /** Longest an accepted token is trusted without verifying again, in ms. Default 300000. */
  readonly tokenCacheMaxAgeMs: number;
}

/** Request deadlines. */
export interface TimeoutsConfig {
  /** Deadline of one inbound MCP request in ms; 0 disables. Default 60000. */
  readonly requestMs: number;
}

/** The process log. */
export interface LoggingConfig {
  /** Lowest level written. Default "info". */
  readonly level: LogLevel;
}

/** Health and metrics endpoints. */
export interface MetricsConfig {
  /** Serve /health, /ready, /live and /metrics on the server's port. Default true. */
  readonly enabled: boolean;
  /** Sampling period of the control plane (health and metrics readings), in ms. Default 1000. */
  readonly sampleMs: number;
}

/** OpenTelemetry tracing of requests. */
export interface TracingConfig {
  /** Trace requests. Default false. */
  readonly enabled: boolean;
  /** service.name of the spans. Default "erlmcp". */
  readonly serviceName: string;
}

/** Debugging aids; never on in production. */
export interface DebugConfig {
  /** Serve POST /admin/crash-shard (the chaos load scenario). Default false. */
  readonly faultInjection: boolean;
}

/** Several erlmcp nodes acting as one over Redis (docs/cluster.md). Off while `redis` is "none". */
export interface ClusterConfig {
  /** The Redis the nodes share, "redis://host:port" (or rediss://, with user, password, db); "none": no cluster. Default "none". */
  readonly redis: string;
  /** This node's id in the cluster; "auto": hostname, pid and a random suffix. Default "auto". */
  readonly nodeId: string;
  /** The URL other nodes and operators reach this node at; "auto": the listening address. Default "auto". */
  readonly advertise: string;
  /** Ms between heartbeats. Default 400. */
  readonly heartbeatMs: number;
  /** A node whose last heartbeat is this many ms old is dead. Default 1200. */
  readonly deadAfterMs: number;
  /** Prefix of every Redis key and channel, so clusters can share one Redis. Default "erlmcp". */
  readonly keyPrefix: string;
  /** Ms between rebalancings of principals' bucket shares over the nodes. Default 250. */
  readonly bucketShareMs: number;
}

/** The fully resolved configuration: every key present. */
export interface ErlmcpConfig {
  readonly server: ServerConfig;
  readonly websocket: WebSocketConfig;
  readonly http: HttpConfig;
  readonly registry: RegistryConfig;
  readonly queue: QueueConfig;
  readonly shards: ShardsConfig;
  readonly bucket: BucketConfig;
  readonly admission: AdmissionConfig;
  readonly breaker: BreakerConfig;
  readonly mcp: McpConfig;
  readonly auth: AuthConfig;
  readonly supervisor: SupervisorConfig;
  readonly timeouts: TimeoutsConfig;
  readonly logging: LoggingConfig;
  readonly metrics: MetricsConfig;
  readonly tracing: TracingConfig;
  readonly debug: DebugConfig;
  readonly cluster: ClusterConfig;
}

/** A section name of {@link ErlmcpConfig}. */
export type SectionName = keyof ErlmcpConfig;

/**
 * Part of a configuration, as a file, the environment or command-line flags give it: any
 * section or key may be missing. An `undefined` key counts as missing (unset flags).
 */
export type ConfigInput = {
  readonly [S in SectionName]?: { readonly [K in keyof ErlmcpConfig[S]]?: ErlmcpConfig[S][K] | undefined };
};
