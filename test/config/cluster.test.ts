import { describe, expect, it } from 'vitest';
import { parseServeArgs } from '../../src/cli/serve-args.js';
import { type ConfigInput, loadConfig } from '../../src/config/index.js';
import { configError } from './helpers.js';

const problemsOf = (overrides: unknown, env: NodeJS.ProcessEnv = {}) =>
  configError(
    () => loadConfig({ overrides: overrides as ConfigInput, overridesSource: './erlmcp.json', env }),
    'ERR_CONFIG_INVALID',
  ).problems;

describe('cluster configuration', () => {
  it('is off by default, with a heartbeat that sees a death within 2 s', () => {
    // Every default is pinned in defaults.test.ts; this is what they must add up to.
    const c = loadConfig({ env: {} }).cluster;
    expect(c.redis).toBe('none');
    expect(c.deadAfterMs).toBeGreaterThanOrEqual(2 * c.heartbeatMs);
    expect(c.deadAfterMs + c.heartbeatMs).toBeLessThanOrEqual(2000);
  });

  it('comes from --cluster/--node-id/--advertise and ERLMCP_CLUSTER_*', () => {
    const { overrides } = parseServeArgs([
      '--cluster',
      'redis://10.0.0.5:6379',
      '--node-id',
      'node-a',
      '--advertise',
      'http://10.0.0.7:9999',
    ]);
    expect(loadConfig({ overrides, env: {} }).cluster).toMatchObject({
      redis: 'redis://10.0.0.5:6379',
      nodeId: 'node-a',
      advertise: 'http://10.0.0.7:9999',
    });
    const fromEnv = loadConfig({
      env: { ERLMCP_CLUSTER_REDIS: 'rediss://u:p@r:6380/2', ERLMCP_CLUSTER_HEARTBEAT_MS: '200' },
    });
    expect(fromEnv.cluster.redis).toBe('rediss://u:p@r:6380/2');
    expect(fromEnv.cluster.heartbeatMs).toBe(200);
  });

  it('rejects a URL that is not Redis, a node id that cannot be a key, and a TTL under two heartbeats', () => {
    expect(problemsOf({ cluster: { redis: 'http://r:6379' } })).toEqual([
      'config key "cluster.redis" (from ./erlmcp.json) must be "none" or a redis:// or rediss:// URL, got "http://r:6379"',
    ]);
    expect(problemsOf({ cluster: { nodeId: 'a b' } })).toEqual([
      'config key "cluster.nodeId" (from ./erlmcp.json) must be "auto" or 1-64 of A-Z a-z 0-9 _ - ., got "a b"',
    ]);
    expect(problemsOf({ cluster: { advertise: '10.0.0.7:9999' } })).toEqual([
      'config key "cluster.advertise" (from ./erlmcp.json) must be "auto" or an http:// or https:// URL, got "10.0.0.7:9999"',
    ]);
    expect(problemsOf({ cluster: { deadAfterMs: 500 } })).toEqual([
      'config key "cluster.deadAfterMs" (from ./erlmcp.json) must be at least 2 x cluster.heartbeatMs (400 (default)): one late heartbeat would declare a live node dead, got 500',
    ]);
  });
});
