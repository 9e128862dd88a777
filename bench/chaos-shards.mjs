// `node bench/chaos-shards.mjs [--seconds 5] [--sessions 1000] [--shards 64] [--crash-rate 0.2]`
// Chaos for the shard managers: every session submits continuously while a random shard
// manager is crashed (fault injection) on a fraction of the loop turns. At the end every
// queue is drained and the run reports accepted, delivered, lost, duplicated and out-of-order
// messages and the managers' restart times. Needs `npm run build` (imports dist/).
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    sessions: { type: 'string', default: '1000' },
    shards: { type: 'string', default: '64' },
    'crash-rate': { type: 'string', default: '0.2' },
  },
});
const seconds = Number(values.seconds);
const sessions = Number(values.sessions);
const shards = Number(values.shards);
const crashRate = Number(values['crash-rate']);

const core = await import('../dist/index.js');
const { ShardedRegistry, TokenBuckets, AdmissionControl, CircuitBreaker, Router } = core.default ?? core;
const { ShardSet } = core.default ?? core;

const registry = new ShardedRegistry({ shards });
const router = new Router({
  registry,
  buckets: new TokenBuckets({ capacity: 1e6, refillPerSec: 1e6 }),
  admission: new AdmissionControl({ shards, maxPerShard: 1e6, maxGlobal: 1e7 }),
  breaker: new CircuitBreaker({ failureThreshold: 1e6 }),
});
const set = new ShardSet({ registry, router, queueCapacity: 100_000 });
await set.start();

const next = new Array(sessions).fill(0);
let duplicated = 0;
let gaps = 0;
for (let i = 0; i < sessions; i++) {
  registry.register(`session-${i}`, i);
  set.attach(i, (item) => {
    const n = item;
    if (n < next[i]) duplicated++;
    else if (n > next[i]) gaps++;
    next[i] = n + 1;
  });
}

const sent = new Array(sessions).fill(0);
let crashes = 0;
let refused = 0;
const start = performance.now();
while (performance.now() - start < seconds * 1000) {
  for (let i = 0; i < sessions; i++) {
    if (set.submit(i, sent[i]) === 0) sent[i]++;
    else refused++;
  }
  if (Math.random() < crashRate) {
    const m = set.manager(Math.floor(Math.random() * shards));
    if (m?.running) {
      m.crashNext();
      crashes++;
    }
  }
  await new Promise((r) => setImmediate(r));
}
const waitStart = performance.now();
while (set.stats().some((s) => s.depth > 0) && performance.now() - waitStart < 60_000) {
  await new Promise((r) => setImmediate(r));
}
await set.supervisor.idle();

const accepted = sent.reduce((a, x) => a + x, 0);
const delivered = set.stats().reduce((a, s) => a + s.delivered, 0);
const times = [...set.restartTimesMs].sort((a, b) => a - b);
const at = (q) =>
  times.length ? Number(times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(3)) : 0;
console.log(
  JSON.stringify(
    {
      seconds,
      sessions,
      shards,
      accepted,
      refused,
      delivered,
      lost: accepted - delivered,
      duplicated,
      outOfOrder: gaps,
      crashes,
      restarts: times.length,
      restartMs: { p50: at(0.5), p99: at(0.99), max: times.length ? Number(times[times.length - 1].toFixed(3)) : 0 },
    },
    null,
    2,
  ),
);
await set.stop();
if (accepted !== delivered || duplicated || gaps || times.length !== crashes) process.exitCode = 1;
