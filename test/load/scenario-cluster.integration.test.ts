/**
 * The cluster scenario against a cluster the harness builds itself (a private redis-server and
 * `erlmcp serve --cluster` nodes from dist/): sessions spread over the nodes, each node's own
 * count matching, cross-node requests answered through the owner, nothing lost; and the same
 * against a running cluster named by --url (the nodes read from its /health). Needs the Debian
 * package redis-server (.ci/run installs it).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { requestNode } from '../../src/load/scenarios/cluster.js';
import { killRedis, startRedis } from '../cluster/redis-server.js';
import { CLI, cleanup, expectConsistent, runCli, runLoadReport } from './run-cli.js';

const nodes = new Set<ChildProcess>();
afterEach(async () => {
  cleanup();
  for (const n of nodes) n.kill('SIGKILL');
  nodes.clear();
  await killRedis();
});

/** `erlmcp serve ARGS` on a free port (1 thread); resolves with its MCP URL from its start line. */
async function serve(args: string[]): Promise<string> {
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--port', '0', '--workers', '1', '--log-level', 'info', ...args],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  nodes.add(child);
  return new Promise<string>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`erlmcp serve did not serve within 20 s: ${buf}`)), 20_000);
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      const m = /"http":"(http:\/\/[^"]+)"/.exec(buf);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
}

describe('erlmcp load --scenario cluster', () => {
  it('places session i on node i mod N and sends its HTTP requests to node (i + floor(i/N)) mod N', () => {
    expect(Array.from({ length: 9 }, (_, i) => requestNode(i, 3, 'http'))).toEqual([0, 1, 2, 1, 2, 0, 2, 0, 1]);
    expect(Array.from({ length: 6 }, (_, i) => requestNode(i, 3, 'ws'))).toEqual([0, 1, 2, 0, 1, 2]);
  });

  it('over HTTP: sessions spread evenly, two thirds of the answers through another node, nothing lost', async () => {
    const { report } = await runLoadReport([
      '--scenario',
      'cluster',
      '--transport',
      'http',
      '--nodes',
      '3',
      '--sessions',
      '27',
      '--rate',
      '270',
      '--duration',
      '1',
    ]);
    expectConsistent(report);
    expect(report.target.startedByHarness).toBe(true);
    expect(report.summary.sessions).toMatchObject({ attempted: 27, established: 27, refused: 0, failed: 0 });
    const f = report.findings;
    expect(f).toMatchObject({ nodes: 3, sessionsPerNodeMin: 9, sessionsPerNodeMax: 9, failed: 0, lost: 0 });
    for (const id of ['n0', 'n1', 'n2']) {
      expect(f[`sessions.${id}`]).toBe(9);
      // Each node's /health counts the HTTP sessions it owns.
      expect(f[`serverSessions.${id}`]).toBe(9);
    }
    // 27 sessions on 3 nodes: 9 talk to their owner, 18 to another node; every answer is ok.
    expect(f.answeredOk).toBe(report.summary.requests.ok);
    expect(report.summary.requests.ok).toBe(report.summary.requests.sent);
    expect(f.crossNodeOk as number).toBeGreaterThan(0);
    expect(f.crossNodeShare as number).toBeGreaterThan(0.55);
    expect(f.crossNodeShare as number).toBeLessThan(0.78);
  }, 90_000);

  it('with --url: drives every node the named node lists, WebSocket sessions stay on their node', async () => {
    const redis = await startRedis();
    const a = await serve(['--cluster', redis.url, '--node-id', 'a']);
    await serve(['--cluster', redis.url, '--node-id', 'b']);
    for (let k = 0; k < 200; k++) {
      const h = (await (await fetch(new URL('/health', a))).json()) as { cluster?: { nodes?: unknown[] } };
      if (h.cluster?.nodes?.length === 2) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const { report } = await runLoadReport([
      '--scenario',
      'cluster',
      '--url',
      a,
      '--sessions',
      '10',
      '--rate',
      '100',
      '--duration',
      '1',
    ]);
    expectConsistent(report);
    expect(report.target.startedByHarness).toBe(false);
    const f = report.findings;
    expect(f).toMatchObject({
      nodes: 2,
      'sessions.a': 5,
      'sessions.b': 5,
      'serverSessions.a': 5,
      'serverSessions.b': 5,
    });
    expect(f.crossNodeOk).toBe(0);
    expect(f.crossNodeShare).toBe(0);
    expect(report.summary.requests.ok).toBe(report.summary.requests.sent);
  }, 90_000);

  it('refuses a --url that is not a cluster node', async () => {
    const plain = await serve([]);
    const r = await runCli(['load', '--scenario', 'cluster', '--url', plain, '--quiet']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is not a cluster node: its /health has no cluster.nodes');
  }, 60_000);
});
