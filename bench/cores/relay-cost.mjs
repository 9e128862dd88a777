// What a request for a 2025 session owned by another worker costs: one keep-alive connection
// (so one receiving worker) sends tools/call to two sessions, one owned by that worker and
// one by the other, alternating, sequentially; the difference of their latencies is the hop
// through the session relay (worker mesh ring + doorbell, both ways). Also the server's CPU
// per request for each kind (from /proc, all threads), measured in separate phases.
//
//   node bench/cores/relay-cost.mjs [--requests 5000]
import http from 'node:http';
import { servePool } from './pool-process.mjs';
import { processCpuUs } from './servers.mjs';

const i = process.argv.indexOf('--requests');
const N = i > 0 ? Number(process.argv[i + 1]) : 5000;
const { child, port } = await servePool({
  workers: 2,
  env: { ERLMCP_BUCKET_CAPACITY: '1000000', ERLMCP_BUCKET_REFILL_PER_SEC: '1000000' },
});
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function post(body, sid) {
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  if (sid) Object.assign(headers, { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' });
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request({ host: '127.0.0.1', port, path: '/mcp', method: 'POST', agent, headers }, (res) => {
      let d = '';
      res.on('data', (c) => (d += c));
      res.on('end', () =>
        resolve({ us: Number(process.hrtime.bigint() - t0) / 1000, sid: res.headers['mcp-session-id'], d }),
      );
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}
const init = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'relay-cost', version: '1' } },
};
// Sessions are initialized on fresh connections until one is owned by each worker.
const sids = new Map();
for (let k = 0; k < 100 && sids.size < 2; k++) {
  const r = await new Promise((resolve) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/mcp',
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.headers['mcp-session-id']));
      },
    );
    req.end(JSON.stringify(init));
  });
  sids.set(Number(/^w(\d+)\./.exec(r)[1]), r);
}
// The keep-alive connection's worker: whoami is not in the demo, so ask /health on it.
const health = await new Promise((resolve) =>
  http.get({ host: '127.0.0.1', port, path: '/health', agent }, (res) => {
    let d = '';
    res.on('data', (c) => (d += c));
    res.on('end', () => resolve(JSON.parse(d)));
  }),
);
const local = health.worker;
const remote = 1 - local;
const call = (id) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: 'echo', arguments: { message: 'x' } },
});
for (const w of [0, 1]) await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, sids.get(w));
for (let k = 0; k < 2000; k++) await post(call(k), sids.get(k % 2)); // warm-up
const lat = { [local]: [], [remote]: [] };
const cpu = {};
for (const w of [local, remote]) {
  const t0 = processCpuUs(child.pid);
  const s0 = process.hrtime.bigint();
  for (let k = 0; k < N; k++) lat[w].push((await post(call(k), sids.get(w))).us);
  cpu[w] = (processCpuUs(child.pid) - t0) / N;
  void s0;
}
const pct = (a, p) => [...a].sort((x, y) => x - y)[Math.floor(a.length * p)];
const row = (w) =>
  `p50 ${pct(lat[w], 0.5).toFixed(1)} µs, p99 ${pct(lat[w], 0.99).toFixed(1)} µs, server CPU ${cpu[w].toFixed(1)} µs/req`;
console.log(
  `Node ${process.versions.node}, ${N} sequential tools/call per kind over one keep-alive connection (worker ${local})`,
);
console.log(`session on the receiving worker: ${row(local)}`);
console.log(`session on the other worker (relayed): ${row(remote)}`);
console.log(
  `relay hop: +${(pct(lat[remote], 0.5) - pct(lat[local], 0.5)).toFixed(1)} µs p50 latency, +${(cpu[remote] - cpu[local]).toFixed(1)} µs server CPU per request`,
);
child.kill('SIGTERM');
process.exit(0);
