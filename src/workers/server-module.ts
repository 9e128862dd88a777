/**
 * A user's server for `erlmcp serve --module FILE`: a module whose default export builds the
 * McpServer. With N workers it is called once in every worker thread, so the tools run on
 * every core; each call gets the options erlmcp configured for that worker (the process-wide
 * gate, the worker's shard managers, the tracer and limits) to pass to `new McpServer`.
 *
 * @example
 * // my-server.mjs — erlmcp serve --module ./my-server.mjs
 * import { McpServer } from 'erlmcp';
 * export default function build({ serverOptions }) {
 *   const server = new McpServer({ name: 'my-server', version: '1.0.0' }, serverOptions);
 *   server.registerTool('hello', { inputSchema: { type: 'object' } }, () => ({ content: [{ type: 'text', text: 'hi' }] }));
 *   return server;
 * }
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ErlmcpConfig } from '../config/types.js';
import { ErlmcpError } from '../core/errors.js';
import { McpServer, type McpServerOptions } from '../mcp/server.js';
import type { Logger } from '../ops/logger.js';

/** What a server module's default export is called with. */
export interface ServerFactoryContext {
  /** This worker's index (0..workers-1; 0 without workers). */
  readonly worker: number;
  /** Workers serving the port (1 without workers). */
  readonly workers: number;
  /** Spread into `new McpServer(info, { ...serverOptions, ...yours })`: gate, shards, tracer, limits. */
  readonly serverOptions: McpServerOptions;
  readonly logger: Logger;
  /** The resolved configuration (docs/config.md). */
  readonly config: ErlmcpConfig;
}

/** A built server, with what to stop when it is done (timers, connections of its own). */
export interface BuiltServer {
  readonly server: McpServer;
  stop?(): void | Promise<void>;
}

/** The default export of a server module. */
export type ServerFactory = (
  context: ServerFactoryContext,
) => McpServer | BuiltServer | Promise<McpServer | BuiltServer>;

/**
 * Imports `spec` (a path, relative to the working directory, or a file: URL) and returns its
 * default export (or a named `createServer`). ERR_CONFIG_INVALID when it cannot be imported or
 * exports no function.
 */
export async function loadServerFactory(spec: string): Promise<ServerFactory> {
  const url = spec.startsWith('file:') ? spec : pathToFileURL(path.resolve(spec)).href;
  let mod: { default?: unknown; createServer?: unknown };
  try {
    mod = (await import(url)) as typeof mod;
  } catch (err) {
    throw new ErlmcpError('ERR_CONFIG_INVALID', `server.module: cannot import ${spec}: ${(err as Error).message}`);
  }
  // A CommonJS module's module.exports arrives as default; `exports.default` one level down.
  let factory = mod.default ?? mod.createServer;
  if (typeof factory === 'object' && factory !== null) factory = (factory as { default?: unknown }).default;
  if (typeof factory !== 'function') {
    throw new ErlmcpError(
      'ERR_CONFIG_INVALID',
      `server.module: ${spec} must export a default function that builds an McpServer (docs/workers.md)`,
    );
  }
  return factory as ServerFactory;
}

/** Calls `factory` and checks that it built an McpServer. */
export async function buildServer(factory: ServerFactory, context: ServerFactoryContext): Promise<BuiltServer> {
  const out = await factory(context);
  if (out instanceof McpServer) return { server: out };
  if (typeof out === 'object' && out !== null && (out as BuiltServer).server instanceof McpServer) return out;
  throw new ErlmcpError(
    'ERR_CONFIG_INVALID',
    "server.module: the default export must return an McpServer (or { server, stop }) built with erlmcp's McpServer",
  );
}
