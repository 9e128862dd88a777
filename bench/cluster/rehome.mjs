// `node bench/cluster/rehome.mjs [--rounds 5] [--sessions 200] [--nodes 3]`: how long a 2025
// session is out of service when its node goes. A private redis-server and N `erlmcp serve
// --cluster` nodes (default heartbeat); each round opens S sessions on one node (initialize,
// notifications/initialized, resources/subscribe), then kills it (kill -9; then, next round,
// SIGTERM: the node leaves first) and every session's client sends `tools/call echo` to the
// survivors in turn, honouring each 503's retryAfterMs, until it is answered. Per session: ms
// from the kill to its first answer (its re-homing time), and the 503s it got meanwhile. Any
// other status, a wrong answer or an answer to another request fails the run.
// Results in bench/results/cluster-rehome-<date>.json.
import { cleanup, freePort, intArg, sleep, startNode as start, startRedis, writeResult } from './procs.mjs';

const opt = intArg;
const rounds = opt('rounds', 5);
const sessions = opt('sessions', 200);
const nodes = Math.max(2, opt('nodes', 3));
const V = '2025-11-25';

const redis = await startRedis();
const ports = await Promise.all(Array.from({ length: nodes }, freePort));
const procs = [];
for (let i = 0; i < nodes; i++) procs[i] = await start({ id: `n${i}`, port: ports[i], redis });

async function post(port, sid, message) {
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': V,
  };
  if (sid) headers['mcp-session-id'] = sid;
  const res = await fetch(`http://127.0.0.1:${port}/mcp`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', ...message }),
  });
  const text = await res.text();
  return { status: res.status, sid: res.headers.get('mcp-session-id'), body: text ? JSON.parse(text) : null };
}

async function open(port, k) {
  const init = await post(port, null, {
    id: 0,
    method: 'initialize',
    params: { protocolVersion: V, capabilities: {}, clientInfo: { name: `rehome-${k}`, version: '1' } },
  });
  if (init.status !== 200) throw new Error(`initialize answered ${init.status}`);
  await post(port, init.sid, { method: 'notifications/initialized' });
  const sub = await post(port, init.sid, { id: 1, method: 'resources/subscribe', params: { uri: `demo://s/${k}` } });
  if (sub.status !== 200) throw new Error(`resources/subscribe answered ${sub.status}`);
  return init.sid;
}

/** Re-homing time of one session: ms from t0 until the survivors answer it. */
async function rehome(sid, k, survivors, t0) {
  let refused = 0;
  for (let n = 0; ; n++) {
    const id = 1000 + n;
    const r = await post(survivors[(k + n) % survivors.length], sid, {
      id,
      method: 'tools/call',
      params: { name: 'echo', arguments: { message: sid } },
    });
    if (r.status === 200) {
      const text = r.body?.result?.content?.[0]?.text;
      if (r.body?.id !== id || text !== sid) throw new Error(`wrong answer for ${sid}: ${JSON.stringify(r.body)}`);
      return { ms: performance.now() - t0, refused };
    }
    if (r.status !== 503) throw new Error(`session ${sid} answered ${r.status}: ${JSON.stringify(r.body)}`);
    refused++;
    if (performance.now() - t0 > 15_000) throw new Error(`session ${sid} not re-homed within 15 s`);
    await sleep(r.body?.error?.data?.retryAfterMs ?? 100);
  }
}

const results = { kill: [], leave: [] };
for (let r = 0; r < rounds; r++) {
  for (const kind of ['kill', 'leave']) {
    const i = (r * 2 + (kind === 'leave' ? 1 : 0)) % nodes;
    const survivors = ports.filter((_, k) => k !== i);
    const sids = [];
    for (let k = 0; k < sessions; k += 20) {
      sids.push(
        ...(await Promise.all(Array.from({ length: Math.min(20, sessions - k) }, (_, j) => open(ports[i], k + j)))),
      );
    }
    // A random point in the heartbeat cycle, so the measurement samples every phase of it.
    await sleep(Math.random() * 400);
    const t0 = performance.now();
    procs[i].kill(kind === 'kill' ? 'SIGKILL' : 'SIGTERM');
    const each = await Promise.all(sids.map((sid, k) => rehome(sid, k, survivors, t0)));
    const ms = each.map((e) => Math.round(e.ms));
    const refused = each.reduce((a, e) => a + e.refused, 0);
    results[kind].push({ ms, refused });
    process.stderr.write(
      `round ${r + 1} ${kind} n${i}: ${sessions} sessions re-homed, first ${Math.min(...ms)} ms, last ${Math.max(...ms)} ms, ${refused} x 503 meanwhile\n`,
    );
    const p = procs[i];
    await new Promise((res) => (p.exitCode !== null || p.signalCode !== null ? res() : p.once('exit', res)));
    procs[i] = await start({ id: `n${i}`, port: ports[i], redis });
  }
}

const pct = (a, p) => {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
console.log(
  `\n${nodes} nodes, ${sessions} sessions on the node that goes, ${rounds} rounds per kind (target: 2,000 ms)\n`,
);
console.log('| how the node went | p50 ms | p99 ms | max ms | 503s per session |\n|---|---:|---:|---:|---:|');
for (const [kind, list] of Object.entries(results)) {
  const all = list.flatMap((x) => x.ms);
  const refused = list.reduce((a, x) => a + x.refused, 0) / all.length;
  console.log(
    `| ${kind === 'kill' ? 'kill -9' : 'SIGTERM (leaves first)'} | ${pct(all, 50)} | ${pct(all, 99)} | ${Math.max(...all)} | ${refused.toFixed(1)} |`,
  );
}
const file = writeResult('cluster-rehome', { nodes, sessions, rounds, results });
console.log(`\nwrote ${file}`);
cleanup();
process.exit(0);
