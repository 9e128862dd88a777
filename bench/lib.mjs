// Shared helpers of the benchmark suites: run benchmarks back to back in one benchmark.js
// Suite (so ours and the peer are measured in the same run) and shape result rows.
import { randomUUID } from 'node:crypto';
import Benchmark from 'benchmark';

/** Set by run.mjs: seconds of sampling per benchmark (`--quick` lowers it). */
export const options = { maxTime: 1, minSamples: 5 };

/**
 * Benchmarked results are folded in here so V8 cannot eliminate the measured code as dead:
 * a property store on a module-level object is an observable side effect.
 */
export const sink = { value: 0 };

/**
 * @typedef {object} Bench
 * @property {string} name
 * @property {Function} fn  synchronous body, or `(deferred) => ...` when `defer` is set
 * @property {boolean} [defer]  the body is asynchronous and calls `deferred.resolve()`
 */

/**
 * Runs `benches` in ONE benchmark.js Suite, in order, and returns their measurements by name:
 * `hz` (iterations/s), `rme` (relative margin of error, %), `samples`.
 * @param {Bench[]} benches
 * @returns {Promise<Map<string, { hz: number, rme: number, samples: number }>>}
 */
export function measure(benches) {
  return new Promise((resolve, reject) => {
    const suite = new Benchmark.Suite();
    for (const b of benches) {
      // One options object: benchmark.js ignores a third argument when the second is an object.
      suite.add(b.name, {
        fn: b.fn,
        defer: Boolean(b.defer),
        maxTime: options.maxTime,
        minSamples: options.minSamples,
      });
    }
    suite.on('cycle', (e) => process.stderr.write(`  ${e.target} in ${e.target.times.elapsed.toFixed(1)} s\n`));
    suite.on('error', (e) => reject(e.target.error));
    suite.on('complete', function () {
      const out = new Map();
      for (let i = 0; i < this.length; i++) {
        const b = this[i];
        out.set(b.name, { hz: b.hz, rme: b.stats.rme, samples: b.stats.sample.length });
      }
      resolve(out);
    });
    suite.run({ async: true });
  });
}

/**
 * One result row: ours vs one peer. `perOp` converts iterations/s into operations/s when one
 * iteration does several operations (a batch of 1000 lookups counts 1000).
 */
export function row(name, ours, peer, peerResult, { perOp = 1, peerPerOp = perOp, extra = {} } = {}) {
  const opsPerSec = ours.hz * perOp;
  const peerOpsPerSec = peerResult.hz * peerPerOp;
  return {
    name,
    opsPerSec: Math.round(opsPerSec),
    peer,
    peerOpsPerSec: Math.round(peerOpsPerSec),
    ratio: ratio(opsPerSec, peerOpsPerSec),
    rmePct: round(ours.rme, 1),
    peerRmePct: round(peerResult.rme, 1),
    ...extra,
  };
}

/**
 * Measures `ours` and each peer in one Suite and returns one row per peer.
 * @param {string} name
 * @param {Function} ours
 * @param {Record<string, Function>} peers
 */
export async function compare(name, ours, peers, { defer = false, perOp = 1, extra = {} } = {}) {
  const benches = [{ name: `${name} [ours]`, fn: ours, defer }];
  for (const [peer, fn] of Object.entries(peers)) benches.push({ name: `${name} [${peer}]`, fn, defer });
  const m = await measure(benches);
  const o = m.get(`${name} [ours]`);
  return Object.keys(peers).map((peer) => row(name, o, peer, m.get(`${name} [${peer}]`), { perOp, extra }));
}

/**
 * A deferred benchmark body running `n` awaited calls of `call` per iteration: benchmark.js's
 * per-iteration bookkeeping of a deferred benchmark costs about as much as the calls measured,
 * so it is spread over `n` calls (count the iteration as `n` operations).
 */
export function awaitLoop(n, call) {
  return async (deferred) => {
    for (let i = 0; i < n; i++) await call();
    deferred.resolve();
  };
}

/** Percentile `p` (0..100) of an ascending sorted array, nearest rank. */
export function pct(sorted, p) {
  const i = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, i))];
}

/** `ours / peer` to 3 significant digits (a plain 2-decimal rounding would print 0.004 as 0). */
export function ratio(ours, peer) {
  return Number((ours / peer).toPrecision(3));
}

/** Rounds to `digits` decimals. */
export function round(x, digits = 1) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Session-id-like keys: `${prefix}-${uuid}` (44 ASCII characters with the default prefix). */
export function sessionKeys(n, prefix = 'session') {
  return Array.from({ length: n }, () => `${prefix}-${randomUUID()}`);
}

/** `n` random integers in `0..range-1`, drawn up front so choosing them is not measured. */
export function randomInts(n, range) {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(Math.random() * range);
  return out;
}

/** Nanoseconds from hrtime.bigint() readings as a Number. */
export function nsSince(t0) {
  return Number(process.hrtime.bigint() - t0);
}
