// `npm run bench:e2e` (= node bench/e2e/run.mjs): end-to-end MCP tools/call round trips on
// loopback. One server process and one load-generator process at a time (forked, so they do
// not share an event loop); this parent only orchestrates, then prints the tables and writes
// bench/results/e2e-<date>.json and bench/results/e2e-latest.json. See docs/benchmarks-e2e.md.
// The stateless group (2026-07-28 over Streamable HTTP, driven by wrk) lives in stateless.mjs.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineCpu, machineEnv, otherCpuPct } from './cpu.mjs';
import { fdLimit } from './limits.mjs';
import { recordFailure } from './outcome.mjs';
import { Child } from './proc.mjs';
import { report } from './report.mjs';
import { reportStateless } from './report-stateless.mjs';
import { DEFAULT_STATELESS_SERVERS, runStateless, STATELESS_SERVERS } from './stateless.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const STATELESS_NAMES = Object.keys(STATELESS_SERVERS);
const USAGE = `usage: node bench/e2e/run.mjs [--quick] [--duration S] [--warmup S] [--only ws|http|stateless]
       [--sessions 100,1000] [--http-sessions 50] [--outstanding 1] [--servers raw,sdk,ours[,ours-shards]] [--rounds 3]
       [--connections 50] [--wrk-threads 1] [--quiet-retries 2] [--stateless-servers ${DEFAULT_STATELESS_SERVERS.join(',')}[,sdk2-50-hoisted]]`;

function parseArgs(argv) {
  const o = {
    quick: false,
    durationSec: 8,
    warmupSec: 2,
    only: /** @type {string | undefined} */ (undefined),
    sessions: [100, 1000],
    httpSessions: [50],
    outstanding: 1,
    servers: ['raw', 'sdk', 'ours'],
    rounds: 3,
    // The stateless group: wrk connections (one case set per value), wrk threads, servers.
    connections: [50],
    wrkThreads: 1,
    quietRetries: 2,
    statelessServers: DEFAULT_STATELESS_SERVERS,
  };
  let duration;
  let warmup;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      return /** @type {string} */ (v);
    };
    const list = () =>
      val()
        .split(',')
        .map((x) => Number(x));
    if (a === '--quick') o.quick = true;
    else if (a === '--duration') duration = Number(val());
    else if (a === '--warmup') warmup = Number(val());
    else if (a === '--only') o.only = val();
    else if (a === '--sessions') o.sessions = list();
    else if (a === '--http-sessions') o.httpSessions = list();
    else if (a === '--outstanding') o.outstanding = Number(val());
    else if (a === '--servers') o.servers = val().split(',');
    else if (a === '--rounds') o.rounds = Number(val());
    else if (a === '--connections') o.connections = list();
    else if (a === '--wrk-threads') o.wrkThreads = Number(val());
    else if (a === '--quiet-retries') o.quietRetries = Number(val());
    else if (a === '--stateless-servers') o.statelessServers = val().split(',');
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else fail(`unknown argument ${a}`);
  }
  o.durationSec = duration ?? (o.quick ? 2 : 5);
  o.warmupSec = warmup ?? (o.quick ? 0.5 : 1.5);
  if (o.quick) o.rounds = 1;
  if (!Number.isInteger(o.rounds) || o.rounds < 1) fail('--rounds must be a positive integer');
  const nums = [
    ...o.sessions,
    ...o.httpSessions,
    ...o.connections,
    o.outstanding,
    o.wrkThreads,
    o.durationSec,
    o.warmupSec,
  ];
  if (nums.some((n) => !Number.isFinite(n) || n < 0)) fail('numbers must be non-negative');
  if ([...o.sessions, ...o.httpSessions, o.outstanding].some((n) => !Number.isInteger(n) || n < 1)) {
    fail('session counts and --outstanding must be positive integers');
  }
  if (!Number.isInteger(o.wrkThreads) || o.wrkThreads < 1) fail('--wrk-threads must be a positive integer');
  if (!Number.isInteger(o.quietRetries) || o.quietRetries < 0) fail('--quiet-retries must be an integer >= 0');
  // wrk opens its connections across its threads and needs at least one per thread.
  if (o.connections.some((n) => !Number.isInteger(n) || n < o.wrkThreads)) {
    fail('--connections must be integers no smaller than --wrk-threads');
  }
  if (o.only && !['ws', 'http', 'stateless'].includes(o.only)) fail('--only takes ws, http or stateless');
  if (o.statelessServers.some((s) => !STATELESS_NAMES.includes(s))) {
    fail(`--stateless-servers takes ${STATELESS_NAMES.join(', ')}`);
  }
  if (o.servers.some((s) => !['raw', 'sdk', 'ours', 'ours-shards'].includes(s))) {
    fail('--servers takes raw, sdk, ours, ours-shards');
  }
  return o;
}

function fail(msg) {
  console.error(`${msg}\n${USAGE}`);
  process.exit(2);
}

const opts = parseArgs(process.argv.slice(2));
const SERVER_MODULE = { raw: 'raw-ws', sdk: 'sdk', ours: 'ours', 'ours-shards': 'ours-shards', bare: 'bare-ws' };
const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));
const log = (/** @type {string} */ s) => process.stderr.write(`${s}\n`);

/** The cases, in run order. `load: false` = idle-memory measurement only. */
const cases = [];
if (opts.only === undefined || opts.only === 'ws') {
  for (const n of opts.sessions) {
    cases.push({ transport: 'ws', server: 'bare', sessions: n, load: false });
    for (const s of opts.servers) cases.push({ transport: 'ws', server: s, sessions: n, load: true });
  }
}
if (opts.only === undefined || opts.only === 'http') {
  for (const n of opts.httpSessions) {
    for (const s of opts.servers.filter((x) => x !== 'raw'))
      cases.push({ transport: 'http', server: s, sessions: n, load: true });
  }
}

const limit = fdLimit();
const maxSessions = Math.max(...cases.map((c) => c.sessions));
if (limit !== undefined && limit < maxSessions + 100) {
  log(
    `WARNING: ulimit -n is ${limit}; ${maxSessions} sessions need about ${maxSessions + 100} file descriptors ` +
      'in the server and in the load generator. Raise it (ulimit -n) or pass fewer --sessions.',
  );
}

/**
 * Runs one case: server up -> load generator prewarms -> server memory baseline (after GC) ->
 * open N sessions -> 1 s idle -> server memory again -> (load) warmup + measured window ->
 * everything stopped. Every step has a timeout; a failure is recorded, never hangs the run.
 */
async function runCase(c) {
  const label = `${c.transport} ${c.server} ${c.sessions} sessions`;
  const lifetimeSec = Math.ceil(opts.warmupSec + opts.durationSec + 90);
  const out = { ...c, status: 'ok' };
  const server = new Child(
    path.join(here, 'server.mjs'),
    [SERVER_MODULE[c.server], c.transport, String(lifetimeSec)],
    ['--expose-gc'],
    `server ${c.server}`,
  );
  /** @type {Child | undefined} */
  let loadgen;
  try {
    const first = await server.waitFor(['ready', 'unavailable'], 20000);
    if (first.type === 'unavailable') {
      out.status = 'unavailable';
      out.reason = first.reason;
      log(`${label}: unavailable (${first.reason})`);
      return out;
    }
    log(`${label}: server at ${first.url}`);
    const config = {
      url: first.url,
      transport: c.transport,
      sessions: c.sessions,
      outstanding: opts.outstanding,
      warmupSec: opts.warmupSec,
      durationSec: opts.durationSec,
      bare: c.server === 'bare',
      lifetimeSec,
    };
    loadgen = new Child(path.join(here, 'loadgen.mjs'), [JSON.stringify(config)], [], 'load generator');
    await loadgen.waitFor('hello', 10000);
    loadgen.send({ type: 'prewarm' });
    await loadgen.waitFor('prewarmed', 30000);
    server.send({ type: 'mem', tag: 'before' });
    const before = (await server.waitFor('mem', 10000)).mem;
    loadgen.send({ type: 'open' });
    const opened = await loadgen.waitFor('opened', 60000);
    delete opened.type;
    out.open = opened;
    if (opened.hint) log(`${label}: ${opened.hint}`);
    if (opened.failed) log(`${label}: ${opened.failed} sessions failed to open: ${JSON.stringify(opened.failures)}`);
    await sleep(1000);
    server.send({ type: 'mem', tag: 'idle' });
    const idle = (await server.waitFor('mem', 10000)).mem;
    const n = Math.max(1, opened.opened);
    out.memory = {
      sessions: opened.opened,
      before,
      idle,
      rssPerSession: Math.round((idle.rss - before.rss) / n),
      heapExternalPerSession: Math.round((idle.heapUsed + idle.external - before.heapUsed - before.external) / n),
    };
    if (c.load) {
      loadgen.send({ type: 'run' });
      await loadgen.waitFor('measureStart', (opts.warmupSec + 20) * 1000);
      const m0 = machineCpu();
      server.send({ type: 'cpu' });
      const cpu0 = await server.waitFor('cpu', 5000);
      await loadgen.waitFor('measureEnd', (opts.durationSec + 20) * 1000);
      server.send({ type: 'cpu' });
      const cpu1 = await server.waitFor('cpu', 5000);
      const m1 = machineCpu();
      const result = await loadgen.waitFor('result', 20000);
      delete result.type;
      const cpuMs = (cpu1.cpu.user + cpu1.cpu.system - cpu0.cpu.user - cpu0.cpu.system) / 1000;
      result.serverCpuPct = Math.round((cpuMs / (cpu1.at - cpu0.at)) * 1000) / 10;
      // Machine-wide busy CPU (100 % = one core) minus the server and the load generator: what
      // other processes took during the window. A high figure means the case was contended.
      result.otherCpuPct = otherCpuPct(m0, m1, result.serverCpuPct + result.loadgenCpuPct);
      out.load = result;
      const l = result.latencyUs;
      log(
        `${label}: ${result.reqPerSec.toLocaleString('en-US')} req/s, p50 ${(l.p50 / 1000).toFixed(2)} ms, ` +
          `p99 ${(l.p99 / 1000).toFixed(2)} ms, cpu server ${result.serverCpuPct} % / loadgen ${result.loadgenCpuPct} % / other ${result.otherCpuPct} %`,
      );
    } else {
      log(
        `${label}: idle memory ${out.memory.heapExternalPerSession} B heap+external, ${out.memory.rssPerSession} B rss per session`,
      );
    }
    await loadgen.stop({ type: 'close' }, 5000);
  } catch (err) {
    recordFailure(out, err, label, log);
  } finally {
    await loadgen?.kill();
    await server.stop({ type: 'stop' }, 3000);
  }
  return out;
}

const started = Date.now();
if (cases.length)
  log(
    `e2e: ${cases.length} cases x ${opts.rounds} round(s), warmup ${opts.warmupSec} s + ${opts.durationSec} s measured each, ` +
      `${opts.outstanding} outstanding request(s) per session`,
  );
// Rounds run every load case once in turn (raw, sdk, ours, raw, sdk, ours, ...), so slow drift
// of a shared machine hits every server alike; each case then reports its median round.
/** @type {Map<string, any[]>} */
const runs = new Map();
for (let round = 1; round <= opts.rounds; round++) {
  if (opts.rounds > 1) log(`e2e: round ${round} of ${opts.rounds}`);
  for (const c of cases) {
    if (round > 1 && !c.load) continue;
    const key = `${c.transport}|${c.server}|${c.sessions}`;
    const list = runs.get(key) ?? [];
    list.push(await runCase(c));
    runs.set(key, list);
  }
}
const results = cases.map((c) => medianRun(runs.get(`${c.transport}|${c.server}|${c.sessions}`) ?? []));

const statelessRun =
  opts.only === undefined || opts.only === 'stateless'
    ? await runStateless(
        {
          servers: opts.statelessServers,
          connections: opts.connections,
          wrkThreads: opts.wrkThreads,
          rounds: opts.rounds,
          warmupSec: opts.warmupSec,
          durationSec: opts.durationSec,
          quietRetries: opts.quietRetries,
        },
        log,
      )
    : undefined;

/** The round with the median req/s (its latencies and memory come along), with every round's rate. */
function medianRun(list) {
  const ok = list.filter((r) => r.status === 'ok' && r.load);
  if (ok.length === 0) return list[0];
  const sorted = [...ok].sort((a, b) => a.load.reqPerSec - b.load.reqPerSec);
  const pick = sorted[Math.floor((sorted.length - 1) / 2)];
  return { ...pick, roundsReqPerSec: ok.map((r) => r.load.reqPerSec), failedRounds: list.length - ok.length };
}

const env = {
  ...machineEnv(),
  fdLimit: limit,
  sdkVersion: packageVersion('sdk'),
  sdk2ServerVersion: packageVersion('server'),
  sdk2NodeVersion: packageVersion('node'),
  wrk: statelessRun?.wrk,
  durationSec: Number(((Date.now() - started) / 1000).toFixed(1)),
};
const { text, summary } = report(results, opts);
if (cases.length) console.log(text);
const stateless = statelessRun
  ? reportStateless(statelessRun.runs, {
      connections: opts.connections,
      servers: opts.statelessServers,
      skipped: statelessRun.skipped,
    })
  : undefined;
if (stateless) console.log(stateless.text);

const outDir = path.join(here, '..', 'results');
fs.mkdirSync(outDir, { recursive: true });
const json = `${JSON.stringify(
  {
    env,
    options: opts,
    ...summary,
    cases: results,
    stateless: stateless && { ...stateless.summary, runs: statelessRun?.runs },
  },
  null,
  2,
)}\n`;
const stamp = env.date.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
fs.writeFileSync(path.join(outDir, `e2e-${stamp}.json`), json);
fs.writeFileSync(path.join(outDir, 'e2e-latest.json'), json);
console.log(`wrote bench/results/e2e-${stamp}.json and bench/results/e2e-latest.json (${env.durationSec} s)`);
if (summary.problems.length || stateless?.summary.problems.length) process.exitCode = 1;

/** The installed version of @modelcontextprotocol/<name>, or undefined when it is not installed. */
function packageVersion(name) {
  try {
    const file = path.join(here, '..', '..', 'node_modules', '@modelcontextprotocol', name, 'package.json');
    return JSON.parse(fs.readFileSync(file, 'utf8')).version;
  } catch {
    return undefined;
  }
}
