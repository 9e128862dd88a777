/**
 * The worker mesh in one thread (two ends of one mesh, as two workers would hold them): order
 * per sender, a full inbox spilling to the outbox without loss, calls and their failures.
 * Across real threads it is exercised by test/legacy/pool.test.ts and the serve tests.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMeshShared, type MeshShared, setPeerState, WorkerMesh } from '../../src/workers/mesh.js';

let n = 0;
const open: WorkerMesh[] = [];
afterEach(() => {
  for (const m of open.splice(0)) m.close();
});

function mesh(size: number, capacity?: number): { shared: MeshShared; ends: WorkerMesh[] } {
  const shared = createMeshShared(`mesh-test-${process.pid}-${++n}`, size, capacity);
  for (let i = 0; i < size; i++) setPeerState(shared, i, 1);
  const ends = Array.from({ length: size }, (_, i) => new WorkerMesh(shared, i));
  open.push(...ends);
  return { shared, ends };
}

const until = async (cond: () => boolean, ms = 5_000) => {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('WorkerMesh', () => {
  it('delivers every frame once, in the order each sender sent them', async () => {
    const { ends } = mesh(3);
    const [a, b, c] = ends as [WorkerMesh, WorkerMesh, WorkerMesh];
    const got: [number, number][] = [];
    c.on('n', (from, body) => got.push([from, body as number]));
    for (let i = 0; i < 5_000; i++) {
      expect(a.send(2, 'n', i)).toBe(true);
      expect(b.send(2, 'n', i)).toBe(true);
    }
    await until(() => got.length === 10_000);
    for (const from of [0, 1]) {
      expect(got.filter(([f]) => f === from).map(([, v]) => v)).toEqual(Array.from({ length: 5_000 }, (_, i) => i));
    }
  });

  it('keeps frames a full inbox refused and pushes them later, still in order', async () => {
    const { ends } = mesh(2, 16);
    const [a, b] = ends as [WorkerMesh, WorkerMesh];
    const got: number[] = [];
    b.on('n', (_from, body) => got.push(body as number));
    // All sent in one turn: the 16-frame inbox fills, the rest waits in a's outbox.
    for (let i = 0; i < 1_000; i++) expect(a.send(1, 'n', i)).toBe(true);
    await until(() => got.length === 1_000);
    expect(got).toEqual(Array.from({ length: 1_000 }, (_, i) => i));
  });

  it('answers calls, and rejects them when the peer is down, fails or goes down', async () => {
    const { shared, ends } = mesh(2);
    const [a, b] = ends as [WorkerMesh, WorkerMesh];
    b.answer('double', (_from, body) => (body as number) * 2);
    b.answer('fail', () => {
      throw new Error('nope');
    });
    b.answer('never', () => new Promise(() => {}));
    expect(await a.call(1, 'double', 21)).toBe(42);
    await expect(a.call(1, 'fail', null)).rejects.toMatchObject({ code: 'ERR_WORKER_CALL', message: 'nope' });
    await expect(a.call(1, 'unknown', null)).rejects.toMatchObject({ code: 'ERR_WORKER_CALL' });
    await expect(a.call(1, 'never', null, 50)).rejects.toMatchObject({ code: 'ERR_WORKER_UNAVAILABLE' });
    const pending = a.call(1, 'never', null, 5_000);
    setPeerState(shared, 1, 0);
    a.peerDown(1);
    await expect(pending).rejects.toMatchObject({ code: 'ERR_WORKER_UNAVAILABLE' });
    expect(a.isUp(1)).toBe(false);
    expect(a.send(1, 'x', 1)).toBe(false);
    await expect(a.call(1, 'double', 1)).rejects.toMatchObject({ code: 'ERR_WORKER_UNAVAILABLE' });
  });

  it('a restarted index drops the frames left for its previous worker', async () => {
    const { shared, ends } = mesh(2);
    const [a, b] = ends as [WorkerMesh, WorkerMesh];
    b.close();
    for (let i = 0; i < 10; i++) a.send(1, 'n', i);
    const fresh = new WorkerMesh(shared, 1);
    open.push(fresh);
    const got: number[] = [];
    fresh.on('n', (_from, body) => got.push(body as number));
    a.send(1, 'n', 99);
    await until(() => got.length > 0);
    await new Promise((r) => setTimeout(r, 20));
    expect(got).toEqual([99]);
  });
});
