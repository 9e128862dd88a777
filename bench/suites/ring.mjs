// Ring queue with 256-byte frames. In one thread: push 64 frames (one push each, or one
// pushMany) then drain them, vs a JS array queue (holding the caller's Buffers, or copies of
// them as the ring does). Across two worker_threads: a producer worker sends N frames to the
// main thread through a named RingQueue vs MessagePort.postMessage (one message per frame,
// and batches of 256 frames, copied or transferred); frames/s end to end, every frame checked
// (count, framing and a checksum of content), median of several runs.
import { Worker } from 'node:worker_threads';
import { RingQueue } from '../../dist/index.mjs';
import { measure, ratio, row, sink } from '../lib.mjs';
import { MAGIC } from './ring-producer.mjs';

const FRAME = 256;
const BURST = 64;

async function singleThread() {
  const q = new RingQueue({ capacity: 4096, warnAt: 1, rejectAt: 1 });
  const frames = Array.from({ length: BURST }, (_, i) => Buffer.alloc(FRAME, i));
  const refs = [];
  const copies = [];
  const n = {
    push: `RingQueue push x${BURST} + drain [ours]`,
    pushMany: `RingQueue pushMany(${BURST}) + drain [ours]`,
    refs: 'JS array queue, push refs + shift',
    copies: 'JS array queue, push copies + splice',
  };
  const m = await measure([
    {
      name: n.push,
      fn: () => {
        for (let i = 0; i < BURST; i++) q.push(frames[i]);
        for (const f of q.drain(BURST)) sink.value ^= f[0];
      },
    },
    {
      name: n.pushMany,
      fn: () => {
        q.pushMany(frames);
        for (const f of q.drain(BURST)) sink.value ^= f[0];
      },
    },
    {
      name: n.refs,
      fn: () => {
        for (let i = 0; i < BURST; i++) refs.push(frames[i]);
        while (refs.length > 0) sink.value ^= refs.shift()[0];
      },
    },
    {
      name: n.copies,
      fn: () => {
        for (let i = 0; i < BURST; i++) copies.push(Buffer.from(frames[i]));
        for (const f of copies.splice(0, BURST)) sink.value ^= f[0];
      },
    },
  ]);
  if (q.depth !== 0) throw new Error(`ring not drained: depth ${q.depth}`);
  const o = { perOp: BURST };
  const push = `RingQueue push x${BURST} + drain, ${FRAME} B frames (per frame)`;
  const many = `RingQueue pushMany(${BURST}) + drain, ${FRAME} B frames (per frame)`;
  return [
    row(push, m.get(n.push), 'JS array queue (holds refs, shift)', m.get(n.refs), o),
    row(push, m.get(n.push), 'JS array queue (copies, splice)', m.get(n.copies), o),
    row(many, m.get(n.pushMany), 'JS array queue (holds refs, shift)', m.get(n.refs), o),
    row(many, m.get(n.pushMany), 'JS array queue (copies, splice)', m.get(n.copies), o),
  ];
}

const producerUrl = new URL('./ring-producer.mjs', import.meta.url);
const RING_CAPACITY = 8192;
const DRAIN_MAX = 1024;

function startProducer(workerData) {
  const w = new Worker(producerUrl, { workerData });
  return new Promise((resolve, reject) => {
    w.once('error', reject);
    w.once('message', (m) => (m === 'ready' ? resolve(w) : reject(new Error(`unexpected ${m}`))));
  });
}

/** Checks frames packed back to back in `buf` (each FRAME bytes); returns [count, checksum]. */
function verifyPacked(buf, count, sum) {
  if (buf.length % FRAME !== 0) throw new Error(`message of ${buf.length} B is not whole frames`);
  for (let off = 0; off < buf.length; off += FRAME) {
    const seq = buf.readUInt32LE(off);
    if (buf.readUInt32LE(off + FRAME - 4) !== (seq ^ MAGIC) >>> 0) throw new Error(`frame ${seq} corrupt`);
    sum = (sum + seq) >>> 0;
    count++;
  }
  return [count, sum];
}

/** One run: frames/s from a producer worker to this thread, and the producer's backoffs. */
async function crossThread(mode, total, batch) {
  const name = `bench-ring-${process.pid}-${mode}-${Math.random()}`;
  const q = mode === 'ring' ? RingQueue.open(name, { capacity: RING_CAPACITY, warnAt: 1, rejectAt: 1 }) : null;
  const w = await startProducer({ mode, name, total, batch, frame: FRAME, capacity: RING_CAPACITY });
  let received = 0;
  let checksum = 0;
  let onFrames = null;
  const done = new Promise((resolve, reject) => {
    w.on('error', reject);
    w.on('message', (m) => {
      if (m?.done) resolve(m);
      else onFrames(m);
    });
  });
  const t0 = process.hrtime.bigint();
  if (mode === 'ring') {
    w.postMessage('go');
    while (received < total) {
      const d = q.drain(DRAIN_MAX);
      if (d.count === 0) {
        await new Promise(setImmediate);
        continue;
      }
      // Frames are read in place at their offsets in the one drained buffer.
      let start = 0;
      for (const end of d.ends) {
        if (end - start !== FRAME) throw new Error(`frame of ${end - start} B`);
        const seq = d.data.readUInt32LE(start);
        if (d.data.readUInt32LE(end - 4) !== (seq ^ MAGIC) >>> 0) throw new Error(`frame ${seq} corrupt`);
        checksum = (checksum + seq) >>> 0;
        received++;
        start = end;
      }
    }
  } else {
    await new Promise((resolve) => {
      onFrames = (m) => {
        [received, checksum] = verifyPacked(Buffer.from(m.buffer, m.byteOffset, m.byteLength), received, checksum);
        if (received >= total) resolve();
      };
      w.postMessage('go');
    });
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const { backoffs } = await done;
  await w.terminate();
  if (q) RingQueue.forget(name);
  // Sum of 0..total-1, mod 2^32.
  const expected = Number((BigInt(total) * BigInt(total - 1)) / 2n) % 2 ** 32;
  if (received !== total || checksum !== expected) {
    throw new Error(`${mode}: received ${received}/${total} frames, checksum ${checksum} != ${expected}`);
  }
  return { fps: total / seconds, backoffs };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export default async function ringSuite({ quick } = {}) {
  const rows = await singleThread();

  const total = quick ? 50_000 : 200_000;
  const reps = quick ? 3 : 5;
  const BATCH = 256;
  const modes = {
    ring: { batch: BATCH },
    'post-each': { batch: BATCH, peer: 'MessagePort.postMessage, one frame per message' },
    'post-batch': { batch: BATCH, peer: `MessagePort.postMessage, ${BATCH} frames per message (copied)` },
    'post-xfer': { batch: BATCH, peer: `MessagePort.postMessage, ${BATCH} frames per message (transferred)` },
  };
  const runs = Object.fromEntries(Object.keys(modes).map((k) => [k, []]));
  const backoffs = [];
  // Modes interleaved run by run, so a noisy moment does not land on one mode only.
  for (let r = 0; r < reps; r++) {
    for (const [mode, { batch }] of Object.entries(modes)) {
      const res = await crossThread(mode, total, batch);
      runs[mode].push(res.fps);
      if (mode === 'ring') backoffs.push(res.backoffs);
    }
  }
  const ours = median(runs.ring);
  const name = `cross-thread ${FRAME} B frames, worker -> main, RingQueue pushMany(${BATCH}) + drain`;
  for (const [mode, { peer }] of Object.entries(modes)) {
    if (mode === 'ring') continue;
    const theirs = median(runs[mode]);
    rows.push({
      name,
      opsPerSec: Math.round(ours),
      peer,
      peerOpsPerSec: Math.round(theirs),
      ratio: ratio(ours, theirs),
      frames: total,
      runs: reps,
      method: 'median frames/s of interleaved runs, timed with hrtime until all frames were received and verified',
      oursRunsOpsPerSec: runs.ring.map(Math.round),
      peerRunsOpsPerSec: runs[mode].map(Math.round),
      producerBackoffsMedian: median(backoffs),
    });
  }
  return rows;
}
