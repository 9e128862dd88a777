import { describe, expect, it } from 'vitest';
import { AdmissionControl } from '../../src/index.js';
import { expectCode } from '../helpers.js';

describe('AdmissionControl', () => {
  it('admits up to maxPerShard per shard, and one full shard does not affect another', () => {
    const a = new AdmissionControl({ shards: 4, maxPerShard: 3, maxGlobal: 100 });
    expect([a.admit(0), a.admit(0), a.admit(0), a.admit(0)]).toEqual(['ok', 'ok', 'ok', 'shard_overloaded']);
    expect(a.admit(1)).toBe('ok');
    expect(a.depth(0)).toBe(3);
    expect(a.depth(1)).toBe(1);
    expect(a.globalDepth).toBe(4);
    a.release(0);
    expect(a.admit(0)).toBe('ok');
  });

  it('enforces the global ceiling', () => {
    const a = new AdmissionControl({ shards: 4, maxPerShard: 10, maxGlobal: 5 });
    const got = Array.from({ length: 8 }, (_, i) => a.admit(i % 4));
    expect(got).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'global_overloaded', 'global_overloaded', 'global_overloaded']);
    expect(a.globalDepth).toBe(5);
    const s = a.stats();
    expect(s).toEqual({
      shards: 4,
      globalDepth: 5,
      maxPerShard: 10,
      maxGlobal: 5,
      perShardDepth: [2, 1, 1, 1],
      admitted: 5,
      shardRejected: 0,
      globalRejected: 3,
    });
  });

  it('release underflow is an error that changes nothing; depth returns to zero', () => {
    const a = new AdmissionControl({ shards: 2, maxPerShard: 5, maxGlobal: 10 });
    a.admit(1);
    a.admit(1);
    expectCode(() => a.release(1, 3), 'ERR_RELEASE_UNDERFLOW');
    expect(a.depth(1)).toBe(2);
    a.release(1, 2);
    expect(a.depth(1)).toBe(0);
    expect(a.globalDepth).toBe(0);
  });

  it('validates shards and options; has the documented defaults', () => {
    const a = new AdmissionControl();
    const s = a.stats();
    expect([s.shards, s.maxPerShard, s.maxGlobal]).toEqual([64, 10000, 500000]);
    expectCode(() => a.admit(64), 'ERR_INVALID_SHARD');
    expectCode(() => a.depth(99), 'ERR_INVALID_SHARD');
    expectCode(() => a.admit(-1), 'ERR_INVALID_ARG');
    for (const bad of [{ shards: 0 }, { maxPerShard: 0 }, { maxGlobal: 0 }, { shards: 2000 }]) {
      expectCode(() => new AdmissionControl(bad), 'ERR_INVALID_ARG');
    }
  });
});
