// The processes of the cluster benches: a private redis-server (free loopback port, no
// persistence) and `erlmcp serve --cluster` nodes. Everything started here is SIGKILLed when
// the bench exits (normally, on an error or on SIGINT/SIGTERM).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.join(here, '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'erlmcp.js');

const children = new Set();
export const cleanup = () => {
  for (const c of children) c.kill('SIGKILL');
};
process.on('exit', cleanup);
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(1));

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The whole number >= 1 given as `--name N` on the command line, else `dflt`; exits 2 on anything else. */
export function intArg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} needs a whole number >= 1`);
    process.exit(2);
  }
  return n;
}

export const freePort = () =>
  new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Starts a private redis-server; exits the bench with a clear message when it is missing. */
export async function startRedis() {
  const bin = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
  if (!bin) {
    console.error('redis-server is not installed: apt-get install redis-server');
    process.exit(1);
  }
  if (!fs.existsSync(CLI)) {
    console.error('dist/cli/erlmcp.js is missing: run `npm run build` first');
    process.exit(1);
  }
  const port = await freePort();
  track(
    spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    }),
  );
  return `redis://127.0.0.1:${port}`;
}

/** The node ids port's /health lists ([] when it does not answer). */
export async function listed(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    const h = await res.json();
    return (h.cluster?.nodes ?? []).map((n) => n.id);
  } catch {
    return [];
  }
}

const answers = (port) =>
  fetch(`http://127.0.0.1:${port}/health`).then(
    (r) => r.status < 500,
    () => false,
  );

/**
 * Starts node `id` (`--workers 1` unless given) on `port`; resolves with the child once its
 * /health lists it. `env` adds ERLMCP_* settings; `nofile` runs it under
 * `prlimit --nofile=N:N`, `nice` under `nice -n N` (both exec node: the child's pid is node's).
 * Without `redis`: a node alone (no --cluster), resolved once its /health answers.
 */
export async function startNode({ id, port, redis, workers = 1, env = {}, nofile, nice }) {
  const wrap = [
    ...(nice ? ['nice', '-n', String(nice)] : []),
    ...(nofile ? ['prlimit', `--nofile=${nofile}:${nofile}`] : []),
  ];
  const [cmd, pre] = wrap.length ? [wrap[0], [...wrap.slice(1), process.execPath]] : [process.execPath, []];
  const cluster = redis === undefined ? [] : ['--cluster', redis, '--node-id', id];
  const child = track(
    spawn(
      cmd,
      [...pre, CLI, 'serve', '--port', String(port), '--workers', String(workers), ...cluster, '--log-level', 'warn'],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, ERLMCP_BUCKET_CAPACITY: '1000000', ERLMCP_BUCKET_REFILL_PER_SEC: '10000000', ...env },
      },
    ),
  );
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    if (redis === undefined ? await answers(port) : (await listed(port)).includes(id)) return child;
    await sleep(50);
  }
  throw new Error(`node ${id} did not join within 30 s`);
}

/** Writes `data` to bench/results/<name>-<date>.json; returns the relative path. */
export function writeResult(name, data) {
  const outDir = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(outDir, { recursive: true });
  const stamp = new Date()
    .toISOString()
    .replace(/:/g, '-')
    .replace(/\.\d+Z$/, 'Z');
  const file = path.join(outDir, `${name}-${stamp}.json`);
  fs.writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), ...data }, null, 2)}\n`);
  return path.relative(ROOT, file);
}

/** Starts a node alone (no cluster, tasks in its memory) on `port`; resolves once /health answers. */
export const startSingle = ({ port, workers = 1, env = {} }) => startNode({ id: 'single', port, workers, env });
