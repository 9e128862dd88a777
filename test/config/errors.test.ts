import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, type ConfigInput, loadConfig } from '../../src/config/index.js';
import { ErlmcpError } from '../../src/core/errors.js';
import { configError, tempDir } from './helpers.js';

const dirs: ReturnType<typeof tempDir>[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.cleanup();
});

function fileWith(text: string, name = 'erlmcp.json'): string {
  const d = tempDir();
  dirs.push(d);
  return d.file(name, text);
}

/** The problems loadConfig reports for `overrides` given as a file's parsed JSON would be. */
function problemsOf(overrides: unknown): readonly string[] {
  return configError(
    () => loadConfig({ overrides: overrides as ConfigInput, overridesSource: './erlmcp.json' }),
    'ERR_CONFIG_INVALID',
  ).problems;
}

describe('invalid values', () => {
  it('names the key, its source, the expected form and the value: wrong type', () => {
    const err = configError(
      () => loadConfig({ overrides: { bucket: { refillPerSec: 'fast' } } as unknown as ConfigInput }),
      'ERR_CONFIG_INVALID',
    );
    expect(err).toBeInstanceOf(ErlmcpError);
    expect(err.message).toBe(
      'config key "bucket.refillPerSec" (from overrides) must be an integer in 1..4294967295, got "fast"',
    );
    expect(err.problems).toEqual([err.message]);
  });

  it('reports out-of-range, fractional and non-finite numbers', () => {
    expect(problemsOf({ server: { port: 70000 } })).toEqual([
      'config key "server.port" (from ./erlmcp.json) must be an integer in 0..65535, got 70000',
    ]);
    expect(problemsOf({ server: { maxConnections: 1.5 } })).toEqual([
      'config key "server.maxConnections" (from ./erlmcp.json) must be an integer in 1..10000000, got 1.5',
    ]);
    expect(problemsOf({ queue: { warnAt: 0 } })).toEqual([
      'config key "queue.warnAt" (from ./erlmcp.json) must be a number in (0, 1], got 0',
    ]);
    expect(problemsOf({ timeouts: { requestMs: Number.POSITIVE_INFINITY } })).toEqual([
      'config key "timeouts.requestMs" (from ./erlmcp.json) must be an integer in 0..2147483647, got Infinity',
    ]);
    expect(problemsOf({ breaker: { errorThresholdPct: Number.NaN } })).toEqual([
      'config key "breaker.errorThresholdPct" (from ./erlmcp.json) must be a number in (0, 100], got NaN',
    ]);
  });

  it('requires registry.shards to be a power of two', () => {
    expect(problemsOf({ registry: { shards: 100 } })).toEqual([
      'config key "registry.shards" (from ./erlmcp.json) must be a power of two in 1..1024, got 100',
    ]);
    expect(problemsOf({ registry: { shards: 2048 } })).toEqual([
      'config key "registry.shards" (from ./erlmcp.json) must be a power of two in 1..1024, got 2048',
    ]);
    expect(loadConfig({ overrides: { registry: { shards: 1 } } }).registry.shards).toBe(1);
    expect(loadConfig({ overrides: { registry: { shards: 1024 } } }).registry.shards).toBe(1024);
  });

  it('rejects values outside an enum', () => {
    expect(problemsOf({ logging: { level: 'verbose' } })).toEqual([
      'config key "logging.level" (from ./erlmcp.json) must be one of "trace", "debug", "info", "warn", "error", "fatal", "silent", got "verbose"',
    ]);
    expect(problemsOf({ breaker: { policy: 'Consecutive' } })).toEqual([
      'config key "breaker.policy" (from ./erlmcp.json) must be one of "consecutive", "window", "error_rate", got "Consecutive"',
    ]);
  });

  it('checks strings, lists and sections', () => {
    expect(problemsOf({ server: { path: 'mcp', host: '' } })).toEqual([
      'config key "server.path" (from ./erlmcp.json) must be a path starting with "/" (no "?" or "#"), got "mcp"',
      'config key "server.host" (from ./erlmcp.json) must be a non-empty string, got ""',
    ]);
    expect(problemsOf({ http: { allowedHosts: 'a.example' } })).toEqual([
      'config key "http.allowedHosts" (from ./erlmcp.json) must be an array of non-empty strings, or null, got "a.example"',
    ]);
    expect(problemsOf({ server: 9999 })).toEqual([
      'config key "server" (from ./erlmcp.json) must be an object of server keys, got 9999',
    ]);
    expect(problemsOf({ server: { stdio: 'yes' } })).toEqual([
      'config key "server.stdio" (from ./erlmcp.json) must be true or false, got "yes"',
    ]);
  });

  it('reports environment values with the variable as source and the raw string', () => {
    const err = configError(
      () => loadConfig({ env: { ERLMCP_SERVER_PORT: '80a', ERLMCP_SERVER_STDIO: 'yes', ERLMCP_QUEUE_SIZE: '' } }),
      'ERR_CONFIG_INVALID',
    );
    expect(err.problems).toEqual([
      'config key "server.port" (from env ERLMCP_SERVER_PORT) must be an integer in 0..65535, got "80a"',
      'config key "server.stdio" (from env ERLMCP_SERVER_STDIO) must be true, false, 1 or 0, got "yes"',
      'config key "queue.size" (from env ERLMCP_QUEUE_SIZE) must be an integer in 1..16777216, got ""',
    ]);
  });
});

describe('unknown names', () => {
  it('suggests the closest key of the section', () => {
    expect(problemsOf({ bucket: { refilPerSec: 5 }, server: { prot: 1 } })).toEqual([
      'config key "bucket.refilPerSec" (from ./erlmcp.json) is unknown; did you mean "bucket.refillPerSec"?',
      'config key "server.prot" (from ./erlmcp.json) is unknown; did you mean "server.port"?',
    ]);
  });

  it('suggests the right section for a key in the wrong one, and lists the keys when nothing is close', () => {
    expect(problemsOf({ bucket: { maxGlobal: 5 } })).toEqual([
      'config key "bucket.maxGlobal" (from ./erlmcp.json) is unknown; did you mean "admission.maxGlobal"?',
    ]);
    expect(problemsOf({ bucket: { zzzzzz: 5 } })).toEqual([
      'config key "bucket.zzzzzz" (from ./erlmcp.json) is unknown; bucket has capacity, refillPerSec, floodDisconnectAfter, floodWindowMs',
    ]);
  });

  it('suggests sections, and the section of a key written at the top level', () => {
    expect(problemsOf({ buckt: {}, port: 9999, zzzzzz: {} })).toEqual([
      'config section "buckt" (from ./erlmcp.json) is unknown; did you mean "bucket"?',
      'config section "port" (from ./erlmcp.json) is unknown; did you mean "server.port"?',
      'config section "zzzzzz" (from ./erlmcp.json) is unknown; the sections are server, websocket, http, registry, queue, shards, bucket, admission, breaker, supervisor, mcp, auth, timeouts, logging, metrics, tracing, debug, cluster',
    ]);
  });

  it('rejects ERLMCP_* variables that name no key, with a suggestion when close', () => {
    const err = configError(
      () => loadConfig({ env: { ERLMCP_SERVER_PROT: '1', ERLMCP_NOPE: 'x', ERLMCP_LOG_LEVL: 'info' } }),
      'ERR_CONFIG_INVALID',
    );
    expect(err.problems).toEqual([
      'environment variable ERLMCP_LOG_LEVL is not a known setting; did you mean ERLMCP_LOG_LEVEL?',
      'environment variable ERLMCP_NOPE is not a known setting (docs/config.md lists them)',
      'environment variable ERLMCP_SERVER_PROT is not a known setting; did you mean ERLMCP_SERVER_PORT?',
    ]);
  });
});

describe('checks between keys', () => {
  it('blames the key that was set, naming the other key, its value and source', () => {
    expect(
      configError(() => loadConfig({ env: { ERLMCP_QUEUE_REJECT_AT: '0.5' } }), 'ERR_CONFIG_INVALID').problems,
    ).toEqual([
      'config key "queue.rejectAt" (from env ERLMCP_QUEUE_REJECT_AT) must be >= queue.warnAt, which is 0.75 (default), got 0.5',
    ]);
    expect(problemsOf({ queue: { warnAt: 0.99 } })).toEqual([
      'config key "queue.warnAt" (from ./erlmcp.json) must be <= queue.rejectAt, which is 0.95 (default), got 0.99',
    ]);
    expect(loadConfig({ overrides: { queue: { warnAt: 0.9, rejectAt: 0.9 } } }).queue.rejectAt).toBe(0.9);
  });

  it('keeps admission per shard within the global limit and the breaker able to close', () => {
    expect(problemsOf({ admission: { maxPerShard: 1000, maxGlobal: 999 }, breaker: { successThreshold: 4 } })).toEqual([
      'config key "admission.maxPerShard" (from ./erlmcp.json) must be <= admission.maxGlobal, which is 999 (from ./erlmcp.json), got 1000',
      'config key "breaker.successThreshold" (from ./erlmcp.json) must be <= breaker.halfOpenMaxCalls, which is 3 (default): the breaker could never close again, got 4',
    ]);
  });

  it('keeps the headers deadline within the body deadline (both count from the first byte)', () => {
    expect(problemsOf({ server: { headersTimeoutMs: 40_000 } })).toEqual([
      'config key "server.headersTimeoutMs" (from ./erlmcp.json) must be <= server.bodyTimeoutMs, which is 30000 (default): the body deadline counts from the same first byte, got 40000',
    ]);
  });

  it('refuses a network server with both transports disabled', () => {
    expect(
      configError(
        () => loadConfig({ env: { ERLMCP_WEBSOCKET_ENABLED: 'false' }, overrides: { http: { enabled: false } } }),
        'ERR_CONFIG_INVALID',
      ).problems,
    ).toEqual([
      'config keys "websocket.enabled" (from env ERLMCP_WEBSOCKET_ENABLED) and "http.enabled" (from overrides) are both false: nothing would be served; enable one, or set server.stdio',
    ]);
    const stdio = loadConfig({
      overrides: { server: { stdio: true }, websocket: { enabled: false }, http: { enabled: false } },
    });
    expect(stdio.server.stdio).toBe(true);
  });
});

describe('all problems at once', () => {
  it('collects the problems of the file, the environment, the overrides and between keys into one error', () => {
    const file = fileWith(JSON.stringify({ server: { port: -1 }, bukcet: {} }));
    const err = configError(
      () =>
        loadConfig({
          file,
          env: { ERLMCP_REGISTRY_SHARDS: '3', ERLMCP_QUEUE_REJECT_AT: '0.5' },
          overrides: { logging: { level: 'loud' } } as unknown as ConfigInput,
          overridesSource: 'command line',
        }),
      'ERR_CONFIG_INVALID',
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.problems).toEqual([
      `config key "server.port" (from ${file}) must be an integer in 0..65535, got -1`,
      `config section "bukcet" (from ${file}) is unknown; did you mean "bucket"?`,
      'config key "registry.shards" (from env ERLMCP_REGISTRY_SHARDS) must be a power of two in 1..1024, got "3"',
      'config key "logging.level" (from command line) must be one of "trace", "debug", "info", "warn", "error", "fatal", "silent", got "loud"',
      'config key "queue.rejectAt" (from env ERLMCP_QUEUE_REJECT_AT) must be >= queue.warnAt, which is 0.75 (default), got 0.5',
    ]);
    expect(err.message).toBe(`5 configuration problems:\n${err.problems.map((p) => `  - ${p}`).join('\n')}`);
  });
});

describe('config file problems (ERR_CONFIG_FILE)', () => {
  it('names a missing file and where it was looked for', () => {
    const d = tempDir();
    dirs.push(d);
    const missing = `${d.dir}/nope.json`;
    const err = configError(() => loadConfig({ file: missing }), 'ERR_CONFIG_FILE');
    expect(err.message).toBe(`config file "${missing}" does not exist (looked for ${missing})`);
    expect(err.problems).toEqual([err.message]);
  });

  it('names a directory given as the file', () => {
    const d = tempDir();
    dirs.push(d);
    expect(configError(() => loadConfig({ file: d.dir }), 'ERR_CONFIG_FILE').message).toBe(
      `config file "${d.dir}" is a directory, not a file`,
    );
  });

  it('gives line and column of a JSON syntax error', () => {
    const file = fileWith('{\n  "server": {\n    "port": 1\n    "host": "x"\n  }\n}\n');
    expect(configError(() => loadConfig({ file }), 'ERR_CONFIG_FILE').message).toBe(
      `config file "${file}" is not valid JSON: Expected ',' or '}' after property value at line 4, column 5`,
    );
    const trailing = fileWith('{ "server": { "port": 1, } }');
    expect(configError(() => loadConfig({ file: trailing }), 'ERR_CONFIG_FILE').message).toBe(
      `config file "${trailing}" is not valid JSON: Expected double-quoted property name at line 1, column 26`,
    );
  });

  it('reports where an empty or truncated file ends', () => {
    const empty = fileWith('');
    expect(configError(() => loadConfig({ file: empty }), 'ERR_CONFIG_FILE').message).toBe(
      `config file "${empty}" is not valid JSON: unexpected end of input at line 1, column 1`,
    );
    const truncated = fileWith('{\n  "server": {\n');
    expect(configError(() => loadConfig({ file: truncated }), 'ERR_CONFIG_FILE').message).toBe(
      `config file "${truncated}" is not valid JSON: Expected property name or '}' at line 3, column 1`,
    );
  });

  it('keeps the parser’s message when it gives no position', () => {
    const file = fileWith('{"server": }');
    expect(configError(() => loadConfig({ file }), 'ERR_CONFIG_FILE').message).toBe(
      `config file "${file}" is not valid JSON: Unexpected token '}', "{"server": }" is not valid JSON`,
    );
  });

  it('requires an object at the top level', () => {
    for (const [text, got] of [
      ['[]', 'an array'],
      ['null', 'null'],
      ['9999', 'a number'],
      ['"x"', 'a string'],
    ] as const) {
      const file = fileWith(text);
      expect(configError(() => loadConfig({ file }), 'ERR_CONFIG_FILE').message).toBe(
        `config file "${file}" must hold a JSON object ({ "server": { ... }, ... }) at the top level, got ${got}`,
      );
    }
  });

  it('reads a file that starts with a byte-order mark', () => {
    const file = fileWith('\ufeff{ "server": { "port": 1234 } }');
    expect(loadConfig({ file }).server.port).toBe(1234);
  });
});
