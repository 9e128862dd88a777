import type { ApplicationOptions } from '../app/application.js';
import type { AuthenticatorOptions } from '../auth/authenticator.js';
import { parseApiKeyEntry, parsePrincipalBuckets } from '../auth/config-entries.js';
import type { RingOptions } from '../core/ring.js';
import type { GateOptions } from '../mcp/gate.js';
import type { McpServerOptions } from '../mcp/server.js';
import type { ShardSetOptions } from '../shards/shard-set.js';
import type { SupervisorOptions } from '../supervision/supervisor.js';
import type { ListenOptions } from '../transports/listen.js';
import type { DebugConfig, ErlmcpConfig, LogLevel, MetricsConfig, TracingConfig } from './types.js';

/**
 * A configuration as the option objects of the APIs it configures, typed with their own
 * option types (a renamed or retyped option fails typecheck here, not at run time).
 */
export interface RuntimeOptions {
  /** `new Gate(gate)`: registry shards, token bucket, admission, breaker, overloadRetryMs. */
  gate: GateOptions;
  /** Whether to build a ShardSet and pass it to McpServer and startApplication. */
  shardsEnabled: boolean;
  /** `new ShardSet({ registry, router, logger, ...shardSet })`. */
  shardSet: Required<Pick<ShardSetOptions, 'queueCapacity' | 'intensity' | 'periodMs'>>;
  /** Each shard queue's options (capacity is shardSet.queueCapacity). */
  queue: Required<RingOptions>;
  /** `listen(server, { ...listen, routes })`, or `startApplication({ listen })`. */
  listen: Omit<ListenOptions, 'routes'>;
  /** `new McpServer(info, { gate, shards, ...server })`. */
  server: Required<
    Pick<McpServerOptions, 'requestTimeoutMs' | 'requestState' | 'cacheHints' | 'subscriptions' | 'tasks'>
  >;
  /** `startApplication({ server, logger, shards, stdio, ...application })`. */
  application: Required<Pick<ApplicationOptions, 'shutdownMs' | 'controlPeriodMs'>>;
  /** Restart intensity of the application's supervisors and the stop timeout of its worker children. */
  supervisor: Required<Pick<SupervisorOptions, 'intensity' | 'periodMs'>> & {
    childShutdownMs: number;
  };
  /** `createLogger(logLevel)`. */
  logLevel: LogLevel;
  metrics: MetricsConfig;
  tracing: TracingConfig;
  debug: DebugConfig;
  /** `startApplication({ stdio })`. */
  stdio: boolean;
  /** `new Authenticator(auth.options)` when `auth.resource` is set; undefined: auth off. */
  auth: { options: AuthenticatorOptions; protectMetrics: boolean } | undefined;
  /** `auth.allowAnonymous`: serve a non-loopback host without auth. */
  allowAnonymous: boolean;
}

const unset = (v: string): string | undefined => (v === 'none' ? undefined : v);

/** The `auth` section as Authenticator options, or undefined while `auth.resource` is "none". */
function authOptions(config: ErlmcpConfig): RuntimeOptions['auth'] {
  const a = config.auth;
  if (a.resource === 'none') return undefined;
  const jwksUri = unset(a.jwksUri);
  const introspectionUri = unset(a.introspectionUri);
  const options: AuthenticatorOptions = {
    resource: a.resource,
    authorizationServers: list(a.authorizationServers) ?? [],
    ...(a.scopesSupported === null ? {} : { scopesSupported: [...a.scopesSupported] }),
    ...(jwksUri === undefined
      ? {}
      : {
          jwt: {
            jwksUri,
            ...(unset(a.issuer) === undefined ? {} : { issuer: a.issuer }),
            ...(a.audience === null ? {} : { audience: [...a.audience] }),
            ...(a.algorithms === null ? {} : { algorithms: [...a.algorithms] }),
            clockToleranceSec: a.clockToleranceSec,
          },
        }),
    ...(introspectionUri === undefined
      ? {}
      : {
          introspection: {
            introspectionUri,
            clientId: a.introspectionClientId,
            clientSecret: a.introspectionClientSecret,
            clockToleranceSec: a.clockToleranceSec,
          },
        }),
    ...(a.apiKeys === null ? {} : { apiKeys: a.apiKeys.map(parseApiKeyEntry) }),
    principalKey: a.principalKey,
    cache: { maxEntries: a.tokenCacheEntries, maxAgeMs: a.tokenCacheMaxAgeMs },
  };
  return { options, protectMetrics: a.protectMetrics };
}

function list(value: readonly string[] | null): string[] | undefined {
  return value === null ? undefined : [...value];
}

/** Maps a resolved configuration to the option objects of the runtime's APIs. */
export function runtimeOptions(config: ErlmcpConfig): RuntimeOptions {
  const { server, websocket: ws, http, queue, supervisor, mcp } = config;
  const shards = config.registry.shards;
  return {
    gate: {
      shards,
      bucket: { capacity: config.bucket.capacity, refillPerSec: config.bucket.refillPerSec },
      admission: { maxPerShard: config.admission.maxPerShard, maxGlobal: config.admission.maxGlobal },
      breaker: { ...config.breaker },
      overloadRetryMs: config.admission.overloadRetryMs,
      ...(config.auth.principalBuckets === null
        ? {}
        : { principalBuckets: parsePrincipalBuckets(config.auth.principalBuckets) }),
      floodDisconnectAfter: config.bucket.floodDisconnectAfter,
      floodWindowMs: config.bucket.floodWindowMs,
    },
    shardsEnabled: config.shards.enabled,
    shardSet: {
      queueCapacity: queue.size,
      // ShardSet's own default is 5 restarts x shards per 60 s: each shard gets the intensity.
      intensity: supervisor.intensity * shards,
      periodMs: supervisor.periodMs,
    },
    queue: { capacity: queue.size, warnAt: queue.warnAt, rejectAt: queue.rejectAt },
    listen: {
      host: server.host,
      port: server.port,
      path: server.path,
      maxConnections: server.maxConnections,
      connections: {
        headersTimeoutMs: server.headersTimeoutMs,
        bodyTimeoutMs: server.bodyTimeoutMs,
        idleTimeoutMs: server.idleTimeoutMs,
        // JSON has no "derive it": 0 stands for the default of the open-file limit.
        maxRawConnections: server.maxRawConnections === 0 ? undefined : server.maxRawConnections,
      },
      websocket: ws.enabled && {
        maxPayload: ws.maxPayload,
        keepAliveMs: ws.keepAliveMs,
        perMessageDeflate: ws.perMessageDeflate,
        maxBufferedBytes: ws.maxBufferedBytes,
        stallTimeoutMs: ws.stallTimeoutMs,
        closeTimeoutMs: ws.closeTimeoutMs,
        allowedOrigins: list(ws.allowedOrigins),
        allowedHosts: list(ws.allowedHosts),
      },
      http: http.enabled && {
        maxBodyBytes: http.maxBodyBytes,
        sseKeepAliveMs: http.sseKeepAliveMs,
        sessionIdleMs: http.sessionIdleMs,
        maxBufferedBytes: http.maxBufferedBytes,
        maxBacklog: http.maxBacklog,
        clientIdleMs: http.clientIdleMs,
        maxClients: http.maxClients,
        allowedOrigins: list(http.allowedOrigins),
        allowedHosts: list(http.allowedHosts),
      },
    },
    // JSON has no Infinity: 0 stands for "no deadline".
    server: {
      requestTimeoutMs: config.timeouts.requestMs === 0 ? Number.POSITIVE_INFINITY : config.timeouts.requestMs,
      requestState:
        mcp.requestStateKey === 'random'
          ? { ttlMs: mcp.requestStateTtlMs }
          : { key: mcp.requestStateKey, ttlMs: mcp.requestStateTtlMs },
      cacheHints: {
        discover: { ttlMs: mcp.cacheTtlMs, cacheScope: mcp.cacheScope },
        lists: { ttlMs: mcp.cacheTtlMs, cacheScope: mcp.cacheScope },
      },
      subscriptions: { maxSubscriptions: mcp.maxSubscriptions },
      tasks: { ttlMs: mcp.taskTtlMs, pollIntervalMs: mcp.taskPollIntervalMs, maxRunning: mcp.maxRunningTasks },
    },
    application: { shutdownMs: server.shutdownMs, controlPeriodMs: config.metrics.sampleMs },
    supervisor: {
      intensity: supervisor.intensity,
      periodMs: supervisor.periodMs,
      childShutdownMs: supervisor.childShutdownMs,
    },
    logLevel: config.logging.level,
    metrics: { ...config.metrics },
    tracing: { ...config.tracing },
    debug: { ...config.debug },
    stdio: server.stdio,
    auth: authOptions(config),
    allowAnonymous: config.auth.allowAnonymous,
  };
}
