import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  AdmissionControl,
  AdmitCode,
  admitCodeName,
  CircuitBreaker,
  Router,
  ShardedRegistry,
  TokenBuckets,
} from '../../src/index.js';
import { expectCode } from '../helpers.js';

function setup(opts: { capacity?: number; maxPerShard?: number; maxGlobal?: number; failureThreshold?: number } = {}) {
  const registry = new ShardedRegistry({ shards: 4 });
  const buckets = new TokenBuckets({ capacity: opts.capacity ?? 1000, refillPerSec: 1 });
  const admission = new AdmissionControl({
    shards: 4,
    maxPerShard: opts.maxPerShard ?? 1000,
    maxGlobal: opts.maxGlobal ?? 10_000,
  });
  const breaker = new CircuitBreaker({
    failureThreshold: opts.failureThreshold ?? 5,
    openMs: 30,
    halfOpenMaxCalls: 1,
    successThreshold: 1,
  });
  const router = new Router({ registry, buckets, admission, breaker });
  return { registry, buckets, admission, breaker, router };
}

describe('Router', () => {
  it('admits registered handles and releases on complete', () => {
    const { registry, admission, router } = setup();
    registry.register('s1', 1);
    const shard = registry.shardOf('s1');
    expect(router.admit(1)).toBe(AdmitCode.OK);
    expect(admission.depth(shard)).toBe(1);
    router.complete(1, true, 120);
    expect(admission.depth(shard)).toBe(0);
    expect(router.admit(99)).toBe(AdmitCode.UNKNOWN_HANDLE);
    expect(router.stats()).toEqual({
      verdicts: {
        ok: 1,
        rate_limited: 0,
        shard_overloaded: 0,
        global_overloaded: 0,
        circuit_open: 0,
        unknown_handle: 1,
      },
      completedOk: 1,
      completedFailed: 0,
    });
  });

  it('rate limits per handle without touching admission', () => {
    const { registry, admission, router } = setup({ capacity: 2 });
    registry.register('a', 1);
    registry.register('b', 2);
    expect([router.admit(1), router.admit(1), router.admit(1)]).toEqual([
      AdmitCode.OK,
      AdmitCode.OK,
      AdmitCode.RATE_LIMITED,
    ]);
    expect(router.admit(2)).toBe(AdmitCode.OK);
    expect(admission.globalDepth).toBe(3);
  });

  it('refunds the token when the shard is overloaded', () => {
    const { registry, buckets, router } = setup({ capacity: 5, maxPerShard: 1 });
    registry.register('a', 1);
    expect(router.admit(1)).toBe(AdmitCode.OK);
    expect(router.admit(1)).toBe(AdmitCode.SHARD_OVERLOADED);
    expect(buckets.consume(1, 0)).toBe(4);
  });

  it('reports global overload', () => {
    const { registry, router } = setup({ maxGlobal: 1 });
    registry.register('a', 1);
    registry.register('b', 2);
    const codes = [router.admit(1), router.admit(2)];
    expect(codes[0]).toBe(AdmitCode.OK);
    expect(codes[1]).toBe(AdmitCode.GLOBAL_OVERLOADED);
  });

  it('answers CIRCUIT_OPEN with nothing held, then lets one trial through half open', async () => {
    const { registry, admission, buckets, router } = setup({ capacity: 100, failureThreshold: 1 });
    registry.register('a', 1);
    const shard = registry.shardOf('a');
    expect(router.admit(1)).toBe(AdmitCode.OK);
    router.complete(1, false);
    expect(router.admit(1)).toBe(AdmitCode.CIRCUIT_OPEN);
    expect(admission.depth(shard)).toBe(0);
    expect(buckets.consume(1, 0)).toBe(99);
    await sleep(50);
    expect(router.admit(1)).toBe(AdmitCode.OK);
    expect(router.admit(1)).toBe(AdmitCode.CIRCUIT_OPEN);
    router.completeOnShard(shard, true, 10);
    expect(router.admit(1)).toBe(AdmitCode.OK);
    router.complete(1);
    expect(admission.globalDepth).toBe(0);
  });

  it('admitMany gives one code per handle in one call', () => {
    const { registry, router } = setup({ capacity: 1 });
    registry.register('a', 1);
    const codes = router.admitMany(new Uint32Array([1, 1, 7]));
    expect(Array.from(codes)).toEqual([AdmitCode.OK, AdmitCode.RATE_LIMITED, AdmitCode.UNKNOWN_HANDLE]);
    expect(Array.from(codes, admitCodeName)).toEqual(['ok', 'rate_limited', 'unknown_handle']);
  });

  it('errors: mismatched shards, complete of an unknown handle, underflow', () => {
    const registry = new ShardedRegistry({ shards: 8 });
    expectCode(
      () =>
        new Router({
          registry,
          buckets: new TokenBuckets(),
          admission: new AdmissionControl({ shards: 4 }),
          breaker: new CircuitBreaker(),
        }),
      'ERR_INVALID_ARG',
    );
    const { router } = setup();
    expectCode(() => router.complete(42), 'ERR_INVALID_ARG');
    expectCode(() => router.completeOnShard(0), 'ERR_RELEASE_UNDERFLOW');
    expectCode(() => router.completeOnShard(9), 'ERR_INVALID_SHARD');
    expectCode(() => new Router({} as never), 'ERR_INVALID_ARG');
    expectCode(() => admitCodeName(9), 'ERR_INVALID_ARG');
  });
});
