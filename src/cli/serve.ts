import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { startServing } from '../app/serving.js';
import { type Cluster, resolveNodeId, type StartClusterOptions, startCluster } from '../cluster/index.js';
import { clusterRequestStateKey } from '../cluster/request-state-key.js';
import { type ConfigInput, type ErlmcpConfig, loadConfig, runtimeOptions } from '../config/index.js';
import { ErlmcpError } from '../core/errors.js';
import { isLoopbackHost } from '../load/sources.js';
import { Gate } from '../mcp/gate.js';
import { fdLimits, raiseFdLimit } from '../ops/fd-limit.js';
import { createLogger, type Logger } from '../ops/logger.js';
import { ConnectionLimiter } from '../transports/limiter.js';
import { startWorkerPool } from '../workers/pool.js';

export interface ServeOptions {
  /** `--config FILE`. */
  configFile?: string;
  /** Command-line flags as config keys. */
  overrides?: ConfigInput;
  /** Environment for ERLMCP_* overrides (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** Descriptors beyond the connections: listening socket, stdio, log file, the runtime's own. */
const FD_MARGIN = 256;

/**
 * `erlmcp serve`: the demo toolset over WebSocket + Streamable HTTP (or stdio) until SIGINT
 * or SIGTERM, then a graceful stop: no new connections or requests, in-flight requests get
 * `server.shutdownMs` to finish, sessions close. A second signal exits at once. Configuration:
 * defaults < `--config FILE` < ERLMCP_* environment < flags (docs/config.md); an invalid
 * value throws ERR_CONFIG_INVALID / ERR_CONFIG_FILE before anything starts.
 */
export async function runServe(options: ServeOptions = {}): Promise<number> {
  let config = loadConfig({
    file: options.configFile,
    env: options.env ?? process.env,
    overrides: options.overrides,
    overridesSource: 'command line',
  });
  // One id for the node, known before the workers start: each of them publishes under it.
  if (config.cluster.redis !== 'none' && config.cluster.nodeId === 'auto') {
    config = { ...config, cluster: { ...config.cluster, nodeId: resolveNodeId('auto') } };
  }
  let rt = runtimeOptions(config);
  const log = createLogger(rt.logLevel);
  let sharedKey: string | undefined;
  // Every node must open requestState another node sealed: one key for the cluster.
  if (config.cluster.redis !== 'none' && config.mcp.requestStateKey === 'random') {
    const requestStateKey = await clusterRequestStateKey({
      redis: config.cluster.redis,
      keyPrefix: config.cluster.keyPrefix,
      logger: log,
    });
    config = { ...config, mcp: { ...config.mcp, requestStateKey } };
    rt = runtimeOptions(config);
    sharedKey = requestStateKey;
  }
  if (!rt.stdio) checkFdLimit(config.server.maxConnections, log);
  if (!rt.stdio && rt.auth === undefined && !isLoopbackHost(config.server.host)) {
    if (!rt.allowAnonymous) {
      throw new ErlmcpError(
        'ERR_CONFIG_INVALID',
        `refusing to serve ${config.server.host} without authorization: anyone who reaches the port would get every tool. Configure auth.resource (docs/auth.md), or set auth.allowAnonymous=true (--auth-allow-anonymous) to serve it open`,
      );
    }
    log.warn(
      { host: config.server.host },
      'SERVING WITHOUT AUTHORIZATION on a non-loopback address (auth.allowAnonymous): every client that reaches the port gets every tool',
    );
  }

  if (rt.debug.faultInjection) log.warn('debug.faultInjection is on: POST /admin/crash-shard crashes shard managers');
  const workers = rt.stdio ? 1 : config.server.workers === 0 ? os.availableParallelism() : config.server.workers;
  if (workers > 1) return servePool(config, workers, log, sharedKey);

  const gate = new Gate(rt.gate);
  const serving = await startServing({ config, rt, log, gate });
  const app = serving.app;
  const listener = app.listener();
  const completed = rate(() => gate.requestsCompleted);
  const cluster =
    listener && config.cluster.redis !== 'none'
      ? await joinOrStop(() => serving.stop(), {
          config: config.cluster,
          logger: log,
          listenUrl: listener.url,
          requestStateKey: sharedKey,
          load: () => ({
            connections: listener.limiter?.count ?? 0,
            sessions: gate.sessions,
            requests_per_sec: completed(),
            workers: 1,
          }),
        })
      : undefined;
  if (listener) {
    log.info(
      {
        websocket: listener.url.replace(/^http/, 'ws'),
        http: listener.url,
        maxConnections: config.server.maxConnections,
        metrics: rt.metrics.enabled ? `${new URL(listener.url).origin}/metrics` : false,
        shards: serving.shards ? serving.shards.shards : 0,
        workers: 1,
        cluster: cluster ? { node: cluster.nodeId, advertise: cluster.advertise } : false,
        auth: serving.auth
          ? { resource: rt.auth?.options.resource, metadata: serving.auth.resourceMetadataUrl }
          : false,
      },
      'erlmcp serving MCP (WebSocket and Streamable HTTP)',
    );
  } else {
    log.info({ transport: 'stdio' }, 'serving MCP over stdio');
  }
  // The supervision tree giving up (restart intensity exceeded) ends the process with 1.
  const failed = app.root.done.then((reason) => reason instanceof Error);
  // A stopping node leaves the cluster first: the others stop counting on it at once.
  const signalled = waitForSignal(log, async () => {
    await cluster?.stop();
    await app.stop();
  });
  const outcome = await Promise.race([
    signalled.then(() => 'stopped' as const),
    app.stdioClosed.then(() => 'stdio closed' as const),
    failed.then((isError) => (isError ? ('failed' as const) : ('stopped' as const))),
  ]);
  if (outcome === 'stdio closed') await app.stop();
  await cluster?.stop();
  await serving.release();
  if (outcome === 'failed') {
    log.error('the supervision tree gave up; exiting');
    log.flush();
    return 1;
  }
  return 0;
}

/**
 * `erlmcp serve --workers N` (N > 1): the pool of worker threads on one port until a signal,
 * then every worker drains at once. A worker that crashes is restarted by the pool's tree; the
 * tree giving up ends the process with 1.
 */
async function servePool(
  config: ErlmcpConfig,
  workers: number,
  log: Logger,
  sharedKey: string | undefined,
): Promise<number> {
  // Every worker must open requestState another one sealed: one random key for the process.
  const shared: ErlmcpConfig =
    config.mcp.requestStateKey === 'random'
      ? { ...config, mcp: { ...config.mcp, requestStateKey: randomBytes(32).toString('base64url') } }
      : config;
  const pool = await startWorkerPool({ config: shared, workers, logger: log });
  // The node's membership runs here, once per process; every worker's /health gets its view.
  const connections = ConnectionLimiter.open(pool.gateName, config.server.maxConnections);
  const cluster =
    config.cluster.redis !== 'none'
      ? await joinOrStop(() => pool.stop(), {
          config: config.cluster,
          logger: log,
          listenUrl: pool.url,
          requestStateKey: sharedKey,
          load: () => ({ connections: connections.count, sessions: null, requests_per_sec: null, workers: pool.size }),
        })
      : undefined;
  cluster?.membership.on('view', (view) => pool.broadcast({ type: 'cluster', view }));
  log.info(
    {
      websocket: pool.url.replace(/^http/, 'ws'),
      http: pool.url,
      workers: pool.size,
      cluster: cluster ? { node: cluster.nodeId, advertise: cluster.advertise } : false,
      maxConnections: config.server.maxConnections,
      metrics: config.metrics.enabled ? `${new URL(pool.url).origin}/metrics` : false,
    },
    'erlmcp serving MCP (WebSocket and Streamable HTTP)',
  );
  const failed = pool.root.done.then((reason) => reason instanceof Error);
  const signalled = waitForSignal(log, async () => {
    await cluster?.stop();
    await pool.stop();
  });
  const outcome = await Promise.race([
    signalled.then(() => 'stopped' as const),
    failed.then((isError) => (isError ? ('failed' as const) : ('stopped' as const))),
  ]);
  if (outcome === 'failed') {
    await cluster?.stop();
    log.error('the supervision tree gave up; exiting');
    log.flush();
    return 1;
  }
  return 0;
}

/** Joins the cluster; when that fails (ERR_CLUSTER_NODE_ID), stops what already serves and rethrows. */
async function joinOrStop(stop: () => Promise<void>, o: StartClusterOptions): Promise<Cluster> {
  try {
    return await startCluster(o);
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A counter read as a rate: each call gives the increase per second since the previous call. */
function rate(read: () => number): () => number {
  let last = read();
  let at = performance.now();
  return () => {
    const v = read();
    const now = performance.now();
    const r = now > at ? ((v - last) * 1000) / (now - at) : 0;
    last = v;
    at = now;
    return Math.round(r);
  };
}

/**
 * Raises the open-file limit to what `maxConnections` needs; warns when the hard limit is
 * lower (connections past it would fail to be accepted instead of getting a clean 503).
 */
function checkFdLimit(maxConnections: number, log: Logger): void {
  const wanted = maxConnections + FD_MARGIN;
  const before = fdLimits();
  const now = raiseFdLimit(wanted);
  if (!before || !now) return;
  if (now.soft > before.soft) log.debug({ from: before.soft, to: now.soft }, 'raised the open-file limit');
  if (now.soft < wanted) {
    log.warn(
      { maxConnections, openFileLimit: now.soft, hardLimit: now.hard },
      `the open-file limit (${now.soft}) is below server.maxConnections + ${FD_MARGIN}: at most about ${Math.max(0, now.soft - FD_MARGIN)} connections can be held; raise the hard limit (ulimit -Hn) or lower maxConnections`,
    );
  }
}

/** Resolves after the first SIGINT/SIGTERM once `stop` finished; a second signal exits now. */
function waitForSignal(log: Logger, stop: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting now');
        process.exit(1);
      }
      stopping = true;
      log.info({ signal }, 'shutting down: finishing in-flight requests');
      stop().then(
        () => {
          log.info('stopped');
          log.flush();
          resolve();
        },
        (err: unknown) => {
          log.error({ err }, 'error during shutdown');
          log.flush();
          resolve();
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
