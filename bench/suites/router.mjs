// Router.admit (+ complete) vs the same three checks done in plain JS: a per-handle token
// bucket, a per-shard depth limit with a global ceiling, and a breaker state check.
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { AdmissionControl, CircuitBreaker, Router, ShardedRegistry, TokenBuckets } from '../../dist/index.mjs';
import { compare, sessionKeys, sink } from '../lib.mjs';

export default async function routerSuite() {
  const HANDLES = 10_000;
  const SHARDS = 64;
  const big = 1_000_000_000;
  const registry = new ShardedRegistry({ shards: SHARDS });
  const keys = sessionKeys(HANDLES);
  for (let i = 0; i < HANDLES; i++) registry.register(keys[i], i);
  const router = new Router({
    registry,
    buckets: new TokenBuckets({ capacity: big, refillPerSec: big }),
    admission: new AdmissionControl({ shards: SHARDS, maxPerShard: 4_000_000_000, maxGlobal: 2 ** 52 }),
    breaker: new CircuitBreaker(),
  });

  // Plain JS equivalent.
  const shardOf = Int32Array.from(keys, (k) => registry.shardOf(k));
  const buckets = new Map();
  const depth = new Uint32Array(SHARDS);
  let globalDepth = 0;
  const breaker = { open: false };
  const jsAdmit = (h) => {
    const now = performance.now();
    let b = buckets.get(h);
    if (b === undefined) {
      b = { tokens: big, last: now };
      buckets.set(h, b);
    }
    b.tokens = Math.min(big, b.tokens + (now - b.last) * (big / 1000));
    b.last = now;
    if (b.tokens < 1) return 1;
    const s = shardOf[h];
    if (depth[s] >= 10_000) return 2;
    if (globalDepth >= 500_000) return 3;
    if (breaker.open) return 4;
    b.tokens -= 1;
    depth[s]++;
    globalDepth++;
    return 0;
  };
  const jsComplete = (h) => {
    depth[shardOf[h]]--;
    globalDepth--;
  };

  let a = 0;
  let b = 0;
  const rows = await compare(
    'Router.admit+complete (10k handles)',
    () => {
      a = (a + 7919) % HANDLES;
      sink.value ^= router.admit(a);
      router.complete(a);
    },
    {
      'plain-JS three checks': () => {
        b = (b + 7919) % HANDLES;
        sink.value ^= jsAdmit(b);
        jsComplete(b);
      },
    },
  );
  // Admit alone (limits set so nothing is refused; slots simply accumulate).
  let c = 0;
  let d = 0;
  const alone = await compare(
    'Router.admit alone (10k handles)',
    () => {
      c = (c + 7919) % HANDLES;
      sink.value ^= router.admit(c);
    },
    {
      'plain-JS three checks': () => {
        d = (d + 7919) % HANDLES;
        depth[shardOf[d]] = 0;
        globalDepth = 0;
        sink.value ^= jsAdmit(d);
      },
    },
  );
  // The floor: one N-API call that does nothing (u32 in, u32 out), vs a JS function call.
  const binding = createRequire(import.meta.url)('../../index.js');
  const jsNoop = new Function('x', 'return x;');
  let e = 0;
  let f = 0;
  const floor = await compare(
    'N-API call floor (noop, u32 -> u32)',
    () => {
      sink.value ^= binding.__noopForBench(e++);
    },
    {
      'JS function call': () => {
        sink.value ^= jsNoop(f++);
      },
    },
  );
  for (const r of [...alone, ...floor]) r.nsPerOp = Number((1e9 / r.opsPerSec).toFixed(1));
  return [...rows, ...alone, ...floor];
}
