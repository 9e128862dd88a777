// Registry: lookup and lookupMany vs a JS Map, register+unregister churn vs Map, and the
// per-lookup latency distribution seen from JS.
import { ShardedRegistry } from '../../dist/index.mjs';
import { compare, pct, sessionKeys, sink } from '../lib.mjs';

export default async function registrySuite() {
  const N = 100_000;
  const keys = sessionKeys(N);
  const reg = new ShardedRegistry({ shards: 64 });
  const map = new Map();
  keys.forEach((k, i) => {
    reg.register(k, i);
    map.set(k, i);
  });
  // Random probe order, generated up front so key choice is not measured.
  const probe = Array.from({ length: 1 << 14 }, () => keys[(Math.random() * N) | 0]);
  const mask = probe.length - 1;
  let i = 0;
  let j = 0;
  const rows = [];

  rows.push(
    ...(await compare(
      'registry.lookup (100k keys)',
      () => {
        sink.value ^= reg.lookup(probe[i++ & mask]);
      },
      {
        'Map.get': () => {
          sink.value ^= map.get(probe[j++ & mask]);
        },
      },
    )),
  );

  const batches = Array.from({ length: 16 }, (_, b) => probe.slice(b * 1000, b * 1000 + 1000));
  let bi = 0;
  let bj = 0;
  rows.push(
    ...(await compare(
      'registry.lookupMany (per key, batches of 1000)',
      () => {
        sink.value ^= reg.lookupMany(batches[bi++ & 15])[0];
      },
      {
        'Map.get loop': () => {
          const batch = batches[bj++ & 15];
          const out = new Int32Array(batch.length);
          for (let k = 0; k < batch.length; k++) out[k] = map.get(batch[k]) ?? -1;
          sink.value ^= out[0];
        },
      },
      { perOp: 1000 },
    )),
  );

  const fresh = sessionKeys(1 << 12, 'churn');
  let c = 0;
  let d = 0;
  rows.push(
    ...(await compare(
      'registry.register+unregister',
      () => {
        const k = fresh[c++ & 4095];
        reg.register(k, 7);
        reg.unregister(k);
      },
      {
        'Map.set+delete': () => {
          const k = fresh[d++ & 4095];
          map.set(k, 7);
          map.delete(k);
        },
      },
    )),
  );

  // Latency of single lookups from JS, timer overhead measured and reported alongside.
  const samples = 200_000;
  const lat = new Float64Array(samples);
  const empty = new Float64Array(samples);
  for (let s = 0; s < samples; s++) {
    const k = probe[s & mask];
    const t0 = process.hrtime.bigint();
    sink.value ^= reg.lookup(k);
    lat[s] = Number(process.hrtime.bigint() - t0);
    const e0 = process.hrtime.bigint();
    empty[s] = Number(process.hrtime.bigint() - e0);
  }
  lat.sort();
  empty.sort();
  const row = rows[0];
  row.p50Ns = pct(lat, 50);
  row.p99Ns = pct(lat, 99);
  row.timerOverheadP50Ns = pct(empty, 50);
  return rows;
}
