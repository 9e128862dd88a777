// Token buckets: our per-handle table vs rate-limiter-flexible's RateLimiterMemory and vs a
// plain-JS bucket table, same capacity and rate, never limited (the common, admitted path).
import { performance } from 'node:perf_hooks';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { TokenBuckets } from '../../dist/index.mjs';
import { awaitLoop, compare, sink } from '../lib.mjs';

class JsBuckets {
  constructor(capacity, perSec) {
    this.capacity = capacity;
    this.perMs = perSec / 1000;
    this.map = new Map();
  }
  consume(key, n = 1) {
    const now = performance.now();
    let b = this.map.get(key);
    if (b === undefined) {
      b = { tokens: this.capacity, last: now };
      this.map.set(key, b);
    }
    b.tokens = Math.min(this.capacity, b.tokens + (now - b.last) * this.perMs);
    b.last = now;
    if (b.tokens < n) return -Math.ceil(n - b.tokens);
    b.tokens -= n;
    return Math.floor(b.tokens);
  }
}

export default async function bucketSuite() {
  const HANDLES = 10_000;
  const capacity = 1_000_000_000;
  const ours = new TokenBuckets({ capacity, refillPerSec: capacity });
  const js = new JsBuckets(capacity, capacity);
  const rlf = new RateLimiterMemory({ points: capacity, duration: 1 });
  const keys = Array.from({ length: HANDLES }, (_, i) => `k${i}`);
  let a = 0;
  let b = 0;
  let c = 0;
  const rows = [];
  rows.push(
    ...(await compare(
      'TokenBuckets.consume (10k handles)',
      () => {
        a = (a + 7919) % HANDLES;
        sink.value ^= ours.consume(a);
      },
      {
        'plain-JS bucket': () => {
          b = (b + 7919) % HANDLES;
          sink.value ^= js.consume(b);
        },
      },
    )),
  );
  // rate-limiter-flexible is promise-based: both sides run 100 awaited consumes per
  // iteration so the promise machinery is the same on each side of the ratio.
  rows.push(
    ...(await compare(
      'TokenBuckets.consume, awaited (10k handles)',
      awaitLoop(100, async () => {
        a = (a + 7919) % HANDLES;
        sink.value ^= ours.consume(a);
      }),
      {
        'rate-limiter-flexible RateLimiterMemory': awaitLoop(100, async () => {
          c = (c + 7919) % HANDLES;
          const r = await rlf.consume(keys[c]);
          sink.value ^= r.remainingPoints;
        }),
      },
      { defer: true, perOp: 100 },
    )),
  );
  // As each is used: ours is synchronous (no await needed), RLF must be awaited. Derived
  // from the two measurements above, taken in this same run.
  rows.push({
    name: 'TokenBuckets.consume as used (sync) vs RLF as used (awaited)',
    opsPerSec: rows[0].opsPerSec,
    peer: 'rate-limiter-flexible RateLimiterMemory',
    peerOpsPerSec: rows[1].peerOpsPerSec,
    ratio: Number((rows[0].opsPerSec / rows[1].peerOpsPerSec).toFixed(2)),
    derived: true,
  });
  return rows;
}
