// Tasks created per second: a cluster node whose task store is Redis (every create a script
// acknowledged by Redis before the CreateTaskResult, every change published to every store)
// against a single node keeping tasks in its memory, in the same run, in alternating phases.
// Each task is the demo's long_job with one step of 0 ms, so it is created, runs and completes
// (three store writes); C creates are in flight at once over keep-alive connections. Both nodes
// run one worker; the cluster node is a cluster of one on a private Redis (no persistence).
//
//   node bench/cluster/tasks.mjs [--tasks 3000] [--concurrency 16] [--phases 4]
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { processCpuUs } from '../cores/servers.mjs';
import { cleanup, freePort, intArg, startNode, startRedis, startSingle, writeResult } from './procs.mjs';

const arg = intArg;
const N = arg('tasks', 3000);
const C = arg('concurrency', 16);
const PHASES = arg('phases', 4);

const redis = await startRedis();
const [pc, ps] = [await freePort(), await freePort()];
const clusterNode = await startNode({ id: 'a', port: pc, redis });
const single = await startSingle({ port: ps });
const pids = { cluster: clusterNode.pid, single: single.pid };
// Redis' own CPU is part of what a task costs the cluster.
const redisPid = Number(
  /process_id:(\d+)/.exec(
    spawnSync('redis-cli', ['-u', redis, 'info', 'server'], { encoding: 'utf8' }).stdout ?? '',
  )?.[1],
);
const redisCpu = () => (redisPid > 0 ? processCpuUs(redisPid) : 0);
const ports = { cluster: pc, single: ps };
const agents = {
  [pc]: new http.Agent({ keepAlive: true, maxSockets: C }),
  [ps]: new http.Agent({ keepAlive: true, maxSockets: C }),
};
const META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': { extensions: { 'io.modelcontextprotocol/tasks': {} } },
};
const HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2026-07-28',
  'mcp-method': 'tools/call',
  'mcp-name': 'long_job',
};

/** One tools/call creating a task; resolves with its latency (µs) once the CreateTaskResult is in. */
function create(port, id) {
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name: 'long_job', arguments: { steps: 1, stepMs: 0 }, _meta: META },
  });
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request(
      { host: '127.0.0.1', port, path: '/mcp', method: 'POST', agent: agents[port], headers: HEADERS },
      (res) => {
        let d = '';
        res.on('data', (c) => (d += c));
        res.on('end', () => {
          if (res.statusCode !== 200 || !d.includes('"resultType":"task"') || !d.includes(`"id":${id}`)) {
            reject(new Error(`not a CreateTaskResult (HTTP ${res.statusCode}): ${d.slice(0, 200)}`));
          } else resolve(Number(process.hrtime.bigint() - t0) / 1000);
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let id = 0;
/** N creates, C at a time: tasks per second, latencies, server CPU per task. */
async function phase(kind) {
  const port = ports[kind];
  const lat = [];
  let next = 0;
  const c0 = processCpuUs(pids[kind]);
  const r0 = redisCpu();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (next < N) {
        next++;
        lat.push(await create(port, ++id));
      }
    }),
  );
  const ms = performance.now() - t0;
  // The tasks' own runs (two more writes each) finish a moment after their creation: counted in.
  await new Promise((r) => setTimeout(r, 200));
  return {
    perSec: (N * 1000) / ms,
    lat,
    cpuUs: (processCpuUs(pids[kind]) - c0) / N,
    redisCpuUs: kind === 'cluster' ? (redisCpu() - r0) / N : 0,
  };
}

for (const kind of ['cluster', 'single']) await phase(kind); // warm-up
const acc = { cluster: { rates: [], lat: [], cpu: 0, redis: 0 }, single: { rates: [], lat: [], cpu: 0, redis: 0 } };
for (let p = 0; p < PHASES; p++) {
  for (const kind of p % 2 ? ['single', 'cluster'] : ['cluster', 'single']) {
    const r = await phase(kind);
    acc[kind].rates.push(r.perSec);
    acc[kind].lat.push(...r.lat);
    acc[kind].cpu += r.cpuUs / PHASES;
    acc[kind].redis += r.redisCpuUs / PHASES;
  }
}
const pct = (arr, q) => [...arr].sort((x, y) => x - y)[Math.floor(arr.length * q)];
const row = (k) => ({
  tasksPerSec: Math.round(pct(acc[k].rates, 0.5)),
  ratesPerPhase: acc[k].rates.map(Math.round),
  createP50Us: Math.round(pct(acc[k].lat, 0.5)),
  createP99Us: Math.round(pct(acc[k].lat, 0.99)),
  serverCpuUsPerTask: Math.round(acc[k].cpu),
  redisCpuUsPerTask: Math.round(acc[k].redis),
});
const out = { cluster: row('cluster'), single: row('single') };
console.log(
  `Node ${process.versions.node}, ${N} tasks per phase, ${C} in flight, ${PHASES} alternating phases (median phase shown)`,
);
console.log(
  '| store | tasks/s | create p50 µs | create p99 µs | node CPU µs/task | Redis CPU µs/task |\n|---|---:|---:|---:|---:|---:|',
);
console.log(
  `| Redis (cluster node) | ${out.cluster.tasksPerSec} | ${out.cluster.createP50Us} | ${out.cluster.createP99Us} | ${out.cluster.serverCpuUsPerTask} | ${out.cluster.redisCpuUsPerTask} |`,
);
console.log(
  `| memory (single node) | ${out.single.tasksPerSec} | ${out.single.createP50Us} | ${out.single.createP99Us} | ${out.single.serverCpuUsPerTask} | - |`,
);
console.log(`cluster / single: ${(out.cluster.tasksPerSec / out.single.tasksPerSec).toFixed(2)}x tasks per second`);
console.log(`wrote ${writeResult('cluster-tasks', { tasks: N, concurrency: C, phases: PHASES, ...out })}`);
cleanup();
process.exit(0);
