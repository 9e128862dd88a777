// Token buckets over 10k handles: TokenBuckets.consume vs a plain-JS bucket table vs
// rate-limiter-flexible's RateLimiterMemory, same handles in the same random order, on the
// admitted path (limits never reached) and on the limited path (calls refused).
//
// rate-limiter-flexible is promise-based, ours and the plain-JS table are synchronous. So the
// suite runs, in one benchmark.js Suite per path: ours and plain-JS called synchronously, and
// ours and RLF each awaited, 100 awaited calls per deferred iteration (benchmark.js's
// per-iteration cost of a deferred benchmark is spread over 100 calls). Rows:
//   ours (sync)    vs plain-JS (sync)  — like for like
//   ours (sync)    vs RLF (awaited)    — each as it is used
//   ours (awaited) vs RLF (awaited)    — the same promise machinery on both sides
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { TokenBuckets } from '../../dist/index.mjs';
import { awaitLoop, measure, randomInts, row, sink } from '../lib.mjs';
import { JsTokenBuckets } from '../peers.mjs';

const HANDLES = 10_000;
const ORDER = 1 << 16;
const MASK = ORDER - 1;
const AWAITED = 100;

async function path(label, { capacity, refillPerSec, rlfPoints, rlfDuration, limited = false }) {
  const ours = new TokenBuckets({ capacity, refillPerSec });
  const js = new JsTokenBuckets({ capacity, refillPerSec });
  const rlf = new RateLimiterMemory({ points: rlfPoints, duration: rlfDuration });
  const order = randomInts(ORDER, HANDLES);
  // Touch every handle first, so no side pays bucket creation inside the measurement (and, on
  // the limited path, so every bucket is already empty).
  const warm = limited ? capacity : 1;
  for (let h = 0; h < HANDLES; h++) {
    ours.consume(h, warm);
    js.consume(h, warm);
    await rlf.consume(h, limited ? rlfPoints : 1);
  }
  const rlfConsume = (h) =>
    rlf.consume(h).then(
      (res) => res.remainingPoints,
      (res) => -res.msBeforeNext,
    );

  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  const names = {
    ours: `${label} [ours, sync]`,
    js: `${label} [plain-JS, sync]`,
    oursAwaited: `${label} [ours, awaited]`,
    rlf: `${label} [RLF, awaited]`,
  };
  const m = await measure([
    {
      name: names.ours,
      fn: () => {
        sink.value ^= ours.consume(order[a++ & MASK]);
      },
    },
    {
      name: names.js,
      fn: () => {
        sink.value ^= js.consume(order[b++ & MASK]);
      },
    },
    {
      name: names.oursAwaited,
      defer: true,
      fn: awaitLoop(AWAITED, async () => {
        sink.value ^= ours.consume(order[c++ & MASK]);
      }),
    },
    {
      name: names.rlf,
      defer: true,
      fn: awaitLoop(AWAITED, async () => {
        sink.value ^= await rlfConsume(order[d++ & MASK]);
      }),
    },
  ]);
  const perCall = { perOp: 1, peerPerOp: AWAITED };
  const st = ours.stats();
  const refusedPct = Number(((100 * st.limited) / (st.limited + st.consumed)).toFixed(2));
  return [
    row(`bucket.consume ${label}`, m.get(names.ours), 'plain-JS bucket table', m.get(names.js), {
      extra: { refusedPct },
    }),
    row(
      `bucket.consume ${label}, each as used`,
      m.get(names.ours),
      'rate-limiter-flexible (awaited)',
      m.get(names.rlf),
      { ...perCall, extra: { note: 'ours called synchronously, RLF awaited' } },
    ),
    row(
      `bucket.consume ${label}, both awaited`,
      m.get(names.oursAwaited),
      'rate-limiter-flexible (awaited)',
      m.get(names.rlf),
      { perOp: AWAITED },
    ),
  ];
}

export default async function bucketSuite() {
  // Admitted: a bucket so large and so fast to refill that no call is ever limited.
  const admitted = await path('admitted (10k handles)', {
    capacity: 1_000_000_000,
    refillPerSec: 1_000_000_000,
    rlfPoints: 1_000_000_000,
    rlfDuration: 1,
  });
  // Limited: one token refilled once a second (RLF: one point per hour), buckets emptied by
  // the warm-up. Each handle is hit hundreds of times a second, so all but a fraction of a
  // percent of the measured calls are refused (all of RLF's).
  const limited = await path('limited (10k handles)', {
    capacity: 1,
    refillPerSec: 1,
    rlfPoints: 1,
    rlfDuration: 3600,
    limited: true,
  });
  return [...admitted, ...limited];
}
