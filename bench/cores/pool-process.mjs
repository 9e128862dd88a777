// `erlmcp serve --port 0 --workers N` as a child process for the bench/cores scripts that watch
// its log (resets.mjs waits for a worker's restart line, relay-cost.mjs for the port): resolves
// with the port once the serving line is out, and keeps every log line. The child is killed
// when this process exits.
import { spawn } from 'node:child_process';
import { CLI } from './servers.mjs';

/**
 * @param {{ workers: number, args?: string[], env?: NodeJS.ProcessEnv }} o
 * @returns {Promise<{ child: import('node:child_process').ChildProcess, port: number, lines: string[] }>}
 */
export function servePool(o) {
  const args = [CLI, 'serve', '--port', '0', '--workers', String(o.workers), '--log-level', 'info', ...(o.args ?? [])];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...o.env },
  });
  process.once('exit', () => child.kill('SIGKILL'));
  const lines = [];
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stderr.setEncoding('utf8').on('data', (c) => {
      buf += c;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        try {
          const e = JSON.parse(line);
          if (e.http && e.workers) resolve({ child, port: Number(new URL(e.http).port), lines });
        } catch {}
      }
    });
    child.once('exit', (code) => reject(new Error(`erlmcp serve exited ${code}: ${lines.join('\n')}`)));
  });
}
