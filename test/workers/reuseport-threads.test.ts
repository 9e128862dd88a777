import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeHasReusePort, type ReusePortMode } from '../../src/workers/listen-target.js';
import { freshGets } from './helpers.js';

// Workers load the compiled package (dist/, built by `npm run test:js`): a worker thread
// cannot load TypeScript sources, and loading dist/ proves each isolate loads the addon.
class ListenerWorker {
  private readonly worker: Worker;
  private readonly replies: ((msg: Record<string, unknown>) => void)[] = [];
  readonly ready: Promise<number>;

  constructor(port: number, mode: string) {
    this.worker = new Worker(new URL('./fixtures/reuseport-listener.mjs', import.meta.url), {
      workerData: { port, mode },
    });
    this.ready = new Promise((resolve, reject) => {
      this.worker.once('message', (m: { port: number }) => {
        this.worker.on('message', (msg) => this.replies.shift()?.(msg));
        resolve(m.port);
      });
      this.worker.once('error', reject);
    });
  }

  private ask(msg: string): Promise<Record<string, unknown>> {
    return new Promise((resolve) => {
      this.replies.push(resolve);
      this.worker.postMessage(msg);
    });
  }

  async count(): Promise<number> {
    return (await this.ask('count')).count as number;
  }

  async close(): Promise<void> {
    await this.ask('close');
    await new Promise((r) => this.worker.once('exit', r));
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

const workers: ListenerWorker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

const modeList: ReusePortMode[] = ['native', ...(nodeHasReusePort() ? (['node'] as const) : [])];
const modes = modeList.map((m) => [m] as const);

describe.each(modes)('listen({ reusePort: %s }) across worker_threads', (mode) => {
  it('port 0 in two workers is one port; connections spread; closing one leaves the other', async () => {
    const a = new ListenerWorker(0, mode);
    const b = new ListenerWorker(0, mode);
    workers.push(a, b);
    const [pa, pb] = await Promise.all([a.ready, b.ready]);
    expect(pa).toBeGreaterThan(0);
    expect(pb).toBe(pa);

    const codes = await freshGets(pa, 200);
    expect(codes.every((c) => c === 200)).toBe(true);
    const [ca, cb] = await Promise.all([a.count(), b.count()]);
    expect(ca + cb).toBe(200);
    expect(ca).toBeGreaterThan(0);
    expect(cb).toBeGreaterThan(0);

    await a.close();
    const after = await freshGets(pa, 50);
    expect(after.every((c) => c === 200)).toBe(true);
    expect((await b.count()) - cb).toBe(50);
  });
});
