// Load generator child process: `node loadgen.mjs '<json config>'`, forked by run.mjs.
// Config: { url, transport: 'ws'|'http', sessions, outstanding, warmupSec, durationSec,
// bare (connect only, no MCP), lifetimeSec }. Driven by IPC commands, each answered once:
//   prewarm -> prewarmed   a few sessions open, initialize, call, close (JIT-warms the server
//                          so compiled code is not counted as session memory)
//   open    -> opened      all sessions connected and initialized (bounded parallelism)
//   run     -> measureStart, measureEnd, result
//   close   -> closed, then exit
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { HttpSession, Stats, WsSession } from './clients.mjs';
import { Histogram } from './histogram.mjs';
import { fdLimit } from './limits.mjs';

const cfg = JSON.parse(process.argv[2] ?? '{}');
const send = (/** @type {any} */ msg) => process.send?.(msg);
const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

setTimeout(() => process.exit(3), (cfg.lifetimeSec ?? 120) * 1000).unref();
process.on('disconnect', () => process.exit(0));
process.on('uncaughtException', (err) => {
  send({ type: 'fatal', error: String(err?.stack ?? err) });
  setTimeout(() => process.exit(1), 50);
});

const agent =
  cfg.transport === 'http'
    ? new http.Agent({
        keepAlive: true,
        maxSockets: cfg.sessions * cfg.outstanding + 16,
        maxFreeSockets: cfg.sessions * cfg.outstanding + 16,
      })
    : undefined;

/** @param {Stats} stats */
function makeSession(stats) {
  return cfg.transport === 'http'
    ? new HttpSession(cfg.url, stats, cfg.outstanding, /** @type {http.Agent} */ (agent))
    : new WsSession(cfg.url, stats, cfg.outstanding);
}

/**
 * Opens and initializes `n` sessions, at most `parallel` handshakes at a time. Returns the
 * sessions that made it and the reasons of those that did not.
 */
async function openSessions(n, stats, parallel = 50) {
  /** @type {(WsSession | HttpSession)[]} */
  const ok = [];
  /** @type {Record<string, number>} */
  const failures = {};
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      const s = makeSession(stats);
      try {
        await s.open();
        if (!cfg.bare) await s.initialize();
        ok.push(s);
      } catch (err) {
        const e = /** @type {any} */ (err);
        const why = e?.code ?? (e?.rpc !== undefined ? `rpc ${e.rpc}` : (e?.message ?? String(err)));
        failures[why] = (failures[why] ?? 0) + 1;
        s.terminate();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, worker));
  return { ok, failures };
}

function closeAll(sessions) {
  return Promise.all(sessions.map((s) => s.close()));
}

const stats = new Stats(new Histogram());
/** @type {(WsSession | HttpSession)[]} */
let sessions = [];
const t0 = performance.now();

async function prewarm() {
  const warmStats = new Stats(new Histogram());
  const { ok } = await openSessions(Math.min(20, cfg.sessions), warmStats);
  if (!cfg.bare) {
    warmStats.running = true;
    for (const s of ok) s.startLoop();
    await sleep(500);
    warmStats.running = false;
    await drain(warmStats, 2000);
  }
  await closeAll(ok);
  await sleep(300);
}

async function drain(s, ms) {
  const until = performance.now() + ms;
  while (s.inFlight > 0 && performance.now() < until) await sleep(10);
  return s.inFlight;
}

async function open() {
  const t = performance.now();
  const { ok, failures } = await openSessions(cfg.sessions, stats);
  sessions = ok;
  const failed = Object.values(failures).reduce((a, b) => a + b, 0);
  const limit = fdLimit();
  const emfile = failures.EMFILE || failures.ENFILE;
  return {
    opened: ok.length,
    failed,
    failures,
    openMs: Math.round(performance.now() - t),
    fdLimit: limit,
    hint: emfile
      ? `file descriptor limit too low: ulimit -n is ${limit}; this run needs about ${cfg.sessions + 100} per process`
      : undefined,
  };
}

async function run() {
  stats.running = true;
  for (const s of sessions) s.startLoop();
  await sleep(cfg.warmupSec * 1000);
  const warmupErrors = {
    rpc: { ...stats.rpcErrors },
    transport: { ...stats.transportErrors },
    wrongResults: stats.wrongResults,
  };
  stats.rpcErrors = {};
  stats.transportErrors = {};
  stats.wrongResults = 0;
  send({ type: 'measureStart' });
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  stats.measuring = true;
  await sleep(cfg.durationSec * 1000);
  stats.measuring = false;
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  send({ type: 'measureEnd' });
  stats.running = false;
  const unanswered = await drain(stats, 3000);
  const latency = stats.hist.summary();
  return {
    sessions: sessions.length,
    outstanding: cfg.outstanding,
    seconds: Number(seconds.toFixed(3)),
    completed: stats.completed,
    reqPerSec: Math.round(stats.completed / seconds),
    latencyUs: {
      p50: latency.p50Us,
      p95: latency.p95Us,
      p99: latency.p99Us,
      max: Math.round(latency.maxUs),
      mean: Math.round(latency.meanUs),
    },
    errors: {
      rpc: stats.rpcErrors,
      transport: stats.transportErrors,
      wrongResults: stats.wrongResults,
      unansweredAtEnd: unanswered,
    },
    warmupErrors,
    loadgenCpuPct: Math.round(((cpu.user + cpu.system) / 1e4 / seconds) * 10) / 10,
  };
}

process.on('message', async (/** @type {any} */ msg) => {
  try {
    if (msg?.type === 'prewarm') {
      await prewarm();
      send({ type: 'prewarmed' });
    } else if (msg?.type === 'open') {
      send({ type: 'opened', ...(await open()) });
    } else if (msg?.type === 'run') {
      send({ type: 'result', ...(await run()) });
    } else if (msg?.type === 'close') {
      const timer = setTimeout(() => process.exit(0), 3000);
      await closeAll(sessions);
      clearTimeout(timer);
      send({ type: 'closed', totalMs: Math.round(performance.now() - t0) });
      setTimeout(() => process.exit(0), 20);
    }
  } catch (err) {
    send({ type: 'fatal', error: String(/** @type {Error} */ (err)?.stack ?? err) });
  }
});
send({ type: 'hello' });
