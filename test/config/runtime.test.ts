import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, loadConfig, runtimeOptions } from '../../src/config/index.js';
import { RingQueue } from '../../src/core/ring.js';
import { Gate } from '../../src/mcp/gate.js';
import { McpServer } from '../../src/mcp/server.js';
import { ShardSet } from '../../src/shards/shard-set.js';

describe('runtimeOptions', () => {
  it('maps the defaults to the option objects of the runtime', () => {
    expect(runtimeOptions(DEFAULT_CONFIG)).toEqual({
      gate: {
        shards: 64,
        bucket: { capacity: 1000, refillPerSec: 10000 },
        admission: { maxPerShard: 10000, maxGlobal: 500000 },
        breaker: {
          policy: 'consecutive',
          failureThreshold: 5,
          windowMs: 10000,
          errorThresholdPct: 50,
          minCalls: 10,
          openMs: 30000,
          halfOpenMaxCalls: 3,
          successThreshold: 3,
        },
        overloadRetryMs: 100,
        floodDisconnectAfter: 1000,
        floodWindowMs: 10000,
      },
      shardsEnabled: true,
      shardSet: { queueCapacity: 10000, intensity: 5 * 64, periodMs: 60000 },
      queue: { capacity: 10000, warnAt: 0.75, rejectAt: 0.95 },
      listen: {
        host: '127.0.0.1',
        port: 9999,
        path: '/mcp',
        maxConnections: 15000,
        connections: {
          headersTimeoutMs: 5000,
          bodyTimeoutMs: 30000,
          idleTimeoutMs: 5000,
          maxRawConnections: undefined,
        },
        websocket: {
          maxPayload: 4194304,
          keepAliveMs: 30000,
          perMessageDeflate: false,
          maxBufferedBytes: 8388608,
          stallTimeoutMs: 30000,
          closeTimeoutMs: 5000,
          allowedOrigins: undefined,
          allowedHosts: undefined,
        },
        http: {
          maxBodyBytes: 4194304,
          sseKeepAliveMs: 15000,
          sessionIdleMs: 300000,
          maxBufferedBytes: 8388608,
          maxBacklog: 1000,
          clientIdleMs: 60000,
          maxClients: 65536,
          allowedOrigins: undefined,
          allowedHosts: undefined,
        },
      },
      server: {
        requestTimeoutMs: 60000,
        requestState: { ttlMs: 600000 },
        cacheHints: { discover: { ttlMs: 0, cacheScope: 'private' }, lists: { ttlMs: 0, cacheScope: 'private' } },
        subscriptions: { maxSubscriptions: 10000 },
        tasks: { ttlMs: 3600000, pollIntervalMs: 1000, maxRunning: 10000 },
      },
      application: { shutdownMs: 5000, controlPeriodMs: 1000 },
      supervisor: { intensity: 5, periodMs: 60000, childShutdownMs: 5000 },
      logLevel: 'info',
      metrics: { enabled: true, sampleMs: 1000 },
      tracing: { enabled: false, serviceName: 'erlmcp' },
      debug: { faultInjection: false },
      stdio: false,
      auth: undefined,
      allowAnonymous: false,
    });
  });

  it('maps the auth section to Authenticator options, API keys and principal buckets from their one-line forms', () => {
    const hash = 'ab'.repeat(32);
    const config = loadConfig({
      env: {
        ERLMCP_AUTH_RESOURCE: 'https://mcp.example.com/mcp',
        ERLMCP_AUTH_AUTHORIZATION_SERVERS: 'https://auth.example.com',
        ERLMCP_AUTH_JWKS_URI: 'https://auth.example.com/jwks',
        ERLMCP_AUTH_API_KEYS: `ops:${hash}:mcp:tools admin,ci:${hash.toUpperCase()}`,
        ERLMCP_AUTH_PRINCIPAL_BUCKETS: 'https://auth.example.com|ci-bot=5000/50000',
        ERLMCP_AUTH_PROTECT_METRICS: 'true',
      },
    });
    const rt = runtimeOptions(config);
    expect(rt.auth).toEqual({
      protectMetrics: true,
      options: {
        resource: 'https://mcp.example.com/mcp',
        authorizationServers: ['https://auth.example.com'],
        jwt: { jwksUri: 'https://auth.example.com/jwks', clockToleranceSec: 30 },
        apiKeys: [
          { id: 'ops', sha256: hash, scopes: ['mcp:tools', 'admin'] },
          { id: 'ci', sha256: hash.toUpperCase() },
        ],
        principalKey: 'clientId',
        cache: { maxEntries: 10000, maxAgeMs: 300000 },
      },
    });
    expect(rt.gate.principalBuckets).toEqual({
      'https://auth.example.com|ci-bot': { capacity: 5000, refillPerSec: 50000 },
    });
    expect(() =>
      runtimeOptions(
        loadConfig({ env: { ERLMCP_AUTH_RESOURCE: 'https://x/mcp', ERLMCP_AUTH_API_KEYS: 'ops:nothex' } }),
      ),
    ).toThrow(/auth.apiKeys entry "ops:nothex" must be/);
    expect(() => runtimeOptions(loadConfig({ env: { ERLMCP_AUTH_PRINCIPAL_BUCKETS: 'bob=lots' } }))).toThrow(
      /PRINCIPAL_KEY=capacity\/refillPerSec/,
    );
  });

  it('carries set keys through, and disabled transports become false', () => {
    const rt = runtimeOptions(
      loadConfig({
        env: {
          ERLMCP_REGISTRY_SHARDS: '8',
          ERLMCP_SUPERVISOR_INTENSITY: '2',
          ERLMCP_SUPERVISOR_PERIOD_MS: '1000',
          ERLMCP_TIMEOUTS_REQUEST_MS: '0',
          ERLMCP_WEBSOCKET_ENABLED: 'false',
          ERLMCP_HTTP_ALLOWED_HOSTS: 'mcp.example.com',
          ERLMCP_METRICS_SAMPLE_MS: '250',
          ERLMCP_LOG_LEVEL: 'warn',
          ERLMCP_SHARDS_ENABLED: '0',
          ERLMCP_SERVER_STDIO: '1',
          ERLMCP_SERVER_HEADERS_TIMEOUT_MS: '2000',
          ERLMCP_SERVER_BODY_TIMEOUT_MS: '9000',
          ERLMCP_SERVER_IDLE_TIMEOUT_MS: '1500',
          ERLMCP_SERVER_MAX_RAW_CONNECTIONS: '500',
        },
        overrides: { server: { shutdownMs: 0, port: 0 }, queue: { size: 64, warnAt: 0.5, rejectAt: 0.9 } },
      }),
    );
    expect(rt.gate.shards).toBe(8);
    expect(rt.shardSet).toEqual({ queueCapacity: 64, intensity: 16, periodMs: 1000 });
    expect(rt.queue).toEqual({ capacity: 64, warnAt: 0.5, rejectAt: 0.9 });
    expect(rt.server.requestTimeoutMs).toBe(Number.POSITIVE_INFINITY);
    expect(rt.listen.websocket).toBe(false);
    expect(rt.listen.http).toMatchObject({ allowedHosts: ['mcp.example.com'] });
    expect(rt.listen.port).toBe(0);
    expect(rt.listen.connections).toEqual({
      headersTimeoutMs: 2000,
      bodyTimeoutMs: 9000,
      idleTimeoutMs: 1500,
      maxRawConnections: 500,
    });
    expect(rt.application).toEqual({ shutdownMs: 0, controlPeriodMs: 250 });
    expect(rt.logLevel).toBe('warn');
    expect(rt.shardsEnabled).toBe(false);
    expect(rt.stdio).toBe(true);
  });

  it('produces options the real constructors accept and apply', () => {
    const rt = runtimeOptions(
      loadConfig({
        overrides: {
          registry: { shards: 16 },
          admission: { maxPerShard: 7, maxGlobal: 70 },
          bucket: { capacity: 2, refillPerSec: 1 },
          breaker: { policy: 'error_rate', errorThresholdPct: 20, minCalls: 4 },
          queue: { size: 20, warnAt: 0.5, rejectAt: 0.75 },
          timeouts: { requestMs: 1234 },
        },
      }),
    );
    const gate = new Gate(rt.gate);
    expect(gate.registry.stats().shards).toBe(16);
    expect(gate.admission.stats()).toMatchObject({ shards: 16, maxPerShard: 7, maxGlobal: 70 });
    gate.buckets.consume(0, 2);
    expect(gate.buckets.consume(0, 1)).toBeLessThan(0);
    const shards = new ShardSet({ registry: gate.registry, router: gate.router, ...rt.shardSet });
    expect(shards.shards).toBe(16);
    const server = new McpServer({ name: 'cfg', version: '1' }, { gate, shards, ...rt.server });
    expect(server.gate).toBe(gate);
    // As RingQueue words it: 'warn' once the depth reaches warnAt, refused at rejectAt (15 of 20).
    const q = new RingQueue(rt.queue);
    const results = Array.from({ length: 20 }, () => q.push('x'));
    expect(results).toEqual([...Array(9).fill('ok'), ...Array(6).fill('warn'), ...Array(5).fill('rejected')]);
  });
});
