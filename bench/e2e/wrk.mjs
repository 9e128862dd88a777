// Runs wrk (https://github.com/wg/wrk) for the stateless group: checks it is installed, spawns
// one run with a script of bench/e2e/wrk/, bounds it in time, and parses the WRK_RESULT line its
// done() prints (wrk/common.lua). The child is tracked by proc.mjs, so Ctrl-C or an error in
// the parent never leaves a wrk running.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { track } from './proc.mjs';

const scripts = path.join(path.dirname(fileURLToPath(import.meta.url)), 'wrk');

export const WRK_MISSING =
  'wrk is not installed: install it with `apt-get install wrk` (Debian/Ubuntu; `brew install wrk` on macOS) to run the stateless Streamable HTTP cases';

/** wrk's version line, or undefined when no `wrk` is on the PATH. */
export function wrkVersion() {
  const r = spawnSync('wrk', ['--version'], { encoding: 'utf8', timeout: 5000 });
  if (r.error) return undefined;
  // `wrk --version` prints its version and usage, then exits 1.
  return (r.stdout || r.stderr).split('\n')[0].trim() || 'wrk (unknown version)';
}

/**
 * @typedef {{ requests: number, ok: number, wrong: number, non200: Record<string, number>,
 *   socket: { connect: number, read: number, write: number, timeout: number, status: number },
 *   durationUs: number, latencyUs: { p50: number, p90: number, p99: number, p999: number, max: number, mean: number },
 *   cpuUs: { user: number, system: number } | null }} WrkResult
 */

/**
 * One wrk run: `threads` threads, `connections` keep-alive connections, `seconds` (whole
 * seconds: wrk takes no fractions; every request may take up to 30 s) against `url` with `wrk/<script>`; `args` go to the script's
 * init(). Rejects when wrk fails, prints no result, or outlives `seconds` + 15 s (then SIGKILLed).
 * `cpu` pins wrk to that CPU list through `taskset` (paired.mjs).
 * @param {{ url: string, script: string, args?: string[], connections: number, threads: number, seconds: number, cpu?: string }} o
 * @returns {Promise<WrkResult>}
 */
export function runWrk(o) {
  const argv = [
    `-t${o.threads}`,
    `-c${o.connections}`,
    `-d${o.seconds}s`,
    // wrk drops latencies above its timeout from the histogram and counts them as timeouts: 30 s
    // keeps a slow server's tail in the percentiles and still flags a stuck one.
    '--timeout',
    '30s',
    '-s',
    path.join(scripts, o.script),
    o.url,
  ];
  if (o.args?.length) argv.push('--', ...o.args);
  return new Promise((resolve, reject) => {
    const child =
      o.cpu === undefined
        ? spawn('wrk', argv, { stdio: ['ignore', 'pipe', 'pipe'] })
        : spawn('taskset', ['-c', o.cpu, 'wrk', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d) => {
      err = (err + d).slice(-2000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), (o.seconds + 15) * 1000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`wrk could not start: ${e.message}`));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('WRK_RESULT '));
      if (line) {
        resolve(JSON.parse(line.slice('WRK_RESULT '.length)));
        return;
      }
      const why = signal ? `killed by ${signal}` : `exit code ${code}`;
      reject(new Error(`wrk printed no result (${why})${err.trim() ? `: ${err.trim()}` : ''}`));
    });
  });
}
