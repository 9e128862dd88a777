import { describe, expect, it } from 'vitest';
import { TokenBucket, TokenBuckets } from '../../src/index.js';
import { expectCode } from '../helpers.js';

// Refill is continuous from the monotonic clock, so tests use rates slow enough (1 token/s
// or less during a test) that elapsed time cannot add a whole token between two calls.

describe('TokenBucket', () => {
  it('starts full, returns remaining tokens, and a negative shortfall when limited', () => {
    const b = new TokenBucket({ capacity: 5, refillPerSec: 1 });
    expect(b.available).toBe(5);
    expect(b.consume()).toBe(4);
    expect(b.consume(3)).toBe(1);
    expect(b.consume(3)).toBe(-2);
    expect(b.available).toBe(1);
    expect(b.consume(0)).toBe(1);
    expect(b.consume(1)).toBe(0);
  });

  it('computes retryAfterMs from the refill rate', () => {
    const b = new TokenBucket({ capacity: 10, refillPerSec: 1 });
    expect(b.retryAfterMs(10)).toBe(0);
    b.consume(10);
    const wait = b.retryAfterMs(2);
    expect(wait).toBeGreaterThan(1900);
    expect(wait).toBeLessThanOrEqual(2000);
    expectCode(() => b.retryAfterMs(11), 'ERR_INVALID_ARG');
  });

  it('refund gives tokens back, capped at capacity; reset refills', () => {
    const b = new TokenBucket({ capacity: 3, refillPerSec: 1 });
    b.consume(3);
    b.refund(2);
    expect(b.available).toBe(2);
    b.refund(100);
    expect(b.available).toBe(3);
    b.consume(3);
    b.reset();
    expect(b.available).toBe(3);
  });

  it('refills over real time', async () => {
    const b = new TokenBucket({ capacity: 100, refillPerSec: 1000 });
    b.consume(100);
    expect(b.consume(1)).toBeLessThan(0);
    await new Promise((r) => setTimeout(r, 30));
    expect(b.available).toBeGreaterThanOrEqual(20);
  });

  it('has the documented defaults and validates options', () => {
    const b = new TokenBucket();
    expect(b.available).toBe(1000);
    for (const bad of [{ capacity: 0 }, { refillPerSec: 0 }, { capacity: -1 }, { capacity: 2.5 }]) {
      expectCode(() => new TokenBucket(bad), 'ERR_INVALID_ARG');
    }
    expectCode(() => b.consume(-1), 'ERR_INVALID_ARG');
  });
});

describe('TokenBuckets', () => {
  it('keeps one independent bucket per handle, created full on first use', () => {
    const t = new TokenBuckets({ capacity: 2, refillPerSec: 1 });
    expect(t.size).toBe(0);
    expect(t.consume(1)).toBe(1);
    expect(t.consume(1)).toBe(0);
    expect(t.consume(1)).toBe(-1);
    expect(t.consume(2)).toBe(1);
    expect(t.size).toBe(2);
    expect(t.retryAfterMs(2, 1)).toBe(0);
    expect(t.retryAfterMs(1, 1)).toBeGreaterThan(900);
    const s = t.stats();
    expect(s).toMatchObject({ buckets: 2, overrides: 0, consumed: 3, limited: 1 });
  });

  it('applies per-handle overrides until cleared', () => {
    const t = new TokenBuckets({ capacity: 2, refillPerSec: 1 });
    t.setOverride(7, { capacity: 10, refillPerSec: 1 });
    expect(t.consume(7, 10)).toBe(0);
    expect(t.stats().overrides).toBe(1);
    expect(t.clearOverride(7)).toBe(true);
    expect(t.clearOverride(7)).toBe(false);
    expectCode(() => t.setOverride(7, { capacity: 0 }), 'ERR_INVALID_ARG');
  });

  it('remove forgets a handle; evictIdle drops only full, non-overridden buckets', () => {
    const t = new TokenBuckets({ capacity: 5, refillPerSec: 1 });
    t.consume(1, 0); // full
    t.consume(2, 3); // not full
    t.setOverride(3, { capacity: 5, refillPerSec: 1 });
    t.consume(3, 0);
    expect(t.evictIdle()).toBe(1);
    expect(t.size).toBe(2);
    expect(t.consume(2, 0)).toBe(2);
    expect(t.remove(2)).toBe(true);
    expect(t.remove(2)).toBe(false);
    expect(t.consume(2, 0)).toBe(5);
  });

  it('rejects invalid handles with ERR_INVALID_HANDLE', () => {
    const t = new TokenBuckets();
    for (const bad of [-1, 2 ** 31, 0.5]) expectCode(() => t.consume(bad), 'ERR_INVALID_HANDLE');
  });
});
