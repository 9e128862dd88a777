import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { RingQueue, ShardedRegistry } from '../src/index.js';

// Workers load the compiled package (dist/), which `npm run test:js` builds first: a worker
// thread cannot load TypeScript sources, and loading dist/ proves each isolate loads the addon.
function run<T>(file: string, workerData: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(`./fixtures/${file}`, import.meta.url), { workerData });
    w.once('message', resolve);
    w.once('error', reject);
    w.once('exit', (code) => code !== 0 && reject(new Error(`${file} exited with ${code}`)));
  });
}

describe('worker_threads share native state through open(name)', () => {
  it('one worker registers and pushes, another looks up and drains: exact counts, FIFO', async () => {
    const prefix = `wt-${process.pid}`;
    const frames = 20_000;
    const sessions = 1000;
    const [produced, consumed] = await Promise.all([
      run<{ pushed: number }>('producer.mjs', { prefix, sessions, frames, batch: 64 }),
      run<{ received: number; outOfOrder: number; unresolved: number }>('consumer.mjs', { prefix, frames }),
    ]);
    expect(produced.pushed).toBe(frames);
    expect(consumed).toMatchObject({ received: frames, outOfOrder: 0, unresolved: 0 });

    // The main thread sees the same instances too.
    const registry = ShardedRegistry.open(`${prefix}-registry`, { shards: 16 });
    const ring = RingQueue.open(`${prefix}-ring`, { capacity: 512, warnAt: 0.9, rejectAt: 1 });
    expect(registry.size).toBe(sessions);
    expect(ring.depth).toBe(0);
    const s = ring.stats();
    expect(s.pushed).toBe(frames);
    expect(s.popped).toBe(frames);
    expect(s.highWater).toBeLessThanOrEqual(512);
  });

  it('two workers racing to register the same keys: each key won exactly once', async () => {
    const name = `race-${process.pid}`;
    const keys = 5000;
    const race = (handleBase: number) => run<{ won: number }>('racer.mjs', { name, keys, handleBase });
    const [first, second] = await Promise.all([race(0), race(100_000)]);
    const registry = ShardedRegistry.open(name, { shards: 64 });
    expect(first.won + second.won).toBe(keys);
    expect(registry.size).toBe(keys);
    let fromFirst = 0;
    for (let i = 0; i < keys; i++) {
      const h = registry.lookup(`k${i}`);
      expect(h === i || h === 100_000 + i).toBe(true);
      if (h === i) fromFirst++;
    }
    expect(fromFirst).toBe(first.won);
  });
});
