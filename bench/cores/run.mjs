// `npm run bench:cores` (= node bench/cores/run.mjs): does erlmcp use every core? `erlmcp serve`
// with 1 and N worker threads (one port, SO_REUSEPORT) against the single-thread ceilings of the
// same run (plain node:http and plain ws JSON echo servers) and the same echoes on N threads
// (what this machine allows a server built on node:http or ws), over stateless HTTP tools/call
// (wrk) and WebSocket round trips (wsgen, bench/wsgen). Rounds are interleaved and rotated;
// every server is fresh per measurement. Tables on stdout, progress on stderr, results in
// bench/results/cores-<date>.json and cores-latest.json. See bench/README.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineEnv, waitForQuiet } from '../e2e/cpu.mjs';
import { recordFailure } from '../e2e/outcome.mjs';
import { CONTENDED_PCT } from '../e2e/stateless.mjs';
import { WRK_MISSING, wrkVersion } from '../e2e/wrk.mjs';
import { driveHttp, driveWs, ensureWsgen } from './drive.mjs';
import { hostProbeMs } from './host-probe.mjs';
import { report } from './report.mjs';
import { CEILINGS, CLI, serveHasWorkers, startCeiling, startEchoThreads, startErlmcp } from './servers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const cores = os.availableParallelism();
const USAGE = `usage: node bench/cores/run.mjs [--workers 1,${cores}] [--rounds 3] [--duration 5] [--warmup 2]
       [--cases http,ws] [--connections 50] [--ws-connections 100] [--wrk-threads 1] [--wsgen-threads 1]
       [--no-ceilings] [--settle-ms 1500] [--quiet-wait 10] [--quick]
  --workers        worker counts of erlmcp serve to measure (default 1 and os.availableParallelism() = ${cores})
  --duration/--warmup  seconds per measurement (whole seconds: wrk takes no fractions)
  --no-ceilings    leave out the echo servers (the single-thread ceilings and their N-thread bounds)
  --quiet-wait     before each measurement, wait up to this many seconds for other processes to use
                   under ${CONTENDED_PCT} % of a core (0: do not wait)
  --quick          1 round, 2 s + 1 s warm-up`;

function fail(/** @type {string} */ msg) {
  console.error(`${msg}\n${USAGE}`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = {
    workers: [...new Set([1, cores])],
    rounds: 3,
    durationSec: 5,
    warmupSec: 2,
    cases: /** @type {('http' | 'ws')[]} */ (['http', 'ws']),
    connections: 50,
    wsConnections: 100,
    wrkThreads: 1,
    wsgenThreads: 1,
    ceilings: true,
    settleMs: 1500,
    quietWaitSec: 10,
  };
  let quick = false;
  const given = new Set();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      given.add(a);
      return /** @type {string} */ (v);
    };
    const int = (min = 1) => {
      const n = Number(val());
      if (!Number.isInteger(n) || n < min) fail(`${a} needs a whole number >= ${min}`);
      return n;
    };
    if (a === '--workers') {
      o.workers = [...new Set(val().split(',').map(Number))];
      if (o.workers.some((n) => !Number.isInteger(n) || n < 1)) fail('--workers takes whole numbers >= 1, e.g. 1,2');
    } else if (a === '--rounds') o.rounds = int();
    else if (a === '--duration') o.durationSec = int();
    else if (a === '--warmup') o.warmupSec = int(0);
    else if (a === '--cases') {
      o.cases = /** @type {any} */ (val().split(','));
      if (o.cases.some((c) => c !== 'http' && c !== 'ws')) fail('--cases takes http, ws or http,ws');
    } else if (a === '--connections') o.connections = int();
    else if (a === '--ws-connections') o.wsConnections = int();
    else if (a === '--wrk-threads') o.wrkThreads = int();
    else if (a === '--wsgen-threads') o.wsgenThreads = int();
    else if (a === '--no-ceilings') o.ceilings = false;
    else if (a === '--settle-ms') o.settleMs = int(0);
    else if (a === '--quiet-wait') o.quietWaitSec = int(0);
    else if (a === '--quick') quick = true;
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else fail(`unknown argument ${a}`);
  }
  if (quick) {
    if (!given.has('--rounds')) o.rounds = 1;
    if (!given.has('--duration')) o.durationSec = 2;
    if (!given.has('--warmup')) o.warmupSec = 1;
  }
  if (o.connections < o.wrkThreads) fail('--connections must be at least --wrk-threads');
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const log = (/** @type {string} */ s) => process.stderr.write(`${s}\n`);

if (!fs.existsSync(CLI)) {
  console.error(`${path.relative(process.cwd(), CLI)} is missing: run \`npm run build\` first`);
  process.exit(1);
}
const wrk = opts.cases.includes('http') ? wrkVersion() : undefined;
if (opts.cases.includes('http') && wrk === undefined) {
  console.error(WRK_MISSING.replace('the stateless Streamable HTTP cases', 'the HTTP case of bench:cores'));
  process.exit(1);
}
if (opts.cases.includes('ws')) {
  try {
    ensureWsgen(log);
  } catch (err) {
    console.error(/** @type {Error} */ (err).message);
    process.exit(1);
  }
}
const hasWorkersFlag = serveHasWorkers();
if (!hasWorkersFlag) {
  log(
    'erlmcp serve has no --workers flag in this build: erlmcp runs with 1 worker (flag omitted); ' +
      `${opts.workers.filter((n) => n > 1).join(', ') || 'no'} worker counts will show as unavailable`,
  );
}

/**
 * The servers of each case, in base order; rounds rotate it. With the ceilings: the
 * single-thread echo, and for every N > 1 the same echo on N threads (the machine's bound).
 */
const servers = (/** @type {'http' | 'ws'} */ kase) => [
  ...opts.workers.map((n) => ({ server: `erlmcp-${n}`, label: `erlmcp ${n} worker${n > 1 ? 's' : ''}`, workers: n })),
  ...(opts.ceilings
    ? [
        { server: 'ceiling', label: CEILINGS[kase].name, workers: 1 },
        ...opts.workers
          .filter((n) => n > 1)
          .map((n) => ({ server: `echo-${n}`, label: `${CEILINGS[kase].name} on ${n} threads`, workers: n })),
      ]
    : []),
];

/** One measurement: a fresh server, warm-up + measured window, the server stopped. */
async function measure(kase, s, round) {
  const label = `round ${round} ${kase} ${s.label}`;
  /** @type {any} */
  const out = { case: kase, server: s.server, label: s.label, workers: s.workers, round, status: 'ok' };
  const lifetimeSec = opts.warmupSec + opts.durationSec + 90;
  /** @type {import('./servers.mjs').Running | undefined} */
  let running;
  if (s.workers > 1 && !hasWorkersFlag && s.server.startsWith('erlmcp-')) {
    out.status = 'unavailable';
    out.reason = 'this build of erlmcp serve has no --workers flag yet';
    log(`${label}: unavailable (${out.reason})`);
    return out;
  }
  try {
    // A neighbour's build or test run would take a core from the middle of the window.
    if (opts.quietWaitSec > 0 && !(await waitForQuiet(CONTENDED_PCT, opts.quietWaitSec * 1000))) {
      log(`${label}: the machine stayed busy for ${opts.quietWaitSec} s; measuring anyway`);
    }
    out.hostProbeMs = hostProbeMs();
    running =
      s.server === 'ceiling'
        ? await startCeiling(kase, lifetimeSec)
        : s.server.startsWith('echo-')
          ? await startEchoThreads(kase, { threads: s.workers, lifetimeSec, settleMs: opts.settleMs })
          : await startErlmcp({ workers: s.workers, hasWorkersFlag, lifetimeSec, settleMs: opts.settleMs });
    const common = { pid: running.pid, warmupSec: opts.warmupSec, durationSec: opts.durationSec };
    out.load =
      kase === 'http'
        ? await driveHttp({ ...common, url: running.httpUrl, connections: opts.connections, threads: opts.wrkThreads })
        : await driveWs({ ...common, url: running.wsUrl, connections: opts.wsConnections, threads: opts.wsgenThreads });
    const l = out.load;
    log(
      `${label}: ${l.reqPerSec.toLocaleString('en-US')} req/s, p50 ${(l.latencyUs.p50 / 1000).toFixed(2)} ms, ` +
        `p99 ${(l.latencyUs.p99 / 1000).toFixed(2)} ms, errors ${l.errorCount}, server ${l.serverCpuPct} % ` +
        `(${l.serverCpuUsPerReq} µs/req), generator ${l.genCpuPct} % (${l.genCpuUsPerReq} µs/req, ` +
        `${l.genShare}x the server's), other ${l.otherCpuPct ?? '-'} %, host probe ${out.hostProbeMs} ms`,
    );
  } catch (err) {
    if (/** @type {any} */ (err).unavailable) {
      out.status = 'unavailable';
      out.reason = /** @type {Error} */ (err).message;
      log(`${label}: unavailable (${out.reason})`);
    } else recordFailure(out, err, label, log);
  } finally {
    await running?.stop();
  }
  return out;
}

const started = Date.now();
const units = opts.cases.map((k) => servers(k).length).reduce((a, b) => a + b, 0);
log(
  `bench:cores: ${units} measurements x ${opts.rounds} round(s), warm-up ${opts.warmupSec} s + ${opts.durationSec} s ` +
    `each; ${cores} cores; workers ${opts.workers.join(', ')}; ${wrk ?? ''}`,
);
const runs = [];
for (let round = 1; round <= opts.rounds; round++) {
  for (const kase of opts.cases) {
    const list = servers(kase);
    // Rotated each round, so slow drift on a shared machine does not always hit the same server.
    const shift = (round - 1) % list.length;
    for (const s of [...list.slice(shift), ...list.slice(0, shift)]) runs.push(await measure(kase, s, round));
  }
}

const { text, summary } = report(runs, opts);
console.log(text);
const env = {
  ...machineEnv(),
  availableParallelism: cores,
  wrk,
  serveHasWorkersFlag: hasWorkersFlag,
  durationSec: Number(((Date.now() - started) / 1000).toFixed(1)),
};
const outDir = path.join(here, '..', 'results');
fs.mkdirSync(outDir, { recursive: true });
const json = `${JSON.stringify({ env, options: opts, ...summary, runs }, null, 2)}\n`;
const stamp = env.date.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
fs.writeFileSync(path.join(outDir, `cores-${stamp}.json`), json);
fs.writeFileSync(path.join(outDir, 'cores-latest.json'), json);
console.log(`wrote bench/results/cores-${stamp}.json and bench/results/cores-latest.json (${env.durationSec} s)`);
if (summary.problems.length) process.exitCode = 1;
