import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, envName, loadConfig } from '../../src/config/index.js';
import { tempDir } from './helpers.js';

const dirs: ReturnType<typeof tempDir>[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.cleanup();
});

function configFile(value: unknown): string {
  const d = tempDir();
  dirs.push(d);
  return d.file('erlmcp.json', JSON.stringify(value));
}

describe('loadConfig precedence: defaults < file < env < overrides', () => {
  it('takes each key from the last source that sets it', () => {
    const file = configFile({
      server: { port: 1000, host: '0.0.0.0', maxConnections: 50 },
      bucket: { capacity: 10, refillPerSec: 20 },
    });
    const config = loadConfig({
      file,
      env: { ERLMCP_SERVER_PORT: '2000', ERLMCP_BUCKET_CAPACITY: '30', PATH: '/usr/bin' },
      overrides: { server: { port: 3000 } },
    });
    expect(config.server).toEqual({ ...DEFAULT_CONFIG.server, host: '0.0.0.0', port: 3000, maxConnections: 50 });
    expect(config.bucket).toEqual({ capacity: 30, refillPerSec: 20, floodDisconnectAfter: 1000, floodWindowMs: 10000 });
    expect(config.admission).toEqual(DEFAULT_CONFIG.admission);
  });

  it('ignores undefined overrides (flags not given) and undefined sections', () => {
    const config = loadConfig({
      env: { ERLMCP_SERVER_PORT: '2000' },
      overrides: { server: { port: undefined, host: 'localhost' }, bucket: undefined },
    });
    expect(config.server.port).toBe(2000);
    expect(config.server.host).toBe('localhost');
  });

  it('lets a file set a list and the environment replace it', () => {
    const file = configFile({ http: { allowedHosts: ['a.example'] }, websocket: { allowedOrigins: ['*'] } });
    const config = loadConfig({ file, env: { ERLMCP_HTTP_ALLOWED_HOSTS: ' b.example, c.example:8080 ,' } });
    expect(config.http.allowedHosts).toEqual(['b.example', 'c.example:8080']);
    expect(config.websocket.allowedOrigins).toEqual(['*']);
    expect(loadConfig({ file, env: { ERLMCP_HTTP_ALLOWED_HOSTS: '' } }).http.allowedHosts).toBeNull();
    expect(loadConfig({ file, overrides: { http: { allowedHosts: null } } }).http.allowedHosts).toBeNull();
  });
});

describe('environment variables', () => {
  it('are named ERLMCP_<SECTION>_<KEY> in UPPER_SNAKE', () => {
    expect(envName('server', 'port')).toBe('ERLMCP_SERVER_PORT');
    expect(envName('bucket', 'refillPerSec')).toBe('ERLMCP_BUCKET_REFILL_PER_SEC');
    expect(envName('debug', 'faultInjection')).toBe('ERLMCP_DEBUG_FAULT_INJECTION');
    expect(envName('breaker', 'halfOpenMaxCalls')).toBe('ERLMCP_BREAKER_HALF_OPEN_MAX_CALLS');
    expect(envName('http', 'sseKeepAliveMs')).toBe('ERLMCP_HTTP_SSE_KEEP_ALIVE_MS');
  });

  it('are parsed per the key’s type', () => {
    const config = loadConfig({
      env: {
        ERLMCP_SERVER_PORT: ' 8080 ',
        ERLMCP_SERVER_HOST: '::',
        ERLMCP_QUEUE_WARN_AT: '0.5',
        ERLMCP_BREAKER_ERROR_THRESHOLD_PCT: '12.5',
        ERLMCP_BREAKER_POLICY: 'error_rate',
        ERLMCP_SERVER_STDIO: 'TRUE',
        ERLMCP_WEBSOCKET_ENABLED: '0',
        ERLMCP_HTTP_ENABLED: '1',
        ERLMCP_METRICS_ENABLED: 'false',
        ERLMCP_DEBUG_FAULT_INJECTION: 'true',
        ERLMCP_TRACING_SERVICE_NAME: 'edge-7',
      },
    });
    expect(config.server.port).toBe(8080);
    expect(config.server.host).toBe('::');
    expect(config.queue.warnAt).toBe(0.5);
    expect(config.breaker.errorThresholdPct).toBe(12.5);
    expect(config.breaker.policy).toBe('error_rate');
    expect(config.server.stdio).toBe(true);
    expect(config.websocket.enabled).toBe(false);
    expect(config.http.enabled).toBe(true);
    expect(config.metrics.enabled).toBe(false);
    expect(config.debug.faultInjection).toBe(true);
    expect(config.tracing.serviceName).toBe('edge-7');
  });

  it('accept ERLMCP_LOG_LEVEL as an alias of ERLMCP_LOGGING_LEVEL; the canonical name wins', () => {
    expect(loadConfig({ env: { ERLMCP_LOG_LEVEL: 'debug' } }).logging.level).toBe('debug');
    expect(loadConfig({ env: { ERLMCP_LOG_LEVEL: 'debug', ERLMCP_LOGGING_LEVEL: 'warn' } }).logging.level).toBe('warn');
  });

  it('ignore variables without the prefix and the install script’s ERLMCP_BUILD_FROM_SOURCE', () => {
    const config = loadConfig({ env: { HOME: '/root', erlmcp_server_port: '1', ERLMCP_BUILD_FROM_SOURCE: '1' } });
    expect(config).toEqual(DEFAULT_CONFIG);
  });
});
