// The servers of `npm run bench:cores`: `erlmcp serve` with N worker threads (spawned from
// dist/cli/erlmcp.js, its own flags only), the single-thread ceilings of bench/e2e (the
// plain node:http echo and the plain `ws` echo, forked through bench/e2e/server.mjs) and the
// same echoes on N worker threads (echo-threads.mjs, the bound of the machine). Each is
// started fresh for one measurement, answers a real request before it is used, and is read
// for CPU time from /proc/PID/stat (user + system of every thread of the process).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { probeStateless } from '../e2e/probe.mjs';
import { Child, track } from '../e2e/proc.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..', '..');
export const CLI = path.join(root, 'dist', 'cli', 'erlmcp.js');

/**
 * The ceilings, per case: bench/e2e/servers/<module>.mjs, single-threaded by construction.
 * @type {Record<'http' | 'ws', { name: string, module: string, what: string }>}
 */
export const CEILINGS = {
  http: {
    name: 'node:http echo',
    module: 'ceiling-http',
    what: 'plain node:http JSON echo (bench/e2e/servers/ceiling-http.mjs)',
  },
  ws: { name: 'ws echo', module: 'raw-ws', what: 'plain ws JSON echo (bench/e2e/servers/raw-ws.mjs)' },
};

/**
 * Stateless 2026 requests are rate-limited per client address, and every wrk connection comes
 * from 127.0.0.1: the default bucket (10,000/s) would measure the limiter, not the request path.
 * The same room bench/e2e gives its ours-stateless server (servers/ours-stateless.mjs).
 */
const UNBOUND_BUCKET_ENV = { ERLMCP_BUCKET_CAPACITY: '1000000', ERLMCP_BUCKET_REFILL_PER_SEC: '10000000' };

/** Clock ticks per second of /proc/PID/stat's utime and stime. */
const CLK_TCK = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return Number.isInteger(n) && n > 0 ? n : 100;
})();

/** User + system CPU µs of process `pid` (all its threads), from /proc/PID/stat. */
export function processCpuUs(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after "(comm)": state is field 3, utime 14, stime 15.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1e6) / CLK_TCK;
}

/** Whether this build's `erlmcp serve` has a --workers flag (read from its --help). */
export function serveHasWorkers() {
  const r = spawnSync(process.execPath, [CLI, 'serve', '--help'], { encoding: 'utf8', timeout: 15000 });
  return /--workers\b/.test(`${r.stdout}${r.stderr}`);
}

/** A free TCP port on 127.0.0.1 (bound, read, closed; the server binds it right after). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (s.address());
      s.close(() => resolve(port));
    });
  });
}

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/**
 * @typedef {{ pid: number, httpUrl: string, wsUrl: string, stop: () => Promise<void> }} Running
 */

/**
 * Tracks a spawned server: keeps the last 3,000 characters of `streams`, records its exit, and
 * stops it with SIGTERM (SIGKILL after 3 s).
 * @param {import('node:child_process').ChildProcess} child
 * @param {(import('node:stream').Readable | null)[]} streams
 */
function watch(child, streams) {
  track(child);
  let output = '';
  for (const st of streams) {
    st?.on('data', (d) => {
      output = (output + d).slice(-3000);
    });
  }
  const life = {
    exited: false,
    /** @type {Promise<unknown>} */
    exit: new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        life.exited = true;
        resolve(code ?? signal);
      }),
    ),
    output: () => output.trim(),
    stop: async () => {
      if (life.exited) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await life.exit;
      clearTimeout(t);
    },
  };
  return life;
}

/**
 * Starts `erlmcp serve` with `workers` worker threads on a free port and waits until it answers
 * a stateless tools/call. With N > 1 it then waits `settleMs` more, so every worker listens
 * before the load generator opens its connections (the kernel spreads connections over the
 * listeners present at connect time). `--workers` is passed only when `hasWorkersFlag`; without
 * the flag, N is ignored (the caller runs only N = 1 then).
 * @param {{ workers: number, hasWorkersFlag: boolean, lifetimeSec: number, settleMs: number }} o
 * @returns {Promise<Running>}
 */
export async function startErlmcp(o) {
  const port = await freePort();
  const args = ['serve', '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warn', '--shutdown-ms', '500'];
  if (o.hasWorkersFlag) args.push('--workers', String(o.workers));
  const child = spawn(process.execPath, ['--import', pathToFileURL(path.join(here, 'guard.mjs')).href, CLI, ...args], {
    cwd: root,
    env: { ...process.env, ...UNBOUND_BUCKET_ENV, BENCH_CORES_LIFETIME_SEC: String(o.lifetimeSec) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const life = watch(child, [child.stdout, child.stderr]);
  const { exit, stop } = life;
  const httpUrl = `http://127.0.0.1:${port}/mcp`;
  const until = Date.now() + 20000;
  let last = '';
  for (;;) {
    if (life.exited) throw new Error(`erlmcp serve exited (${await exit}) before answering: ${life.output()}`);
    try {
      await probeStateless(httpUrl);
      break;
    } catch (err) {
      last = /** @type {Error} */ (err).message;
    }
    if (Date.now() > until) {
      await stop();
      throw new Error(`erlmcp serve did not answer within 20 s (${last}): ${life.output()}`);
    }
    await sleep(100);
  }
  if (o.workers > 1) await sleep(o.settleMs);
  return { pid: /** @type {number} */ (child.pid), httpUrl, wsUrl: httpUrl.replace(/^http/, 'ws'), stop };
}

/**
 * Starts the echo of `kase` on `threads` worker threads sharing one port (echo-threads.mjs) and
 * waits until every thread listens, then `settleMs` like erlmcp with N workers.
 * @param {'http' | 'ws'} kase @param {{ threads: number, lifetimeSec: number, settleMs: number }} o
 * @returns {Promise<Running>}
 */
export async function startEchoThreads(kase, o) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      pathToFileURL(path.join(here, 'guard.mjs')).href,
      path.join(here, 'echo-threads.mjs'),
      kase,
      String(o.threads),
    ],
    {
      cwd: root,
      env: { ...process.env, BENCH_CORES_LIFETIME_SEC: String(o.lifetimeSec) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const { exit, stop, output } = watch(child, [child.stderr]);
  let line = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`echo-threads did not listen within 20 s: ${output()}`)), 20000);
    child.stdout.setEncoding('utf8').on('data', (d) => {
      line += d;
      if (!line.includes('\n')) return;
      clearTimeout(timer);
      resolve(JSON.parse(line).port);
    });
    exit.then((code) => {
      clearTimeout(timer);
      reject(new Error(`echo-threads exited (${code}) before listening: ${output()}`));
    });
  }).catch(async (err) => {
    await stop();
    throw err;
  });
  const httpUrl = `http://127.0.0.1:${port}/mcp`;
  if (kase === 'http') await probeStateless(httpUrl);
  await sleep(o.settleMs);
  return { pid: /** @type {number} */ (child.pid), httpUrl, wsUrl: httpUrl.replace(/^http/, 'ws'), stop };
}

/**
 * Forks the ceiling of `kase` through bench/e2e/server.mjs; the http one is probed like erlmcp
 * (the ws one is checked by wsgen's handshake).
 * @param {'http' | 'ws'} kase @param {number} lifetimeSec
 * @returns {Promise<Running>}
 */
export async function startCeiling(kase, lifetimeSec) {
  const spec = CEILINGS[kase];
  const server = new Child(
    path.join(root, 'bench', 'e2e', 'server.mjs'),
    [spec.module, kase, String(lifetimeSec)],
    [],
    `server ${spec.module}`,
  );
  const stop = () => server.stop({ type: 'stop' }, 3000);
  const first = await server.waitFor(['ready', 'unavailable'], 20000);
  if (first.type === 'unavailable') {
    await stop();
    throw Object.assign(new Error(first.reason), { unavailable: true });
  }
  if (kase === 'http') await probeStateless(first.url);
  return {
    pid: /** @type {number} */ (server.proc.pid),
    httpUrl: first.url,
    wsUrl: first.url.replace(/^http/, 'ws'),
    stop,
  };
}
