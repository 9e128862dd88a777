// Shared helpers of the benchmark suites: run "ours vs peer" pairs in one benchmark.js Suite
// (so both are measured in the same run, back to back) and shape result rows.
import Benchmark from 'benchmark';

export const options = { maxTime: 1 };

/** Values written here keep V8 from eliminating benchmarked code as dead. */
export const sink = { value: 0 };

function runSuite(benches) {
  return new Promise((resolve, reject) => {
    const suite = new Benchmark.Suite();
    for (const b of benches) {
      suite.add(b.name, b.defer ? { defer: true, fn: b.fn } : b.fn, { maxTime: options.maxTime, minSamples: 5 });
    }
    suite.on('error', (e) => reject(e.target.error));
    suite.on('complete', function () {
      resolve(this.map((b) => ({ hz: b.hz, rme: b.stats.rme })));
    });
    suite.run({ async: true });
  });
}

/**
 * Measures `ours` and each peer in one suite. `perOp` scales ops/s when one benchmark
 * iteration does several operations (a batch of 1000 lookups counts 1000).
 */
export async function compare(name, ours, peers, { defer = false, perOp = 1, extra = {} } = {}) {
  const benches = [{ name: `${name} [ours]`, fn: ours, defer }];
  for (const [peerName, fn] of Object.entries(peers)) benches.push({ name: `${name} [${peerName}]`, fn, defer });
  const [o, ...ps] = await runSuite(benches);
  return Object.keys(peers).map((peer, i) => ({
    name,
    opsPerSec: Math.round(o.hz * perOp),
    peer,
    peerOpsPerSec: Math.round(ps[i].hz * perOp),
    ratio: Number((o.hz / ps[i].hz).toFixed(2)),
    rmePct: Number(o.rme.toFixed(1)),
    peerRmePct: Number(ps[i].rme.toFixed(1)),
    ...extra,
  }));
}

/** A deferred benchmark body that runs `n` awaited calls of `call` per iteration. */
export function awaitLoop(n, call) {
  return async (deferred) => {
    for (let i = 0; i < n; i++) await call();
    deferred.resolve();
  };
}

/** Percentile of a sorted Float64Array. */
export function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Session-id-like keys. */
export function sessionKeys(n, prefix = 'session') {
  return Array.from(
    { length: n },
    (_, i) => `${prefix}-${i.toString(16).padStart(8, '0')}-${((i * 2654435761) >>> 0).toString(36)}`,
  );
}
