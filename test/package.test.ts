import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const PUBLIC_API = [
  'AdmissionControl',
  'AdmitCode',
  'Authenticator',
  'CircuitBreaker',
  'ConfigError',
  'ConnectionLimiter',
  'DEFAULT_CONFIG',
  'DrainedFrames',
  'ErlmcpError',
  'ExitNotifier',
  'Gate',
  'HttpStatusError',
  'LATEST_PROTOCOL_VERSION',
  'LOGGING_LEVELS',
  'LatencyHistogram',
  'MAX_HANDLE',
  'MCP_SUBPROTOCOL',
  'MODERN_PROTOCOL_VERSION',
  'MODERN_PROTOCOL_VERSIONS',
  'McpClient',
  'McpError',
  'McpErrorCode',
  'McpServer',
  'MemoryTransport',
  'NOTIFICATION_FLOOD_REASON',
  'OPERATION_BOUNDS_SECONDS',
  'OPERATION_METHODS',
  'OperationTimings',
  'QUEUE_FULL',
  'RequestContext',
  'RestartCounter',
  'RingQueue',
  'Router',
  'SUPPORTED_PROTOCOL_VERSIONS',
  'ServerContext',
  'ServerSession',
  'ShardSet',
  'ShardedRegistry',
  'StdioClientTransport',
  'StdioServerTransport',
  'StreamableHttpClientTransport',
  'StreamableHttpListener',
  'StreamableHttpServerTransport',
  'Supervisor',
  'SupervisorShutdownError',
  'TokenBucket',
  'TokenBuckets',
  'UriTemplate',
  'WebSocketClientTransport',
  'WebSocketListener',
  'WebSocketServerTransport',
  'WsCloseCode',
  'admitCodeName',
  'closeableChild',
  'createMemoryTransportPair',
  'createObservability',
  'defaultMaxRawConnections',
  'fdLimits',
  'hasErrorCode',
  'hashApiKey',
  'isBackpressureCode',
  'listen',
  'loadConfig',
  'openTelemetryTracer',
  'raiseFdLimit',
  'registerDemoToolset',
  'runtimeOptions',
  'startApplication',
  'taskChild',
];

describe('package entry points', () => {
  it('ESM and CommonJS expose the same curated API, backed by the same classes', async () => {
    const cjs = createRequire(import.meta.url)('../dist/index.js') as Record<string, unknown>;
    const esm = (await import('../dist/index.mjs' as string)) as Record<string, unknown>;
    expect(Object.keys(cjs).sort()).toEqual(PUBLIC_API);
    expect(Object.keys(esm).sort()).toEqual(PUBLIC_API);
    for (const name of PUBLIC_API) expect(esm[name]).toBe(cjs[name]);
  });

  it('resolves through package.json exports by name', async () => {
    const req = createRequire(import.meta.url);
    expect(req.resolve('erlmcp')).toMatch(/dist[/\\]index\.js$/);
    const esm = (await import('erlmcp' as string)) as Record<string, unknown>;
    expect(typeof esm.ShardedRegistry).toBe('function');
  });

  it('serves the legacy registry API at erlmcp/legacy, ESM and CommonJS alike', async () => {
    const req = createRequire(import.meta.url);
    expect(req.resolve('erlmcp/legacy')).toMatch(/dist[/\\]legacy[/\\]index\.js$/);
    const cjs = req('erlmcp/legacy') as Record<string, unknown>;
    const esm = (await import('erlmcp/legacy' as string)) as Record<string, unknown>;
    expect(Object.keys(esm).sort()).toEqual(Object.keys(cjs).sort());
    expect(esm.LegacyRegistry).toBe(cjs.LegacyRegistry);
    expect(typeof esm.routeToServer).toBe('function');
  });
});
