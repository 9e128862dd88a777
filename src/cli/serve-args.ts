import { parseArgs } from 'node:util';
import type { ConfigInput } from '../config/index.js';

/** What `erlmcp serve`'s command line asks for. */
export interface ServeArgs {
  help: boolean;
  /** `--config FILE`. */
  configFile: string | undefined;
  /** The flags given, as config keys (they win over the file and the environment). */
  overrides: ConfigInput;
}

export const SERVE_USAGE = `serve options (each flag overrides its config key; see docs/config.md):
  --config FILE        JSON configuration file (every key: docs/config.md; env ERLMCP_<SECTION>_<KEY>)
  --stdio              Serve one client over stdin/stdout instead of the network   (server.stdio)
  --host HOST          Address to bind (default 127.0.0.1)                          (server.host)
  --port PORT          Port to bind (default 9999; 0 picks a free one)              (server.port)
  --path PATH          URL path of the MCP endpoint (default /mcp)                  (server.path)
  --max-connections N  WebSocket connections + HTTP sessions held (default 15000)   (server.maxConnections)
  --workers N          Worker threads on the port (default 0: one per core; 1: none) (server.workers)
  --module FILE        Serve the McpServer FILE's default export builds, in every worker (server.module)
  --log-level LEVEL    trace, debug, info, warn, error, fatal or silent (default info) (logging.level)
  --shutdown-ms MS     How long in-flight requests may finish on SIGINT/SIGTERM (default 5000) (server.shutdownMs)
  --cluster URL        Join the cluster on this Redis, e.g. redis://10.0.0.5:6379 (cluster.redis)
  --node-id ID         This node's id in the cluster (default auto)                 (cluster.nodeId)
  --advertise URL      The URL other nodes reach this node at (default auto)       (cluster.advertise)
  --auth-allow-anonymous  Serve a non-loopback --host without auth (refused otherwise) (auth.allowAnonymous)
  (OAuth: the auth.* keys, docs/auth.md; a hashed API key: erlmcp hash-key KEY)
`;

/**
 * Parses `erlmcp serve`'s flags. Values are passed on as given (numbers as numbers when they
 * look like one), so the configuration's validation reports a bad one with the key's name.
 */
export function parseServeArgs(args: string[]): ServeArgs {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      config: { type: 'string' },
      stdio: { type: 'boolean' },
      host: { type: 'string' },
      port: { type: 'string' },
      path: { type: 'string' },
      'max-connections': { type: 'string' },
      workers: { type: 'string' },
      module: { type: 'string' },
      'log-level': { type: 'string' },
      'shutdown-ms': { type: 'string' },
      'auth-allow-anonymous': { type: 'boolean' },
      cluster: { type: 'string' },
      'node-id': { type: 'string' },
      advertise: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const num = (v: string | undefined) => (v === undefined ? undefined : /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v);
  const overrides = {
    server: {
      stdio: values.stdio,
      host: values.host,
      port: num(values.port),
      path: values.path,
      maxConnections: num(values['max-connections']),
      workers: num(values.workers),
      module: values.module,
      shutdownMs: num(values['shutdown-ms']),
    },
    logging: { level: values['log-level'] },
    auth: { allowAnonymous: values['auth-allow-anonymous'] },
    cluster: { redis: values.cluster, nodeId: values['node-id'], advertise: values.advertise },
  } as ConfigInput;
  return { help: values.help, configFile: values.config, overrides };
}
