// Paired CPU comparison of two stateless servers: `node bench/e2e/paired.mjs A B [--rounds N]
// [--duration S] [--connections C]` with A and B names of STATELESS_SERVERS (stateless.mjs).
//
// Why: on a shared VM the host takes cycles from whole windows at a time, so two servers
// measured one after the other differ by ±30 % for the same code (see docs/benchmarks-e2e.md).
// Here both servers run at the same time, pinned to the same CPU (taskset), each driven by its
// own wrk pinned to the other CPU: whatever the host steals, it steals from both. Each round
// forks both servers afresh and reports the server CPU per request of each (process.cpuUsage
// over the measured window, divided by the answers wrk counted); the result is the median of
// the per-round ratios. Needs Linux with `taskset` (util-linux) and wrk, and 2+ CPUs.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { probeStateless } from './probe.mjs';
import { Child } from './proc.mjs';
import { STATELESS_SERVERS } from './stateless.mjs';
import { runWrk, WRK_MISSING, wrkVersion } from './wrk.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const USAGE =
  'usage: node bench/e2e/paired.mjs A B [--rounds N] [--duration S] [--warmup S] [--connections C]\n' +
  `  A, B: ${Object.entries(STATELESS_SERVERS)
    .filter(([, s]) => s.mode === 'stateless')
    .map(([k]) => k)
    .join(', ')}`;

function parse(argv) {
  const o = { names: /** @type {string[]} */ ([]), rounds: 7, duration: 4, warmup: 2, connections: 25 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${a} needs a whole number >= 1\n${USAGE}`);
      return v;
    };
    if (a === '--rounds') o.rounds = num();
    else if (a === '--duration') o.duration = num();
    else if (a === '--warmup') o.warmup = num();
    else if (a === '--connections') o.connections = num();
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else if (a.startsWith('--')) throw new Error(`unknown option ${a}\n${USAGE}`);
    else o.names.push(a);
  }
  if (o.names.length !== 2) throw new Error(`give two servers\n${USAGE}`);
  for (const n of o.names) {
    const s = STATELESS_SERVERS[/** @type {keyof typeof STATELESS_SERVERS} */ (n)];
    if (s?.mode !== 'stateless') throw new Error(`${n} is not a stateless server\n${USAGE}`);
  }
  return o;
}

const cpuUs = (/** @type {any} */ m) => m.cpu.user + m.cpu.system;

/** One round: both servers fresh on CPU 1, a wrk each on CPU 0, warm-up then the measured window. */
async function round(o) {
  const lifetime = String(o.warmup + o.duration + 60);
  const servers = o.names.map(
    (n) =>
      new Child(
        path.join(here, 'server.mjs'),
        [STATELESS_SERVERS[/** @type {keyof typeof STATELESS_SERVERS} */ (n)].module, 'http', lifetime],
        ['-c', '1', process.execPath, '--expose-gc'],
        `server ${n}`,
        'taskset',
      ),
  );
  try {
    const targets = [];
    for (const s of servers) {
      const m = await s.waitFor(['ready', 'unavailable'], 20000);
      if (m.type === 'unavailable') throw new Error(`${s.label}: unavailable (${m.reason})`);
      const args = m.wrkArgs ?? [];
      await probeStateless(m.url, args[0]);
      targets.push({ url: m.url, args });
    }
    const drive = (/** @type {number} */ seconds) =>
      Promise.all(
        targets.map(({ url, args }) =>
          runWrk({ url, script: 'stateless.lua', args, connections: o.connections, threads: 1, seconds, cpu: '0' }),
        ),
      );
    const cpuNow = () =>
      Promise.all(
        servers.map((s) => {
          s.send({ type: 'cpu' });
          return s.waitFor('cpu', 5000);
        }),
      );
    await drive(o.warmup);
    const before = await cpuNow();
    const runs = await drive(o.duration);
    const after = await cpuNow();
    return runs.map((w, i) => {
      const errors = w.requests - w.ok;
      if (errors > 0)
        throw new Error(`${servers[i].label}: ${errors} of ${w.requests} answers were not the echo result`);
      return { requests: w.ok, usPerReq: (cpuUs(after[i]) - cpuUs(before[i])) / w.ok };
    });
  } finally {
    await Promise.all(servers.map((s) => s.stop({ type: 'stop' }, 3000)));
  }
}

const median = (/** @type {number[]} */ xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function main() {
  const o = parse(process.argv.slice(2));
  if (wrkVersion() === undefined) throw new Error(WRK_MISSING);
  if (spawnSync('taskset', ['-c', '0', 'true']).status !== 0) throw new Error('taskset (util-linux) is needed');
  const [a, b] = o.names;
  console.log(
    `paired: ${a} vs ${b}, both on CPU 1, a wrk each on CPU 0 (${o.connections} connections), ` +
      `${o.rounds} rounds of ${o.warmup} s warm-up + ${o.duration} s`,
  );
  const ratios = [];
  for (let r = 1; r <= o.rounds; r++) {
    const [ra, rb] = await round(o);
    const ratio = ra.usPerReq / rb.usPerReq;
    ratios.push(ratio);
    console.log(
      `round ${r}: ${a} ${ra.usPerReq.toFixed(1)} µs/req (${ra.requests} answers), ` +
        `${b} ${rb.usPerReq.toFixed(1)} µs/req (${rb.requests}), ${a} ÷ ${b} CPU ${ratio.toFixed(3)}`,
    );
  }
  const m = median(ratios);
  console.log(
    `median of ${o.rounds} rounds: ${a} costs ${m.toFixed(3)}x the server CPU per request of ${b}, ` +
      `i.e. ${(1 / m).toFixed(3)}x its requests per CPU-second`,
  );
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
