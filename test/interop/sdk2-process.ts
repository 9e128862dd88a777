import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

/** The SDK v2 fixture server (test/fixtures/sdk2-server.mjs). */
export const SDK2_FIXTURE = path.join(__dirname, '..', 'fixtures', 'sdk2-server.mjs');

export interface Sdk2Http {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts the SDK v2 fixture over HTTP in a child process bound to 127.0.0.1 and resolves
 * with its endpoint once it listens. `stop()` ends it (closing its stdin, then SIGKILL after
 * 2 s) and resolves when it has exited; register it before anything can fail.
 */
export function startSdk2Http(extraArgs: string[] = []): Promise<Sdk2Http> {
  const child = spawn(process.execPath, [SDK2_FIXTURE, '--http', ...extraArgs], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const stop = (): Promise<void> => stopChild(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer): void => {
      out += chunk.toString('utf8');
      const m = /PORT (\d+)/.exec(out);
      if (!m) return;
      child.stdout?.off('data', onData);
      resolve({ url: `http://127.0.0.1:${m[1]}/mcp`, stop });
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`sdk2 fixture exited early with ${code}`)));
    child.once('error', reject);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 2_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.stdin?.end();
  });
}
