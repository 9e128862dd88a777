// The stateless group of `npm run bench:e2e` (run.mjs --only stateless): MCP 2026-07-28
// stateless tools/call over Streamable HTTP, driven by wrk, against a plain node:http ceiling,
// the SDK v2 (createMcpHandler) with 1 and 50 tools, erlmcp stateless with 1 and 50 tools, and
// erlmcp in 2025 sessions. wrk (C, epoll, requests pre-built in Lua) costs far less CPU per
// request than any of these servers, so on 2 cores one core is the server's, one is wrk's.
// Every case runs in every round, interleaved; each case: fresh server process -> probe from
// Node (a real request, exact result checked; a failure makes the case `unavailable`) ->
// warm-up wrk run -> measured wrk run with the server's and wrk's CPU -> server stopped.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineCpu, otherCpuPct, waitForQuiet } from './cpu.mjs';
import { recordFailure } from './outcome.mjs';
import { openSessionPool, probeSession, probeStateless } from './probe.mjs';
import { Child } from './proc.mjs';
import { runWrk, WRK_MISSING, wrkVersion } from './wrk.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

/** A measured window where other processes took more than this (% of one core) is contended. */
export const CONTENDED_PCT = 25;
/** Longest wait for a quiet machine before measuring a contended window again. */
const QUIET_WAIT_MS = 10_000;

/** The 2025-era version the session case negotiates and sends on every tools/call. */
export const SESSION_VERSION = '2025-11-25';

/** Each case: the servers/<module>.mjs it forks and how wrk drives it. */
export const STATELESS_SERVERS = {
  ceiling: { module: 'ceiling-http', mode: 'stateless', what: 'plain node:http JSON echo, no MCP (ceiling)' },
  'sdk2-1': { module: 'sdk2-1', mode: 'stateless', what: 'SDK v2 createMcpHandler + toNodeHandler, 1 tool' },
  'sdk2-50': { module: 'sdk2-50', mode: 'stateless', what: 'SDK v2 createMcpHandler + toNodeHandler, 50 tools' },
  // Opt-in (not in the default list): sdk2-50 with its zod schemas built once, outside the factory.
  'sdk2-50-hoisted': {
    module: 'sdk2-50-hoisted',
    mode: 'stateless',
    what: 'SDK v2 as sdk2-50, zod schemas built once at module scope (not the documented pattern)',
  },
  'ours-stateless': {
    module: 'ours-stateless',
    mode: 'stateless',
    what: 'erlmcp listen(), 2026-07-28 stateless, 1 tool',
  },
  'ours-stateless-50': {
    module: 'ours-stateless-50',
    mode: 'stateless',
    what: 'erlmcp listen(), 2026-07-28 stateless, 50 tools',
  },
  'ours-stateless-auth': {
    module: 'ours-stateless-auth',
    mode: 'stateless',
    what: 'erlmcp listen(), 2026-07-28 stateless, 1 tool, JWT bearer token (Authenticator, verdict cached)',
  },
  'ours-session': {
    module: 'ours-stateless',
    mode: 'session',
    what: `erlmcp listen(), ${SESSION_VERSION} sessions, 1 tool`,
  },
};

/** The cases run when --stateless-servers is not given, in run order. */
export const DEFAULT_STATELESS_SERVERS = [
  'ceiling',
  'sdk2-1',
  'sdk2-50',
  'ours-stateless',
  'ours-stateless-50',
  'ours-stateless-auth',
  'ours-session',
];

/**
 * @typedef {{ servers: string[], connections: number[], wrkThreads: number, rounds: number,
 *   warmupSec: number, durationSec: number, quietRetries: number }} StatelessOptions
 */

/**
 * Runs the group; resolves with every round of every case and the wrk version, or with
 * `skipped` (the reason, and no runs) when wrk is not installed.
 * @param {StatelessOptions} o @param {(s: string) => void} log
 */
export async function runStateless(o, log) {
  const version = wrkVersion();
  if (version === undefined) {
    log(`stateless: ${WRK_MISSING}; skipping these cases`);
    return { wrk: null, skipped: WRK_MISSING, runs: [] };
  }
  // wrk takes whole seconds; a fractional --warmup/--duration is rounded up.
  const warmSec = Math.max(1, Math.ceil(o.warmupSec));
  const durSec = Math.max(1, Math.ceil(o.durationSec));
  log(
    `stateless: ${o.servers.length * o.connections.length} cases x ${o.rounds} round(s), wrk ${o.wrkThreads} thread(s), ` +
      `warmup ${warmSec} s + ${durSec} s measured each (${version})`,
  );
  const runs = [];
  for (let round = 1; round <= o.rounds; round++) {
    if (o.rounds > 1) log(`stateless: round ${round} of ${o.rounds}`);
    for (const n of o.connections) {
      for (const server of o.servers)
        runs.push(await runCase({ server, connections: n, round }, o, warmSec, durSec, log));
    }
  }
  return { wrk: version, runs };
}

/**
 * One case, one round. Every step has a timeout; a failure is recorded, never hangs the run,
 * and the server is always stopped.
 * @param {{ server: string, connections: number, round: number }} c @param {StatelessOptions} o
 * @param {number} warmSec @param {number} durSec @param {(s: string) => void} log
 */
async function runCase(c, o, warmSec, durSec, log) {
  const spec = STATELESS_SERVERS[/** @type {keyof typeof STATELESS_SERVERS} */ (c.server)];
  const label = `stateless ${c.server} ${c.connections} conns`;
  /** @type {any} */
  const out = { ...c, mode: spec.mode, status: 'ok' };
  const lifetimeSec = warmSec + (durSec + QUIET_WAIT_MS / 1000) * (o.quietRetries + 1) + 90;
  const server = new Child(
    path.join(here, 'server.mjs'),
    [spec.module, 'http', String(lifetimeSec)],
    ['--expose-gc'],
    `server ${c.server}`,
  );
  try {
    const first = await server.waitFor(['ready', 'unavailable'], 20000);
    if (first.type === 'unavailable') return unavailable(out, first.reason, label, log);
    const url = first.url;
    let script = 'stateless.lua';
    /** @type {string[]} */
    let args = [];
    try {
      if (spec.mode === 'session') {
        const ids = await openSessionPool(url, c.connections, SESSION_VERSION);
        await probeSession(url, ids[0], SESSION_VERSION);
        script = 'session.lua';
        args = [SESSION_VERSION, ...ids];
        out.sessions = ids.length;
      } else {
        // A server that issued a token (ours-stateless-auth) names it in wrkArgs: probe and drive with it.
        args = first.wrkArgs ?? [];
        await probeStateless(url, args[0]);
      }
    } catch (err) {
      return unavailable(out, /** @type {Error} */ (err).message, label, log);
    }
    const run = { url, script, args, connections: c.connections, threads: o.wrkThreads };
    const warm = await runWrk({ ...run, seconds: warmSec });
    out.warmup = { requests: warm.requests, ok: warm.ok, errors: errorsOf(warm) };
    // On a shared machine a neighbour's burst can take a core in the middle of a window. Such a
    // window (other processes over CONTENDED_PCT of a core) is measured again, after waiting for
    // a quiet moment, up to --quiet-retries times; the least contended attempt is kept, and the
    // errors of every attempt still count.
    /** @type {any[]} */
    const discarded = [];
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) await waitForQuiet(CONTENDED_PCT, QUIET_WAIT_MS);
      const m0 = machineCpu();
      server.send({ type: 'cpu' });
      const cpu0 = await server.waitFor('cpu', 5000);
      const w = await runWrk({ ...run, seconds: durSec });
      server.send({ type: 'cpu' });
      const cpu1 = await server.waitFor('cpu', 5000);
      const m1 = machineCpu();
      const load = measure(w, cpu0, cpu1, m0, m1);
      if (out.load === undefined || (load.otherCpuPct ?? 0) < (out.load.otherCpuPct ?? 0)) {
        if (out.load) discarded.push(out.load);
        out.load = load;
      } else {
        discarded.push(load);
      }
      if ((out.load.otherCpuPct ?? 0) <= CONTENDED_PCT || attempt >= o.quietRetries) break;
      log(`${label}: other processes took ${load.otherCpuPct} % of a core; measuring again`);
    }
    if (discarded.length) {
      out.discardedAttempts = discarded.map((d) => ({
        reqPerSec: d.reqPerSec,
        otherCpuPct: d.otherCpuPct,
        errorCount: d.errorCount,
        errors: d.errors,
      }));
    }
    const l = out.load;
    log(
      `${label}: ${l.reqPerSec.toLocaleString('en-US')} req/s, p50 ${(l.latencyUs.p50 / 1000).toFixed(2)} ms, ` +
        `p99 ${(l.latencyUs.p99 / 1000).toFixed(2)} ms, errors ${l.errorCount}, cpu server ${l.serverCpuPct} % ` +
        `(${l.serverCpuUsPerReq} µs/req) / wrk ${l.wrkCpuPct ?? '-'} % (${l.wrkCpuUsPerReq ?? '-'} µs/req) / other ${l.otherCpuPct ?? '-'} %`,
    );
  } catch (err) {
    recordFailure(out, err, label, log);
  } finally {
    await server.stop({ type: 'stop' }, 3000);
  }
  return out;
}

function unavailable(out, reason, label, log) {
  out.status = 'unavailable';
  out.reason = reason;
  log(`${label}: unavailable (${reason})`);
  return out;
}

/** What wrk saw go wrong: non-200 statuses, wrong bodies, socket errors and timeouts. */
function errorsOf(/** @type {import('./wrk.mjs').WrkResult} */ w) {
  const s = w.socket;
  const non200 = Object.values(w.non200).reduce((a, b) => a + b, 0);
  return {
    non200: w.non200,
    wrong: w.wrong,
    socket: { connect: s.connect, read: s.read, write: s.write, timeout: s.timeout },
    total: non200 + w.wrong + s.connect + s.read + s.write + s.timeout,
  };
}

const r1 = (x) => Math.round(x * 10) / 10;

/** The figures of one measured wrk run, with the server's CPU between the two readings around it. */
function measure(w, cpu0, cpu1, m0, m1) {
  const seconds = w.durationUs / 1e6;
  const serverUs = cpu1.cpu.user + cpu1.cpu.system - cpu0.cpu.user - cpu0.cpu.system;
  const serverCpuPct = r1((serverUs / ((cpu1.at - cpu0.at) * 1000)) * 100);
  const wrkUs = w.cpuUs ? w.cpuUs.user + w.cpuUs.system : undefined;
  const wrkCpuPct = wrkUs === undefined ? undefined : r1((wrkUs / w.durationUs) * 100);
  const errors = errorsOf(w);
  return {
    seconds: Number(seconds.toFixed(3)),
    requests: w.requests,
    ok: w.ok,
    reqPerSec: Math.round(w.ok / seconds),
    latencyUs: w.latencyUs,
    errors,
    errorCount: errors.total,
    serverCpuPct,
    serverCpuUsPerReq: w.ok > 0 ? r1(serverUs / w.ok) : undefined,
    wrkCpuPct,
    wrkCpuUsPerReq: wrkUs !== undefined && w.ok > 0 ? r1(wrkUs / w.ok) : undefined,
    otherCpuPct: otherCpuPct(m0, m1, serverCpuPct + (wrkCpuPct ?? 0)),
  };
}
