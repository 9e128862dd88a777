import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { createMeshShared, type MeshShared, setPeerState } from '../../src/workers/mesh.js';

// Real worker_threads on a mesh built here, as the pool builds it (pool.ts): each fixture
// worker joins it, becomes the current worker and uses the legacy module functions, whose
// default registry is then the process-wide one. Fixtures load dist/ (`npm run build:ts`).

interface Reply {
  id: number;
  value?: unknown;
  error?: { code: string; message: string };
}

class TestPool {
  readonly shared: MeshShared;
  readonly workers: (Worker | undefined)[];
  readonly generations: number[];
  #next = 0;
  readonly #waiting = new Map<number, (r: Reply) => void>();

  constructor(readonly size: number) {
    this.shared = createMeshShared(`legacy-pool-${process.pid}-${Math.random().toString(36).slice(2)}`, size);
    this.workers = Array.from({ length: size }, () => undefined);
    this.generations = Array.from({ length: size }, () => 0);
  }

  /** Starts worker `index` and marks it up once it is ready, telling the others (as the pool does). */
  async start(index: number): Promise<void> {
    const generation = (this.generations[index] ?? 0) + 1;
    this.generations[index] = generation;
    const w = new Worker(new URL('./fixtures/pool-worker.mjs', import.meta.url), {
      workerData: { index, size: this.size, mesh: this.shared, generation },
    });
    this.workers[index] = w;
    await new Promise<void>((resolve, reject) => {
      w.on('message', (m: Reply & { ready?: true }) => {
        if (m.ready) resolve();
        else this.#waiting.get(m.id)?.(m);
      });
      w.once('error', reject);
    });
    setPeerState(this.shared, index, generation);
    this.#tell({ type: 'peer-up', index }, index);
  }

  /** Terminates worker `index` (a crash, as far as the others know) and tells the others. */
  async kill(index: number): Promise<void> {
    await this.workers[index]?.terminate();
    this.workers[index] = undefined;
    setPeerState(this.shared, index, 0);
    this.#tell({ type: 'peer-down', index }, index);
  }

  /** Runs legacy function `fn` (or a fixture command) on worker `index`. */
  call(index: number, fn: string, ...args: unknown[]): Promise<unknown> {
    const id = ++this.#next;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, (r) => {
        this.#waiting.delete(id);
        if (r.error) reject(Object.assign(new Error(r.error.message), { code: r.error.code }));
        else resolve(r.value);
      });
      this.workers[index]?.postMessage({ id, fn, args });
    });
  }

  /** Asks until `check` passes on what `fn` answers (cross-worker effects arrive shortly after). */
  async until(index: number, fn: string, args: unknown[], check: (v: unknown) => boolean): Promise<unknown> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const v = await this.call(index, fn, ...args);
      if (check(v)) return v;
      if (Date.now() > deadline)
        throw new Error(`${fn}(${JSON.stringify(args)}) on ${index}: still ${JSON.stringify(v)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w?.terminate()));
  }

  #tell(m: unknown, except: number): void {
    for (const [i, w] of this.workers.entries()) if (i !== except) w?.postMessage(m);
  }
}

const ok = (v: unknown) => (v as { ok: boolean }).ok;
const notOk = (v: unknown) => !ok(v);
let pool: TestPool | undefined;

async function three(): Promise<TestPool> {
  pool = new TestPool(3);
  for (let i = 0; i < 3; i++) await pool.start(i);
  // Worker 0 holds a server, worker 1 a transport bound to it; worker 2 sees both.
  expect(await pool.call(0, 'registerServer', 'srv', { v: 1 })).toEqual({ ok: true });
  expect(await pool.call(1, 'registerTransport', 'tr', { serverId: 'srv' })).toEqual({ ok: true });
  await pool.until(2, 'findTransport', ['tr'], ok);
  await pool.until(2, 'findServer', ['srv'], ok);
  return pool;
}

afterEach(async () => {
  await pool?.stop();
  pool = undefined;
});

describe('the default legacy registry in a pool worker is process-wide', () => {
  it('find/list see other workers; a duplicate on another worker is refused as locally', async () => {
    const p = await three();
    expect(await p.call(2, 'findServer', 'srv')).toEqual({
      ok: true,
      id: 'srv',
      server: { remote: 0 },
      config: { v: 1 },
      handle: expect.any(Number),
      worker: 0,
    });
    expect(await p.call(0, 'findServer', 'srv')).toMatchObject({ ok: true, server: 'local', worker: 0 });
    expect(await p.call(2, 'getServerForTransport', 'tr')).toEqual({ ok: true, serverId: 'srv' });
    expect(await p.call(0, 'listTransports')).toMatchObject([{ id: 'tr', worker: 1, config: { serverId: 'srv' } }]);
    const dup = { ok: false, error: 'already_registered' };
    expect(await p.call(2, 'registerServer', 'srv')).toEqual(dup);
    expect(await p.call(1, 'registerServer', 'srv')).toEqual(dup);
    expect(await p.call(0, 'registerServer', 'srv')).toEqual(dup);
    expect(await p.call(2, 'registerTransport', 'tr')).toEqual(dup);
    // Not found elsewhere answers exactly as locally.
    expect(await p.call(2, 'findServer', 'nope')).toEqual({ ok: false, error: 'not_found' });
  });

  it('routes reach the other workers: every message once, in order per sender', async () => {
    const p = await three();
    const n = 2_000;
    const forwarded = { [JSON.stringify({ ok: true, delivered: 1, forwarded: 1 })]: n };
    // Worker 2 both ways, 0 -> transport on 1, 1 -> server on 0, all at once.
    const sent = await Promise.all([
      p.call(2, 'routeMany', 'routeToServer', 'srv', 'tr', 2, n),
      p.call(2, 'routeMany', 'routeToTransport', 'tr', 'srv', 2, n),
      p.call(0, 'routeMany', 'routeToTransport', 'tr', 'srv', 0, n),
      p.call(1, 'routeMany', 'routeToServer', 'srv', 'tr', 1, n),
    ]);
    for (const s of sent) expect(s).toEqual(forwarded);
    const gotAll = (v: unknown) => (v as unknown[]).length >= 2 * n;
    const atServer = (await p.until(0, 'got', ['srv'], gotAll)) as {
      type: string;
      transportId: string;
      message: { from: number; seq: number };
    }[];
    const atTransport = (await p.until(1, 'got', ['tr'], gotAll)) as {
      type: string;
      serverId: string;
      message: { from: number; seq: number };
    }[];
    await new Promise((r) => setTimeout(r, 50));
    // No duplicates arrived late.
    expect(await p.call(0, 'got', 'srv')).toHaveLength(2 * n);
    expect(await p.call(1, 'got', 'tr')).toHaveLength(2 * n);
    expect(atServer.every((e) => e.type === 'mcp_message' && e.transportId === 'tr')).toBe(true);
    expect(atTransport.every((e) => e.type === 'mcp_response' && e.serverId === 'srv')).toBe(true);
    const seqs = (list: { message: { from: number; seq: number } }[], from: number) =>
      list.filter((e) => e.message.from === from).map((e) => e.message.seq);
    const inOrder = Array.from({ length: n }, (_, i) => i);
    expect(seqs(atServer, 2)).toEqual(inOrder);
    expect(seqs(atServer, 1)).toEqual(inOrder);
    expect(seqs(atTransport, 2)).toEqual(inOrder);
    expect(seqs(atTransport, 0)).toEqual(inOrder);
  });

  it('a message that is not plain JSON is refused with ERR_NOT_SERIALIZABLE, nothing sent', async () => {
    const p = await three();
    await expect(p.call(2, 'routeDate', 'srv')).rejects.toMatchObject({
      code: 'ERR_NOT_SERIALIZABLE',
      message: expect.stringContaining('message.when'),
    });
    await expect(p.call(2, 'routeBigInt', 'tr')).rejects.toMatchObject({ code: 'ERR_NOT_SERIALIZABLE' });
    // Locally nothing crosses, so nothing changes: the Date reaches the server as it is.
    expect(await p.call(0, 'routeDate', 'srv')).toEqual({ ok: true, delivered: 1 });
    await new Promise((r) => setTimeout(r, 30));
    expect(await p.call(0, 'got', 'srv')).toHaveLength(1);
  });

  it('bindings cross workers: bind, broadcast, unbind, and a stub from findServer delivers', async () => {
    const p = await three();
    expect(await p.call(2, 'registerTransport', 'tr2')).toEqual({ ok: true });
    await p.until(0, 'findTransport', ['tr2'], ok);
    // Worker 0 binds worker 2's transport to its own server; worker 1 sees it too.
    expect(await p.call(0, 'bindTransportToServer', 'tr2', 'srv')).toEqual({ ok: true });
    expect(await p.call(0, 'getServerForTransport', 'tr2')).toEqual({ ok: true, serverId: 'srv' });
    await p.until(1, 'getServerForTransport', ['tr2'], ok);
    await p.until(2, 'getServerForTransport', ['tr2'], ok);
    expect(await p.call(0, 'bindTransportToServer', 'tr2', 'nope')).toEqual({ ok: false, error: 'server_not_found' });
    expect(await p.call(0, 'bindTransportToServer', 'nope', 'srv')).toEqual({
      ok: false,
      error: 'transport_not_found',
    });

    expect(await p.call(0, 'routeToTransport', 'broadcast', 'srv', 'news')).toEqual({
      ok: true,
      delivered: 2,
      forwarded: 2,
    });
    const news = [{ type: 'mcp_response', serverId: 'srv', message: 'news' }];
    expect(await p.until(1, 'got', ['tr'], (v) => (v as unknown[]).length === 1)).toEqual(news);
    expect(await p.until(2, 'got', ['tr2'], (v) => (v as unknown[]).length === 1)).toEqual(news);

    expect(await p.call(1, 'unbindTransport', 'tr2')).toEqual({ ok: true });
    await p.until(0, 'getServerForTransport', ['tr2'], notOk);
    await p.until(2, 'getServerForTransport', ['tr2'], notOk);
    expect(await p.call(0, 'routeToTransport', 'broadcast', 'srv', 'again')).toMatchObject({ delivered: 1 });

    expect(await p.call(2, 'findVia', 'srv')).toBe(true);
    await p.until(0, 'got', ['srv'], (v) => (v as { transportId: string }[]).some((e) => e.transportId === 'via-find'));
  });

  it('unregistering another worker’s id: gone everywhere, bindings too, and the id is free', async () => {
    const p = await three();
    expect(await p.call(2, 'unregisterServer', 'srv')).toEqual({ ok: true });
    await p.until(0, 'findServer', ['srv'], notOk);
    await p.until(1, 'getServerForTransport', ['tr'], notOk);
    expect(await p.until(2, 'registerServer', ['srv'], ok)).toEqual({ ok: true });
  });

  it('a worker that dies: routes to its names answer as unregistered ones, its names are freed', async () => {
    const p = await three();
    const unregistered = await p.call(2, 'routeToTransport', 'never', 'srv', 'm');
    expect(unregistered).toEqual({ ok: true, delivered: 0, dropped: 'transport_not_found' });
    await p.kill(1);
    expect(await p.call(2, 'routeToTransport', 'tr', 'srv', 'm')).toEqual(unregistered);
    expect(await p.call(0, 'routeToTransport', 'tr', 'srv', 'm')).toEqual(unregistered);
    expect(await p.call(2, 'findTransport', 'tr')).toEqual({ ok: false, error: 'not_found' });
    // Its bindings go with it, and its ids become free in the native registry.
    await p.until(0, 'listTransports', [], (v) => (v as unknown[]).length === 0);
    await p.until(2, 'getServerForTransport', ['tr'], notOk);
    expect(await p.until(2, 'registerTransport', ['tr'], ok)).toEqual({ ok: true });
    await p.until(0, 'findTransport', ['tr'], (v) => (v as { worker?: number }).worker === 2);
    // The restarted worker 1 learns what the others hold and can route to them.
    await p.start(1);
    await p.until(1, 'findServer', ['srv'], ok);
    expect(await p.call(1, 'routeToServer', 'srv', 'tr', 'after restart')).toMatchObject({ forwarded: 1 });
    await p.until(0, 'got', ['srv'], (v) => (v as { message: unknown }[]).some((e) => e.message === 'after restart'));
  });
});
