import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

const cli = path.join(__dirname, '..', '..', 'dist', 'cli', 'erlmcp.js');
export const POOL_MODULE = path.join(__dirname, 'fixtures', 'pool-server.mjs');

/** A running `erlmcp serve --workers N` child process. */
export interface ServedPool {
  readonly child: ChildProcess;
  readonly url: string;
  readonly port: number;
  logs(): string[];
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

const running = new Set<ChildProcess>();

/** SIGKILLs every pool a test left running (call in afterEach). */
export function killPools(): void {
  for (const c of running) c.kill('SIGKILL');
  running.clear();
}

/** Starts `erlmcp serve --port 0 --workers N --module POOL_MODULE ...args`; resolves once it serves. */
export function servePool(workers: number, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ServedPool> {
  const child = spawn(
    process.execPath,
    [
      cli,
      'serve',
      '--port',
      '0',
      '--workers',
      String(workers),
      '--module',
      POOL_MODULE,
      '--log-level',
      'info',
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  running.add(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => running.delete(child));
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        let entry: { http?: string; workers?: number };
        try {
          entry = JSON.parse(line) as typeof entry;
        } catch {
          continue;
        }
        if (entry.http && entry.workers !== undefined) {
          const url = entry.http;
          resolve({
            child,
            url,
            port: Number(new URL(url).port),
            logs: () => lines,
            stop: () => {
              child.kill('SIGTERM');
              return exited;
            },
          });
        }
      }
    });
    void exited.then((code) => reject(new Error(`erlmcp serve exited early with ${code}: ${lines.join('\n')}`)));
  });
}
