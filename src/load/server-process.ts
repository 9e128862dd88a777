/**
 * The server a run starts when no --url is given: `erlmcp serve` from this package in a child
 * process, on a free port of 127.0.0.1, configured for the scenario through a temporary config
 * file. Its URL comes from its start log line; it is always stopped at the end (SIGTERM, then
 * SIGKILL after 5 s), also when the harness fails or is interrupted.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ErlmcpError } from '../core/errors.js';

/** The log message `erlmcp serve` writes once it listens (it carries the URL in `http`). */
export const SERVING_MESSAGE = 'erlmcp serving MCP (WebSocket and Streamable HTTP)';
const STOP_GRACE_MS = 5_000;
const LOG_TAIL = 30;

/** What a scenario needs from the server it runs against. */
export interface ServerSettings {
  /** WebSocket connections + HTTP sessions the server holds. */
  maxConnections: number;
  /** A per-session token bucket that actually limits (bombing); default: the server's. */
  bucket?: { capacity: number; refillPerSec: number };
  /** Serve POST /admin/crash-shard (chaos). */
  faultInjection?: boolean;
  /**
   * Worker threads (default 1). One thread by default: the scenarios read their server
   * figures (shard restarts, queue depth) from the /health of the worker that answers, and
   * the JS generator needs the other cores. `bench:cores` measures the pool.
   */
  workers?: number;
  /** Join a cluster on this Redis as this node (cluster scenario; cluster-target.ts). */
  cluster?: { redis: string; nodeId: string };
}

/** A running self-started server. */
export interface StartedServer {
  url: string;
  pid: number;
  /** The configuration file it was started with (removed when it stops). */
  configFile: string;
  /** Settles when the process exits, with its exit code (or signal). */
  exited: Promise<string>;
  /** Its last stderr lines (for error messages). */
  logTail(): string[];
  /** SIGTERM, SIGKILL after 5 s; resolves once it exited. Idempotent. */
  stop(): Promise<void>;
}

/** The `erlmcp` CLI script of this package (dist/cli/erlmcp.js next to dist/load/). */
export function cliPath(): string {
  return path.join(__dirname, '..', 'cli', 'erlmcp.js');
}

/** The configuration file content for `settings` (port 0: a free port). */
export function serverConfig(settings: ServerSettings): Record<string, unknown> {
  const config: Record<string, Record<string, unknown>> = {
    server: {
      host: '127.0.0.1',
      port: 0,
      path: '/mcp',
      maxConnections: settings.maxConnections,
      workers: settings.workers ?? 1,
    },
    // info: the start line carrying the URL is an info line; nothing is logged per message at info.
    logging: { level: 'info' },
    metrics: { enabled: true },
    debug: { faultInjection: settings.faultInjection === true },
  };
  if (settings.bucket !== undefined) config.bucket = { ...settings.bucket };
  if (settings.cluster !== undefined) config.cluster = { ...settings.cluster };
  return config;
}

/** Starts the server with a temporary config file for `settings` and resolves once it serves. */
export async function startServer(settings: ServerSettings, options: { timeoutMs: number }): Promise<StartedServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'erlmcp-load-'));
  const configFile = path.join(dir, 'config.json');
  fs.writeFileSync(configFile, `${JSON.stringify(serverConfig(settings), null, 2)}\n`);
  const args = ['serve', '--config', configFile];
  const child = spawn(process.execPath, [cliPath(), ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: serverEnv(),
  });
  const tail: string[] = [];
  let exitText: string | undefined;
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      exitText = signal !== null ? `signal ${signal}` : `code ${code}`;
      resolve(exitText);
    });
  });
  // Dies with the harness even when the harness dies without running its cleanup.
  const killOnExit = () => {
    if (exitText === undefined) child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);
  let stopping: Promise<void> | undefined;
  const cleanup = () => {
    process.off('exit', killOnExit);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const stop = () => {
    stopping ??= stopChild(child, exited).finally(cleanup);
    return stopping;
  };
  try {
    const url = await waitForUrl(child, tail, exited, options.timeoutMs);
    return { url, pid: child.pid ?? 0, configFile, exited, logTail: () => [...tail], stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * The harness's environment without ERLMCP_* overrides: the server must run with the
 * scenario's settings (an inherited ERLMCP_LOGGING_LEVEL=warn would even hide the start line).
 */
export function serverEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (!k.startsWith('ERLMCP_')) out[k] = v;
  return out;
}

/** Reads stderr lines (keeping the last 30) until the serving line; rejects on exit or deadline. */
function waitForUrl(child: ChildProcess, tail: string[], exited: Promise<string>, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let found = false;
    const timer = setTimeout(() => {
      reject(
        new ErlmcpError(
          'ERR_LOAD_TARGET',
          `erlmcp serve did not report its URL within ${timeoutMs} ms; its last log lines:\n${tail.join('\n')}`,
        ),
      );
    }, timeoutMs);
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      let nl = buf.indexOf('\n');
      while (nl !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        tail.push(line);
        if (tail.length > LOG_TAIL) tail.shift();
        if (!found) {
          const url = urlOfLine(line);
          if (url !== undefined) {
            found = true;
            clearTimeout(timer);
            resolve(url);
          }
        }
        nl = buf.indexOf('\n');
      }
    });
    exited.then((how) => {
      clearTimeout(timer);
      if (!found) {
        reject(
          new ErlmcpError(
            'ERR_LOAD_TARGET',
            `erlmcp serve exited (${how}) before serving; its log:\n${tail.join('\n')}`,
          ),
        );
      }
    });
  });
}

/** The `http` field of the serving log line, if `line` is it. */
export function urlOfLine(line: string): string | undefined {
  if (!line.includes(SERVING_MESSAGE)) return undefined;
  try {
    const entry = JSON.parse(line) as { msg?: unknown; http?: unknown };
    return entry.msg === SERVING_MESSAGE && typeof entry.http === 'string' ? entry.http : undefined;
  } catch {
    return undefined;
  }
}

async function stopChild(child: ChildProcess, exited: Promise<string>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, STOP_GRACE_MS);
  });
  await Promise.race([exited, killed]);
  clearTimeout(timer);
  await exited;
}
