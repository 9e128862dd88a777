// What a request for a 2025 session owned by another node costs: two `erlmcp serve --cluster`
// nodes (1 worker each) on a private Redis, one session initialized on node a; sequential
// tools/call over one keep-alive connection, in alternating phases: straight to a, and to b,
// which proxies it to a over HTTP. The difference of the phases is the hop. Server CPU per
// request is both nodes' (from /proc, all threads) over each phase.
//
//   node bench/cluster/hop.mjs [--requests 3000] [--phases 4]
import http from 'node:http';
import { processCpuUs } from '../cores/servers.mjs';
import { cleanup, freePort, intArg, startNode, startRedis, writeResult } from './procs.mjs';

const arg = intArg;
const N = arg('requests', 3000);
const PHASES = arg('phases', 4);

const redis = await startRedis();
const [pa, pb] = [await freePort(), await freePort()];
const a = await startNode({ id: 'a', port: pa, redis });
const b = await startNode({ id: 'b', port: pb, redis });
// b must know a's advertise URL before it proxies (it does once /health lists both).
for (let k = 0; k < 200; k++) {
  const h = await (await fetch(`http://127.0.0.1:${pb}/health`)).json();
  if (h.cluster?.nodes?.length === 2) break;
  await new Promise((r) => setTimeout(r, 25));
}

const agents = {
  [pa]: new http.Agent({ keepAlive: true, maxSockets: 1 }),
  [pb]: new http.Agent({ keepAlive: true, maxSockets: 1 }),
};
function post(port, body, sid) {
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  if (sid) Object.assign(headers, { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' });
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request(
      { host: '127.0.0.1', port, path: '/mcp', method: 'POST', agent: agents[port], headers },
      (res) => {
        let d = '';
        res.on('data', (c) => (d += c));
        res.on('end', () => {
          if (res.statusCode >= 300) reject(new Error(`HTTP ${res.statusCode}: ${d}`));
          else resolve({ us: Number(process.hrtime.bigint() - t0) / 1000, sid: res.headers['mcp-session-id'], d });
        });
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}
const init = await post(pa, {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'hop', version: '1' } },
});
const sid = init.sid;
await post(pa, { jsonrpc: '2.0', method: 'notifications/initialized' }, sid);
const call = (id) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: 'echo', arguments: { message: 'x' } },
});
for (let k = 0; k < 1000; k++) await post(k % 2 ? pb : pa, call(k), sid); // warm-up, both paths

const lat = { direct: [], hop: [] };
const cpu = { direct: 0, hop: 0 };
const both = () => processCpuUs(a.pid) + processCpuUs(b.pid);
let id = 10_000;
for (let p = 0; p < PHASES; p++) {
  for (const kind of p % 2 ? ['hop', 'direct'] : ['direct', 'hop']) {
    const port = kind === 'direct' ? pa : pb;
    const c0 = both();
    for (let k = 0; k < N; k++) {
      const r = await post(port, call(++id), sid);
      if (!r.d.includes(`"id":${id}`)) throw new Error(`answer for another request: ${r.d.slice(0, 200)}`);
      lat[kind].push(r.us);
    }
    cpu[kind] += (both() - c0) / (N * PHASES);
  }
}
const pct = (arr, q) => [...arr].sort((x, y) => x - y)[Math.floor(arr.length * q)];
const row = (k) => ({
  p50Us: Math.round(pct(lat[k], 0.5)),
  p99Us: Math.round(pct(lat[k], 0.99)),
  cpuUsPerReq: Math.round(cpu[k]),
});
const out = { direct: row('direct'), hop: row('hop') };
console.log(
  `Node ${process.versions.node}, ${N * PHASES} sequential tools/call per path over one keep-alive connection, ${PHASES} alternating phases`,
);
console.log('| path | p50 µs | p99 µs | server CPU µs/req (both nodes) |\n|---|---:|---:|---:|');
console.log(`| to the owner (a) | ${out.direct.p50Us} | ${out.direct.p99Us} | ${out.direct.cpuUsPerReq} |`);
console.log(`| to b, proxied to a | ${out.hop.p50Us} | ${out.hop.p99Us} | ${out.hop.cpuUsPerReq} |`);
console.log(
  `cross-node hop: +${out.hop.p50Us - out.direct.p50Us} µs p50, +${out.hop.p99Us - out.direct.p99Us} µs p99, +${out.hop.cpuUsPerReq - out.direct.cpuUsPerReq} µs server CPU per request`,
);
console.log(`wrote ${writeResult('cluster-hop', { requests: N, phases: PHASES, ...out })}`);
cleanup();
process.exit(0);
