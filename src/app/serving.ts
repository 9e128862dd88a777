/**
 * What one thread of `erlmcp serve` runs: the server the module builds (the demo toolset by
 * default) over the configured gate and shard managers, under the application tree, on the
 * configured port. The single-threaded `erlmcp serve` runs it on the main thread; with
 * `--workers N` every worker thread runs it (src/workers/worker-main.ts), over the
 * process-wide gate and with its listener sharing the port.
 */
import { createRequire } from 'node:module';
import { Authenticator } from '../auth/authenticator.js';
import { ClusterBuckets } from '../cluster/buckets/agent.js';
import { clusterView } from '../cluster/current.js';
import { startClusterEventBus } from '../cluster/events.js';
import { startClusterLegacy } from '../cluster/legacy/index.js';
import { RedisLink } from '../cluster/redis.js';
import { ClusterSessionPeers, NODE_SEPARATOR } from '../cluster/session-peers.js';
import { ClusterSessionStore } from '../cluster/session-store.js';
import { type RedisTaskStore, startRedisTaskStore } from '../cluster/tasks/redis-store.js';
import type { RuntimeOptions } from '../config/runtime.js';
import type { ErlmcpConfig } from '../config/types.js';
import { invalidArg } from '../core/errors.js';
import { registerDemoToolset } from '../demo/toolset.js';
import { defaultRegistry } from '../legacy/default.js';
import type { ServerEventBus } from '../mcp/events/bus.js';
import type { Gate } from '../mcp/gate.js';
import { McpServer, type McpServerOptions } from '../mcp/server.js';
import type { Logger } from '../ops/logger.js';
import { openTelemetryTracer } from '../ops/tracing.js';
import { ShardSet } from '../shards/shard-set.js';
import type { ListenOptions } from '../transports/listen.js';
import { type CurrentWorker, currentWorker } from '../workers/current.js';
import { meshEventBus } from '../workers/mesh-events.js';
import { type BuiltServer, buildServer, loadServerFactory, type ServerFactory } from '../workers/server-module.js';
import { type Application, startApplication } from './application.js';

const { version } = createRequire(__filename)('../../package.json') as { version: string };

/** Options of {@link startServing}. */
export interface ServingOptions {
  readonly config: ErlmcpConfig;
  readonly rt: RuntimeOptions;
  readonly log: Logger;
  /** The gate (a private one, or `Gate.open(name)` in a worker). */
  readonly gate: Gate;
  /** This thread's index and the number of threads serving (0 and 1 without workers). */
  readonly worker?: number;
  readonly workers?: number;
  /** Listen options over the configured ones (a worker's port sharing and session peers). */
  readonly listen?: Partial<ListenOptions>;
}

/** A thread's running server. */
export interface Serving {
  readonly app: Application;
  readonly shards: ShardSet | undefined;
  /** The authenticator every request passes (auth configured, not stdio). */
  readonly auth: Authenticator | undefined;
  /** Stops the tree (graceful drain), then what the module built. */
  stop(): Promise<void>;
  /** Stops what the module built (after the tree stopped by itself). */
  release(): Promise<void>;
}

/** The demo toolset as a server module. */
const demoFactory: ServerFactory = ({ serverOptions }) => {
  const server = new McpServer({ name: 'erlmcp-demo', version }, serverOptions);
  const demo = registerDemoToolset(server);
  return { server, stop: () => demo.stop() };
};

/** What ids of sessions and tasks start with on this node: `<nodeId>~` in a cluster, nothing alone. */
function nodePrefix(config: ErlmcpConfig): string {
  return config.cluster.redis === 'none' ? '' : `${config.cluster.nodeId}${NODE_SEPARATOR}`;
}

/**
 * The bus this thread's server shares resource updates on (src/mcp/events/bus.ts): Redis in a
 * cluster (every worker of every node), the mesh between the workers of one process, none for a
 * single thread alone.
 */
async function serverEvents(
  config: ErlmcpConfig,
  log: Logger,
  pool: CurrentWorker | undefined,
): Promise<(ServerEventBus & { close(): Promise<void> }) | undefined> {
  const c = config.cluster;
  if (c.redis !== 'none') {
    // Session ids and event origins name the node: every thread must use the id the membership
    // announces, so erlmcp serve resolves "auto" once, before any thread starts.
    if (c.nodeId === 'auto')
      throw invalidArg('startServing: resolve cluster.nodeId "auto" before serving (resolveNodeId)');
    return startClusterEventBus({
      redis: c.redis,
      keyPrefix: c.keyPrefix,
      origin: `${c.nodeId}/${pool?.index ?? 0}`,
      logger: log,
      timeoutMs: Math.max(100, c.heartbeatMs),
    });
  }
  if (pool === undefined) return undefined;
  return { ...meshEventBus(pool), close: async () => {} };
}

/**
 * The Redis store of this thread's 2025 session snapshots (src/cluster/session-store.ts), in a
 * cluster serving Streamable HTTP; its own connection, since a thread's Redis work must not
 * wait behind another's.
 */
async function sessionStore(
  config: ErlmcpConfig,
  log: Logger,
): Promise<{ store: ClusterSessionStore; close(): Promise<void> } | undefined> {
  const c = config.cluster;
  if (c.redis === 'none' || !config.http.enabled) return undefined;
  const link = new RedisLink({ url: c.redis, logger: log, timeoutMs: Math.max(100, c.heartbeatMs) });
  await link.start();
  const store = new ClusterSessionStore({
    link,
    keyPrefix: c.keyPrefix,
    nodeId: c.nodeId,
    ttlMs: 2 * config.http.sessionIdleMs,
    logger: log,
  });
  return {
    store,
    async close() {
      store.close();
      await link.close();
    },
  };
}

/**
 * In a cluster, authenticated principals' buckets are split over the nodes (src/cluster/buckets):
 * every thread takes part, counting its own principals' demand.
 */
async function clusterBuckets(
  config: ErlmcpConfig,
  log: Logger,
  gate: Gate,
  pool: CurrentWorker | undefined,
): Promise<ClusterBuckets | undefined> {
  const c = config.cluster;
  if (c.redis === 'none' || config.auth.resource === 'none') return undefined;
  const buckets = new ClusterBuckets({
    gate,
    redis: c.redis,
    keyPrefix: c.keyPrefix,
    nodeId: c.nodeId,
    worker: pool?.index ?? 0,
    intervalMs: c.bucketShareMs,
    // A report must outlive the interval it covers, or the leader would find it missing.
    reportTtlMs: Math.max(c.deadAfterMs, 3 * c.bucketShareMs),
    view: clusterView,
    logger: log.child({ buckets: c.keyPrefix }),
  });
  await buckets.start();
  return buckets;
}

/** In a cluster, the task store of this thread: Redis, shared by every worker of every node. */
async function clusterTaskStore(
  config: ErlmcpConfig,
  log: Logger,
  pool: CurrentWorker | undefined,
): Promise<RedisTaskStore | undefined> {
  const c = config.cluster;
  if (c.redis === 'none') return undefined;
  return startRedisTaskStore({
    redis: c.redis,
    keyPrefix: c.keyPrefix,
    logger: log,
    // Longer than the heartbeat's: a loaded Redis should slow task creation, not refuse it.
    timeoutMs: Math.max(1_000, c.deadAfterMs),
    runner: `${c.nodeId}/${pool?.index ?? 0}`,
    leaseMs: c.deadAfterMs,
    renewMs: c.heartbeatMs,
  });
}

/** Builds and starts one thread's server; throws before anything listens when the module fails. */
export async function startServing(o: ServingOptions): Promise<Serving> {
  const { rt, log, gate } = o;
  // stdio takes no OAuth (the spec: credentials come from the environment).
  const auth = rt.auth && !rt.stdio ? new Authenticator(rt.auth.options) : undefined;
  // One manager per registry shard runs the requests (see src/shards): a manager that crashes
  // is restarted alone and the requests waiting in its shard's queue are not lost.
  const shards = rt.shardsEnabled
    ? new ShardSet({
        registry: gate.registry,
        router: gate.router,
        releaseOnDelivery: false,
        logger: log,
        ...rt.shardSet,
        queue: { warnAt: rt.queue.warnAt, rejectAt: rt.queue.rejectAt },
        managerShutdownMs: rt.supervisor.childShutdownMs,
      })
    : undefined;
  const tracer = rt.tracing.enabled ? openTelemetryTracer(rt.tracing.serviceName) : undefined;
  const pool = currentWorker();
  const serverOptions: McpServerOptions = { gate, shards, tracer, ...rt.server };
  // (serverEvents checks the node id first.)
  const events = await serverEvents(o.config, log, pool);
  const taskStore = await clusterTaskStore(o.config, log, pool);
  if (taskStore !== undefined) {
    // Tasks live in Redis: any node and worker serves tasks/* itself, and every store hears
    // every change (no mesh publish: listeners would hear it twice). The id still names the
    // node and worker running it.
    serverOptions.tasks = {
      ...rt.server.tasks,
      store: taskStore,
      idPrefix: `${nodePrefix(o.config)}${pool === undefined ? '' : `w${pool.index}.`}`,
    };
  } else if (pool !== undefined) {
    // Tasks live in this worker's store: their ids name it (task requests landing elsewhere
    // are forwarded here), and their changes reach listen streams on every worker.
    serverOptions.tasks = {
      ...rt.server.tasks,
      idPrefix: `${nodePrefix(o.config)}w${pool.index}.`,
      publish: (taskId, task) => {
        for (let i = 0; i < pool.size; i++) if (i !== pool.index) pool.mesh.send(i, 'tasks:updated', { taskId, task });
      },
    };
  }
  if (events) serverOptions.events = events;
  // In a cluster, 2025 sessions outlive their node: their snapshots are kept in Redis.
  const sessions = await sessionStore(o.config, log);
  if (sessions) serverOptions.handover = sessions.store;
  const buckets = await clusterBuckets(o.config, log, gate, pool);
  // In a cluster the default legacy registry reaches every node's (before the module registers).
  const c = o.config.cluster;
  const legacy =
    c.redis === 'none'
      ? undefined
      : await startClusterLegacy({
          registry: defaultRegistry(),
          redis: c.redis,
          keyPrefix: c.keyPrefix,
          nodeId: c.nodeId,
          worker: pool?.index ?? 0,
          mesh: pool?.mesh,
          logger: log,
          timeoutMs: Math.max(100, c.heartbeatMs),
        });
  // Nothing may keep the bus's Redis connections open when the server fails to start.
  const failed = async (err: unknown): Promise<never> => {
    await Promise.all([events?.close(), sessions?.close(), buckets?.close(), taskStore?.close(), legacy?.close()]);
    throw err;
  };
  const factory =
    o.config.server.module === 'demo' ? demoFactory : await loadServerFactory(o.config.server.module).catch(failed);
  const built: BuiltServer = await buildServer(factory, {
    worker: o.worker ?? 0,
    workers: o.workers ?? 1,
    serverOptions,
    logger: log,
    config: o.config,
  }).catch(failed);
  const server = built.server;
  pool?.mesh.on('tasks:updated', (_from, body) => {
    const { taskId, task } = body as { taskId: string; task: Record<string, unknown> };
    server.deliverTaskUpdate(taskId, task);
  });
  server.on('sessionerror', (err, session) => log.debug({ err, session: session.id }, 'session error'));

  let listen: ListenOptions = { ...rt.listen, ...o.listen };
  // In a cluster, 2025 sessions of other nodes are served through their owner (see session-peers.ts).
  const clusterPeers =
    o.config.cluster.redis !== 'none' && listen.http !== false
      ? new ClusterSessionPeers({
          nodeId: o.config.cluster.nodeId,
          path: o.config.server.path,
          view: clusterView,
          inner: listen.http?.peers,
          ...(sessions ? { claims: sessions.store } : {}),
          logger: log,
        })
      : undefined;
  if (clusterPeers) listen = { ...listen, http: { ...(listen.http || {}), peers: clusterPeers } };
  if (taskStore && listen.http !== false) listen = { ...listen, http: { ...(listen.http || {}), tasksShared: true } };
  // In a pool worker, /health and /metrics report every worker (asked over the mesh).
  const poolWorker = pool;
  if (auth) listen = { ...listen, auth };
  const app = await startApplication({
    server,
    stdio: rt.stdio,
    listen,
    logger: log,
    shards,
    ...rt.application,
    supervisor: rt.supervisor,
    observability: rt.metrics.enabled
      ? {
          faultInjection: rt.debug.faultInjection,
          ...(auth && rt.auth?.protectMetrics ? { metricsAuth: auth } : {}),
          ...(poolWorker
            ? { worker: { index: poolWorker.index, mesh: poolWorker.mesh, relay: poolWorker.relay } }
            : {}),
        }
      : undefined,
  }).catch(failed);
  let released: Promise<void> | undefined;
  const release = () => {
    released ??= Promise.resolve(built.stop?.()).then(() => {
      clusterPeers?.close();
      return Promise.all([
        events?.close(),
        sessions?.close(),
        buckets?.close(),
        taskStore?.close(),
        legacy?.close(),
      ]).then(() => undefined);
    });
    return released;
  };
  return {
    app,
    shards,
    auth,
    release,
    async stop() {
      await app.stop();
      await release();
    },
  };
}
