// Worker side of the cross-thread ring benchmark: produces `total` frames whose first four
// bytes are the frame's sequence number, through a named RingQueue or postMessage.
import { parentPort, workerData } from 'node:worker_threads';
import { RingQueue } from '../../dist/index.mjs';

const { mode, name, total, batch, frame } = workerData;
const q = mode === 'ring' ? RingQueue.open(name, { capacity: 8192, warnAt: 1, rejectAt: 1 }) : null;
const pause = new Int32Array(new SharedArrayBuffer(4));

function makeFrames(start, n) {
  const frames = [];
  for (let i = 0; i < n; i++) {
    const f = Buffer.alloc(frame);
    f.writeUInt32LE(start + i, 0);
    frames.push(f);
  }
  return frames;
}

parentPort.once('message', () => {
  let seq = 0;
  while (seq < total) {
    const n = Math.min(batch, total - seq);
    if (mode === 'ring') {
      const frames = makeFrames(seq, n);
      let sent = 0;
      while (sent < n) {
        sent += q.pushMany(sent === 0 ? frames : frames.slice(sent)).accepted;
        if (sent < n) Atomics.wait(pause, 0, 0, 1); // queue full: let the consumer catch up
      }
    } else if (mode === 'post-each') {
      const f = makeFrames(seq, 1)[0];
      parentPort.postMessage(f);
    } else {
      parentPort.postMessage(Buffer.concat(makeFrames(seq, n)));
    }
    seq += n;
  }
});
parentPort.postMessage('ready');
