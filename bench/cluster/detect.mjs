// `node bench/cluster/detect.mjs [--rounds 10] [--nodes 3] [--heartbeat-ms 400] [--dead-after-ms 1200]`:
// how long a cluster takes to see a node go. A private redis-server (free loopback port, no
// persistence) and N `erlmcp serve --cluster` nodes; each round kill -9s one node (then starts
// it again under the same id) and times, from the kill, until every survivor's /health has
// dropped it; then the same for a graceful stop (SIGTERM: the node leaves before it drains).
// Polls every 10 ms. Prints p50 / p90 / max per kind; results in bench/results/cluster-detect-<date>.json.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..', '..');
const CLI = path.join(root, 'dist', 'cli', 'erlmcp.js');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const n = Number(args[i + 1]);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} needs a whole number >= 1`);
    process.exit(2);
  }
  return n;
};
const rounds = opt('rounds', 10);
const nodes = Math.max(2, opt('nodes', 3));
const heartbeatMs = opt('heartbeat-ms', 400);
const deadAfterMs = opt('dead-after-ms', 1200);

const children = new Set();
const cleanup = () => {
  for (const c of children) c.kill('SIGKILL');
};
process.on('exit', cleanup);
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(1));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const freePort = () =>
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

const redisBin = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
if (!redisBin) {
  console.error('redis-server is not installed: apt-get install redis-server');
  process.exit(1);
}
if (!fs.existsSync(CLI)) {
  console.error('dist/cli/erlmcp.js is missing: run `npm run build` first');
  process.exit(1);
}
const redisPort = await freePort();
track(
  spawn(redisBin, ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  }),
);
const redisUrl = `redis://127.0.0.1:${redisPort}`;

/** Starts node `id` on a fixed port; resolves once its /health lists it. */
async function startNode(id, port) {
  const child = track(
    spawn(
      process.execPath,
      [
        CLI,
        'serve',
        '--port',
        String(port),
        '--workers',
        '1',
        '--cluster',
        redisUrl,
        '--node-id',
        id,
        '--log-level',
        'warn',
      ],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: {
          ...process.env,
          ERLMCP_CLUSTER_HEARTBEAT_MS: String(heartbeatMs),
          ERLMCP_CLUSTER_DEAD_AFTER_MS: String(deadAfterMs),
        },
      },
    ),
  );
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    if ((await listed(port)).includes(id)) return child;
    await sleep(50);
  }
  throw new Error(`node ${id} did not join within 30 s`);
}

/** The node ids port's /health lists ([] when it does not answer). */
async function listed(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    const h = await res.json();
    return (h.cluster?.nodes ?? []).map((n) => n.id);
  } catch {
    return [];
  }
}

/** Ms from `t0` until no port of `survivors` lists `id`. */
async function timeUntilDropped(id, survivors, t0) {
  for (;;) {
    const views = await Promise.all(survivors.map(listed));
    if (views.every((v) => v.length > 0 && !v.includes(id))) return performance.now() - t0;
    if (performance.now() - t0 > 10_000) throw new Error(`${id} still listed 10 s after it went`);
    await sleep(10);
  }
}

const ports = await Promise.all(Array.from({ length: nodes }, freePort));
const procs = [];
for (let i = 0; i < nodes; i++) procs[i] = await startNode(`n${i}`, ports[i]);

const results = { kill: [], leave: [] };
for (let r = 0; r < rounds; r++) {
  for (const kind of ['kill', 'leave']) {
    const i = (r * 2 + (kind === 'leave' ? 1 : 0)) % nodes;
    const survivors = ports.filter((_, k) => k !== i);
    // A random point in the heartbeat cycle, so the measurement samples every phase of it.
    await sleep(Math.random() * heartbeatMs);
    const t0 = performance.now();
    procs[i].kill(kind === 'kill' ? 'SIGKILL' : 'SIGTERM');
    const ms = await timeUntilDropped(`n${i}`, survivors, t0);
    results[kind].push(Math.round(ms));
    process.stderr.write(`round ${r + 1} ${kind} n${i}: dropped by every survivor after ${Math.round(ms)} ms\n`);
    const p = procs[i];
    await new Promise((res) => (p.exitCode !== null || p.signalCode !== null ? res() : p.once('exit', res)));
    procs[i] = await startNode(`n${i}`, ports[i]);
  }
}

const pct = (a, p) => {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
console.log(
  `\n${nodes} nodes, heartbeatMs ${heartbeatMs}, deadAfterMs ${deadAfterMs} (bound: deadAfterMs + heartbeatMs = ${deadAfterMs + heartbeatMs} ms), ${rounds} rounds\n`,
);
console.log('| how the node went | p50 ms | p90 ms | max ms |\n|---|---:|---:|---:|');
for (const [kind, a] of Object.entries(results)) {
  console.log(
    `| ${kind === 'kill' ? 'kill -9' : 'SIGTERM (leaves first)'} | ${pct(a, 50)} | ${pct(a, 90)} | ${Math.max(...a)} |`,
  );
}
const outDir = path.join(root, 'bench', 'results');
fs.mkdirSync(outDir, { recursive: true });
const stamp = new Date()
  .toISOString()
  .replace(/:/g, '-')
  .replace(/\.\d+Z$/, 'Z');
const file = path.join(outDir, `cluster-detect-${stamp}.json`);
fs.writeFileSync(
  file,
  `${JSON.stringify({ date: new Date().toISOString(), nodes, heartbeatMs, deadAfterMs, rounds, results }, null, 2)}\n`,
);
console.log(`\nwrote ${path.relative(root, file)}`);
cleanup();
process.exit(0);
