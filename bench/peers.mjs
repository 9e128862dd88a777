// Plain-JS peers: what a user would write instead of calling into Rust. Same semantics and
// return conventions as ours, kept straightforward (no tricks ours could not also use).
import { performance } from 'node:perf_hooks';

/**
 * A table of token buckets keyed by handle: `Map` of `{ tokens, last }`, refilled on demand
 * from `performance.now()`. Buckets start full. `consume` returns the whole tokens left, or
 * the negative shortfall (nothing taken), like `TokenBuckets.consume`.
 */
export class JsTokenBuckets {
  constructor({ capacity = 1000, refillPerSec = 10_000 } = {}) {
    this.capacity = capacity;
    this.perMs = refillPerSec / 1000;
    /** @type {Map<number, { tokens: number, last: number }>} */
    this.map = new Map();
  }

  consume(handle, n = 1) {
    const now = performance.now();
    let b = this.map.get(handle);
    if (b === undefined) {
      b = { tokens: this.capacity, last: now };
      this.map.set(handle, b);
    }
    b.tokens = Math.min(this.capacity, b.tokens + (now - b.last) * this.perMs);
    b.last = now;
    if (b.tokens < n) return -Math.ceil(n - b.tokens);
    b.tokens -= n;
    return Math.floor(b.tokens);
  }

  refund(handle, n = 1) {
    const b = this.map.get(handle);
    if (b !== undefined) b.tokens = Math.min(this.capacity, b.tokens + n);
  }
}

const CLOSED = 0;
const OPEN = 1;
const HALF_OPEN = 2;

/**
 * A counter circuit breaker with ours' default policy: open after `failureThreshold`
 * consecutive failures, half open after `openMs` (checked lazily on `allow`), closed again
 * after `successThreshold` trial successes, at most `halfOpenMaxCalls` trials in flight.
 */
export class JsCircuitBreaker {
  constructor({ failureThreshold = 5, openMs = 30_000, halfOpenMaxCalls = 3, successThreshold = 3 } = {}) {
    this.failureThreshold = failureThreshold;
    this.openMs = openMs;
    this.halfOpenMaxCalls = halfOpenMaxCalls;
    this.successThreshold = successThreshold;
    this.state = CLOSED;
    this.consecutiveFailures = 0;
    this.openedAt = 0;
    this.trials = 0;
    this.trialSuccesses = 0;
    this.successes = 0;
    this.failures = 0;
    this.rejected = 0;
  }

  allow() {
    if (this.state === CLOSED) return true;
    if (this.state === OPEN) {
      if (performance.now() - this.openedAt < this.openMs) {
        this.rejected++;
        return false;
      }
      this.state = HALF_OPEN;
      this.trials = 0;
      this.trialSuccesses = 0;
    }
    if (this.trials >= this.halfOpenMaxCalls) {
      this.rejected++;
      return false;
    }
    this.trials++;
    return true;
  }

  recordSuccess() {
    this.successes++;
    this.consecutiveFailures = 0;
    if (this.state === HALF_OPEN) {
      this.trials--;
      if (++this.trialSuccesses >= this.successThreshold) this.state = CLOSED;
    }
  }

  recordFailure() {
    this.failures++;
    if (this.state === HALF_OPEN || ++this.consecutiveFailures >= this.failureThreshold) {
      this.state = OPEN;
      this.openedAt = performance.now();
      this.consecutiveFailures = 0;
    }
  }

  /** Whether the breaker refuses calls right now (the router's check). */
  get isOpen() {
    return this.state === OPEN && performance.now() - this.openedAt < this.openMs;
  }
}
