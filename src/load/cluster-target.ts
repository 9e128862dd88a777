/**
 * The nodes of the cluster scenario. Without --url the harness builds the cluster itself: a
 * private `redis-server` (free loopback port, persistence off) and N `erlmcp serve --cluster`
 * nodes (server-process.ts, one thread each), and waits until the first node's /health lists
 * them all. With --url it reads that node's /health and takes every live node's advertise URL.
 * Whatever was started is stopped by `stop()` (Redis last), also when starting fails halfway.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { ErlmcpError } from '../core/errors.js';
import { plainRequest } from './http-get.js';
import { type ServerSettings, type StartedServer, startServer } from './server-process.js';
import { sleep } from './sleep.js';

/** How long the nodes may take to see each other after they all serve (ms). */
const JOIN_MS = 15_000;

/** The cluster a run drives. */
export interface ClusterTarget {
  /** Every node's MCP endpoint, the first one being the run's --url (or the first started). */
  readonly nodes: readonly URL[];
  /** The node ids, in the same order. */
  readonly ids: readonly string[];
  /** The servers the harness started (empty for --url). */
  readonly started: readonly StartedServer[];
  /** Stops what the harness started; idempotent. */
  stop(): Promise<void>;
}

interface HealthNode {
  id: string;
  advertise: string;
}

/** The live nodes `url`'s /health lists (undefined when it does not answer with a cluster). */
async function listedNodes(url: URL): Promise<HealthNode[] | undefined> {
  const r = await plainRequest(url, 'GET', '/health', 5_000);
  if (r.status !== 200) return undefined;
  try {
    const nodes = (JSON.parse(r.body) as { cluster?: { nodes?: HealthNode[] } }).cluster?.nodes;
    return Array.isArray(nodes) ? nodes : undefined;
  } catch {
    return undefined;
  }
}

/** The cluster `url` is a node of, from its /health (ERR_LOAD_TARGET when it is not in one). */
export async function discoverCluster(url: URL): Promise<ClusterTarget> {
  const listed = await listedNodes(url);
  if (listed === undefined || listed.length === 0) {
    throw new ErlmcpError(
      'ERR_LOAD_TARGET',
      `${url.href} is not a cluster node: its /health has no cluster.nodes (start it with erlmcp serve --cluster)`,
    );
  }
  // --url first, then the others; each node serves MCP on the same path as --url.
  const self = listed.find((n) => new URL(n.advertise).host === url.host);
  const ordered = self ? [self, ...listed.filter((n) => n !== self)] : listed;
  const nodes = ordered.map((n) => (n === self ? url : new URL(url.pathname, n.advertise)));
  return { nodes, ids: ordered.map((n) => n.id), started: [], stop: async () => {} };
}

/** Starts Redis and `count` nodes with `settings` (each its own maxConnections). */
export async function startCluster(
  count: number,
  settings: ServerSettings,
  options: { timeoutMs: number },
): Promise<ClusterTarget> {
  const redis = await startRedis();
  const started: StartedServer[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= Promise.all(started.map((s) => s.stop())).then(() => redis.stop());
    return stopping;
  };
  try {
    const ids = Array.from({ length: count }, (_, i) => `n${i}`);
    for (const nodeId of ids) {
      started.push(await startServer({ ...settings, cluster: { redis: redis.url, nodeId } }, options));
    }
    const nodes = started.map((s) => new URL(s.url));
    const until = Date.now() + JOIN_MS;
    for (;;) {
      const listed = await listedNodes(nodes[0] as URL);
      if (listed !== undefined && ids.every((id) => listed.some((n) => n.id === id))) break;
      if (Date.now() > until) {
        throw new ErlmcpError(
          'ERR_LOAD_TARGET',
          `the ${count} cluster nodes did not all appear in ${nodes[0]?.href}'s /health within ${JOIN_MS} ms`,
        );
      }
      await sleep(50);
    }
    return { nodes, ids, started, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A private redis-server on a free loopback port, no persistence; killed with SIGKILL by stop(). */
async function startRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const bin = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout?.trim();
  if (!bin) {
    throw new ErlmcpError(
      'ERR_LOAD_TARGET',
      'the cluster scenario starts a private redis-server, which is not installed (apt-get install redis-server); or give --url of a running cluster node',
    );
  }
  const port = await freePort();
  const child: ChildProcess = spawn(
    bin,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  const stop = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  const until = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (Date.now() > until || child.exitCode !== null) {
      await stop();
      throw new ErlmcpError('ERR_LOAD_TARGET', `redis-server did not accept connections on port ${port} within 10 s`);
    }
    await sleep(25);
  }
  return { url: `redis://127.0.0.1:${port}`, stop };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}
