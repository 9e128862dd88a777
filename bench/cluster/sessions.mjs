// Many concurrent MCP sessions over WebSocket across a cluster on one box (issue 12's
// headline: 100,000). A private redis-server, N `erlmcp serve --cluster` nodes (1 thread each)
// and G wsgen processes (bench/wsgen, native), every process under `prlimit --nofile` (20,000
// by default, so 100k sessions take >= 6 nodes and >= 6 generators). Each generator spreads its
// connections round-robin over every node (as a load balancer would), does the MCP handshake on
// each (initialize + notifications/initialized), then all hold their sessions for --hold s,
// each session sending one tools/call every --interval s (staggered), so every held session
// is checked alive on every node. Reported: time to open, failures, sessions per node (from
// each node's /health) with min/max, memory per session (RSS delta per node / sessions it
// holds), server and generator CPU per opened session, generator memory, and answers per node.
// Bounded in time (--deadline); every process is SIGKILLed on exit, error or Ctrl-C.
//
//   node bench/cluster/sessions.mjs [--nodes 6] [--sessions 100000] [--generators G]
//     [--hold 30] [--interval 12] [--nofile 20000] [--max-open-failures 0] [--deadline 900]
//     [--gen-threads 2] [--nice N]
// --nice runs the nodes and generators at that niceness (e.g. -5 as root): on a box shared with
// other work the open phase is otherwise starved to minutes; the CPU it takes is the same.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { ensureWsgen, WSGEN } from '../cores/drive.mjs';
import { processCpuUs } from '../cores/servers.mjs';
import { machineEnv } from '../e2e/cpu.mjs';
import { cleanup, freePort, sleep, startNode, startRedis, writeResult } from './procs.mjs';

const opt = (name, dflt, min = 1) => {
  const i = process.argv.indexOf(`--${name}`);
  const n = i > 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} needs a whole number >= ${min}`);
    process.exit(2);
  }
  return n;
};
const NODES = opt('nodes', 6);
const SESSIONS = opt('sessions', 100_000);
const NOFILE = opt('nofile', 20_000, 64);
// A generator holds a descriptor per session plus a few; leave 10 % of its limit spare.
const GENERATORS = opt('generators', Math.ceil(SESSIONS / Math.floor(NOFILE * 0.9)));
const HOLD = opt('hold', 30);
const INTERVAL = opt('interval', Math.max(1, Math.floor(HOLD / 2.5)));
const MAX_OPEN_FAILURES = opt('max-open-failures', 0, 0);
const DEADLINE = opt('deadline', 900);
// Each wsgen thread opens its connections one handshake at a time: threads are the handshakes
// a generator has in flight (the open rate on a busy box is latency-bound, not CPU-bound).
const GEN_THREADS = opt('gen-threads', 2);
const ni = process.argv.indexOf('--nice');
const NICE = ni > 0 ? Number(process.argv[ni + 1]) : 0;
if (!Number.isInteger(NICE) || NICE < -20 || NICE > 19) {
  console.error('--nice needs a whole number from -20 to 19');
  process.exit(2);
}
const log = (s) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${s}`);

// Bounded: whatever happens, everything is stopped after --deadline seconds; what the nodes
// held by then is written first (status "deadline"), so a run cut on a busy box still says
// how far it got.
const partial = { phase: 'starting', nodes: [], t0: performance.now() };
setTimeout(async () => {
  console.error(`sessions bench: still running after --deadline ${DEADLINE} s (${partial.phase}); stopping everything`);
  const rows = await Promise.all(
    partial.nodes.map(async (n) => ({
      id: n.id,
      sessions: await health(n.port)
        .then((h) => h.connections)
        .catch(() => null),
      rssBeforeMiB: Math.round(n.rss0 / 102.4) / 10,
      rssMiB: Math.round(rssKiB(n.child.pid) / 102.4) / 10,
    })),
  ).catch(() => []);
  const secs = Math.round((performance.now() - partial.t0) / 100) / 10;
  console.error(`held at the deadline, per node: ${rows.map((r) => r.sessions).join(' ')} after ${secs} s`);
  writeResult('cluster-sessions', { status: 'deadline', phase: partial.phase, secs, limits, nodes: rows });
  process.exit(1);
}, DEADLINE * 1000).unref();

// --- limits: what the box allows, checked before anything starts ---------------------------
const sysctl = (k) => fs.readFileSync(`/proc/sys/${k.replace(/\./g, '/')}`, 'utf8').trim();
const [portLo, portHi] = sysctl('net.ipv4.ip_local_port_range').split(/\s+/).map(Number);
const limits = {
  fileMax: Number(sysctl('fs.file-max')),
  nrOpen: Number(sysctl('fs.nr_open')),
  ephemeralPorts: portHi - portLo + 1,
  somaxconn: Number(sysctl('net.core.somaxconn')),
  nofilePerProcess: NOFILE,
};
const perNode = Math.ceil(SESSIONS / NODES);
const perGen = Math.ceil(SESSIONS / GENERATORS);
const problems = [];
// Every connection to a node comes from 127.0.0.1 to one (address, port): the 4-tuples to
// that node are bounded by the ephemeral port range.
if (perNode > limits.ephemeralPorts * 0.95)
  problems.push(`${perNode} sessions per node exceed 95 % of the ${limits.ephemeralPorts} ephemeral ports`);
// A node's raw connection limit defaults to its open-file limit minus 10 % (at most 1,024).
const nodeRoom = NOFILE - Math.min(1024, Math.max(64, Math.floor(NOFILE / 10))) - 64;
if (perNode > nodeRoom)
  problems.push(`${perNode} sessions per node do not fit --nofile ${NOFILE} (room for ${nodeRoom}): add --nodes`);
if (perGen > NOFILE - 64)
  problems.push(`${perGen} sessions per generator do not fit --nofile ${NOFILE}: add --generators`);
if (NOFILE > limits.nrOpen) problems.push(`--nofile ${NOFILE} is above fs.nr_open ${limits.nrOpen}`);
if ((NOFILE + 100) * (NODES + GENERATORS) > limits.fileMax)
  problems.push(`fs.file-max ${limits.fileMax} is too low for ${NODES + GENERATORS} processes of ${NOFILE}`);
log(
  `limits: fs.file-max ${limits.fileMax}, fs.nr_open ${limits.nrOpen}, ephemeral ports ${limits.ephemeralPorts}, ` +
    `somaxconn ${limits.somaxconn}; --nofile ${NOFILE} per process; ${perNode} sessions per node, ${perGen} per generator`,
);
if (problems.length) {
  for (const p of problems) console.error(`sessions bench: ${p}`);
  process.exit(2);
}
ensureWsgen(log);

// --- the cluster -----------------------------------------------------------------------------
const rssKiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
const health = async (port) => (await fetch(`http://127.0.0.1:${port}/health`)).json();

const redis = await startRedis();
const nodes = [];
// The connection limit is per node (server.maxConnections, default 15,000): room for this
// node's share, and the raw socket limit (server.maxRawConnections 0) follows --nofile.
const nodeEnv = { ERLMCP_SERVER_MAX_CONNECTIONS: String(nodeRoom) };
for (let i = 0; i < NODES; i++) {
  const port = await freePort();
  const id = `n${i}`;
  nodes.push({ id, port, child: await startNode({ id, port, redis, nofile: NOFILE, nice: NICE, env: nodeEnv }) });
}
for (let k = 0; k < 400; k++) {
  if ((await health(nodes[0].port)).cluster?.nodes?.length === NODES) break;
  await sleep(25);
}
await sleep(1000); // let start-up garbage settle before the baseline
for (const n of nodes) {
  n.rss0 = rssKiB(n.child.pid);
  n.cpu0 = processCpuUs(n.child.pid);
}
partial.nodes = nodes;
log(`${NODES} nodes up (${nodes.map((n) => `${n.id}:${n.port}`).join(' ')}), ${redis}`);

// --- the generators --------------------------------------------------------------------------
const urls = nodes.map((n) => `ws://127.0.0.1:${n.port}/mcp`);
const t0 = performance.now();
partial.phase = 'opening';
partial.t0 = t0;
const gens = [];
for (let g = 0; g < GENERATORS; g++) {
  const conns = Math.floor(SESSIONS / GENERATORS) + (g < SESSIONS % GENERATORS ? 1 : 0);
  // Rotated per generator, so the round-robin remainders do not all land on node 0.
  const mine = [...urls.slice(g % NODES), ...urls.slice(0, g % NODES)];
  const args = [
    '-n',
    String(NICE),
    'prlimit',
    `--nofile=${NOFILE}:${NOFILE}`,
    WSGEN,
    ...mine.flatMap((u) => ['--url', u]),
  ];
  args.push('--connections', String(conns), '--threads', String(GEN_THREADS), '--interval', String(INTERVAL));
  args.push('--warmup', '0', '--duration', String(HOLD), '--wait-go', '--marks');
  args.push('--max-open-failures', String(MAX_OPEN_FAILURES));
  const child = spawn('nice', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const gen = { g, conns, child, out: '', err: '' };
  gen.exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  gen.opened = new Promise((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (d) => {
      gen.err += d;
      const m = /WSGEN_OPEN (\d+) (\d+) ([\d.]+)\n/.exec(gen.err);
      if (m && !gen.open) {
        gen.open = { opened: Number(m[1]), failed: Number(m[2]), sec: Number(m[3]), at: performance.now() };
        resolve(gen.open);
      }
    });
    gen.exit.then((code) => reject(new Error(`generator ${g} exited (${code}) before opening: ${gen.err.trim()}`)));
  });
  child.stdout.setEncoding('utf8').on('data', (d) => {
    gen.out += d;
  });
  gens.push(gen);
}
process.on('exit', () => {
  for (const gen of gens) gen.child.kill('SIGKILL');
});
log(`${GENERATORS} generators opening ${SESSIONS.toLocaleString('en-US')} sessions`);
const progress = setInterval(async () => {
  const counts = await Promise.all(
    nodes.map((n) =>
      health(n.port)
        .then((h) => h.connections)
        .catch(() => '?'),
    ),
  );
  log(`open so far per node: ${counts.join(' ')}`);
}, 10_000);
try {
  await Promise.all(gens.map((gen) => gen.opened));
} catch (err) {
  // A generator gave up (a node stopped answering): say how far the run got, then stop.
  clearInterval(progress);
  console.error(`sessions bench: ${err.message}`);
  const held = await Promise.all(
    nodes.map((n) =>
      health(n.port)
        .then((h) => h.connections)
        .catch(() => null),
    ),
  );
  const secs = Math.round((performance.now() - t0) / 100) / 10;
  console.error(`held when it failed, per node: ${held.join(' ')} after ${secs} s`);
  writeResult('cluster-sessions', { status: 'failed', reason: err.message, secs, limits, held });
  process.exit(1);
} finally {
  clearInterval(progress);
}
const openSec = (performance.now() - t0) / 1000;
await sleep(2000); // handshakes' garbage and buffers settle before the held sample
for (const n of nodes) {
  const h = await health(n.port);
  n.sessions = h.connections;
  n.rssHeld = rssKiB(n.child.pid);
  n.cpuOpen = processCpuUs(n.child.pid) - n.cpu0;
}
const opened = gens.reduce((a, gen) => a + gen.open.opened, 0);
const openFailed = gens.reduce((a, gen) => a + gen.open.failed, 0);
log(
  `opened ${opened.toLocaleString('en-US')} sessions (${openFailed} failed) in ${openSec.toFixed(1)} s; ` +
    `per node ${nodes.map((n) => n.sessions).join(' ')}; holding ${HOLD} s, a tools/call per session every ${INTERVAL} s`,
);

// --- hold: every session answers a request every --interval s --------------------------------
partial.phase = 'holding';
for (const gen of gens) gen.child.stdin.end('go\n');
await sleep((HOLD / 2) * 1000);
for (const n of nodes) {
  n.rssMid = rssKiB(n.child.pid);
  // A node busy with the hold's requests may not answer /health in time: null then.
  n.sessionsMid = await health(n.port)
    .then((h) => h.connections)
    .catch(() => null);
}
const codes = await Promise.all(gens.map((gen) => gen.exit));
const results = gens.map((gen, i) => {
  const line = gen.out.split('\n').find((l) => l.startsWith('{'));
  if (!line) throw new Error(`generator ${i} printed no result (exit ${codes[i]}): ${gen.err.trim()}`);
  return JSON.parse(line);
});

// --- figures ---------------------------------------------------------------------------------
const perUrl = new Map(urls.map((u) => [u, { sessions: 0, answered: 0, sessionsAnswered: 0 }]));
for (const r of results) {
  for (const t of r.perTarget) {
    const acc = perUrl.get(t.url);
    acc.sessions += t.sessions;
    acc.answered += t.answered;
    acc.sessionsAnswered += t.sessionsAnswered;
  }
}
const r1 = (x) => Math.round(x * 10) / 10;
const nodeRows = nodes.map((n, i) => {
  const u = perUrl.get(urls[i]);
  return {
    id: n.id,
    sessions: n.sessions,
    sessionsMidHold: n.sessionsMid,
    rssBeforeMiB: r1(n.rss0 / 1024),
    rssHeldMiB: r1(n.rssHeld / 1024),
    rssMidHoldMiB: r1(n.rssMid / 1024),
    kibPerSession: n.sessions > 0 ? r1((n.rssHeld - n.rss0) / n.sessions) : null,
    cpuUsPerOpen: n.sessions > 0 ? Math.round(n.cpuOpen / n.sessions) : null,
    generatorSessions: u.sessions,
    answered: u.answered,
    sessionsAnswered: u.sessionsAnswered,
  };
});
const sum = (f) => nodeRows.reduce((a, n) => a + f(n), 0);
const held = sum((n) => n.sessions);
const genCpuSec = results.reduce((a, r) => a + r.openCpuSec, 0);
const serverCpuUs = nodes.reduce((a, n) => a + n.cpuOpen, 0);
const errors = results.reduce((a, r) => a + r.errors, 0);
const out = {
  env: machineEnv(),
  limits,
  options: { nodes: NODES, sessions: SESSIONS, generators: GENERATORS, hold: HOLD, interval: INTERVAL },
  opened,
  openFailed,
  openSec: r1(openSec),
  held,
  perNode: { min: Math.min(...nodeRows.map((n) => n.sessions)), max: Math.max(...nodeRows.map((n) => n.sessions)) },
  kibPerSession: r1((sum((n) => n.rssHeldMiB - n.rssBeforeMiB) * 1024) / held),
  serverCpuUsPerOpen: Math.round(serverCpuUs / held),
  generatorCpuUsPerOpen: Math.round((genCpuSec * 1e6) / opened),
  holdRequests: results.reduce((a, r) => a + r.requests, 0),
  holdErrors: errors,
  errorKinds: results.map((r) => r.errorKinds),
  sessionsAnswered: sum((n) => n.sessionsAnswered),
  holdP50Us: Math.max(...results.map((r) => r.p50Us)),
  holdP99Us: Math.max(...results.map((r) => r.p99Us)),
  generators: results.map((r) => ({
    sessions: r.opened,
    openSec: r.openSec,
    openCpuSec: r.openCpuSec,
    holdCpuSec: r1(r.cpuUserSec + r.cpuSysSec),
    maxRssMiB: r1(r.maxRssKiB / 1024),
    kibPerSession: r1(r.maxRssKiB / r.opened),
  })),
  nodes: nodeRows,
};
console.log(
  `\n${held.toLocaleString('en-US')} sessions held on ${NODES} nodes (per node min ${out.perNode.min}, max ${out.perNode.max}), ` +
    `opened in ${out.openSec} s, ${openFailed} failed to open`,
);
console.log('| node | sessions | RSS before MiB | RSS held MiB | KiB/session | answered | sessions answered |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const n of nodeRows)
  console.log(
    `| ${n.id} | ${n.sessions} | ${n.rssBeforeMiB} | ${n.rssHeldMiB} | ${n.kibPerSession} | ${n.answered} | ${n.sessionsAnswered} |`,
  );
console.log(
  `memory ${out.kibPerSession} KiB per session (RSS delta / sessions); CPU per opened session: server ${out.serverCpuUsPerOpen} µs, ` +
    `generator ${out.generatorCpuUsPerOpen} µs; generators' peak RSS ${out.generators.map((g) => g.maxRssMiB).join(' ')} MiB`,
);
console.log(
  `hold: ${out.holdRequests} tools/call answered (p50 <= ${out.holdP50Us} µs, p99 <= ${out.holdP99Us} µs), ${errors} errors, ` +
    `${out.sessionsAnswered} of ${held} sessions answered at least once`,
);
console.log(`wrote ${writeResult('cluster-sessions', out)}`);
cleanup();
process.exit(errors > 0 || out.sessionsAnswered < held ? 1 : 0);
