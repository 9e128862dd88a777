// Registry: lookup and lookupMany vs a JS Map over 100k session ids, register+unregister churn
// vs Map.set+delete, and the per-lookup latency distribution seen from JS.
import { ShardedRegistry } from '../../dist/index.mjs';
import { compare, nsSince, pct, randomInts, round, sessionKeys, sink } from '../lib.mjs';

const N = 100_000;
/** Probe sequence length (a power of two, so `i & PROBE_MASK` walks it). */
const PROBES = 1 << 16;
const PROBE_MASK = PROBES - 1;
const BATCH = 1000;
const LATENCY_BATCH = 100;
const LATENCY_REPS = 10_000;

export default async function registrySuite() {
  const keys = sessionKeys(N);
  const reg = new ShardedRegistry({ shards: 64 });
  const map = new Map();
  for (let i = 0; i < N; i++) {
    reg.register(keys[i], i);
    map.set(keys[i], i);
  }
  // Random probe order, drawn up front so choosing keys is not measured. All probes hit.
  const probe = Array.from(randomInts(PROBES, N), (i) => keys[i]);
  const rows = [];

  let i = 0;
  let j = 0;
  rows.push(
    ...(await compare(
      'registry.lookup (100k keys)',
      () => {
        sink.value ^= reg.lookup(probe[i++ & PROBE_MASK]);
      },
      {
        'Map.get': () => {
          sink.value ^= map.get(probe[j++ & PROBE_MASK]);
        },
      },
    )),
  );

  // The same with a fresh string per call, decoded from bytes as a transport would: V8 caches
  // a string's hash in the string, so the row above flatters Map.get (every probe string is
  // hashed once and reused). Both sides pay the same decode.
  const KEY_LEN = Buffer.byteLength(keys[0]);
  const wire = Buffer.from(probe.join(''), 'latin1');
  let fi = 0;
  let fj = 0;
  rows.push(
    ...(await compare(
      'registry.lookup, key decoded per call (100k keys)',
      () => {
        const s = (fi++ & PROBE_MASK) * KEY_LEN;
        sink.value ^= reg.lookup(wire.toString('latin1', s, s + KEY_LEN));
      },
      {
        'Map.get': () => {
          const s = (fj++ & PROBE_MASK) * KEY_LEN;
          sink.value ^= map.get(wire.toString('latin1', s, s + KEY_LEN));
        },
      },
    )),
  );

  // One native call for 1000 keys; the peer writes its answers into an Int32Array too.
  const BATCHES = Math.floor(PROBES / BATCH);
  const batches = Array.from({ length: BATCHES }, (_, b) => probe.slice(b * BATCH, (b + 1) * BATCH));
  let bi = 0;
  let bj = 0;
  rows.push(
    ...(await compare(
      `registry.lookupMany (per key, ${BATCH} keys per call)`,
      () => {
        const out = reg.lookupMany(batches[bi++ % BATCHES]);
        sink.value ^= out[0] ^ out[BATCH - 1];
      },
      {
        [`Map.get loop of ${BATCH}`]: () => {
          const batch = batches[bj++ % BATCHES];
          const out = new Int32Array(batch.length);
          for (let k = 0; k < batch.length; k++) out[k] = map.get(batch[k]) ?? -1;
          sink.value ^= out[0] ^ out[BATCH - 1];
        },
      },
      { perOp: BATCH },
    )),
  );

  // Churn: keys that are not registered, registered then removed again (the table stays at 100k).
  const fresh = sessionKeys(4096, 'churn');
  let c = 0;
  let d = 0;
  rows.push(
    ...(await compare(
      'registry.register+unregister (100k resident)',
      () => {
        const k = fresh[c++ & 4095];
        reg.register(k, 7);
        sink.value ^= reg.unregister(k);
      },
      {
        'Map.set+delete': () => {
          const k = fresh[d++ & 4095];
          map.set(k, 7);
          sink.value ^= map.delete(k);
        },
      },
    )),
  );

  Object.assign(rows[0], latency(reg, map, probe));
  return rows;
}

/** Per-lookup latency from JS, after the suites above warmed everything up. */
function latency(reg, map, probe) {
  // Batches of LATENCY_BATCH lookups timed with hrtime: the timer (~50 ns a reading) is spread
  // over the batch, and a slow lookup still shows in its batch's time.
  const ours = new Float64Array(LATENCY_REPS);
  const peer = new Float64Array(LATENCY_REPS);
  let p = 0;
  for (let r = 0; r < LATENCY_REPS; r++) {
    const base = p;
    let t0 = process.hrtime.bigint();
    for (let k = 0; k < LATENCY_BATCH; k++) sink.value ^= reg.lookup(probe[(base + k) & PROBE_MASK]);
    ours[r] = nsSince(t0) / LATENCY_BATCH;
    t0 = process.hrtime.bigint();
    for (let k = 0; k < LATENCY_BATCH; k++) sink.value ^= map.get(probe[(base + k) & PROBE_MASK]);
    peer[r] = nsSince(t0) / LATENCY_BATCH;
    p += LATENCY_BATCH;
  }
  ours.sort();
  peer.sort();

  // Single lookups timed one by one, to see the tail a batch average smooths out. Includes
  // one timer reading; its own cost (two back-to-back readings) is reported beside it.
  const SINGLES = 100_000;
  const single = new Float64Array(SINGLES);
  const timer = new Float64Array(SINGLES);
  for (let s = 0; s < SINGLES; s++) {
    const k = probe[s & PROBE_MASK];
    const t0 = process.hrtime.bigint();
    sink.value ^= reg.lookup(k);
    single[s] = nsSince(t0);
    const e0 = process.hrtime.bigint();
    timer[s] = nsSince(e0);
  }
  single.sort();
  timer.sort();
  return {
    p50Ns: round(pct(ours, 50)),
    p99Ns: round(pct(ours, 99)),
    peerP50Ns: round(pct(peer, 50)),
    peerP99Ns: round(pct(peer, 99)),
    latencyMethod: `${LATENCY_REPS} batches of ${LATENCY_BATCH} lookups timed with process.hrtime.bigint, per lookup`,
    targetP99Ns: 2000,
    singleCallP50Ns: pct(single, 50),
    singleCallP99Ns: pct(single, 99),
    timerOverheadP50Ns: pct(timer, 50),
  };
}
