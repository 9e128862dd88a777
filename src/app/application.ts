import { guardRoutes } from '../auth/guard-route.js';
import type { RequestAuthenticator } from '../auth/types.js';
import type { McpServer } from '../mcp/server.js';
import { createObservability, type Observability, type ObservabilityWorker } from '../ops/endpoints.js';
import type { Logger } from '../ops/logger.js';
import { RestartCounter } from '../ops/restarts.js';
import type { ShardSet } from '../shards/shard-set.js';
import { closeableChild } from '../supervision/adapters.js';
import type { Child } from '../supervision/child.js';
import { ExitNotifier } from '../supervision/exit-notifier.js';
import { Supervisor } from '../supervision/supervisor.js';
import { type Listener, type ListenOptions, listen } from '../transports/listen.js';
import { StdioServerTransport } from '../transports/stdio.js';
import { type ControlPlaneOptions, type ControlReadings, controlPlane } from './control-plane.js';

export interface ApplicationOptions {
  /** The MCP server definition to serve (tools, resources, prompts registered). */
  server: McpServer;
  /** Serve one client over stdin/stdout instead of listening (default false). */
  stdio?: boolean;
  /** Where to listen (ignored with `stdio`). */
  listen?: ListenOptions;
  /** How long in-flight requests may finish when the application stops (default 5,000 ms). */
  shutdownMs?: number;
  logger: Logger;
  /** Control-plane sampling period (default 1,000 ms). */
  controlPeriodMs?: number;
  /**
   * The shard managers the server runs its requests through (the same set passed to its
   * McpServer as `shards`); started first and stopped last, under the root.
   */
  shards?: ShardSet;
  /**
   * Restart intensity of the tree's supervisors (default 5 restarts in 60,000 ms each) and how
   * long a worker child may take to stop before it is killed (default 5,000 ms; the server and
   * listener children always get at least `shutdownMs` + 1 s, their graceful drain).
   */
  supervisor?: { intensity?: number; periodMs?: number; childShutdownMs?: number };
  /**
   * Serve /health, /ready, /live and /metrics on the listener's port (default: off for the
   * library, on in `erlmcp serve`). `faultInjection` also serves POST /admin/crash-shard;
   * `worker` (in a pool worker) makes /health and /metrics report every worker of the pool.
   */
  observability?: { faultInjection?: boolean; metricsAuth?: RequestAuthenticator; worker?: ObservabilityWorker };
  /** @internal fault injection for the control plane (tests). */
  onSample?: ControlPlaneOptions['onSample'];
}

/** A running application: its supervision tree and what it serves. */
export interface Application {
  readonly root: Supervisor;
  readonly server: McpServer;
  /** Latest control-plane readings (health, metrics, breaker). */
  readonly readings: ControlReadings;
  /** The network listener (undefined with stdio). */
  listener(): Listener | undefined;
  /** The control-plane supervisor currently running. */
  control(): Supervisor | undefined;
  /** The health and metrics endpoints, when `observability` was asked for. */
  readonly observability: Observability | undefined;
  /** Resolves when a stdio client hangs up (never for network serving). */
  readonly stdioClosed: Promise<void>;
  /** Stops the tree: transports drain (no new connections, in-flight requests finish), then servers, then the control plane. */
  stop(): Promise<void>;
}

/** Adapts an McpServer: stopping it is a graceful shutdown of all its sessions. */
function serverChild(server: McpServer, shutdownMs: number): Child {
  const exit = new ExitNotifier();
  return {
    async stop() {
      await server.shutdown(shutdownMs);
      exit.exit('shutdown');
    },
    onExit: (l) => exit.onExit(l),
  };
}

/** Adapts a listener: stop = stop accepting, drain the server's sessions, close. An 'error' on its socket is a crash. */
function listenerChild(listener: Listener, server: McpServer, shutdownMs: number): Child {
  const exit = new ExitNotifier();
  let stopping = false;
  listener.server.on('error', (err) => exit.exit(err));
  listener.server.on('close', () => {
    if (!stopping) exit.exit('normal');
  });
  return {
    async stop() {
      stopping = true;
      await listener.stopAccepting();
      await server.shutdown(shutdownMs);
      await listener.close();
      exit.exit('shutdown');
    },
    onExit: (l) => exit.onExit(l),
    kill: () => void listener.close(),
  };
}

/**
 * Starts the application tree `erlmcp serve` runs:
 *
 * ```
 * erlmcp (one_for_one)
 * ├── shards (one_for_one): one manager per registry shard (when `shards` is given)
 * ├── control (rest_for_one): health, metrics, breaker
 * ├── servers (simple_one_for_one): McpServer instances
 * └── transports (simple_one_for_one): stdio / WebSocket + Streamable HTTP listeners
 * ```
 *
 * The control plane only reads native counters, so its crashes never touch the data path.
 * Children stop in reverse order: transports first (gracefully), the control plane last.
 */
export async function startApplication(o: ApplicationOptions): Promise<Application> {
  const shutdownMs = o.shutdownMs ?? 5_000;
  const limits = { intensity: o.supervisor?.intensity, periodMs: o.supervisor?.periodMs };
  const childShutdownMs = o.supervisor?.childShutdownMs ?? 5_000;
  // A draining server or listener must not be killed mid-drain.
  const drainMs = Math.max(childShutdownMs, shutdownMs + 1_000);
  const readings: ControlReadings = {};
  let control: Supervisor | undefined;
  let servers: Supervisor | undefined;
  let transports: Supervisor | undefined;
  let listener: Listener | undefined;
  let stdioDone!: () => void;
  const stdioClosed = new Promise<void>((resolve) => {
    stdioDone = resolve;
  });

  const restarts = new RestartCounter();
  let ready = false;
  const observability =
    o.observability && !o.stdio
      ? createObservability({
          gate: o.server.gate,
          shards: o.shards,
          readings,
          limiter: () => listener?.limiter,
          connections: () => listener?.connectionStats(),
          restarts,
          ready: () => ready,
          faultInjection: o.observability.faultInjection ?? false,
          logger: o.logger,
          counts: () => o.server.counts(),
          worker: o.observability.worker,
        })
      : undefined;
  // With metricsAuth, /metrics needs a token; /health, /ready and /live stay open for probes.
  const metricsAuth = o.observability?.metricsAuth;
  const routes =
    observability && metricsAuth ? guardRoutes(metricsAuth, ['/metrics'], observability.handle) : observability?.handle;
  const listenOptions = routes ? { ...o.listen, routes } : o.listen;

  const nested = async (make: () => Supervisor, set: (s: Supervisor) => void) => {
    const s = make();
    restarts.watch(s);
    set(s);
    await s.start();
    return s;
  };

  const root = new Supervisor({
    name: 'erlmcp',
    strategy: 'one_for_one',
    logger: o.logger,
    ...limits,
    children: [
      ...(o.shards
        ? [
            {
              id: 'shards',
              type: 'supervisor' as const,
              start: async () => {
                const s = await (o.shards as ShardSet).start();
                restarts.watch(s);
                return s;
              },
            },
          ]
        : []),
      {
        id: 'control',
        type: 'supervisor',
        start: () =>
          nested(
            () =>
              controlPlane({
                gate: o.server.gate,
                readings,
                logger: o.logger,
                periodMs: o.controlPeriodMs,
                onSample: o.onSample,
              }),
            (s) => {
              control = s;
            },
          ),
      },
      {
        id: 'servers',
        type: 'supervisor',
        start: () =>
          nested(
            () =>
              new Supervisor({
                name: 'servers',
                strategy: 'simple_one_for_one',
                logger: o.logger,
                ...limits,
                children: [
                  { id: 'server', shutdownMs: drainMs, start: (s: unknown) => serverChild(s as McpServer, shutdownMs) },
                ],
              }),
            (s) => {
              servers = s;
            },
          ),
      },
      {
        id: 'transports',
        type: 'supervisor',
        start: () =>
          nested(
            () =>
              new Supervisor({
                name: 'transports',
                strategy: 'simple_one_for_one',
                logger: o.logger,
                ...limits,
                children: [
                  {
                    id: 'transport',
                    restart: 'transient',
                    shutdownMs: drainMs,
                    start: async (kind: unknown) => {
                      if (kind === 'stdio') {
                        const session = await o.server.connect(new StdioServerTransport());
                        const child = closeableChild(session);
                        child.onExit(() => stdioDone());
                        return child;
                      }
                      listener = await listen(o.server, listenOptions);
                      return listenerChild(listener, o.server, shutdownMs);
                    },
                  },
                ],
              }),
            (s) => {
              transports = s;
            },
          ),
      },
    ],
  });

  restarts.watch(root);
  await root.start();
  await servers?.startChild([o.server]);
  await transports?.startChild([o.stdio ? 'stdio' : 'network']);
  ready = true;

  return {
    root,
    server: o.server,
    readings,
    listener: () => listener,
    control: () => control,
    observability,
    stdioClosed,
    stop: async () => {
      ready = false;
      await root.stop();
      observability?.close();
    },
  };
}
