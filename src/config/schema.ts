import type { KeySpec, SpecFor } from './spec.js';
import type { BreakerPolicy, ErlmcpConfig, LogLevel, SectionName } from './types.js';

/** The longest setTimeout/setInterval delay Node accepts. */
const MAX_MS = 2_147_483_647;
/** The native core's u32 options. */
const MAX_U32 = 4_294_967_295;
const MIB = 1024 * 1024;

/** The key table, checked against {@link ErlmcpConfig}: a key missing here or typed differently fails typecheck. */
export type ConfigSchema = {
  readonly [S in SectionName]: { readonly [K in keyof ErlmcpConfig[S]]-?: SpecFor<ErlmcpConfig[S][K]> };
};

const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
const POLICIES: readonly BreakerPolicy[] = ['consecutive', 'window', 'error_rate'];

const ms = (min: number, dflt: number, doc: string) =>
  ({ kind: 'integer', min, max: MAX_MS, default: dflt, doc }) as const;

const originsDoc = (transport: string) =>
  `Origin header values accepted by ${transport}, e.g. "https://app.example.com" ("*" for any); requests without Origin are always accepted. null: the Host's own origin, plus loopback origins on a loopback address.`;
const hostsDoc = (transport: string) =>
  `Host header values accepted by ${transport} (with or without port). null: any host, except on a loopback address, where only localhost, 127.0.0.1 and [::1] are (DNS-rebinding protection).`;

/**
 * Every configuration key: kind, range, default and meaning. Defaults are the library's own
 * (the seeds' figures), so an empty config runs exactly what the constructors run without
 * options. Validation, environment parsing and docs/config.md are all driven from here.
 */
export const SCHEMA: ConfigSchema = {
  server: {
    host: {
      kind: 'string',
      default: '127.0.0.1',
      doc: 'Address to bind ("0.0.0.0" or "::" for every interface: then erlmcp serve needs auth.resource, or auth.allowAnonymous).',
    },
    port: { kind: 'integer', min: 0, max: 65_535, default: 9999, doc: 'Port to bind; 0 picks a free one.' },
    path: {
      kind: 'string',
      default: '/mcp',
      rule: { form: 'a path starting with "/" (no "?" or "#")', test: (p) => p.startsWith('/') && !/[?#]/.test(p) },
      doc: 'URL path of the MCP endpoint, shared by WebSocket and Streamable HTTP.',
    },
    maxConnections: {
      kind: 'integer',
      min: 1,
      max: 10_000_000,
      default: 15_000,
      doc: 'WebSocket connections + Streamable HTTP sessions held at once; beyond it new ones get 503.',
    },
    headersTimeoutMs: ms(
      1,
      5_000,
      'Request headers must be complete within this many ms of their first byte (for the first request of a connection: of it opening); otherwise 408, or a plain close when the connection sent nothing. WebSocket upgrade requests included.',
    ),
    bodyTimeoutMs: ms(
      1,
      30_000,
      'A whole request, body included, must be received within this many ms of its first byte; otherwise 408. Responses are not limited (SSE streams stay open while they flow). At least headersTimeoutMs.',
    ),
    idleTimeoutMs: ms(
      1,
      5_000,
      'A keep-alive connection that starts no new request this many ms after a response is closed (node adds 1 s of grace).',
    ),
    maxRawConnections: {
      kind: 'integer',
      min: 0,
      max: 10_000_000,
      default: 0,
      doc: 'TCP connections open at once (requests, SSE streams, WebSockets, idle keep-alive); beyond it new sockets are closed on accept. 0: the open-file limit minus 10 % headroom (64..1,024 descriptors), read when the server starts.',
    },
    shutdownMs: {
      kind: 'integer',
      min: 0,
      max: 3_600_000,
      default: 5_000,
      doc: 'On SIGINT/SIGTERM, how long in-flight requests may finish (ms) before sessions close.',
    },
    stdio: {
      kind: 'boolean',
      default: false,
      doc: 'Serve one client over stdin/stdout instead of listening (the network keys are then unused).',
    },
    workers: {
      kind: 'integer',
      min: 0,
      max: 1_024,
      default: 0,
      doc: 'Worker threads serving the port, each with its own event loop over the one process-wide native core (docs/workers.md). 0: os.availableParallelism(); 1: one thread, no workers. stdio always uses one.',
    },
    module: {
      kind: 'string',
      default: 'demo',
      doc: 'A JavaScript module (path or file: URL) whose default export builds the McpServer to serve, called once in every worker (docs/workers.md). "demo": the built-in demo toolset.',
    },
  },
  websocket: {
    enabled: { kind: 'boolean', default: true, doc: 'Serve MCP over WebSocket (subprotocol "mcp") on server.path.' },
    maxPayload: {
      kind: 'integer',
      min: 1,
      max: MAX_MS,
      default: 4 * MIB,
      doc: 'Largest inbound message in bytes (4 MiB); a larger one closes the connection with 1009.',
    },
    keepAliveMs: ms(
      0,
      30_000,
      'Ms between pings; a peer that has not answered by the next one is terminated. 0 disables.',
    ),
    perMessageDeflate: {
      kind: 'boolean',
      default: false,
      doc: 'Negotiate permessage-deflate compression (costs CPU and memory per connection).',
    },
    maxBufferedBytes: {
      kind: 'integer',
      min: 1,
      max: MAX_MS,
      default: 8 * MIB,
      doc: 'Per-connection bound on unsent bytes (8 MiB): reading pauses at 75 %, the connection closes with 1008 at 95 %.',
    },
    stallTimeoutMs: ms(
      1,
      30_000,
      'How long unsent bytes may stay above 75 % of maxBufferedBytes before the connection closes (ms).',
    ),
    closeTimeoutMs: ms(
      1,
      5_000,
      'How long a peer may take to answer our close frame before its socket is destroyed (ms).',
    ),
    allowedOrigins: { kind: 'list', default: null, doc: originsDoc('the WebSocket endpoint') },
    allowedHosts: { kind: 'list', default: null, doc: hostsDoc('the WebSocket endpoint') },
  },
  http: {
    enabled: { kind: 'boolean', default: true, doc: 'Serve MCP over Streamable HTTP on server.path.' },
    maxBodyBytes: {
      kind: 'integer',
      min: 1,
      max: MAX_MS,
      default: 4 * MIB,
      doc: 'Largest POST body in bytes (4 MiB); a larger one gets 413.',
    },
    sseKeepAliveMs: ms(0, 15_000, 'Ms between ": keep-alive" comments on open SSE streams. 0 disables.'),
    sessionIdleMs: ms(1, 300_000, 'A session with nothing in flight and no open stream for this long is closed (ms).'),
    maxBufferedBytes: {
      kind: 'integer',
      min: 1,
      max: MAX_MS,
      default: 8 * MIB,
      doc: 'Per SSE stream bound on unsent bytes (8 MiB): warn at 75 %, end the stream and fail the session at 95 %.',
    },
    maxBacklog: {
      kind: 'integer',
      min: 1,
      max: 10_000_000,
      default: 1_000,
      doc: 'Server-initiated messages kept per session while no GET stream is open; one more fails the session.',
    },
    clientIdleMs: ms(
      1,
      60_000,
      "A client's stateless channel (its MCP 2026-07-28 requests, keyed by address) with nothing in flight for this long is closed (ms); its token bucket goes with it.",
    ),
    maxClients: {
      kind: 'integer',
      min: 1,
      max: 10_000_000,
      default: 65_536,
      doc: 'Stateless channels (distinct client addresses sending MCP 2026-07-28 requests) held at once; beyond it 503.',
    },
    allowedOrigins: { kind: 'list', default: null, doc: originsDoc('the Streamable HTTP endpoint') },
    allowedHosts: { kind: 'list', default: null, doc: hostsDoc('the Streamable HTTP endpoint') },
  },
  registry: {
    shards: {
      kind: 'integer',
      min: 1,
      max: 1024,
      powerOfTwo: true,
      default: 64,
      doc: 'Shards of the session registry; admission control and the shard managers use the same count.',
    },
  },
  queue: {
    size: {
      kind: 'integer',
      min: 1,
      max: 16_777_216,
      default: 10_000,
      doc: "Capacity of each shard manager's message queue (requests admitted and waiting to run).",
    },
    warnAt: {
      kind: 'number',
      min: 0,
      minExclusive: true,
      max: 1,
      default: 0.75,
      doc: 'Fill ratio of a shard queue from which pushes are flagged as warnings (0.75 = 75 %).',
    },
    rejectAt: {
      kind: 'number',
      min: 0,
      minExclusive: true,
      max: 1,
      default: 0.95,
      doc: 'Fill ratio of a shard queue from which requests are refused with -32011 (0.95 = 95 %).',
    },
  },
  shards: {
    enabled: {
      kind: 'boolean',
      default: true,
      doc: 'Run requests through the crash-isolated shard managers (a crashed manager is restarted alone and loses no queued request); false runs them inline as they arrive.',
    },
  },
  bucket: {
    capacity: {
      kind: 'integer',
      min: 1,
      max: MAX_U32,
      default: 1_000,
      doc: 'Per-session token bucket size: the burst of requests a session may send at once.',
    },
    refillPerSec: {
      kind: 'integer',
      min: 1,
      max: MAX_U32,
      default: 10_000,
      doc: "Tokens added to each session's bucket per second: its sustained request rate.",
    },
    floodDisconnectAfter: {
      kind: 'integer',
      min: 0,
      max: MAX_U32,
      default: 1_000,
      doc: 'Notifications cost a token too; past the bucket they are dropped. A sender with more than this many drops within floodWindowMs is disconnected (WebSocket 1008; HTTP 429 + Connection: close). 0: never.',
    },
    floodWindowMs: ms(1, 10_000, 'The window of floodDisconnectAfter (ms).'),
  },
  admission: {
    maxPerShard: {
      kind: 'integer',
      min: 1,
      max: MAX_U32,
      default: 10_000,
      doc: 'Requests in flight per shard; beyond it requests get -32011 (shard overloaded).',
    },
    maxGlobal: {
      kind: 'integer',
      min: 1,
      max: Number.MAX_SAFE_INTEGER,
      default: 500_000,
      doc: 'Requests in flight over all shards; beyond it requests get -32012 (global overload).',
    },
    overloadRetryMs: ms(
      1,
      100,
      'retryAfterMs suggested to a client refused because a shard or the server is full (ms).',
    ),
  },
  breaker: {
    policy: {
      kind: 'enum',
      values: POLICIES,
      default: 'consecutive',
      doc: '"consecutive": open after failureThreshold failures in a row; "window": after failureThreshold failures within windowMs; "error_rate": when failures reach errorThresholdPct % of the calls in windowMs, once there were minCalls.',
    },
    failureThreshold: {
      kind: 'integer',
      min: 1,
      max: MAX_U32,
      default: 5,
      doc: 'Failures that open the breaker ("consecutive" and "window").',
    },
    windowMs: {
      kind: 'integer',
      min: 1,
      max: MAX_U32,
      default: 10_000,
      doc: 'Rolling window of "window" and "error_rate" (ms).',
    },
    errorThresholdPct: {
      kind: 'number',
      min: 0,
      minExclusive: true,
      max: 100,
      default: 50,
      doc: 'Failure percentage that opens the breaker ("error_rate").',
    },
    minCalls: {
      kind: 'integer',
      min: 1,
      max: MAX_U32,
      default: 10,
      doc: 'Calls within windowMs before "error_rate" may open the breaker.',
    },
    openMs: {
      kind: 'integer',
      min: 1,
      max: MAX_U32,
      default: 30_000,
      doc: 'Time the breaker stays open (requests get -32013) before trial requests are let through (ms).',
    },
    halfOpenMaxCalls: {
      kind: 'integer',
      min: 1,
      max: MAX_U32,
      default: 3,
      doc: 'Trial requests allowed while half open.',
    },
    successThreshold: {
      kind: 'integer',
      min: 1,
      max: MAX_U32,
      default: 3,
      doc: 'Trial successes that close the breaker again (at most halfOpenMaxCalls).',
    },
  },
  supervisor: {
    intensity: {
      kind: 'integer',
      min: 0,
      max: 1_000_000,
      default: 5,
      doc: "Restarts a supervisor allows within periodMs before it gives up (0: never restart). The shard managers' supervisor allows this many per shard.",
    },
    periodMs: ms(1, 60_000, 'The restart intensity window (ms).'),
    childShutdownMs: ms(0, 5_000, 'How long a worker child may take to stop before it is killed (ms).'),
  },
  mcp: {
    requestStateKey: {
      kind: 'string',
      default: 'random',
      rule: {
        form: '"random" or a secret of at least 32 characters',
        test: (v) => v === 'random' || v.length >= 32,
      },
      doc: 'Secret the key sealing MCP 2026-07-28 requestState (AES-256-GCM) is derived from. Give every process of a deployment the same one so any can open state another sealed; "random": a new key per process (one for all workers of `erlmcp serve`; in a cluster, one shared through Redis).',
    },
    requestStateTtlMs: ms(
      1,
      600_000,
      'How long sealed requestState stays valid (ms); a retry with older state gets -32602.',
    ),
    cacheTtlMs: ms(
      0,
      0,
      'ttlMs (freshness hint, ms) of server/discover and list results in the 2026 era; resources set their own for resources/read.',
    ),
    cacheScope: {
      kind: 'enum',
      values: ['private', 'public'],
      default: 'private',
      doc: 'cacheScope of server/discover and list results: "public" lets shared caches reuse them across callers.',
    },
    maxSubscriptions: {
      kind: 'integer',
      min: 1,
      max: 10_000_000,
      default: 10_000,
      doc: 'subscriptions/listen streams open at once; one more is refused with -32012 (reason max_subscriptions).',
    },
    taskTtlMs: ms(1, 3_600_000, 'Default lifetime of a task from creation (ms), after which it is failed and dropped.'),
    taskPollIntervalMs: ms(1, 1_000, 'Polling interval (ms) suggested to clients in tasks.'),
    maxRunningTasks: {
      kind: 'integer',
      min: 1,
      max: 10_000_000,
      default: 10_000,
      doc: 'Tasks running at once; one more is refused with -32012 (reason max_tasks).',
    },
  },
  auth: {
    resource: {
      kind: 'string',
      default: 'none',
      rule: { form: '"none" or an http(s) URL', test: (v) => v === 'none' || /^https?:\/\/[^\s#?]+$/.test(v) },
      doc: 'This server\'s OAuth resource identifier (RFC 8707 / RFC 9728), e.g. https://mcp.example.com/mcp. Setting it turns auth on: every request to the MCP endpoint and every WebSocket upgrade needs Authorization: Bearer. "none": auth off.',
    },
    authorizationServers: {
      kind: 'list',
      default: null,
      doc: 'Issuer URLs of the authorization servers clients get tokens from (authorization_servers of the resource metadata). Required with auth on.',
    },
    scopesSupported: { kind: 'list', default: null, doc: 'scopes_supported of the resource metadata (optional).' },
    jwksUri: {
      kind: 'string',
      default: 'none',
      doc: 'JWKS URL of the issuer: JWT access tokens are verified locally (cached keys, refetched on an unknown kid at most every 30 s). "none": no JWT verification.',
    },
    issuer: {
      kind: 'string',
      default: 'none',
      doc: 'The iss every JWT must carry. "none": the authorization server, when exactly one is listed.',
    },
    audience: {
      kind: 'list',
      default: null,
      doc: 'Accepted aud values of JWTs (one must match); unset: the resource. A token for another audience is refused.',
    },
    algorithms: {
      kind: 'list',
      default: null,
      doc: 'Accepted JWT signature algorithms; unset: RS256, PS256, ES256, EdDSA. "none" is never accepted.',
    },
    clockToleranceSec: {
      kind: 'integer',
      min: 0,
      max: 3600,
      default: 30,
      doc: 'Slack for exp and nbf (seconds) between clocks.',
    },
    introspectionUri: {
      kind: 'string',
      default: 'none',
      doc: 'RFC 7662 token introspection endpoint for opaque tokens. "none": off.',
    },
    introspectionClientId: {
      kind: 'string',
      default: 'none',
      doc: 'Client id this server authenticates to the introspection endpoint with (client_secret_basic).',
    },
    introspectionClientSecret: {
      kind: 'string',
      default: 'none',
      doc: 'Client secret for the introspection endpoint (prefer the ERLMCP_AUTH_INTROSPECTION_CLIENT_SECRET variable to a file).',
    },
    apiKeys: {
      kind: 'list',
      default: null,
      doc: 'Static API keys, stored hashed: "id:sha256hex" or "id:sha256hex:scope scope ..." (the hex SHA-256 of the key: erlmcp hash-key KEY). The id becomes the client id.',
    },
    principalKey: {
      kind: 'enum',
      values: ['clientId', 'subject'],
      default: 'clientId',
      doc: "What rate limits, sessions, tasks and requestState are keyed on: the token's client id (one limit per application) or its subject (per user); each falls back to the other.",
    },
    principalBuckets: {
      kind: 'list',
      default: null,
      doc: 'Token buckets of their own for some principals: "PRINCIPAL_KEY=capacity/refillPerSec", e.g. "https://auth.example.com|ci-bot=5000/50000" (keys as /health and logs show them).',
    },
    protectMetrics: {
      kind: 'boolean',
      default: false,
      doc: 'With auth on, /metrics needs a valid token too (/health, /ready, /live and the metadata stay open).',
    },
    allowAnonymous: {
      kind: 'boolean',
      default: false,
      doc: 'Start without auth on a non-loopback server.host. Without it erlmcp serve refuses to: anyone who reaches the port would get every tool.',
    },
    tokenCacheEntries: {
      kind: 'integer',
      min: 1,
      max: 10_000_000,
      default: 10_000,
      doc: 'Accepted tokens remembered, so a known token costs a lookup and no signature check.',
    },
    tokenCacheMaxAgeMs: ms(
      1,
      300_000,
      'Longest an accepted token is trusted without being verified again (ms); never past its own exp.',
    ),
  },
  timeouts: {
    requestMs: ms(
      0,
      60_000,
      'Deadline of one inbound MCP request (ms): past it the request is answered with -32001 and its handler is aborted. 0 disables.',
    ),
  },
  logging: {
    level: {
      kind: 'enum',
      values: LOG_LEVELS,
      default: 'info',
      doc: 'Lowest level of the structured (pino) log on stderr. ERLMCP_LOG_LEVEL is accepted as an alias of ERLMCP_LOGGING_LEVEL.',
    },
  },
  metrics: {
    enabled: {
      kind: 'boolean',
      default: true,
      doc: "Serve /health, /ready, /live and /metrics (Prometheus) on the server's port.",
    },
    sampleMs: ms(1, 1_000, 'Sampling period of the control plane: health readings and the metrics snapshot (ms).'),
  },
  tracing: {
    enabled: { kind: 'boolean', default: false, doc: 'Trace requests with OpenTelemetry (no cost when off).' },
    serviceName: { kind: 'string', default: 'erlmcp', doc: 'service.name of the traces.' },
  },
  debug: {
    faultInjection: {
      kind: 'boolean',
      default: false,
      doc: 'Serve POST /admin/crash-shard, which crashes a shard manager (used by the chaos load scenario). Never enable in production.',
    },
  },
  cluster: {
    redis: {
      kind: 'string',
      default: 'none',
      doc: 'The Redis every node of the cluster shares, e.g. "redis://10.0.0.5:6379" (rediss:// for TLS; user, password and db in the URL as usual). "none": this node is alone.',
      rule: {
        form: '"none" or a redis:// or rediss:// URL',
        test: (v) => v === 'none' || /^rediss?:\/\/[^/\s]/.test(v),
      },
    },
    nodeId: {
      kind: 'string',
      default: 'auto',
      doc: 'This node\'s id, unique in the cluster (letters, digits, "_", "-", "."; at most 64). "auto": hostname-pid-random, new at every start.',
      rule: { form: '"auto" or 1-64 of A-Z a-z 0-9 _ - .', test: (v) => /^[A-Za-z0-9_.-]{1,64}$/.test(v) },
    },
    advertise: {
      kind: 'string',
      default: 'auto',
      doc: 'The base URL other nodes and operators reach this node at, e.g. "http://10.0.0.7:9999" (shown in /health). "auto": the listening address (the hostname when bound to every interface).',
      rule: { form: '"auto" or an http:// or https:// URL', test: (v) => v === 'auto' || /^https?:\/\/[^/\s]/.test(v) },
    },
    heartbeatMs: ms(10, 400, "Ms between heartbeats; each also reads the other nodes' state."),
    deadAfterMs: ms(
      50,
      1_200,
      'A node that has not renewed its heartbeat for this many ms is dead (its key expires in Redis). At least 2 x heartbeatMs; a death is seen within deadAfterMs + heartbeatMs.',
    ),
    keyPrefix: {
      kind: 'string',
      default: 'erlmcp',
      doc: 'Prefix of every Redis key and channel of the cluster, so several clusters can share one Redis.',
      rule: { form: '1-64 of A-Z a-z 0-9 _ - . :', test: (v) => /^[A-Za-z0-9_.:-]{1,64}$/.test(v) },
    },
    bucketShareMs: ms(
      10,
      250,
      "Ms between rebalancings of an authenticated principal's token bucket over the nodes: each node admits from its own share, resized in proportion to where the principal's demand is (docs/cluster.md, Rate limits across nodes).",
    ),
  },
};

/** One line per section for docs/config.md. */
export const SECTION_DOCS: { readonly [S in SectionName]: string } = {
  server:
    'Where and how the server listens (one port for WebSocket, Streamable HTTP and the health and metrics endpoints).',
  websocket: 'The WebSocket transport.',
  http: 'The Streamable HTTP transport.',
  registry: 'The sharded session registry.',
  queue: "Each shard manager's bounded message queue.",
  shards: "The shard managers: one supervised manager per registry shard runs that shard's requests.",
  bucket:
    'Rate limit (token bucket) per 2025 session or connection, and per client address for stateless 2026 requests, paid by requests and notifications alike; over it: -32010 with retryAfterMs (a notification is dropped; over HTTP its POST gets 429).',
  admission: 'Admission control: requests in flight per shard and in total.',
  breaker: 'The global circuit breaker over request outcomes.',
  mcp: 'MCP 2026-07-28 (stateless era): multi round-trip requestState, caching hints, subscriptions, the Tasks extension.',
  auth: 'OAuth 2.1 resource server: bearer tokens (JWT with JWKS, introspection, API keys), limits and isolation per principal (docs/auth.md).',
  supervisor: 'Restart intensity of the supervision tree.',
  timeouts: 'Request deadlines.',
  logging: 'The process log.',
  metrics: 'Health and metrics endpoints.',
  tracing: 'OpenTelemetry tracing.',
  debug: 'Debugging aids. Never enable them in production.',
  cluster:
    'Several nodes acting as one over Redis: membership by heartbeats (docs/cluster.md). Off while redis is "none".',
};

/** The section names, in table order. */
export const SECTIONS = Object.keys(SCHEMA) as SectionName[];

/** The spec of `section.key`, or undefined for an unknown key. */
export function specOf(section: string, key: string): KeySpec | undefined {
  if (!Object.hasOwn(SCHEMA, section)) return undefined;
  const keys = SCHEMA[section as SectionName] as Record<string, KeySpec>;
  return Object.hasOwn(keys, key) ? keys[key] : undefined;
}
