import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, loadConfig } from '../../src/config/index.js';
import { RingQueue } from '../../src/core/ring.js';
import { Gate } from '../../src/mcp/gate.js';
import { DEFAULT_SHUTDOWN_MS } from '../../src/supervision/child.js';
import { DEFAULT_INTENSITY, DEFAULT_PERIOD_MS } from '../../src/supervision/intensity.js';
import { ConnectionGuard, defaultMaxRawConnections } from '../../src/transports/conn-guard.js';
import { ConnectionLimiter } from '../../src/transports/limiter.js';

describe('DEFAULT_CONFIG', () => {
  it('holds the seeds’ defaults for every key', () => {
    expect(DEFAULT_CONFIG).toEqual({
      server: {
        host: '127.0.0.1',
        port: 9999,
        path: '/mcp',
        maxConnections: 15000,
        headersTimeoutMs: 5000,
        bodyTimeoutMs: 30000,
        idleTimeoutMs: 5000,
        maxRawConnections: 0,
        shutdownMs: 5000,
        stdio: false,
        workers: 0,
        module: 'demo',
      },
      websocket: {
        enabled: true,
        maxPayload: 4194304,
        keepAliveMs: 30000,
        perMessageDeflate: false,
        maxBufferedBytes: 8388608,
        stallTimeoutMs: 30000,
        closeTimeoutMs: 5000,
        allowedOrigins: null,
        allowedHosts: null,
      },
      http: {
        enabled: true,
        maxBodyBytes: 4194304,
        sseKeepAliveMs: 15000,
        sessionIdleMs: 300000,
        maxBufferedBytes: 8388608,
        maxBacklog: 1000,
        clientIdleMs: 60000,
        maxClients: 65536,
        allowedOrigins: null,
        allowedHosts: null,
      },
      registry: { shards: 64 },
      queue: { size: 10000, warnAt: 0.75, rejectAt: 0.95 },
      shards: { enabled: true },
      bucket: { capacity: 1000, refillPerSec: 10000, floodDisconnectAfter: 1000, floodWindowMs: 10000 },
      admission: { maxPerShard: 10000, maxGlobal: 500000, overloadRetryMs: 100 },
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
      supervisor: { intensity: 5, periodMs: 60000, childShutdownMs: 5000 },
      mcp: {
        requestStateKey: 'random',
        requestStateTtlMs: 600000,
        cacheTtlMs: 0,
        cacheScope: 'private',
        maxSubscriptions: 10000,
        taskTtlMs: 3600000,
        taskPollIntervalMs: 1000,
        maxRunningTasks: 10000,
      },
      auth: {
        resource: 'none',
        authorizationServers: null,
        scopesSupported: null,
        jwksUri: 'none',
        issuer: 'none',
        audience: null,
        algorithms: null,
        clockToleranceSec: 30,
        introspectionUri: 'none',
        introspectionClientId: 'none',
        introspectionClientSecret: 'none',
        apiKeys: null,
        principalKey: 'clientId',
        principalBuckets: null,
        protectMetrics: false,
        allowAnonymous: false,
        tokenCacheEntries: 10000,
        tokenCacheMaxAgeMs: 300000,
      },
      timeouts: { requestMs: 60000 },
      logging: { level: 'info' },
      metrics: { enabled: true, sampleMs: 1000 },
      tracing: { enabled: false, serviceName: 'erlmcp' },
      debug: { faultInjection: false },
      cluster: {
        redis: 'none',
        nodeId: 'auto',
        advertise: 'auto',
        heartbeatMs: 400,
        deadAfterMs: 1200,
        keyPrefix: 'erlmcp',
        bucketShareMs: 250,
      },
    });
  });

  it('is deep-frozen', () => {
    expect(Object.isFrozen(DEFAULT_CONFIG)).toBe(true);
    expect(Object.isFrozen(DEFAULT_CONFIG.server)).toBe(true);
    expect(() => {
      (DEFAULT_CONFIG.server as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(DEFAULT_CONFIG.server.port).toBe(9999);
  });

  it('agrees with what the library’s constructors do without options', () => {
    const gate = new Gate();
    expect(gate.registry.stats().shards).toBe(DEFAULT_CONFIG.registry.shards);
    const admission = gate.admission.stats();
    expect(admission.maxPerShard).toBe(DEFAULT_CONFIG.admission.maxPerShard);
    expect(admission.maxGlobal).toBe(DEFAULT_CONFIG.admission.maxGlobal);
    expect(new RingQueue().capacity).toBe(DEFAULT_CONFIG.queue.size);
    expect(new ConnectionLimiter().max).toBe(DEFAULT_CONFIG.server.maxConnections);
    const guard = new ConnectionGuard();
    expect(guard.headersTimeoutMs).toBe(DEFAULT_CONFIG.server.headersTimeoutMs);
    expect(guard.bodyTimeoutMs).toBe(DEFAULT_CONFIG.server.bodyTimeoutMs);
    expect(guard.idleTimeoutMs).toBe(DEFAULT_CONFIG.server.idleTimeoutMs);
    // 0 in the config is "derive it", which is what the guard does without the option.
    expect(guard.maxRawConnections).toBe(defaultMaxRawConnections());
    expect(DEFAULT_INTENSITY).toBe(DEFAULT_CONFIG.supervisor.intensity);
    expect(DEFAULT_PERIOD_MS).toBe(DEFAULT_CONFIG.supervisor.periodMs);
    expect(DEFAULT_SHUTDOWN_MS).toBe(DEFAULT_CONFIG.supervisor.childShutdownMs);
  });

  it('is what loadConfig resolves when nothing is set, as a frozen copy', () => {
    const config = loadConfig();
    expect(config).toEqual(DEFAULT_CONFIG);
    expect(config).not.toBe(DEFAULT_CONFIG);
    expect(Object.isFrozen(config.breaker)).toBe(true);
    expect(loadConfig({ env: {}, overrides: {} })).toEqual(DEFAULT_CONFIG);
  });
});
