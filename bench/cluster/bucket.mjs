// Cluster-wide token buckets (docs/cluster.md, "Rate limits across nodes"), two measurements:
//
// 1. The bound in practice: three `erlmcp serve --cluster` nodes (1 worker each) on a private
//    Redis, auth on with one API key, its bucket `--capacity` / `--rate`; one lane per target
//    node sends stateless tools/call back to back (far above the rate). Spread over the three
//    nodes, then all to node a: admitted against the bound capacity + rate x elapsed, and per
//    second (how fast a's share follows the move).
// 2. The cost on the request path: a clustered node (its bucket agent running) and a node alone,
//    both with auth and a bucket too big to limit; sequential tools/call over one keep-alive
//    connection in alternating phases; server CPU per request from /proc.
//
//   node bench/cluster/bucket.mjs [--seconds 10] [--capacity 20] [--rate 20] [--requests 3000] [--phases 4]
import { createHash } from 'node:crypto';
import http from 'node:http';
import { processCpuUs } from '../cores/servers.mjs';
import { cleanup, freePort, intArg, sleep, startNode, startRedis, writeResult } from './procs.mjs';

const arg = intArg;
const SECONDS = arg('seconds', 10);
const CAPACITY = arg('capacity', 20);
const RATE = arg('rate', 20);
const N = arg('requests', 3000);
const PHASES = arg('phases', 4);

const KEY = 'bench-bucket-key-0123456789';
const auth = (bucket) => ({
  ERLMCP_AUTH_RESOURCE: 'http://127.0.0.1/mcp',
  ERLMCP_AUTH_AUTHORIZATION_SERVERS: 'https://auth.example.com',
  ERLMCP_AUTH_API_KEYS: `bench:${createHash('sha256').update(KEY).digest('hex')}`,
  ERLMCP_BUCKET_CAPACITY: String(bucket.capacity),
  ERLMCP_BUCKET_REFILL_PER_SEC: String(bucket.rate),
});
const HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2026-07-28',
  'mcp-method': 'tools/call',
  'mcp-name': 'echo',
  authorization: `Bearer ${KEY}`,
};
const call = (id) =>
  JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: {
      name: 'echo',
      arguments: { message: 'x' },
      _meta: {
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientCapabilities': {},
        'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1' },
      },
    },
  });

const agents = new Map();
/** One stateless tools/call: 'ok', 'limited' (-32010) or throws on anything else. */
function post(port, id) {
  if (!agents.has(port)) agents.set(port, new http.Agent({ keepAlive: true, maxSockets: 1 }));
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/mcp', method: 'POST', agent: agents.get(port), headers: HEADERS },
      (res) => {
        let d = '';
        res.on('data', (c) => (d += c));
        res.on('end', () => {
          if (d.includes('"result"')) resolve('ok');
          else if (d.includes('-32010')) resolve('limited');
          else reject(new Error(`HTTP ${res.statusCode}: ${d.slice(0, 300)}`));
        });
      },
    );
    req.on('error', reject);
    req.end(call(id));
  });
}

let nextId = 0;
/** Lanes to `ports` for `ms`: admitted in all and per whole second since the start. */
async function drive(ports, ms) {
  const t0 = performance.now();
  const perSecond = Array.from({ length: Math.ceil(ms / 1000) }, () => 0);
  let admitted = 0;
  let limited = 0;
  await Promise.all(
    ports.map(async (port) => {
      while (performance.now() - t0 < ms) {
        const r = await post(port, ++nextId);
        if (r === 'ok') {
          admitted++;
          const s = Math.floor((performance.now() - t0) / 1000);
          if (s < perSecond.length) perSecond[s]++;
        } else limited++;
        await sleep(2);
      }
    }),
  );
  const elapsedMs = performance.now() - t0;
  const bound = CAPACITY + (RATE * elapsedMs) / 1000;
  return {
    admitted,
    limited,
    elapsedMs: Math.round(elapsedMs),
    bound: Math.floor(bound),
    ofBound: Number((admitted / bound).toFixed(3)),
    ofRate: Number((admitted / ((RATE * elapsedMs) / 1000)).toFixed(3)),
    perSecond,
  };
}

const redis = await startRedis();

// 1. The bound.
const ports = [await freePort(), await freePort(), await freePort()];
const env = { ...auth({ capacity: CAPACITY, rate: RATE }), ERLMCP_CLUSTER_KEY_PREFIX: 'bound' };
for (const [i, id] of ['a', 'b', 'c'].entries()) await startNode({ id, port: ports[i], redis, env });
for (let k = 0; k < 200; k++) {
  const h = await (await fetch(`http://127.0.0.1:${ports[0]}/health`)).json();
  if (h.cluster?.nodes?.length === 3) break;
  await sleep(25);
}
await sleep(1000);
const spread = await drive(ports, SECONDS * 1000);
const skewed = await drive([ports[0]], SECONDS * 1000);

// 2. The cost per request: a clustered node against a node alone.
const big = auth({ capacity: 1_000_000, rate: 10_000_000 });
const [px, ps] = [await freePort(), await freePort()];
const x = await startNode({ id: 'x', port: px, redis, env: { ...big, ERLMCP_CLUSTER_KEY_PREFIX: 'cost' } });
const s = await startNode({ id: 's', port: ps, env: big });
for (let k = 0; k < 1000; k++) await post(k % 2 ? px : ps, ++nextId); // warm-up, both
const cpu = { clustered: 0, alone: 0 };
for (let p = 0; p < PHASES; p++) {
  for (const kind of p % 2 ? ['alone', 'clustered'] : ['clustered', 'alone']) {
    const [port, pid] = kind === 'clustered' ? [px, x.pid] : [ps, s.pid];
    const c0 = processCpuUs(pid);
    for (let k = 0; k < N; k++) if ((await post(port, ++nextId)) !== 'ok') throw new Error('limited in the cost run');
    cpu[kind] += (processCpuUs(pid) - c0) / (N * PHASES);
  }
}
const cost = {
  clusteredCpuUsPerReq: Math.round(cpu.clustered),
  aloneCpuUsPerReq: Math.round(cpu.alone),
  ratio: Number((cpu.clustered / cpu.alone).toFixed(3)),
};

console.log(`Node ${process.versions.node}; bucket ${CAPACITY} / ${RATE} per s; ${SECONDS} s per phase`);
console.log('| phase | admitted | refused | elapsed | bound C + R·t | of bound | of R·t | per second |');
console.log('|---|---:|---:|---:|---:|---:|---:|---|');
for (const [name, r] of [
  ['spread over a, b, c', spread],
  ['all to a', skewed],
]) {
  console.log(
    `| ${name} | ${r.admitted} | ${r.limited} | ${r.elapsedMs} ms | ${r.bound} | ${r.ofBound} | ${r.ofRate} | ${r.perSecond.join(' ')} |`,
  );
}
console.log(
  `server CPU per stateless request, ${N * PHASES} sequential per node: clustered ${cost.clusteredCpuUsPerReq} µs, alone ${cost.aloneCpuUsPerReq} µs (ratio ${cost.ratio})`,
);
console.log(
  `wrote ${writeResult('cluster-bucket', { seconds: SECONDS, capacity: CAPACITY, rate: RATE, requests: N, phases: PHASES, spread, skewed, cost })}`,
);
cleanup();
process.exit(0);
