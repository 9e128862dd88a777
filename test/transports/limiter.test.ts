import { describe, expect, it } from 'vitest';
import { AdmissionControl } from '../../src/core/admission.js';
import { ConnectionLimiter } from '../../src/transports/limiter.js';

const code = (c: string) => expect.objectContaining({ code: c });

// Both modes must behave the same to a listener; a fresh name per test keeps them apart.
let n = 0;
const modes: Array<[string, (max?: number) => ConnectionLimiter]> = [
  ['per thread (new)', (max) => new ConnectionLimiter(max)],
  ['process-wide (open)', (max) => ConnectionLimiter.open(`lim-${process.pid}-${n++}`, max)],
];

describe.each(modes)('ConnectionLimiter %s', (_, make) => {
  it('takes slots up to max, then refuses and counts refusals', () => {
    const lim = make(2);
    expect(lim.max).toBe(2);
    expect([lim.tryAcquire(), lim.tryAcquire(), lim.tryAcquire(), lim.tryAcquire()]).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect([lim.count, lim.refused]).toEqual([2, 2]);
    lim.release();
    expect(lim.tryAcquire()).toBe(true);
    lim.release();
    lim.release();
    expect([lim.count, lim.refused]).toEqual([0, 2]);
  });

  it('release without a held slot throws ERR_INVALID_ARG and changes nothing', () => {
    const lim = make(3);
    expect(() => lim.release()).toThrow(code('ERR_INVALID_ARG'));
    expect(lim.count).toBe(0);
    lim.tryAcquire();
    lim.release();
    expect(() => lim.release()).toThrow(code('ERR_INVALID_ARG'));
    expect([lim.count, lim.refused]).toEqual([0, 0]);
  });

  it('defaults to 15,000 and rejects a max that is not a positive integer', () => {
    expect(make().max).toBe(15_000);
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '3' as unknown as number]) {
      expect(() => make(bad)).toThrow(code('ERR_INVALID_ARG'));
    }
  });
});

describe('ConnectionLimiter.open(name)', () => {
  it('shares one count between the limiters of a name, and none with new ones', () => {
    const name = `lim-shared-${process.pid}`;
    const a = ConnectionLimiter.open(name, 2);
    const b = ConnectionLimiter.open(name, 2);
    const own = new ConnectionLimiter(2);
    expect([a.shared, b.shared, own.shared]).toEqual([true, true, false]);
    expect(a.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(true);
    expect(a.tryAcquire()).toBe(false);
    expect([a.count, b.count, b.refused, own.count]).toEqual([2, 2, 1, 0]);
    // A slot taken through one is given back through the other: the count is the process's.
    b.release();
    b.release();
    expect(() => a.release()).toThrow(code('ERR_INVALID_ARG'));
    expect(a.count).toBe(0);
    expect(() => ConnectionLimiter.open(name, 3)).toThrow(code('ERR_OPTIONS_MISMATCH'));
    expect(ConnectionLimiter.forget(name)).toBe(true);
    expect(ConnectionLimiter.forget(name)).toBe(false);
    // Forgotten: a new open starts afresh, old limiters keep their counter.
    const c = ConnectionLimiter.open(name, 3);
    a.tryAcquire();
    expect([a.count, c.count, c.refused]).toEqual([1, 0, 0]);
    a.release();
    ConnectionLimiter.forget(name);
  });

  it('uses its own native name, apart from an AdmissionControl of the same name', () => {
    const name = `lim-ns-${process.pid}`;
    const admission = AdmissionControl.open(name, { shards: 4 });
    const lim = ConnectionLimiter.open(name, 1);
    expect(lim.tryAcquire()).toBe(true);
    expect(admission.globalDepth).toBe(0);
    expect(AdmissionControl.open(`${name}:connections`, { shards: 1, maxPerShard: 1, maxGlobal: 1 }).globalDepth).toBe(
      1,
    );
    lim.release();
    ConnectionLimiter.forget(name);
    AdmissionControl.forget(name);
  });

  it('checks the name and a max beyond the native range', () => {
    for (const name of ['', 7 as unknown as string]) {
      expect(() => ConnectionLimiter.open(name, 1)).toThrow(code('ERR_INVALID_ARG'));
    }
    expect(() => ConnectionLimiter.open(`lim-big-${process.pid}`, 2 ** 32)).toThrow(code('ERR_INVALID_ARG'));
    expect(ConnectionLimiter.open(`lim-big-${process.pid}`, 2 ** 32 - 1).max).toBe(2 ** 32 - 1);
    // A per-thread limiter has no such ceiling.
    expect(new ConnectionLimiter(2 ** 40).max).toBe(2 ** 40);
    ConnectionLimiter.forget(`lim-big-${process.pid}`);
  });
});
