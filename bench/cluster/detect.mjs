// `node bench/cluster/detect.mjs [--rounds 10] [--nodes 3] [--heartbeat-ms 400] [--dead-after-ms 1200]`:
// how long a cluster takes to see a node go. A private redis-server (free loopback port, no
// persistence) and N `erlmcp serve --cluster` nodes; each round kill -9s one node (then starts
// it again under the same id) and times, from the kill, until every survivor's /health has
// dropped it; then the same for a graceful stop (SIGTERM: the node leaves before it drains).
// Polls every 10 ms. Prints p50 / p90 / max per kind; results in bench/results/cluster-detect-<date>.json.
import { cleanup, freePort, intArg, listed, sleep, startNode as start, startRedis, writeResult } from './procs.mjs';

const opt = intArg;
const rounds = opt('rounds', 10);
const nodes = Math.max(2, opt('nodes', 3));
const heartbeatMs = opt('heartbeat-ms', 400);
const deadAfterMs = opt('dead-after-ms', 1200);

const redisUrl = await startRedis();
const env = { ERLMCP_CLUSTER_HEARTBEAT_MS: String(heartbeatMs), ERLMCP_CLUSTER_DEAD_AFTER_MS: String(deadAfterMs) };
const startNode = (id, port) => start({ id, port, redis: redisUrl, env });

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
const file = writeResult('cluster-detect', { nodes, heartbeatMs, deadAfterMs, rounds, results });
console.log(`\nwrote ${file}`);
cleanup();
process.exit(0);
