import { createRequire } from 'node:module';
import { registerDemoToolset } from '../demo/toolset.js';
import { McpServer } from '../mcp/server.js';
import { createLogger } from '../ops/logger.js';
import { listen } from '../transports/listen.js';
import { StdioServerTransport } from '../transports/stdio.js';

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
  const server = new McpServer({ name: 'erlmcp-demo', version });
  registerDemoToolset(server);
  server.on('sessionerror', (err, session) => log.debug({ err, session: session.id }, 'session error'));

  let stop: () => Promise<void>;
  if (options.stdio) {
    const transport = new StdioServerTransport();
    const session = await server.connect(transport);
    log.info({ transport: 'stdio' }, 'serving MCP over stdio');
    const closed = new Promise<void>((resolve) => {
      session.onclose = () => resolve();
    });
    stop = () => server.shutdown(options.shutdownMs);
    await Promise.race([closed, waitForSignal(log, () => stop())]);
    await server.close();
    return 0;
  }

  const listener = await listen(server, {
    host: options.host,
    port: options.port,
    path: options.path,
    maxConnections: options.maxConnections,
  });
  log.info(
    { websocket: listener.url.replace(/^http/, 'ws'), http: listener.url, maxConnections: options.maxConnections },
    'erlmcp serving MCP (WebSocket and Streamable HTTP)',
  );
  stop = async () => {
    await listener.stopAccepting();
    await server.shutdown(options.shutdownMs);
    await listener.close();
  };
  await waitForSignal(log, stop);
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
