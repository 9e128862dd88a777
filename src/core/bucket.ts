import { adopt, NATIVE, native, takeAdopted } from '../native.js';
import { assertHandle, assertInt } from './errors.js';

/** Options of a token bucket. */
export interface BucketOptions {
  /** Maximum tokens, i.e. the burst size. Default 1000. */
  capacity?: number;
  /** Tokens added per second, continuously. Default 10000. */
  refillPerSec?: number;
}

export interface BucketsStats {
  /** Live buckets in the table. */
  buckets: number;
  /** Handles with their own capacity/rate. */
  overrides: number;
  /** Successful consume calls. */
  consumed: number;
  /** Limited consume calls. */
  limited: number;
  /** Idle buckets evicted (they were full, so eviction changed nothing observable). */
  evicted: number;
}

const MAX_N = 0xffffffff;

/**
 * One token bucket in Rust, refilled on demand from the monotonic clock (no timers).
 * Starts full.
 */
export class TokenBucket {
  /** @internal */
  readonly [NATIVE]: InstanceType<typeof native.TokenBucket>;

  constructor(options: BucketOptions = {}) {
    this[NATIVE] = takeAdopted() ?? new native.TokenBucket(options);
  }

  static open(name: string, options: BucketOptions = {}): TokenBucket {
    return adopt(native.TokenBucket.open(name, options), () => new TokenBucket());
  }

  static forget(name: string): boolean {
    return native.TokenBucket.forget(name);
  }

  /** Takes `n` tokens: returns the whole tokens left, or a negative shortfall (nothing taken). */
  consume(n = 1): number {
    assertInt('n', n, 0, MAX_N);
    return this[NATIVE].consume(n);
  }

  /** Milliseconds until `n` tokens are available (0 = now). ERR_INVALID_ARG if n > capacity. */
  retryAfterMs(n = 1): number {
    assertInt('n', n, 0, MAX_N);
    return this[NATIVE].retryAfterMs(n);
  }

  /** Gives `n` tokens back (capped at capacity). */
  refund(n = 1): void {
    assertInt('n', n, 0, MAX_N);
    this[NATIVE].refund(n);
  }

  /** Whole tokens available now. */
  get available(): number {
    return this[NATIVE].available;
  }

  /** Refills to capacity. */
  reset(): void {
    this[NATIVE].reset();
  }
}

/**
 * A table of token buckets keyed by handle (one per connection or session), in Rust.
 * Buckets are created full on first use; idle buckets are evicted so memory stays bounded
 * (only once they would be full again, so eviction never changes a result).
 */
export class TokenBuckets {
  /** @internal */
  readonly [NATIVE]: InstanceType<typeof native.TokenBuckets>;
  /** Slot id of the native object, for the per-message free functions. */
  readonly #id: number;

  constructor(options: BucketOptions = {}) {
    this[NATIVE] = takeAdopted() ?? new native.TokenBuckets(options);
    this.#id = this[NATIVE].id;
  }

  static open(name: string, options: BucketOptions = {}): TokenBuckets {
    return adopt(native.TokenBuckets.open(name, options), () => new TokenBuckets());
  }

  static forget(name: string): boolean {
    return native.TokenBuckets.forget(name);
  }

  /** Takes `n` tokens from `handle`'s bucket: whole tokens left, or a negative shortfall. */
  consume(handle: number, n = 1): number {
    assertHandle(handle);
    assertInt('n', n, 0, MAX_N);
    return native.bucketsConsume(this.#id, handle, n);
  }

  /** Milliseconds until `handle` has `n` tokens (0 = now). */
  retryAfterMs(handle: number, n = 1): number {
    assertHandle(handle);
    assertInt('n', n, 0, MAX_N);
    return this[NATIVE].retryAfterMs(handle, n);
  }

  /** Gives `n` tokens back to `handle` (capped at its capacity). */
  refund(handle: number, n = 1): void {
    assertHandle(handle);
    assertInt('n', n, 0, MAX_N);
    this[NATIVE].refund(handle, n);
  }

  /** Gives `handle` its own capacity and rate until {@link clearOverride}. */
  setOverride(handle: number, options: BucketOptions): void {
    assertHandle(handle);
    this[NATIVE].setOverride(handle, options);
  }

  clearOverride(handle: number): boolean {
    assertHandle(handle);
    return this[NATIVE].clearOverride(handle);
  }

  /** Drops `handle`'s bucket and override (e.g. when its session closes). */
  remove(handle: number): boolean {
    assertHandle(handle);
    return this[NATIVE].remove(handle);
  }

  /** Evicts every idle (full, not overridden) bucket now; returns how many. */
  evictIdle(): number {
    return this[NATIVE].evictIdle();
  }

  /** Live buckets. */
  get size(): number {
    return this[NATIVE].size;
  }

  stats(): BucketsStats {
    return this[NATIVE].stats();
  }
}
