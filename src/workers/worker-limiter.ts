/**
 * The process-wide `maxConnections` limiter as one pool worker uses it. The slots are native
 * and shared (`ConnectionLimiter.open`); a worker that crashes never releases the slots its
 * connections held. So each worker also counts what it holds in its own Int32 slot of a
 * SharedArrayBuffer, and the pool gives a dead worker's slots back (`releaseHeld`).
 */
import { ConnectionLimiter } from '../transports/limiter.js';

/** The shared limiter, counting this worker's own slots in `held[index]`. */
export function workerLimiter(
  gateName: string,
  max: number,
  held: SharedArrayBuffer,
  index: number,
): ConnectionLimiter {
  const limiter = ConnectionLimiter.open(gateName, max);
  const counts = new Int32Array(held);
  const tryAcquire = limiter.tryAcquire.bind(limiter);
  const release = limiter.release.bind(limiter);
  limiter.tryAcquire = () => {
    const ok = tryAcquire();
    if (ok) Atomics.add(counts, index, 1);
    return ok;
  };
  limiter.release = () => {
    release();
    Atomics.sub(counts, index, 1);
  };
  return limiter;
}

/** In the pool, after worker `index` exited: releases the slots it still held. Returns how many. */
export function releaseHeld(gateName: string, max: number, held: SharedArrayBuffer, index: number): number {
  const n = Atomics.exchange(new Int32Array(held), index, 0);
  if (n <= 0) return 0;
  const limiter = ConnectionLimiter.open(gateName, max);
  for (let i = 0; i < n; i++) limiter.release();
  return n;
}
