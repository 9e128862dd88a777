import { createRequire } from 'node:module';
import { startApplication } from '../app/application.js';
import { registerDemoToolset } from '../demo/toolset.js';
import { Gate } from '../mcp/gate.js';
import { McpServer } from '../mcp/server.js';
import { createLogger } from '../ops/logger.js';
import { ShardSet } from '../shards/shard-set.js';

export interface ServeOptions {
  stdio: boolean;
  host: string;
  port: number;
  path: string;
  maxConnections: number;
  logLevel: string | undefined;
  shutdownMs: number;
}

const { version } = createRequire(__filename)('../../package.json') as { version: string };

/**
 * `erlmcp serve`: the demo toolset over WebSocket + Streamable HTTP (or stdio) until SIGINT
 * or SIGTERM, then a graceful stop: no new connections or requests, in-flight requests get
 * `shutdownMs` to finish, sessions close. A second signal exits at once.
 */
export async function runServe(options: ServeOptions): Promise<number> {
  const log = createLogger(options.logLevel);
  // One manager per registry shard runs the requests (see src/shards): a manager that crashes
  // is restarted alone and the requests waiting in its shard's queue are not lost.
  const gate = new Gate();
  const shards = new ShardSet({ registry: gate.registry, router: gate.router, releaseOnDelivery: false, logger: log });
  const server = new McpServer({ name: 'erlmcp-demo', version }, { gate, shards });
  registerDemoToolset(server);
  server.on('sessionerror', (err, session) => log.debug({ err, session: session.id }, 'session error'));

  const app = await startApplication({
    server,
    stdio: options.stdio,
    listen: { host: options.host, port: options.port, path: options.path, maxConnections: options.maxConnections },
    shutdownMs: options.shutdownMs,
    logger: log,
    shards,
  });
  const listener = app.listener();
  if (listener) {
    log.info(
      { websocket: listener.url.replace(/^http/, 'ws'), http: listener.url, maxConnections: options.maxConnections },
      'erlmcp serving MCP (WebSocket and Streamable HTTP)',
    );
  } else {
    log.info({ transport: 'stdio' }, 'serving MCP over stdio');
  }
  // The supervision tree giving up (restart intensity exceeded) ends the process with 1.
  const failed = app.root.done.then((reason) => reason instanceof Error);
  const signalled = waitForSignal(log, () => app.stop());
  const outcome = await Promise.race([
    signalled.then(() => 'stopped' as const),
    app.stdioClosed.then(() => 'stdio closed' as const),
    failed.then((isError) => (isError ? ('failed' as const) : ('stopped' as const))),
  ]);
  if (outcome === 'stdio closed') await app.stop();
  if (outcome === 'failed') {
    log.error('the supervision tree gave up; exiting');
    log.flush();
    return 1;
  }
  return 0;
}

/** Resolves after the first SIGINT/SIGTERM once `stop` finished; a second signal exits now. */
function waitForSignal(log: ReturnType<typeof createLogger>, stop: () => Promise<void>): Promise<void> {
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
