import { describe, expect, it } from 'vitest';
import { ShardedRegistry } from '../../src/index.js';
import { expectCode } from '../helpers.js';

describe('ShardedRegistry', () => {
  it('registers, looks up and unregisters with exact results', () => {
    const r = new ShardedRegistry();
    expect(r.shards).toBe(64);
    expect(r.register('a', 1)).toBe(true);
    expect(r.register('a', 2)).toBe(false);
    expect(r.lookup('a')).toBe(1);
    expect(r.lookup('b')).toBeUndefined();
    expect(r.size).toBe(1);
    expect(r.unregister('a')).toBe(1);
    expect(r.unregister('a')).toBeUndefined();
    expect(r.size).toBe(0);
    expect(r.lookup('a')).toBeUndefined();
  });

  it('accepts the whole 31-bit handle range and rejects others with ERR_INVALID_HANDLE', () => {
    const r = new ShardedRegistry({ shards: 1 });
    expect(r.register('zero', 0)).toBe(true);
    expect(r.register('max', 0x7fffffff)).toBe(true);
    expect(r.lookup('max')).toBe(0x7fffffff);
    for (const bad of [-1, 0x80000000, 1.5, Number.NaN, '3' as unknown as number]) {
      expectCode(() => r.register('x', bad), 'ERR_INVALID_HANDLE');
    }
    expect(r.size).toBe(2);
  });

  it('rejects bad keys and shard counts with ERR_INVALID_ARG', () => {
    const r = new ShardedRegistry({ shards: 4 });
    expectCode(() => r.register('', 1), 'ERR_INVALID_ARG');
    expectCode(() => r.register('a\0b', 1), 'ERR_INVALID_ARG');
    expectCode(() => r.lookup(5 as unknown as string), 'ERR_INVALID_ARG');
    for (const shards of [0, 3, 2048, 1.5, -2]) {
      expectCode(() => new ShardedRegistry({ shards }), 'ERR_INVALID_ARG');
    }
    for (const shards of [1, 2, 1024]) expect(new ShardedRegistry({ shards }).shards).toBe(shards);
  });

  it('lookupMany answers every key in order, -1 for missing, including awkward keys', () => {
    const r = new ShardedRegistry({ shards: 8 });
    for (let i = 0; i < 100; i++) r.register(`k${i}`, i * 3);
    const keys = ['k5', 'missing', 'k99', 'k0', 'élan', ''];
    r.register('élan', 77);
    expect(Array.from(r.lookupMany(keys))).toEqual([15, -1, 297, 0, 77, -1]);
    expect(Array.from(r.lookupMany([]))).toEqual([]);
    expect(Array.from(r.lookupMany(['']))).toEqual([-1]);
    expect(Array.from(r.lookupMany(['a\0k1', 'k1']))).toEqual([-1, 3]);
    expect(r.lookupMany(keys)).toBeInstanceOf(Int32Array);
    expectCode(() => r.lookupMany(['k1', 5 as unknown as string]), 'ERR_INVALID_ARG');
    expectCode(() => r.lookupMany('k1' as unknown as string[]), 'ERR_INVALID_ARG');
  });

  it('looks up keys of every length around the inline-buffer boundary, multibyte included', () => {
    const r = new ShardedRegistry({ shards: 8 });
    const keys: string[] = [];
    for (let n = 100; n <= 140; n++) {
      keys.push('a'.repeat(n), `${'b'.repeat(n)}é`, `${'c'.repeat(n)}😀`, `${'d'.repeat(n - 1)}中文`);
    }
    keys.push('x'.repeat(5000));
    keys.forEach((k, i) => {
      expect(r.register(k, i)).toBe(true);
    });
    keys.forEach((k, i) => {
      expect(r.lookup(k)).toBe(i);
      const shorter = keys.indexOf(k.slice(0, -1));
      expect(r.lookup(k.slice(0, -1))).toBe(shorter >= 0 ? shorter : undefined);
    });
    expect(Array.from(r.lookupMany(keys))).toEqual(keys.map((_, i) => i));
  });

  it('has a stable, documented shard function', () => {
    const r = new ShardedRegistry({ shards: 64 });
    for (const key of ['session-1', 'abc', 'é']) {
      expect(r.shardOf(key)).toBe(ShardedRegistry.shardIndex(key, 64));
      expect(r.shardOf(key)).toBeLessThan(64);
    }
    // Pinned values: other nodes rely on these never changing (xxh3_64 seed 0, low bits).
    expect(ShardedRegistry.shardIndex('session-1', 1024)).toBe(PINNED['session-1']);
    expect(ShardedRegistry.shardIndex('abc', 1024)).toBe(PINNED.abc);
    expectCode(() => ShardedRegistry.shardIndex('x', 3), 'ERR_INVALID_ARG');
  });

  it('tracks the shard of each handle and reports per-shard stats', () => {
    const r = new ShardedRegistry({ shards: 4 });
    for (let i = 0; i < 400; i++) r.register(`s-${i}`, i);
    expect(r.shardOfHandle(10)).toBe(r.shardOf('s-10'));
    expect(r.shardOfHandle(1000)).toBeUndefined();
    const sizes = r.shardSizes();
    expect(sizes).toHaveLength(4);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(400);
    const s = r.stats();
    expect(s.shards).toBe(4);
    expect(s.size).toBe(400);
    expect(s.perShard).toEqual(sizes);
    expect(s.min).toBe(Math.min(...sizes));
    expect(s.max).toBe(Math.max(...sizes));
    expect(s.mean).toBe(100);
    expect(s.skew).toBeCloseTo(Math.max(...sizes) / 100, 10);
    r.unregister('s-10');
    expect(r.shardOfHandle(10)).toBeUndefined();
    r.clear();
    expect(r.size).toBe(0);
    expect(r.stats().skew).toBe(0);
  });

  it('registerNew allocates dense handles, frees them on unregister and reuses them', () => {
    const r = new ShardedRegistry({ shards: 4 });
    expect([r.registerNew('a'), r.registerNew('b'), r.registerNew('a')]).toEqual([0, 1, undefined]);
    expect([r.size, r.allocated, r.lookup('b')]).toEqual([2, 2, 1]);
    expect(r.unregister('a')).toBe(0);
    expect(r.registerNew('c')).toBe(0);
    expect(() => r.registerNew('')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
  });

  it('acquire/release/holders refcount one shared entry', () => {
    const r = new ShardedRegistry({ shards: 4 });
    expect(r.acquire('p')).toEqual({ handle: 0, first: true });
    expect(r.acquire('p')).toEqual({ handle: 0, first: false });
    expect([r.holders('p'), r.size]).toEqual([2, 1]);
    expect(r.release('p')).toBe(false);
    expect(r.release('p')).toBe(true);
    expect([r.holders('p'), r.size, r.allocated, r.lookup('p')]).toEqual([0, 0, 0, undefined]);
    expect(r.release('p')).toBe(false);
    r.register('plain', 9);
    expect(() => r.acquire('plain')).toThrow(expect.objectContaining({ code: 'ERR_ALREADY_REGISTERED' }));
    expect([r.release('plain'), r.holders('plain'), r.lookup('plain')]).toEqual([false, 0, 9]);
  });

  it('open(name) shares one registry and refuses other options', () => {
    const a = ShardedRegistry.open('test-registry-shared', { shards: 8 });
    const b = ShardedRegistry.open('test-registry-shared', { shards: 8 });
    a.register('k', 5);
    expect(b.lookup('k')).toBe(5);
    expectCode(() => ShardedRegistry.open('test-registry-shared', { shards: 16 }), 'ERR_OPTIONS_MISMATCH');
    expectCode(() => ShardedRegistry.open('', {}), 'ERR_INVALID_ARG');
    expect(ShardedRegistry.forget('test-registry-shared')).toBe(true);
    expect(ShardedRegistry.open('test-registry-shared', { shards: 16 }).lookup('k')).toBeUndefined();
    expect(b.lookup('k')).toBe(5);
  });
});

// The same values the Rust unit test pins.
const PINNED: Record<string, number> = { 'session-1': 773, abc: 336 };
