// Ring queue: push+drain of 256-byte frames vs a JS array queue in one thread, and frames
// moved between two worker_threads through a named RingQueue vs MessagePort.postMessage.
import { Worker } from 'node:worker_threads';
import { RingQueue } from '../../dist/index.mjs';
import { compare, sink } from '../lib.mjs';

const FRAME = 256;

async function singleThread() {
  const q = new RingQueue({ capacity: 4096, warnAt: 1, rejectAt: 1 });
  const frames = Array.from({ length: 64 }, (_, i) => Buffer.alloc(FRAME, i));
  const arr = [];
  return compare(
    'RingQueue push x64 + drain, 256 B frames (per frame)',
    () => {
      for (let i = 0; i < 64; i++) q.push(frames[i]);
      for (const f of q.drain(64)) sink.value ^= f[0];
    },
    {
      'JS array queue': () => {
        for (let i = 0; i < 64; i++) arr.push(Buffer.from(frames[i]));
        for (const f of arr.splice(0, 64)) sink.value ^= f[0];
      },
    },
    { perOp: 64 },
  ).then(async (rows) => {
    const batched = await compare(
      'RingQueue pushMany(64) + drain, 256 B frames (per frame)',
      () => {
        q.pushMany(frames);
        for (const f of q.drain(64)) sink.value ^= f[0];
      },
      {
        'JS array queue': () => {
          for (let i = 0; i < 64; i++) arr.push(Buffer.from(frames[i]));
          for (const f of arr.splice(0, 64)) sink.value ^= f[0];
        },
      },
      { perOp: 64 },
    );
    return [...rows, ...batched];
  });
}

const workerUrl = new URL('./ring-producer.mjs', import.meta.url);

function startWorker(data) {
  const w = new Worker(workerUrl, { workerData: data });
  return new Promise((resolve, reject) => {
    w.once('error', reject);
    w.once('message', (m) => (m === 'ready' ? resolve(w) : reject(new Error(`unexpected ${m}`))));
  });
}

/** Frames/s from a producer worker to this thread; verifies count and checksum. */
async function crossThread(mode, total, batch) {
  const name = `bench-ring-${process.pid}-${mode}-${Math.random()}`;
  const w = await startWorker({ mode, name, total, batch, frame: FRAME });
  let received = 0;
  let checksum = 0;
  const t0 = process.hrtime.bigint();
  if (mode === 'ring') {
    const q = RingQueue.open(name, { capacity: 8192, warnAt: 1, rejectAt: 1 });
    w.postMessage('go');
    while (received < total) {
      const d = q.drain(1024);
      if (d.count === 0) {
        await new Promise(setImmediate);
        continue;
      }
      // Read each frame in place at its offset: no per-frame object.
      let start = 0;
      for (const end of d.ends) {
        checksum = (checksum + d.data.readUInt32LE(start)) >>> 0;
        start = end;
        received++;
      }
    }
  } else {
    await new Promise((resolve) => {
      w.on('message', (m) => {
        const buf = Buffer.from(m.buffer, m.byteOffset, m.byteLength);
        for (let off = 0; off < buf.length; off += FRAME) {
          checksum = (checksum + buf.readUInt32LE(off)) >>> 0;
          received++;
        }
        if (received >= total) resolve();
      });
      w.postMessage('go');
    });
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await w.terminate();
  const expected = ((total * (total - 1)) / 2) % 2 ** 32;
  if (received !== total || checksum !== expected) {
    throw new Error(`${mode}: received ${received}/${total}, checksum ${checksum} != ${expected}`);
  }
  if (mode === 'ring') RingQueue.forget(name);
  return total / seconds;
}

async function median(fn, reps) {
  const xs = [];
  for (let i = 0; i < reps; i++) xs.push(await fn());
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)];
}

export default async function ringSuite({ quick }) {
  const rows = await singleThread();
  const total = quick ? 50_000 : 200_000;
  const reps = quick ? 1 : 3;
  const ring = await median(() => crossThread('ring', total, 256), reps);
  const postEach = await median(() => crossThread('post-each', total, 1), reps);
  const postBatch = await median(() => crossThread('post-batch', total, 256), reps);
  const row = (peer, peerOps) => ({
    name: `cross-thread 256 B frames, worker -> main (${total} frames)`,
    opsPerSec: Math.round(ring),
    peer,
    peerOpsPerSec: Math.round(peerOps),
    ratio: Number((ring / peerOps).toFixed(2)),
  });
  rows.push(row('MessagePort.postMessage per frame', postEach));
  rows.push(row('MessagePort.postMessage, 256 frames per message', postBatch));
  return rows;
}
