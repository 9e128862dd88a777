import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { ShardedRegistry } from '../../src/index.js';

// Workers load the compiled module (dist/legacy/, built by `npm run build:ts`): a worker thread
// cannot load TypeScript sources, and each isolate loads the addon itself.
interface Report {
  won: [string, number][];
  delivered: number;
  received: number;
  droppedElsewhere: number;
  foundElsewhere: number;
}

function run(workerData: unknown): Promise<Report> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('../fixtures/legacy-racer.mjs', import.meta.url), { workerData });
    w.once('message', resolve);
    w.once('error', reject);
    w.once('exit', (code) => code !== 0 && reject(new Error(`legacy-racer exited with ${code}`)));
  });
}

function race(name: string, keys: number, own: number, close: boolean): Promise<Report[]> {
  const barrier = new SharedArrayBuffer(8);
  return Promise.all(['a', 'b'].map((tag) => run({ name, tag, keys, own, barrier, close })));
}

describe('LegacyRegistry shared by two worker_threads through open(name)', () => {
  it('exactly one winner per contested id, no duplicate handles, routing only to own objects', async () => {
    const name = `legacy-race-${process.pid}`;
    const keys = 5000;
    const own = 3000;
    const [a, b] = (await race(name, keys, own, false)) as [Report, Report];

    const contested = (r: Report) => r.won.filter(([id]) => /^s\d+$/.test(id));
    const winsA = contested(a).length;
    const winsB = contested(b).length;
    expect(winsA + winsB).toBe(keys);
    const winners = new Set([...contested(a), ...contested(b)].map(([id]) => id));
    expect(winners.size).toBe(keys);

    // Handles: unique across both workers, over contested and uncontested ids alike.
    const handles = [...a.won, ...b.won].map(([, h]) => h);
    expect(handles).toHaveLength(keys + 2 * own);
    expect(new Set(handles).size).toBe(handles.length);

    // The native registry agrees with what each worker says it won.
    const servers = ShardedRegistry.open(`${name}:servers`, { shards: 64 });
    expect(servers.size).toBe(keys + 2 * own);
    for (const [id, h] of [...a.won, ...b.won]) expect(servers.lookup(id)).toBe(h);

    // Each worker delivered to its own winners and saw the others' as registered elsewhere.
    expect(a).toMatchObject({ delivered: winsA, received: winsA, droppedElsewhere: winsB, foundElsewhere: winsB });
    expect(b).toMatchObject({ delivered: winsB, received: winsB, droppedElsewhere: winsA, foundElsewhere: winsA });
  });

  it('close() in each worker frees every id it held', async () => {
    const name = `legacy-close-${process.pid}`;
    const [a, b] = (await race(name, 1000, 500, true)) as [Report, Report];
    expect(a.won.length + b.won.length).toBe(2000);
    expect(ShardedRegistry.open(`${name}:servers`, { shards: 64 }).size).toBe(0);
  });
});
