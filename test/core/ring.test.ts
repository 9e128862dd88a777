import { describe, expect, it } from 'vitest';
import { RingQueue } from '../../src/index.js';
import { expectCode } from '../helpers.js';

const frame = (i: number, size = 8) => Buffer.alloc(size, i % 256);

describe('RingQueue', () => {
  it('has the documented defaults', () => {
    const q = new RingQueue();
    expect(q.capacity).toBe(10000);
    expect(q.depth).toBe(0);
    expect(q.pop()).toBeUndefined();
  });

  it('says ok, then warn above warnAt, then rejects at rejectAt without growing', () => {
    const q = new RingQueue({ capacity: 20, warnAt: 0.5, rejectAt: 0.75 });
    const results = Array.from({ length: 20 }, (_, i) => q.push(frame(i)));
    expect(results.slice(0, 9)).toEqual(Array(9).fill('ok'));
    expect(results.slice(9, 15)).toEqual(Array(6).fill('warn'));
    expect(results.slice(15)).toEqual(Array(5).fill('rejected'));
    expect(q.depth).toBe(15);
    const s = q.stats();
    expect(s).toEqual({ pushed: 15, popped: 0, rejected: 5, warned: 6, highWater: 15, depth: 15, capacity: 20 });
  });

  it('is FIFO and returns exact bytes through pop and drain', () => {
    const q = new RingQueue({ capacity: 100, rejectAt: 1 });
    q.push('hello');
    q.push(Buffer.from([1, 2, 3]));
    q.push(new Uint8Array(0));
    q.push('world');
    expect(q.pop()?.toString()).toBe('hello');
    const d = q.drain(10);
    expect(d.count).toBe(3);
    expect(Array.from(d.ends)).toEqual([3, 3, 8]);
    expect([...d].map((b) => Array.from(b))).toEqual([[1, 2, 3], [], Array.from(Buffer.from('world'))]);
    expect(d.frame(2).toString()).toBe('world');
    expect(() => d.frame(3)).toThrow(RangeError);
    expect(q.depth).toBe(0);
    expect(q.stats().popped).toBe(4);
  });

  it('drain(max) takes at most max frames, in order, across wrap-around', () => {
    const q = new RingQueue({ capacity: 4, warnAt: 1, rejectAt: 1 });
    let next = 0;
    const seen: number[] = [];
    for (let round = 0; round < 10; round++) {
      while (q.push(frame(next)) !== 'rejected') next++;
      for (const f of q.drain(3)) seen.push(f[0] as number);
    }
    for (const f of q.drain(100)) seen.push(f[0] as number);
    expect(seen).toEqual(Array.from({ length: next }, (_, i) => i % 256));
    expect(q.drain(0).count).toBe(0);
    expectCode(() => q.drain(-1), 'ERR_INVALID_ARG');
  });

  it('drainTo fills the caller arrays and keeps a frame that does not fit first in line', () => {
    const q = new RingQueue({ capacity: 8, warnAt: 1, rejectAt: 1 });
    for (const f of ['ab', '', 'cde', 'fghi', 'j']) q.push(f);
    const data = new Uint8Array(6);
    const ends = new Uint32Array(8);
    expect(q.drainTo(data, ends)).toBe(3);
    expect([Buffer.from(data.subarray(0, 5)).toString(), Array.from(ends.subarray(0, 3))]).toEqual([
      'abcde',
      [2, 2, 5],
    ]);
    expect(q.depth).toBe(2);
    // 'fghi' did not fit in what was left; a buffer too small for it is refused, nothing lost.
    expectCode(() => q.drainTo(new Uint8Array(3), ends), 'ERR_INVALID_ARG');
    expect(q.pop()?.toString()).toBe('fghi');
    expect(q.drainTo(data, ends, 0)).toBe(0);
    expect(q.drainTo(data, ends, 1)).toBe(1);
    expect([data[0], ends[0], q.depth, q.stats().popped]).toEqual([0x6a, 1, 0, 5]);
    expect(q.drainTo(data, ends)).toBe(0);
    expectCode(() => q.drainTo(data, ends, -1), 'ERR_INVALID_ARG');
    expectCode(() => q.drainTo([] as unknown as Uint8Array, ends), 'ERR_INVALID_ARG');
    expectCode(() => q.drainTo(data, new Int32Array(2) as unknown as Uint32Array), 'ERR_INVALID_ARG');
  });

  it('pushMany pushes in order and stops at the first rejection', () => {
    const q = new RingQueue({ capacity: 10, warnAt: 0.5, rejectAt: 0.8 });
    expect(q.pushMany([frame(1), frame(2), frame(3)])).toEqual({ accepted: 3, last: 'ok' });
    expect(q.pushMany(Array.from({ length: 10 }, (_, i) => frame(10 + i)))).toEqual({ accepted: 5, last: 'rejected' });
    expect(q.depth).toBe(8);
    expect(Array.from(q.drain(100), (f) => f[0])).toEqual([1, 2, 3, 10, 11, 12, 13, 14]);
    expect(q.pushMany([])).toEqual({ accepted: 0, last: 'ok' });
    expectCode(() => q.pushMany(['x' as unknown as Uint8Array]), 'ERR_INVALID_ARG');
  });

  it('validates options and frames', () => {
    for (const bad of [
      { capacity: 0 },
      { capacity: 1.5 },
      { warnAt: 0 },
      { warnAt: 0.9, rejectAt: 0.8 },
      { rejectAt: 1.5 },
    ]) {
      expectCode(() => new RingQueue(bad), 'ERR_INVALID_ARG');
    }
    const q = new RingQueue({ capacity: 2 });
    expectCode(() => q.push(42 as unknown as Uint8Array), 'ERR_INVALID_ARG');
  });

  it('clear drops everything and counts it', () => {
    const q = new RingQueue({ capacity: 10, rejectAt: 1 });
    for (let i = 0; i < 7; i++) q.push(frame(i));
    expect(q.clear()).toBe(7);
    expect(q.depth).toBe(0);
    expect(q.push(frame(1))).toBe('ok');
  });

  it('open(name) shares frames between handles', () => {
    const a = RingQueue.open('test-ring-shared', { capacity: 8 });
    const b = RingQueue.open('test-ring-shared', { capacity: 8 });
    a.push('x');
    expect(b.pop()?.toString()).toBe('x');
    expectCode(() => RingQueue.open('test-ring-shared', { capacity: 9 }), 'ERR_OPTIONS_MISMATCH');
    expect(RingQueue.forget('test-ring-shared')).toBe(true);
  });
});
