// Router.admit (+ complete): one native call checking the handle's token bucket, its shard's
// admission depth (and the global ceiling) and the breaker, vs the same three checks in plain
// JS: a Map-based token bucket table, per-shard depth counters with limits, a breaker check.
// Also admit alone, admitMany (one call for 1000 handles), and the N-API call floor.
import { createRequire } from 'node:module';
import { AdmissionControl, CircuitBreaker, Router, ShardedRegistry, TokenBuckets } from '../../dist/index.mjs';
import { compare, randomInts, round, sessionKeys, sink } from '../lib.mjs';
import { JsCircuitBreaker, JsTokenBuckets } from '../peers.mjs';

const HANDLES = 10_000;
const SHARDS = 64;
const ORDER = 1 << 16;
const MASK = ORDER - 1;
const MANY = 1000;
/** Never reached: tokens per bucket and per second. */
const BIG = 1_000_000_000;
const TARGET_NS = 150;

/** Nanoseconds per operation of both sides of a row. */
const ns = (x) => ({ nsPerOp: round(1e9 / x.opsPerSec), peerNsPerOp: round(1e9 / x.peerOpsPerSec) });

/**
 * Our router and its plain-JS twin over the same 10k registered handles. `maxPerShard` and
 * `maxGlobal` are the admission limits (both sides use the same).
 */
function build(registry, shardOf, { maxPerShard, maxGlobal }) {
  const router = new Router({
    registry,
    buckets: new TokenBuckets({ capacity: BIG, refillPerSec: BIG }),
    admission: new AdmissionControl({ shards: SHARDS, maxPerShard, maxGlobal }),
    breaker: new CircuitBreaker(),
  });

  const buckets = new JsTokenBuckets({ capacity: BIG, refillPerSec: BIG });
  const depth = new Float64Array(SHARDS);
  const breaker = new JsCircuitBreaker();
  let globalDepth = 0;
  /** Same verdict codes as AdmitCode. */
  const admit = (h) => {
    if (h >= shardOf.length) return 5;
    if (buckets.consume(h) < 0) return 1;
    const s = shardOf[h];
    if (depth[s] >= maxPerShard) {
      buckets.refund(h);
      return 2;
    }
    if (globalDepth >= maxGlobal) {
      buckets.refund(h);
      return 3;
    }
    if (!breaker.allow()) {
      buckets.refund(h);
      return 4;
    }
    depth[s]++;
    globalDepth++;
    return 0;
  };
  const complete = (h) => {
    depth[shardOf[h]]--;
    globalDepth--;
    breaker.recordSuccess();
  };
  return { router, js: { admit, complete } };
}

export default async function routerSuite() {
  const registry = new ShardedRegistry({ shards: SHARDS });
  const keys = sessionKeys(HANDLES);
  for (let i = 0; i < HANDLES; i++) registry.register(keys[i], i);
  // The JS side keeps each handle's shard in an array (as it would in its session object).
  const shardOf = Int32Array.from(keys, (k) => registry.shardOf(k));
  const order = randomInts(ORDER, HANDLES);
  const rows = [];

  // admit + complete with the seed defaults: every message is admitted and released.
  {
    const { router, js } = build(registry, shardOf, { maxPerShard: 10_000, maxGlobal: 500_000 });
    let a = 0;
    let b = 0;
    const r = await compare(
      'Router.admit+complete (10k handles)',
      () => {
        const h = order[a++ & MASK];
        const v = router.admit(h);
        if (v === 0) router.complete(h);
        sink.value ^= v;
      },
      {
        'plain-JS three checks': () => {
          const h = order[b++ & MASK];
          const v = js.admit(h);
          if (v === 0) js.complete(h);
          sink.value ^= v;
        },
      },
    );
    const okPct = (100 * router.stats().verdicts.ok) / Object.values(router.stats().verdicts).reduce((x, y) => x + y);
    for (const x of r) Object.assign(x, ns(x), { admittedPct: round(okPct, 2) });
    rows.push(...r);
  }

  // admit alone: slots accumulate, so the limits are set out of reach on both sides.
  const unbounded = { maxPerShard: 4_000_000_000, maxGlobal: 2 ** 52 };
  {
    const { router, js } = build(registry, shardOf, unbounded);
    let a = 0;
    let b = 0;
    const r = await compare(
      'Router.admit alone (10k handles)',
      () => {
        sink.value ^= router.admit(order[a++ & MASK]);
      },
      {
        'plain-JS three checks': () => {
          sink.value ^= js.admit(order[b++ & MASK]);
        },
      },
    );
    for (const x of r) Object.assign(x, ns(x), { targetNs: TARGET_NS });
    rows.push(...r);
  }

  // admitMany: one native call for 1000 handles, verdicts in a Uint8Array.
  {
    const { router, js } = build(registry, shardOf, unbounded);
    const batches = Array.from({ length: (ORDER / MANY) | 0 }, (_, i) => order.slice(i * MANY, (i + 1) * MANY));
    let a = 0;
    let b = 0;
    const r = await compare(
      `Router.admitMany (per handle, ${MANY} per call)`,
      () => {
        const v = router.admitMany(batches[a++ % batches.length]);
        sink.value ^= v[0] ^ v[MANY - 1];
      },
      {
        'plain-JS three checks, loop': () => {
          const batch = batches[b++ % batches.length];
          const v = new Uint8Array(MANY);
          for (let k = 0; k < MANY; k++) v[k] = js.admit(batch[k]);
          sink.value ^= v[0] ^ v[MANY - 1];
        },
      },
      { perOp: MANY },
    );
    for (const x of r) Object.assign(x, ns(x));
    rows.push(...r);
  }

  // The floor under every row above: one N-API call that does nothing (u32 in, u32 out).
  const binding = createRequire(import.meta.url)('../../index.js');
  const jsNoop = (x) => x;
  let e = 0;
  let f = 0;
  const floor = await compare(
    'N-API call floor (native noop, u32 -> u32)',
    () => {
      sink.value ^= binding.__noopForBench(e++ & 0xffff);
    },
    {
      'JS function call (V8 may inline it)': () => {
        sink.value ^= jsNoop(f++ & 0xffff);
      },
    },
  );
  for (const x of floor) Object.assign(x, ns(x));
  rows.push(...floor);
  return rows;
}
