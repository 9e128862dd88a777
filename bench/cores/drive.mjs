// The load of `npm run bench:cores`: wrk for the stateless HTTP case (bench/e2e/wrk.mjs and its
// stateless.lua, the request bench:e2e sends) and wsgen (bench/wsgen, native, epoll) for the
// WebSocket case. Each returns one measured window with the server's CPU over that window
// (/proc/PID/stat, every thread) and the load generator's own CPU, both per correct response.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineCpu, otherCpuPct } from '../e2e/cpu.mjs';
import { track } from '../e2e/proc.mjs';
import { runWrk } from '../e2e/wrk.mjs';
import { processCpuUs } from './servers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const manifest = path.join(here, '..', 'wsgen', 'Cargo.toml');
export const WSGEN = path.join(here, '..', 'wsgen', 'target', 'release', 'wsgen');

/** Builds wsgen (cargo, release) when its binary is missing; throws a clear error otherwise. */
export function ensureWsgen(/** @type {(s: string) => void} */ log) {
  if (fs.existsSync(WSGEN)) return;
  log(`building wsgen: cargo build --release --manifest-path ${path.relative(process.cwd(), manifest)}`);
  const r = spawnSync('cargo', ['build', '--release', '--manifest-path', manifest], {
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 600_000,
  });
  if (r.error)
    throw new Error(`cannot run cargo to build wsgen (${r.error.message}): install Rust (https://rustup.rs)`);
  if (r.status !== 0 || !fs.existsSync(WSGEN)) throw new Error(`cargo build of bench/wsgen failed (exit ${r.status})`);
}

const r1 = (/** @type {number} */ v) => Math.round(v * 10) / 10;

/**
 * The shared figures of one window: rates and CPU per correct response of server and generator.
 * @param {{ ok: number, seconds: number, p50Us: number, p99Us: number, maxUs: number, errors: number,
 *   errorDetail: unknown, serverUs: number, wallUs: number, genUs: number | undefined, m0: any, m1: any }} w
 */
function figures(w) {
  const serverCpuPct = r1((w.serverUs / w.wallUs) * 100);
  const genCpuPct = w.genUs === undefined ? undefined : r1((w.genUs / (w.seconds * 1e6)) * 100);
  const serverCpuUsPerReq = w.ok > 0 ? r1(w.serverUs / w.ok) : undefined;
  const genCpuUsPerReq = w.genUs !== undefined && w.ok > 0 ? r1(w.genUs / w.ok) : undefined;
  return {
    seconds: Number(w.seconds.toFixed(3)),
    ok: w.ok,
    reqPerSec: Math.round(w.ok / w.seconds),
    latencyUs: { p50: w.p50Us, p99: w.p99Us, max: w.maxUs },
    errorCount: w.errors,
    errors: w.errorDetail,
    serverCpuPct,
    serverCpuUsPerReq,
    genCpuPct,
    genCpuUsPerReq,
    // The generator's CPU per request as a share of the server's: wrk and wsgen must stay well
    // below the server (bench:cores aims at <= 1/3), or the generator, not the server, sets the rate.
    genShare:
      genCpuUsPerReq !== undefined && serverCpuUsPerReq
        ? Number((genCpuUsPerReq / serverCpuUsPerReq).toFixed(3))
        : undefined,
    otherCpuPct: otherCpuPct(w.m0, w.m1, serverCpuPct + (genCpuPct ?? 0)),
  };
}

/**
 * Stateless 2026-07-28 tools/call over HTTP, driven by wrk: a warm-up run, then the measured run
 * with the server's CPU read around it. wrk's CPU is its whole process (its done() reads it).
 * @param {{ url: string, pid: number, connections: number, threads: number, warmupSec: number, durationSec: number }} o
 */
export async function driveHttp(o) {
  const run = { url: o.url, script: 'stateless.lua', connections: o.connections, threads: o.threads };
  if (o.warmupSec > 0) await runWrk({ ...run, seconds: o.warmupSec });
  const m0 = machineCpu();
  const c0 = processCpuUs(o.pid);
  const t0 = performance.now();
  const w = await runWrk({ ...run, seconds: o.durationSec });
  const c1 = processCpuUs(o.pid);
  const wallUs = (performance.now() - t0) * 1000;
  const m1 = machineCpu();
  const s = w.socket;
  const non200 = Object.values(w.non200).reduce((a, b) => a + b, 0);
  return figures({
    ok: w.ok,
    seconds: w.durationUs / 1e6,
    p50Us: w.latencyUs.p50,
    p99Us: w.latencyUs.p99,
    maxUs: w.latencyUs.max,
    errors: non200 + w.wrong + s.connect + s.read + s.write + s.timeout,
    errorDetail: { non200: w.non200, wrong: w.wrong, socket: s },
    serverUs: c1 - c0,
    wallUs,
    genUs: w.cpuUs ? w.cpuUs.user + w.cpuUs.system : undefined,
    m0,
    m1,
  });
}

/**
 * WebSocket round trips driven by wsgen (MCP handshake per connection, then tools/call of the
 * echo tool): one process does warm-up and window, and prints `WSGEN_WINDOW start|end` on stderr
 * at the window's ends (`--marks`), where the server's CPU is read. wsgen's CPU is its own
 * getrusage over the same window.
 * @param {{ url: string, pid: number, connections: number, threads: number, warmupSec: number, durationSec: number }} o
 */
export function driveWs(o) {
  const args = ['--url', o.url, '--connections', String(o.connections), '--threads', String(o.threads)];
  args.push('--warmup', String(o.warmupSec), '--duration', String(o.durationSec), '--mode', 'mcp', '--marks');
  return new Promise((resolve, reject) => {
    const child = spawn(WSGEN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    let out = '';
    let err = '';
    /** @type {any} */
    const at = {};
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d) => {
      err += d;
      for (const mark of /** @type {const} */ (['start', 'end'])) {
        if (at[mark] === undefined && err.includes(`WSGEN_WINDOW ${mark}\n`)) {
          at[mark] = { cpu: processCpuUs(o.pid), t: performance.now(), m: machineCpu() };
        }
      }
    });
    // Connections, warm-up, window, a drain of at most 3 s, and room for the handshakes.
    const timer = setTimeout(() => child.kill('SIGKILL'), (o.warmupSec + o.durationSec + 40) * 1000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`wsgen could not start: ${e.message}`));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('{'));
      const why = (
        err.replace(/WSGEN_WINDOW \w+\n/g, '').trim() || (signal ? `killed by ${signal}` : `exit ${code}`)
      ).split('\n')[0];
      if (!line || !at.start || !at.end) {
        reject(new Error(`wsgen: ${why}`));
        return;
      }
      const g = JSON.parse(line);
      resolve(
        figures({
          ok: g.requests,
          seconds: g.durationSec,
          p50Us: g.p50Us,
          p99Us: g.p99Us,
          maxUs: g.maxUs,
          errors: g.errors,
          errorDetail: g.errorKinds,
          serverUs: at.end.cpu - at.start.cpu,
          wallUs: (at.end.t - at.start.t) * 1000,
          genUs: (g.cpuUserSec + g.cpuSysSec) * 1e6,
          m0: at.start.m,
          m1: at.end.m,
        }),
      );
    });
  });
}
