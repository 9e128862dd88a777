// Worker side of the cross-thread ring benchmark (not a suite). Builds `total` frames of
// `frame` bytes up front (each its own Buffer, as a transport hands them over; allocating them
// is the same work for every mode and would dominate the timing, so the clock starts after),
// says 'ready', and on 'go' sends them to the main thread by `mode`, `batch` frames at a time:
//   ring        pushMany batches into the named RingQueue; when it refuses, back off 50 µs and
//               retry the rest, so no frame is lost
//   post-each   one MessagePort.postMessage per frame (structured clone)
//   post-batch  one postMessage per batch of frames concatenated (structured clone)
//   post-xfer   the same, with the batch's ArrayBuffer transferred instead of copied
// Frame `seq` carries seq in its first 4 bytes and seq ^ MAGIC in its last 4, so the receiver
// can check both the content and the framing. Ends with { done, backoffs }.
import { parentPort, workerData } from 'node:worker_threads';
import { RingQueue } from '../../dist/index.mjs';

export const MAGIC = 0x9e3779b9;

const { mode, name, total, batch, frame, capacity } = workerData ?? {};
const q = mode === 'ring' ? RingQueue.open(name, { capacity, warnAt: 1, rejectAt: 1 }) : null;
const pause = new Int32Array(new SharedArrayBuffer(4));

/** Frames `start..start+n-1`, each its own Buffer (its own ArrayBuffer, so a clone copies 256 B). */
function makeFrames(start, n) {
  const frames = new Array(n);
  for (let i = 0; i < n; i++) {
    const f = Buffer.alloc(frame, (start + i) & 0xff);
    f.writeUInt32LE(start + i, 0);
    f.writeUInt32LE(((start + i) ^ MAGIC) >>> 0, frame - 4);
    frames[i] = f;
  }
  return frames;
}

/** Batches of frames, built before the clock starts. */
const batches = [];
for (let seq = 0; seq < (total ?? 0); seq += batch) batches.push(makeFrames(seq, Math.min(batch, total - seq)));

function produce() {
  let backoffs = 0;
  for (const frames of batches) {
    const n = frames.length;
    if (mode === 'ring') {
      let sent = q.pushMany(frames).accepted;
      while (sent < n) {
        backoffs++;
        Atomics.wait(pause, 0, 0, 0.05); // queue full: let the consumer catch up
        sent += q.pushMany(frames.slice(sent)).accepted;
      }
    } else if (mode === 'post-each') {
      for (let i = 0; i < n; i++) parentPort.postMessage(frames[i]);
    } else if (mode === 'post-batch') {
      parentPort.postMessage(Buffer.concat(frames));
    } else if (mode === 'post-xfer') {
      const b = Buffer.concat(frames); // > 4 KiB: its own ArrayBuffer, not a pool slice
      parentPort.postMessage(b, [b.buffer]);
    } else {
      throw new Error(`unknown mode ${mode}`);
    }
  }
  parentPort.postMessage({ done: true, backoffs });
}

if (parentPort && workerData) {
  parentPort.once('message', produce);
  parentPort.postMessage('ready');
}
